"""The inventory model: what a province's network is made of, as pydantic v2 models.

Every model is strict (no ``"161"`` -> 161) and forbids unknown keys. Rules that concern one
object (exactly one kind of check, the fields an SNMP version needs) are model validators;
rules across objects (ids exist, addresses are unique per agent) are in ``references.py``.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from netwarden.inventory.credentials import Credential
from netwarden.inventory.fields import (
    Address,
    AdvertiseAddress,
    AgentPath,
    DeviceName,
    Domain,
    Duration,
    Host,
    Id,
    Port,
    SecretRef,
    SecurityLevel,
    Size,
    Text,
    duration_default,
    size_default,
)
from netwarden.inventory.strict import Strict, exactly_one, rule_error

__all__ = [
    "KINDS",
    "Agent",
    "Credential",
    "Device",
    "Inventory",
    "Link",
    "PushTarget",
    "Service",
    "Site",
]


class PushTarget(Strict):
    """Where an agent with ``metrics: push`` sends its samples (Prometheus remote write 1.0),
    and how it spools them meanwhile (docs/push.md)."""

    url: str
    bearer_token: SecretRef | None = None
    ca_file: str | None = Field(default=None, pattern=r"^/")
    tls_verify: bool = True
    timeout: Duration = duration_default(30.0)  # one request, connect to answer
    interval: Duration = duration_default(15.0)  # the agent's own series (not per poll)
    batch: int = Field(default=5000, ge=100, le=100_000)  # samples per request at most
    backlog_rate: int = Field(default=20_000, ge=100, le=10_000_000)  # samples/s after outages
    spool_max_size: Size = size_default(2**30)
    spool_max_age: Duration = duration_default(72 * 3600.0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError("url", "must be an http:// or https:// URL with a host")
        return url

    @model_validator(mode="after")
    def _tls_for_https(self) -> Self:
        if urlsplit(self.url).scheme == "http":
            if self.ca_file is not None:
                raise rule_error("is only for https:// URLs", "ca_file")
            if not self.tls_verify:
                raise rule_error("is only for https:// URLs", "tls_verify")
        return self


class Agent(Strict):
    """An agent: a small process at a site that polls that site's devices."""

    id: Id
    site: Id
    metrics: Literal["pull", "push"] = "pull"
    # Addresses this agent may advertise for Prometheus to scrape, besides the address it
    # connects to the collector from (the collector refuses any other: see docs/collector.md).
    advertise: list[AdvertiseAddress] | None = Field(default=None, min_length=1)
    push: PushTarget | None = None

    @model_validator(mode="after")
    def _push_needs_push_mode(self) -> Self:
        if self.push is not None and self.metrics != "push":
            raise rule_error("is only for agents with 'metrics: push'", "push")
        return self


SiteKind = Literal["agency", "datacentre", "core", "hotspot", "camera-group"]


class Site(Strict):
    """A place on the network: an agency office, the data centre, the core, a Wi-Fi hotspot."""

    id: Id
    name: str | None = None
    kind: SiteKind
    security_level: SecurityLevel | None = None
    # What the national incident reports (Thông tư 20/2017) say about the system; optional.
    owner: Text | None = None  # cơ quan chủ quản
    operator: Text | None = None  # đơn vị vận hành
    domains: list[Domain] = Field(default_factory=list)
    os: Text | None = None  # operating system and version
    purpose: Text | None = None  # what the system is for
    security_measures: list[Text] = Field(default_factory=list)
    network_provider: Text | None = None  # who connects it (ISP, the dedicated network)
    security_provider: Text | None = None  # security service provider, if any


class SnmpAccess(Strict):
    """How a device is polled over SNMP."""

    credential: Id
    port: Port = 161
    timeout: Duration = duration_default(2.0)
    retries: int = Field(default=1, ge=0, le=10)
    interval: Duration = duration_default(60.0)  # how often the agent polls the device


class SshAccess(Strict):
    """How a device is reached over SSH; ``platform`` is a netmiko device_type."""

    credential: Id
    platform: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    port: Port = 22
    timeout: Duration = duration_default(10.0)
    # The agent reads interface/version (or, on Linux hosts, filesystem/load/memory/units)
    # state over SSH every `interval`, and backs up the running configuration every
    # `backup_interval` (network platforms only: a Linux host has no running configuration).
    collect: bool = True
    interval: Duration = duration_default(300.0)
    backup: bool = True
    backup_interval: Duration = duration_default(86400.0)
    # A backup proves it reached this device: the name in its prompt and in the configuration's
    # hostname/sysname line must be `hostname` (default: the device id), compared
    # case-insensitively up to the first dot. `hostname_check: false` turns that off.
    hostname: DeviceName | None = None
    hostname_check: bool = True


