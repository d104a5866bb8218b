"""Every metric the agent exposes, in one table: name, type, labels and HELP.

The names are a contract (dashboards, alert rules and acceptance tests use them verbatim).
IF-MIB, SNMPv2-MIB and HOST-RESOURCES-MIB values keep snmp_exporter's spelling on purpose:
camelCase MIB object names, counters without ``_total``, MIB index names as labels, and HELP
ending in `` - <OID>`` as snmp_exporter writes it, so community dashboards built for its
``if_mib`` module work unchanged. The agent's own metrics follow Prometheus conventions
(``netwarden_`` prefix, snake_case, base units, ``_total`` on counters). ``name`` is the name
on the wire: the HELP/TYPE lines and every sample carry exactly that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

MetricType = Literal["counter", "gauge"]

DEVICE_LABELS: Final = ("device", "site", "role")
"""The inventory labels every per-device series carries (see DeviceInfo)."""

INTERFACE_LABELS: Final = (*DEVICE_LABELS, "ifIndex", "ifName", "ifDescr", "ifAlias")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One exposed metric family."""

    name: str
    type: MetricType
    labels: tuple[str, ...]
    help: str

    @property
    def is_mib(self) -> bool:
        """True for MIB objects exported under snmp_exporter's names (not ``netwarden_*``)."""
        return not self.name.startswith("netwarden_")


_IF = "1.3.6.1.2.1.2.2.1."  # IF-MIB ifTable ifEntry
_IFX = "1.3.6.1.2.1.31.1.1.1."  # IF-MIB ifXTable ifXEntry
_HR_STORAGE = "1.3.6.1.2.1.25.2.3.1."  # HOST-RESOURCES-MIB hrStorageEntry


def _mib(name: str, typ: MetricType, labels: tuple[str, ...], text: str, oid: str) -> MetricSpec:
    return MetricSpec(name, typ, labels, f"{text} - {oid}")


def _if_counter(name: str, text: str, oid: str) -> MetricSpec:
    return _mib(name, "counter", INTERFACE_LABELS, text, oid)


IF_COUNTERS: Final = (
    _if_counter("ifHCInOctets", "Octets received on the interface (64-bit)", _IFX + "6"),
    _if_counter("ifHCOutOctets", "Octets transmitted out of the interface (64-bit)", _IFX + "10"),
    _if_counter("ifHCInUcastPkts", "Unicast packets delivered up (64-bit)", _IFX + "7"),
    _if_counter("ifHCOutUcastPkts", "Unicast packets requested to transmit (64-bit)", _IFX + "11"),
    _if_counter("ifHCInMulticastPkts", "Multicast packets delivered up (64-bit)", _IFX + "8"),
    _if_counter(
        "ifHCOutMulticastPkts", "Multicast packets requested to transmit (64-bit)", _IFX + "12"
    ),
    _if_counter("ifHCInBroadcastPkts", "Broadcast packets delivered up (64-bit)", _IFX + "9"),
    _if_counter(
        "ifHCOutBroadcastPkts", "Broadcast packets requested to transmit (64-bit)", _IFX + "13"
    ),
    _if_counter("ifInErrors", "Inbound packets that contained errors", _IF + "14"),
    _if_counter("ifOutErrors", "Outbound packets not transmitted because of errors", _IF + "20"),
    _if_counter("ifInDiscards", "Inbound packets discarded without an error", _IF + "13"),
    _if_counter("ifOutDiscards", "Outbound packets discarded without an error", _IF + "19"),
    # Only on devices without the ifXTable HC counters (see netwarden_if_high_capacity).
    _if_counter("ifInOctets", "Octets received on the interface (32-bit)", _IF + "10"),
    _if_counter("ifOutOctets", "Octets transmitted out of the interface (32-bit)", _IF + "16"),
    _if_counter("ifInUcastPkts", "Unicast packets delivered up (32-bit)", _IF + "11"),
    _if_counter("ifOutUcastPkts", "Unicast packets requested to transmit (32-bit)", _IF + "17"),
)

