"""netwarden: a monitoring agent fleet for a province's e-government network.

The subsystems live in the repository's top-level folders (agent/, collector/, inventory/,
discovery/, playbooks/, lab/) and are linked into this package, so they import as
``netwarden.<folder>``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netwarden")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
