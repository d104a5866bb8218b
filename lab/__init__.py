"""The province lab: network namespaces running real snmpd and sshd, for tests, demo and bench."""

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.lab":
    raise ImportError(
        f"import netwarden.lab, not {__name__}: lab/ is part of the netwarden package"
    )
