"""The collector: the central service agents connect out to (enrolment, assignment, incidents)."""

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.collector":
    raise ImportError(
        f"import netwarden.collector, not {__name__}: collector/ is part of the netwarden package"
    )