Role = Literal["switch", "router", "firewall", "host", "ap", "camera", "vc-endpoint"]


class IcmpAccess(Strict):
    """The ICMP probe every device gets by default (smokeping-style: many packets)."""

    enabled: bool = True
    interval: Duration = duration_default(60.0)
    count: int = Field(default=20, ge=1, le=1000)
    timeout: Duration = duration_default(2.0)  # how long to wait for the last reply


_Access = TypeVar("_Access", SnmpAccess | None, SshAccess | None, IcmpAccess)


class Device(Strict):
    """A device that is polled (SNMP) and/or reached (SSH) by one agent."""

    id: Id
    site: Id
    agent: Id | None = None
    address: Address
    role: Role
    snmp: SnmpAccess | None = None
    ssh: SshAccess | None = None
    # validate_default: the default goes through _shared below like a given one.
    icmp: IcmpAccess = Field(default_factory=IcmpAccess, validate_default=True)

    @field_validator("snmp", "ssh", "icmp")
    @classmethod
    def _shared(cls, access: _Access, info: ValidationInfo) -> _Access:
        # A province's devices mostly repeat a few access settings: one object per distinct
        # setting in a load (the loader passes a dict as the context) instead of one per
        # device, ~1 KiB each, which the agent holds as long as it runs. The models are
        # frozen, so sharing is safe. The fields given are part of the key: == compares
        # values only, and an explicit default must stay set (model_dump(exclude_unset)).
        shared = info.context
        if access is None or not isinstance(shared, dict):
            return access
        found: _Access = shared.setdefault((access, frozenset(access.model_fields_set)), access)
        return found


class Endpoint(Strict):
    """One end of a link: an interface of a polled device, or a far end we do not poll."""

    device: Id | None = None
    interface: str | None = Field(default=None, min_length=1)
    external: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.external is not None:
            if self.device is not None or self.interface is not None:
                raise rule_error("'external' cannot be combined with 'device' or 'interface'")
        elif self.device is None:
            raise rule_error("needs 'device' and 'interface', or 'external'")
        elif self.interface is None:
            raise rule_error("is required with 'device'", "interface")
        return self


LinkKind = Literal["dedicated-data-network", "lan-uplink", "internet", "wifi-backhaul"]


class Link(Strict):
    """A link between two interfaces, or from an interface to an external far end."""

    id: Id
    kind: LinkKind
    a: Endpoint
    b: Endpoint

    @model_validator(mode="after")
    def _one_device(self) -> Self:
        if self.a.device is None and self.b.device is None:
            raise rule_error("at least one end must be a device we poll")
        return self


class HttpCheck(Strict):
    url: str
    expect_status: int = Field(default=200, ge=100, le=599)
    tls_verify: bool = True
    timeout: Duration = duration_default(5.0)
    body_regex: str | None = None  # the body must match (Python re syntax)
    max_redirects: int = Field(default=5, ge=0, le=20)
    # PEM file on the agent of the CAs to trust instead of the system's (a province's own CA).
    ca_file: AgentPath | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError("url", "must be an http:// or https:// URL with a host")
        return url

    @field_validator("body_regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise PydanticCustomError(
                    "regex", "is not a valid regular expression: {why}", {"why": str(exc)}
                ) from exc
        return pattern

    @model_validator(mode="after")
    def _ca_needs_verification(self) -> Self:
        if self.ca_file is not None and not self.tls_verify:
            raise rule_error("'ca_file' needs 'tls_verify: true' (a CA is only used to verify)")
        return self


class TcpCheck(Strict):
    host: Host
    port: Port
    timeout: Duration = duration_default(5.0)


class IcmpCheck(Strict):
    host: Host
    timeout: Duration = duration_default(2.0)
    count: int = Field(default=20, ge=1, le=1000)  # packets per probe, spread over the interval


class Check(Strict):
    """How a service is checked: exactly one of http, tcp, icmp."""

    http: HttpCheck | None = None
    tcp: TcpCheck | None = None
    icmp: IcmpCheck | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        exactly_one(self, ("http", "tcp", "icmp"), "a check")
        return self