IF_GAUGES: Final = (
    _mib(
        "ifOperStatus",
        "gauge",
        INTERFACE_LABELS,
        "Operational state: 1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, "
        "7 lowerLayerDown",
        _IF + "8",
    ),
    _mib(
        "ifAdminStatus",
        "gauge",
        INTERFACE_LABELS,
        "Desired state: 1 up, 2 down, 3 testing",
        _IF + "7",
    ),
    _mib(
        "ifHighSpeed",
        "gauge",
        INTERFACE_LABELS,
        "Current bandwidth in units of 1,000,000 bits per second",
        _IFX + "15",
    ),
    _mib(
        "ifLastChange",
        "gauge",
        INTERFACE_LABELS,
        "sysUpTime (hundredths of a second) when the interface entered its operational state",
        _IF + "9",
    ),
)

HOST: Final = (
    _mib(
        "sysUpTime",
        "gauge",
        DEVICE_LABELS,
        "Hundredths of a second since the network management agent was last re-initialized",
        "1.3.6.1.2.1.1.3",
    ),
    _mib(
        "hrStorageAllocationUnits",
        "gauge",
        (*DEVICE_LABELS, "hrStorageIndex", "hrStorageDescr"),
        "Size in bytes of the data objects allocated to this storage",
        _HR_STORAGE + "4",
    ),
    _mib(
        "hrStorageSize",
        "gauge",
        (*DEVICE_LABELS, "hrStorageIndex", "hrStorageDescr"),
        "Size of the storage, in units of hrStorageAllocationUnits",
        _HR_STORAGE + "5",
    ),
    _mib(
        "hrStorageUsed",
        "gauge",
        (*DEVICE_LABELS, "hrStorageIndex", "hrStorageDescr"),
        "Amount of the storage allocated, in units of hrStorageAllocationUnits",
        _HR_STORAGE + "6",
    ),
    _mib(
        "hrProcessorLoad",
        "gauge",
        (*DEVICE_LABELS, "hrDeviceIndex"),
        "Average percentage of time this processor was not idle over the last minute",
        "1.3.6.1.2.1.25.3.3.1.2",
    ),
)

AGENT: Final = (
    MetricSpec(
        "netwarden_device_up",
        "gauge",
        (*DEVICE_LABELS, "method"),
        "1 if the device answered in its last poll, else 0.",
    ),
    MetricSpec(
        "netwarden_snmp_poll_duration_seconds",
        "gauge",
        DEVICE_LABELS,
        "How long the last SNMP poll of the device took, failed or not.",
    ),
    MetricSpec(
        "netwarden_snmp_poll_errors_total",
        "counter",
        (*DEVICE_LABELS, "reason"),
        "SNMP requests to the device that failed, by reason; every reason starts at 0.",
    ),
    MetricSpec(
        "netwarden_snmp_last_success_timestamp_seconds",
        "gauge",
        DEVICE_LABELS,
        "Unix time of the last poll the device answered; absent until it first answers.",
    ),
    MetricSpec(
        "netwarden_snmp_label_refreshes_total",
        "counter",
        ("device", "trigger"),
        "Times the interface labels (ifName, ifDescr, ifAlias) were walked again, by trigger.",
    ),
    MetricSpec(
        "netwarden_if_renumbered_total",
        "counter",
        ("device",),
        "Interfaces seen moving to another ifIndex.",
    ),
    MetricSpec(
        "netwarden_if_high_capacity",
        "gauge",
        ("device", "ifIndex", "ifName"),
        "1 when the interface has 64-bit ifHC* counters, 0 on the 32-bit fallback (ifInOctets).",
    ),
    MetricSpec(
        "netwarden_link_info",
        "gauge",
        ("link", "kind", "device", "ifName"),
        "1 for each inventory link end on a device this agent polls (join on device, ifName).",
    ),
    MetricSpec(
        "netwarden_agent_inventory_reload_success",
        "gauge",
        (),
        "1 if the last inventory (re)load succeeded, else 0 (the previous inventory is kept).",
    ),
    MetricSpec(
        "netwarden_agent_inventory_reload_timestamp_seconds",
        "gauge",
        (),
        "Unix time the inventory in use was loaded.",
    ),
    MetricSpec(
        "netwarden_agent_build_info",
        "gauge",
        ("version",),
        "Always 1; the agent's version is in the labels.",
    ),
)

