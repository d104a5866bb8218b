"""Request bodies of the report routes (strict; unknown keys refused)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

_PROSE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class ReportIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    form: Literal["notice", "initial", "final"]
    format: Literal["md", "docx", "pdf"] = "md"


class FieldsIn(BaseModel):
    """``incident set``: what only a person knows. ``null`` (or an empty description) clears."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)

    incident_type: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None, alias="type"
    )
    description: Annotated[str, StringConstraints(max_length=20_000, pattern=_PROSE)] | None = None
    handled_with: Literal["alone", "domestic", "foreign", "national"] | None = None
    confidential: bool | None = None
    support_requested: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(
                "give type, description, handled_with, confidential and/or support_requested"
            )
        return self

    def changes(self) -> dict[str, object]:
        """The fields the body names, flags only when not null."""
        out: dict[str, object] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name in ("confidential", "support_requested"):
                if value is None:
                    raise ValueError(f"{name} must be true or false")
                out[name] = value
            elif name == "description":
                out[name] = value.strip() or None if value is not None else None
            else:
                out[name] = value
        return out