class Service(Strict):
    """A service people use (portal, camera stream), checked from the agent of its site."""

    id: Id
    name: str | None = None
    site: Id
    agent: Id | None = None  # the agent that checks it; default: the agent of its site
    security_level: SecurityLevel | None = None
    check: Check
    interval: Duration = duration_default(60.0)
    # What the national incident reports (Thông tư 20/2017) say about the system; optional.
    owner: Text | None = None  # cơ quan chủ quản
    operator: Text | None = None  # đơn vị vận hành
    domains: list[Domain] = Field(default_factory=list)
    os: Text | None = None  # operating system and version
    purpose: Text | None = None  # what the system is for
    security_measures: list[Text] = Field(default_factory=list)
    network_provider: Text | None = None  # who connects it (ISP, the dedicated network)
    security_provider: Text | None = None  # security service provider, if any


KINDS = ("sites", "agents", "devices", "links", "services", "credentials")
"""The kinds of things in an inventory, in the order they are counted and shown."""


class Inventory(Strict):
    """A whole province inventory, as loaded by :func:`netwarden.inventory.load_inventory`."""

    province: Id
    agents: list[Agent] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    credentials: dict[Id, Credential] = Field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """How many of each kind, keyed by kind name (``sites``, ``agents``, ...)."""
        return {kind: len(getattr(self, kind)) for kind in KINDS}

    @cached_property
    def _index(self) -> _Index:
        # Built once: the helpers below are called per device, and a province has thousands.
        return _Index(self)

    def agents_at(self, site: str) -> list[Agent]:
        """The agents whose site is ``site``."""
        return list(self._index.agents_at.get(site, []))

    def agent_of(self, device: Device | str) -> str:
        """The id of the agent that polls ``device``: its own ``agent``, else its site's.

        Raises ``KeyError`` for an unknown device id and ``LookupError`` when the site has no
        single agent (which a loaded inventory never has).
        """
        dev = self.device(device) if isinstance(device, str) else device
        if dev.agent is not None:
            return dev.agent
        at_site = self._index.agents_at.get(dev.site, [])
        if len(at_site) != 1:
            raise LookupError(f"device {dev.id}: site {dev.site} has {len(at_site)} agents")
        return at_site[0].id

    def agent_of_service(self, service: Service) -> str | None:
        """The id of the agent that checks ``service``: its own ``agent``, else its site's
        single agent; None when the site has no agent or several (then name one)."""
        if service.agent is not None:
            return service.agent
        at_site = self._index.agents_at.get(service.site, [])
        return at_site[0].id if len(at_site) == 1 else None

    def services_for(self, agent_id: str) -> list[Service]:
        return [s for s in self.services if self.agent_of_service(s) == agent_id]

    def devices_for(self, agent_id: str) -> list[Device]:
        """The devices polled by agent ``agent_id``, in inventory order."""
        if self._index.polled_by is None:
            self._index.polled_by = {}
            for dev in self.devices:
                self._index.polled_by.setdefault(self.agent_of(dev), []).append(dev)
        return list(self._index.polled_by.get(agent_id, []))

    def device(self, device_id: str) -> Device:
        """The device with id ``device_id`` (``KeyError`` if none)."""
        return _found(self._index.devices.get(device_id), "device", device_id)

    def site(self, site_id: str) -> Site:
        """The site with id ``site_id`` (``KeyError`` if none)."""
        return _found(self._index.sites.get(site_id), "site", site_id)

    def credential(self, name: str) -> Credential:
        """The credential named ``name`` (``KeyError`` if none)."""
        return self.credentials[name]


class _Index:
    """Lookups by id of an inventory (the first item wins if an id is repeated)."""

    def __init__(self, inv: Inventory) -> None:
        self.devices = {dev.id: dev for dev in reversed(inv.devices)}
        self.sites = {site.id: site for site in reversed(inv.sites)}
        self.agents_at: dict[str, list[Agent]] = {}
        for agent in inv.agents:
            self.agents_at.setdefault(agent.site, []).append(agent)
        self.polled_by: dict[str, list[Device]] | None = None  # filled on first use


_T = TypeVar("_T", Site, Device)


def _found(item: _T | None, what: str, wanted: str) -> _T:
    if item is None:
        raise KeyError(f"no {what} with id {wanted!r}")
    return item