PROBE_LABELS: Final = ("probe", "device", "service", "site", "role", "target")
"""Probe series name their target from the inventory: a device (with its role) or a service."""


def _probe(name: str, typ: MetricType, text: str, extra: tuple[str, ...] = ()) -> MetricSpec:
    return MetricSpec(name, typ, (*PROBE_LABELS, *extra), text)


PROBES: Final = (
    _probe("netwarden_probe_success", "gauge", "1 if the last probe succeeded, else 0."),
    _probe("netwarden_probe_duration_seconds", "gauge", "How long the last probe took."),
    _probe("netwarden_probe_failures_total", "counter", "Failed probes, by reason.", ("reason",)),
    _probe("netwarden_probe_icmp_packets_sent", "gauge", "Echo requests sent by the last probe."),
    _probe("netwarden_probe_icmp_loss_ratio", "gauge", "Share of echo requests not answered."),
    _probe("netwarden_probe_icmp_rtt_seconds", "gauge",
           "Round-trip time of the answered echoes: min, avg, max, p50, p95.", ("stat",)),
    _probe("netwarden_probe_icmp_jitter_seconds", "gauge",
           "Round-trip time variation of the answered echoes."),
    _probe("netwarden_probe_tcp_connect_seconds", "gauge", "Time to establish the connection."),
    _probe("netwarden_probe_http_phase_seconds", "gauge",
           "Time spent in each phase of the request: resolve, connect, tls, processing, transfer.",
           ("phase",)),
    _probe("netwarden_probe_http_status_code", "gauge", "Status code of the final response."),
    _probe("netwarden_probe_http_content_length_bytes", "gauge", "Length of the final body."),
    _probe("netwarden_probe_http_redirects", "gauge", "Redirects followed."),
    _probe("netwarden_probe_http_ssl", "gauge", "1 if the final URL was HTTPS."),
    _probe("netwarden_probe_tls_days_left", "gauge",
           "Days until the server certificate expires (negative: expired)."),
    _probe("netwarden_probe_tls_verified", "gauge", "1 if the certificate chain verified."),
    _probe("netwarden_probe_tls_verify_error_info", "gauge",
           "Always 1: why the certificate did not verify "
           "(expired, self-signed, hostname, untrusted, other).", ("error",)),
)  # fmt: skip


# --- SSH collection (agent/ssh/, agent/metrics/ssh_metrics.py) -------------------------
def _ssh(name: str, typ: MetricType, text: str, extra: tuple[str, ...] = ()) -> MetricSpec:
    return MetricSpec(name, typ, (*DEVICE_LABELS, *extra), text)


