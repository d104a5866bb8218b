"""``python -m netwarden.grafana [--check]``: write the dashboards' JSON to
``grafana/dashboards/``, or (``--check``) exit 1 naming those that differ from the code."""

from __future__ import annotations

import sys

from netwarden.grafana.build import FOLDER, drifted, write_all


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = drifted()
        for name in stale:
            sys.stderr.write(f"{FOLDER / name}.json differs from what the code builds\n")
        return 1 if stale else 0
    if argv:
        sys.stderr.write("usage: python -m netwarden.grafana [--check]\n")
        return 2
    for path in write_all():
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
