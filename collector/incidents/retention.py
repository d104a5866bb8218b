"""How long closed incidents are kept: ``12mo`` (calendar months, default), ``400d``, ``9000h``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from netwarden.errors import UsageError

DEFAULT = "12mo"
_SPEC = re.compile(r"^(\d{1,4})(mo|d|h)$")


@dataclass(frozen=True, slots=True)
class Retention:
    """A retention bound; ``cutoff(now)`` is the closing time before which incidents go."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def cutoff(self, now: float) -> float:
        """Incidents closed before this Unix time are past the bound."""
        if self.unit == "h":
            return now - self.amount * 3600.0
        if self.unit == "d":
            return now - self.amount * 86400.0
        t = datetime.fromtimestamp(now, UTC)
        months = t.year * 12 + (t.month - 1) - self.amount
        year, month = divmod(months, 12)
        # The same day of the month, or the month's last day (31 March - 1 month = 28/29 Feb).
        for day in range(t.day, 27, -1):
            try:
                return t.replace(year=year, month=month + 1, day=day).timestamp()
            except ValueError:
                continue
        return t.replace(year=year, month=month + 1, day=min(t.day, 28)).timestamp()


def parse_retention(text: str, flag: str = "--incident-retention") -> Retention:
    """``12mo``, ``365d`` or ``8760h``; a usage error otherwise (0 is refused: nothing kept)."""
    m = _SPEC.match(text.strip())
    if m is None or int(m.group(1)) == 0:
        raise UsageError(f"{flag} must be like 12mo, 365d or 8760h (more than 0), got {text!r}")
    return Retention(int(m.group(1)), m.group(2))