SSH: Final = (
    _ssh("netwarden_ssh_up", "gauge", "1 if the last SSH collection got its commands' output."),
    _ssh("netwarden_ssh_duration_seconds", "gauge", "How long the last SSH collection took."),
    _ssh("netwarden_ssh_failures_total", "counter", "Failed SSH collections, by reason.",
         ("reason",)),
    _ssh("netwarden_ssh_parse_errors_total", "counter",
         "Command outputs that could not be parsed, by command.", ("command",)),
    _ssh("netwarden_ssh_interface_up", "gauge", "1 if the interface is operationally up (CLI).",
         ("interface",)),
    _ssh("netwarden_ssh_interface_admin_up", "gauge", "1 unless the interface is shut down.",
         ("interface",)),
    _ssh("netwarden_ssh_interface_in_octets_total", "counter",
         "Octets received, the device's own counter.", ("interface",)),
    _ssh("netwarden_ssh_interface_out_octets_total", "counter",
         "Octets sent, the device's own counter.", ("interface",)),
    _ssh("netwarden_ssh_interface_in_errors_total", "counter",
         "Inbound packets with errors, the device's own counter.", ("interface",)),
    _ssh("netwarden_ssh_interface_out_errors_total", "counter",
         "Outbound packets not sent because of errors, the device's own counter.",
         ("interface",)),
    _ssh("netwarden_ssh_device_info", "gauge", "Always 1; software and hardware in the labels.",
         ("platform", "os_version", "model", "serial")),
    _ssh("netwarden_ssh_device_uptime_seconds", "gauge", "Uptime the device reports."),
    _ssh("netwarden_host_filesystem_size_bytes", "gauge", "Size of the filesystem.",
         ("mountpoint", "fstype")),
    _ssh("netwarden_host_filesystem_used_bytes", "gauge", "Bytes used on the filesystem.",
         ("mountpoint", "fstype")),
    _ssh("netwarden_host_filesystem_avail_bytes", "gauge",
         "Bytes available to unprivileged users.", ("mountpoint", "fstype")),
    _ssh("netwarden_host_load1", "gauge", "Load average over 1 minute."),
    _ssh("netwarden_host_load5", "gauge", "Load average over 5 minutes."),
    _ssh("netwarden_host_load15", "gauge", "Load average over 15 minutes."),
    _ssh("netwarden_host_memory_total_bytes", "gauge", "MemTotal of /proc/meminfo."),
    _ssh("netwarden_host_memory_available_bytes", "gauge", "MemAvailable of /proc/meminfo."),
    _ssh("netwarden_host_systemd_available", "gauge",
         "1 if systemd runs the host (its failed units are then reported), else 0."),
    _ssh("netwarden_host_systemd_units_failed", "gauge", "Number of failed systemd units."),
    _ssh("netwarden_host_systemd_unit_failed", "gauge", "1 for each failed systemd unit.",
         ("unit",)),
)  # fmt: skip

# --- Config backup (agent/configs/, agent/metrics/config_metrics.py) -------------------
CONFIG: Final = (
    MetricSpec("netwarden_config_backup_success", "gauge", DEVICE_LABELS,
               "1 if the agent's last configuration backup of the device succeeded, else 0."),
    MetricSpec("netwarden_config_last_backup_timestamp_seconds", "gauge", DEVICE_LABELS,
               "Unix time of the last successful backup in the store (agent or CLI)."),
    MetricSpec("netwarden_config_last_change_timestamp_seconds", "gauge", DEVICE_LABELS,
               "Unix time of the backup that last stored a changed configuration."),
    MetricSpec("netwarden_config_changes_total", "counter", DEVICE_LABELS,
               "Configuration changes the agent's own backups found."),
    MetricSpec("netwarden_config_changed", "gauge", DEVICE_LABELS,
               "1 when the agent's most recent backup differed from the one before, else 0."),
    MetricSpec("netwarden_config_backup_failures_total", "counter", (*DEVICE_LABELS, "reason"),
               "Failed scheduled backups of the device, by reason (identity: another device "
               "answered)."),
)  # fmt: skip

# --- Fleet sync (agent/sync/, agent/metrics/sync_metrics.py) ---------------------------
SYNC: Final = (
    MetricSpec("netwarden_agent_collector_up", "gauge", (),
               "1 if the collector answered the agent's last request, else 0."),
    MetricSpec("netwarden_agent_collector_last_contact_timestamp_seconds", "gauge", (),
               "Unix time of the collector's last answer; absent until the first."),
    MetricSpec("netwarden_agent_queue_depth", "gauge", (),
               "Results waiting in the disk queue for the collector."),
    MetricSpec("netwarden_agent_queue_bytes", "gauge", (), "Size of the queued results."),
    MetricSpec("netwarden_agent_queue_oldest_age_seconds", "gauge", (),
               "Age of the oldest queued result (0 when the queue is empty)."),
    MetricSpec("netwarden_agent_queue_dropped_total", "counter", ("reason",),
               "Queued results dropped: size or age (the queue's bounds), rejected (refused "
               "by the collector as malformed)."),
    MetricSpec("netwarden_agent_results_sent_total", "counter", (),
               "Results the collector acknowledged."),
    MetricSpec("netwarden_agent_assignment_updates_total", "counter", (),
               "New assignments received and stored."),
)  # fmt: skip

