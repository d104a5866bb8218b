"""``reporting.yaml``: who reports, to whom, by when, under which template version, and which
networks are internal (their addresses never appear in a report). Strict like the inventory."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from netwarden.inventory.fields import type_name
from netwarden.inventory.strict import Strict

# RFC 1918, and RFC 6598's shared address space, which carriers (VNPT, Viettel) number the
# dedicated data network's (mạng truyền số liệu chuyên dùng) WAN links from; loopback,
# link-local and IPv6 unique-local addresses are never Internet-facing either.
DEFAULT_INTERNAL = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
)

Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
_DAYS = re.compile(r"^(\d{1,3})(d|h)$")


def _deadline(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "deadline", f"must be a time like 5d or 24h, not {type_name(value)}"
        )
    m = _DAYS.match(value)
    if m is None or int(m.group(1)) == 0:
        raise PydanticCustomError("deadline", "must be a time like 5d or 24h")
    return float(int(m.group(1)) * (86400 if m.group(2) == "d" else 3600))


Deadline = Annotated[
    float,
    BeforeValidator(_deadline),
    WithJsonSchema({"type": "string", "pattern": _DAYS.pattern}),
]


def _network(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "network", f"must be a network like 10.0.0.0/8, not {type_name(value)}"
        )
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise PydanticCustomError(
            "network", "must be a network like 10.0.0.0/8 ({why})", {"why": str(exc)}
        ) from None
    return value


Network = Annotated[str, BeforeValidator(_network)]


class Organisation(Strict):
    """The organisation that reports (đơn vị báo cáo)."""

    name: Text | None = None
    parent: Text | None = None  # cơ quan chủ quản, the first heading line
    address: Text | None = None
    phone: Text | None = None
    email: Text | None = None
    place: Text | None = None  # địa danh: "<place>, ngày ... tháng ... năm ..."
    document_code: Text | None = None  # the office's code in "Số: .../BC-<code>"


class Contact(Strict):
    """The contact person (người liên hệ)."""

    name: Text | None = None
    position: Text | None = None
    phone: Text | None = None
    email: Text | None = None


class Recipients(Strict):
    """Kính gửi: who receives each form (the competent authority changes: configuration)."""

    notice: list[Text] = Field(default_factory=list)
    initial: list[Text] = Field(default_factory=list)
    final: list[Text] = Field(default_factory=list)
    summary: list[Text] = Field(default_factory=list)


class Deadlines(Strict):
    """When a report is due; unset: the template version's defaults."""

    notice: Deadline | None = None  # after discovery
    final: Deadline | None = None  # after the response ends (resolution)
    applies_to: Literal["all", "serious"] = "all"


class ReportingConfig(Strict):
    """The whole of ``reporting.yaml``; every key is optional (blank fields stay blank)."""

    template: Text = "tt20-2017"  # a folder of forms/ (the form versions)
    organisation: Organisation = Field(default_factory=Organisation)
    contact: Contact = Field(default_factory=Contact)
    network_member_code: Text | None = None  # mã thành viên mạng lưới ứng cứu sự cố
    monitoring_system: Text = "Hệ thống giám sát netwarden (Prometheus, Alertmanager)"
    recipients: Recipients = Field(default_factory=Recipients)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    internal_networks: list[Network] = Field(default_factory=list)
    default_internal_networks: bool = True

    def internal(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """Every network whose addresses a report leaves out."""
        given = [
            *self.internal_networks,
            *(DEFAULT_INTERNAL if self.default_internal_networks else ()),
        ]
        return [ipaddress.ip_network(n) for n in given]
