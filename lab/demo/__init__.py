"""The province demo (``scripts/demo.sh``): the whole response path on the namespace lab, one
timed, self-checking step at a time. See docs/tour.md for the same path by hand."""
