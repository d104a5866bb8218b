"""The collector: the central service agents connect out to (enrolment, assignment, incidents)."""
