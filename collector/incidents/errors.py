"""Errors of the incident record; each carries the HTTP status the API answers with."""

from netwarden.errors import NetwardenError


class IncidentError(NetwardenError):
    """Something about incidents, evidence or maintenance windows could not be done."""

    status = 400


class PayloadError(IncidentError):
    """A webhook body Alertmanager would never send; ``reason`` is the metric's label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class UnknownIncidentError(IncidentError):
    """No incident, evidence or maintenance window with that id."""

    status = 404


class IncidentStateError(IncidentError):
    """The change does not fit the current state (closing an open incident, noting a closed one)."""

    status = 409


class EvidenceCorruptError(IncidentError):
    """A stored evidence file is missing or no longer matches its SHA-256."""

    status = 500


class SilenceError(IncidentError):
    """Alertmanager did not create or expire a silence (unreachable, or it refused)."""

    status = 502