# --- Remote-write push (agent/push/, agent/metrics/push_metrics.py) -------------------
PUSH: Final = (
    MetricSpec("netwarden_push_spool_bytes", "gauge", (),
               "Bytes of the blocks waiting in the push spool (compressed)."),
    MetricSpec("netwarden_push_spool_samples", "gauge", (),
               "Samples waiting in the push spool for the receiver."),
    MetricSpec("netwarden_push_spool_oldest_age_seconds", "gauge", (),
               "Age of the oldest sample in the push spool (0 when it is empty)."),
    MetricSpec("netwarden_push_samples_sent_total", "counter", (),
               "Samples the receiver acknowledged (2xx)."),
    MetricSpec("netwarden_push_samples_retried_total", "counter", (),
               "Samples in requests that failed with 5xx, 429 or no answer, to be sent again."),
    MetricSpec("netwarden_push_samples_dropped_total", "counter", ("reason",),
               "Samples dropped: size or age (the spool's bounds), rejected (refused by the "
               "receiver with 400), corrupt (a damaged spool block), overflow (taken faster "
               "than the spool could store them)."),
    MetricSpec("netwarden_push_last_success_timestamp_seconds", "gauge", (),
               "Unix time of the receiver's last 2xx; absent until the first."),
    MetricSpec("netwarden_push_requests_total", "counter", ("outcome",),
               "Remote-write requests by outcome: ok, split (400, halved), retry, error."),
)  # fmt: skip

# --- Traps and syslog (agent/events/, agent/events/metrics.py) -------------------------
EVENTS: Final = (
    MetricSpec("netwarden_traps_received_total", "counter", (*DEVICE_LABELS, "trap"),
               "SNMP notifications accepted, by sender (device \"unknown\" for an address no "
               "device has) and trap (a known name or other)."),
    MetricSpec("netwarden_syslog_messages_total", "counter", (*DEVICE_LABELS, "severity"),
               "Syslog messages accepted, by sender and severity."),
    MetricSpec("netwarden_if_last_event_timestamp_seconds", "gauge",
               (*DEVICE_LABELS, "ifIndex", "ifName", "event"),
               "Unix time of the last linkDown/linkUp event (trap or syslog) of an interface."),
    MetricSpec("netwarden_events_dropped_total", "counter", ("listener", "reason"),
               "Datagrams, frames or connections refused or lost before becoming an event, by "
               "listener (trap, syslog-udp, syslog-tcp, queue) and reason."),
    MetricSpec("netwarden_events_queued_total", "counter", (),
               "Events handed to the events queue (kept for the collector)."),
    MetricSpec("netwarden_events_queue_depth", "gauge", (),
               "Events waiting in the events queue for the collector."),
    MetricSpec("netwarden_events_queue_dropped_total", "counter", ("reason",),
               "Queued events dropped by the events queue's own bounds: size, age, rejected."),
    MetricSpec("netwarden_syslog_tcp_connections", "gauge", (),
               "Open syslog TCP connections."),
    MetricSpec("netwarden_events_listener_up", "gauge", ("listener",),
               "1 if the listener (trap, syslog-udp, syslog-tcp) is bound, 0 if its port could "
               "not be bound (taken, or no CAP_NET_BIND_SERVICE); absent when turned off."),
)  # fmt: skip

METRICS: Final[tuple[MetricSpec, ...]] = (*IF_COUNTERS, *IF_GAUGES, *HOST, *AGENT)
"""Families of the SNMP snapshot collector, in exposition order."""

ALL: Final[tuple[MetricSpec, ...]] = (*METRICS, *PROBES, *SSH, *CONFIG, *SYNC, *PUSH, *EVENTS)
"""Every family the agent can expose."""

BY_NAME: Final[dict[str, MetricSpec]] = {spec.name: spec for spec in ALL}
