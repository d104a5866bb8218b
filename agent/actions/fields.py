"""Field types of the actions' params: light (pydantic and the standard library only).

They repeat a few inventory rules (an id, a host) instead of importing the inventory, so that
the catalogue stays cheap to import for the collector's playbook checker.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9._-]{0,62}$"


@dataclass(frozen=True)
class Matching:
    """Annotated metadata: text matching ``pattern``; the error says ``rule`` (no regex)."""

    pattern: str
    rule: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        compiled = re.compile(self.pattern)

        def check(value: str) -> str:
            if not compiled.match(value):
                raise PydanticCustomError("pattern", self.rule)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern}


DeviceId = Annotated[
    str,
    Matching(ID_PATTERN, "must be a device id: a letter, then letters, digits, '.', '_' or '-'"),
]
"""A device id of the inventory (resolved on the agent; credentials never travel)."""

Url = Annotated[
    str, Matching(r"^https?://[^\s/?#]+[^\s]{0,2000}$", "must be an http:// or https:// URL")
]
Revision = Annotated[
    str, Matching(r"^[0-9a-fA-F]{4,40}$", "must be a revision: 4 to 40 hexadecimal digits")
]
AbsolutePath = Annotated[str, Matching(r"^/", "must be an absolute path")]
Email = Annotated[str, Matching(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "must be an e-mail address")]


class Params(BaseModel):
    """Base of every action's params: strict types, unknown keys refused, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def max_seconds(self) -> float:
        """The longest this action may run with these params (the agent's bound on the job)."""
        return 60.0


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value: Any) -> Any:
    # A number is seconds; text takes a unit, as in the inventory (500ms, 2s, 1m, 1h).
    if isinstance(value, bool):
        raise PydanticCustomError("seconds", "must be a number of seconds or a duration like 2s")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match:
            return float(match.group(1)) * _UNIT[match.group(2)]
    raise PydanticCustomError("seconds", "must be a number of seconds or a duration like 2s")


Seconds = Annotated[
    float,
    BeforeValidator(_seconds),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _DURATION.pattern}]}
    ),
]
"""Seconds, written as a number (``2``, ``0.2``) or a duration with a unit (``500ms``, ``1h``)."""

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$")


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOSTNAME.match(value) or value.replace(".", "").isdigit():
            raise PydanticCustomError("host", "must be an IP address or a host name") from None
    return value


Host = Annotated[str, AfterValidator(_host)]
"""An IP address or a DNS host name."""

_OID = re.compile(r"^\.?[0-2](\.\d+)+$")


def _oid(value: str) -> str:
    if not _OID.match(value):
        raise PydanticCustomError("oid", "must be a numeric OID like 1.3.6.1.2.1.1.3.0")
    return value.lstrip(".")


Oid = Annotated[str, AfterValidator(_oid)]
"""A numeric OID (the agent loads no MIB files), a leading dot allowed and dropped."""


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value or not value.strip():
        raise PydanticCustomError("line", "must be one non-empty line")
    return value.strip()


Line = Annotated[str, StringConstraints(max_length=256), AfterValidator(_one_line)]
"""One non-empty line of text (a command, an interface name)."""


def one_of(model: BaseModel, names: tuple[str, ...]) -> str:
    """The one field of ``names`` that is set; a rule error unless exactly one is."""
    given = [name for name in names if getattr(model, name) is not None]
    if len(given) != 1:
        quoted = [f"'{name}'" for name in names]
        choice = f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        found = f" (found {', '.join(given)})" if given else ""
        raise PydanticCustomError("one_of", f"needs exactly one of {choice}{found}")
    return given[0]
