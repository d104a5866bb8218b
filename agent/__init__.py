"""The agent: runs on each agency LAN, polls its devices (SNMP, SSH, probes), serves metrics."""

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.agent":
    raise ImportError(
        f"import netwarden.agent, not {__name__}: agent/ is part of the netwarden package"
    )
