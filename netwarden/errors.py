"""The one exception tree of netwarden.

Library errors are mapped to these at the adapter seam (``raise ... from exc``), so callers and
the CLI handle a single family and every message reads well to a network admin.
"""


class NetwardenError(Exception):
    """Root of every error netwarden raises on purpose. ``str(err)`` is one readable line."""


class UsageError(NetwardenError):
    """The command line or an argument is wrong (CLI exit code 2)."""


class InventoryError(NetwardenError):
    """The inventory could not be loaded or is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"inventory has {len(problems)} {noun}")


class SecretError(NetwardenError):
    """A secret reference could not be resolved (missing variable, unreadable file)."""


class LabError(NetwardenError):
    """The namespace lab could not be built, changed or torn down."""


class ConfigError(NetwardenError):
    """A configuration file (``alerting.yaml``, ``thresholds.yml``) is invalid; ``problems``
    holds one ``FILE:LINE: message`` line per problem."""

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{what} has {len(problems)} {noun}")
