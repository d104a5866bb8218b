"""Field types of the inventory that YAML and pydantic do not have as such.

Each validator raises ``PydanticCustomError`` with a message that never contains the input:
for secret fields the input may be a password typed in by mistake, and for the others one rule
for all keeps review simple.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from netwarden.inventory.ids import ID_PATTERN
from netwarden.secret import Secret, is_reference

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An id of an agent, site, device, link, service or credential; also the province."""

DEVICE_NAME_PATTERN = r"^\S(?:[^\x00-\x1f\x7f]{0,253}\S)?$"
DEVICE_NAME_RULE = (
    "must be the name the device gives itself (its prompt, its hostname or sysname line): "
    "1 to 255 printable characters, no blank at either end"
)
DeviceName = Annotated[str, StringConstraints(pattern=DEVICE_NAME_PATTERN)]
"""The name a device gives itself (its prompt, ``hostname``/``sysname``); not an id."""

Port = Annotated[int, Field(ge=1, le=65535)]
SecurityLevel = Annotated[int, Field(ge=1, le=5, description="Cấp độ an toàn (NĐ 85/2016)")]


def type_name(value: Any) -> str:
    """A reader's name for the YAML type of ``value`` (never the value itself)."""
    names = {bool: "true/false", int: "a number", float: "a decimal number", str: "a string"}
    names |= {dict: "a mapping", list: "a list", type(None): "empty"}
    return names.get(type(value), f"a {type(value).__name__}")


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DURATION_RULE = "must be a duration with a unit, like 500ms, 2s, 1m or 1h"


def _parse_duration(value: Any) -> float:
    if not isinstance(value, str):
        raise PydanticCustomError("duration", f"{DURATION_RULE}, not {type_name(value)}")
    match = _DURATION.match(value.strip())
    if match is None:
        raise PydanticCustomError("duration", DURATION_RULE)
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise PydanticCustomError("duration", "must be longer than 0s")
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds as duration text in the largest exact unit (``1h``, ``90s``, ``500ms``)."""
    for unit, size in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    millis = round(seconds * 1000, 6)
    return f"{int(millis)}ms" if millis.is_integer() else f"{seconds:g}s"


Duration = Annotated[
    float,
    BeforeValidator(_parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _DURATION.pattern, "examples": ["2s", "500ms"]}),
]
"""A duration written with a unit (``2s``); held as float seconds, written back as text."""


def duration_default(seconds: float) -> Any:
    """A ``Field`` default for a :data:`Duration`, shown in the JSON Schema as text (``2s``)."""
    return Field(default=seconds, json_schema_extra={"default": format_duration(seconds)})


_SIZE = re.compile(r"^(\d+)(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
_UNIT_BYTES = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}  # fmt: skip
SIZE_RULE = "must be a size with a unit, like 512MiB, 1GiB or 200MB"


def _parse_size(value: Any) -> int:
    if not isinstance(value, str):
        raise PydanticCustomError("size", f"{SIZE_RULE}, not {type_name(value)}")
    match = _SIZE.match(value.strip())
    if match is None:
        raise PydanticCustomError("size", SIZE_RULE)
    size = int(match.group(1)) * _UNIT_BYTES[match.group(2)]
    if size <= 0:
        raise PydanticCustomError("size", "must be larger than 0B")
    return size


def format_size(size: int) -> str:
    """Bytes as size text in the largest exact binary unit (``1GiB``, ``1536KiB``)."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        if size % _UNIT_BYTES[unit] == 0:
            return f"{size // _UNIT_BYTES[unit]}{unit}"
    return f"{size}B"


Size = Annotated[
    int,
    BeforeValidator(_parse_size),
    PlainSerializer(format_size, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _SIZE.pattern, "examples": ["1GiB", "500MB"]}),
]
"""A size written with a unit (``1GiB``); held as int bytes, written back as text."""


def size_default(size: int) -> Any:
    """A ``Field`` default for a :data:`Size`, shown in the JSON Schema as text (``1GiB``)."""
    return Field(default=size, json_schema_extra={"default": format_size(size)})


REFERENCE_RULE = "must be a secret reference env:NAME or file:/absolute/path"


def _parse_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("secret", f"{REFERENCE_RULE}, not {type_name(value)}")
    if is_reference(value):
        return Secret(value)
    if value.startswith(("env:", "file:")):
        raise PydanticCustomError(
            "secret", "malformed secret reference: use env:NAME or file:/absolute/path"
        )
    raise PydanticCustomError(
        "secret", f"{REFERENCE_RULE}; a literal secret is not allowed (value not shown)"
    )


