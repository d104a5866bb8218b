"""netwarden: a monitoring agent fleet for a province's e-government network.

The subsystems live in the repository's top-level folders (agent/, collector/, inventory/,
discovery/, playbooks/, lab/) and are linked into this package, so they import as
``netwarden.<folder>``.
"""

# The one place the version is written (pyproject.toml reads it from here): asking
# importlib.metadata instead costs ~0.1 s of imports on every start of the command.
__version__ = "0.1.0"
