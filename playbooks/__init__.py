"""Incident-response playbooks (YAML) and the engine that runs them."""

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.playbooks":
    raise ImportError(
        f"import netwarden.playbooks, not {__name__}: playbooks/ is part of the netwarden package"
    )