SecretRef = Annotated[
    Secret,
    PlainValidator(_parse_secret),
    PlainSerializer(lambda secret: secret.reference, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^env:[A-Za-z_][A-Za-z0-9_]*$|^file:/.+$",
            "description": "A reference to a secret, never the secret itself.",
        }
    ),
]
"""A secret field: holds a :class:`netwarden.secret.Secret`, serialised as its reference."""


def _check_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise PydanticCustomError("address", "must be an IPv4 or IPv6 address") from None
    return value


def _address_input(value: Any) -> Any:
    if not isinstance(value, str):
        message = f"must be an IPv4 or IPv6 address, not {type_name(value)}"
        if type(value) is int:
            # YAML 1.1 reads some IPv6 forms (2001:0:0:1) as base-60 numbers.
            message += " (if it is an IPv6 address, put it in quotes)"
        raise PydanticCustomError("address", message)
    return _check_address(value)


Address = Annotated[
    str,
    BeforeValidator(_address_input),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}),
]
"""An IPv4 or IPv6 address, kept as written."""

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$")


def _host_input(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "host", f"must be an address or a host name (quote it), not {type_name(value)}"
        )
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOSTNAME.match(value) or value.replace(".", "").isdigit():
            raise PydanticCustomError("host", "must be an IP address or a host name") from None
    return value


Host = Annotated[
    str,
    BeforeValidator(_host_input),
    WithJsonSchema({"type": "string", "description": "IPv4/IPv6 address or DNS host name"}),
]
"""A check target: an IP address or a DNS host name."""


ADVERTISE_RULE = "must be HOST, HOST:PORT or [IPv6]:PORT (an address or host name)"


def split_advertise(value: str) -> tuple[str, int | None]:
    """An advertise entry as (host, port), port None for "any port"; ``PydanticCustomError``
    (a ValueError) when it is not one. A bare IPv6 address is a host: with a port it goes in
    brackets, as everywhere in netwarden (``[::1]:9430``)."""
    host, port = value, None
    if value.startswith("[") or value.count(":") == 1:
        head, _, port_text = value.rpartition(":")
        host = head[1:-1] if head.startswith("[") and head.endswith("]") else head
        if ":" in host and not head.startswith("["):
            host = ""  # an IPv6 address with a port goes in brackets
        port = int(port_text) if port_text.isascii() and port_text.isdigit() else 0
    try:
        _host_input(host)
    except PydanticCustomError:
        raise PydanticCustomError("advertise", ADVERTISE_RULE) from None
    if port is not None and not 1 <= port <= 65535:
        raise PydanticCustomError("advertise", f"{ADVERTISE_RULE}; a port is 1 to 65535")
    return host, port


def _advertise_input(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("advertise", f"{ADVERTISE_RULE}, not {type_name(value)}")
    split_advertise(value)
    return value


AdvertiseAddress = Annotated[
    str,
    BeforeValidator(_advertise_input),
    WithJsonSchema(
        {
            "type": "string",
            "description": "HOST (any port), HOST:PORT or [IPv6]:PORT an agent may advertise",
            "examples": ["10.20.1.5:9430", "agent1.so-khcn.tinh.gov.vn"],
        }
    ),
]
"""An address (with or without its port) the collector lets an agent advertise for scraping."""


def _absolute_path(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("path", f"must be an absolute path, not {type_name(value)}")
    if not value.startswith("/") or len(value) < 2 or "\0" in value:
        raise PydanticCustomError("path", "must be the absolute path of a file on the agent")
    return value


AgentPath = Annotated[
    str,
    BeforeValidator(_absolute_path),
    WithJsonSchema(
        {"type": "string", "pattern": "^/.", "description": "Absolute path of a file on the agent."}
    ),
]
"""A file on the agent (the inventory is checked elsewhere: the file need not exist here)."""


def _domain_input(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("domain", f"must be a domain name, not {type_name(value)}")
    if (
        not _HOSTNAME.match(value)
        or "." not in value.strip(".")
        or value.replace(".", "").isdigit()
    ):
        raise PydanticCustomError("domain", "must be a domain name like dichvucong.tinh.gov.vn")
    return value


Domain = Annotated[
    str,
    BeforeValidator(_domain_input),
    WithJsonSchema({"type": "string", "description": "A DNS domain name"}),
]
"""A domain name a system is published under (reports list it)."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
"""A short free text of the inventory (an organisation's name, an operating system)."""


def _snmp_version(value: Any) -> Any:
    # YAML reads 3 as a number and 2c as text; both spellings are the same version.
    if value in ("2c", "3") and isinstance(value, str):
        return value
    if value == 3 and type(value) is int:
        return "3"
    raise PydanticCustomError("snmp_version", "must be 2c or 3")


SnmpVersion = Annotated[
    str,
    BeforeValidator(_snmp_version),
    WithJsonSchema({"enum": ["2c", "3", 3]}),
]
"""SNMP version, normalised to the text ``"2c"`` or ``"3"``."""
