"""Request bodies of the incident and maintenance routes (strict; unknown keys refused)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from netwarden.inventory.ids import ID_PATTERN

# Several lines are fine in a note or summary; other control characters and NUL are not.
_PROSE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_LINE = r"^[^\x00-\x1f\x7f]*$"
Prose = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000, pattern=_PROSE)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=_LINE)
]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Rfc3339 = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)


class AckIn(_Body):
    note: Annotated[str, StringConstraints(max_length=20_000, pattern=_PROSE)] = ""


class NoteIn(_Body):
    text: Prose


class SummaryIn(_Body):
    summary: Prose


class FlagsIn(_Body):
    confidential: bool | None = None
    support_requested: bool | None = None
    serious_confirmed: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.chosen():
            raise ValueError("give confidential, support_requested and/or serious_confirmed")
        return self

    def chosen(self) -> dict[str, bool]:
        """The flags the body sets."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class WindowIn(_Body):
    site: Id | None = None
    link: Id | None = None
    device: Id | None = None
    starts: Rfc3339 = Field(alias="from")
    ends: Rfc3339 = Field(alias="to")
    reason: Reason

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if sum(v is not None for v in (self.site, self.link, self.device)) != 1:
            raise ValueError("give exactly one of site, link, device")
        return self
