"""The names table: the contract of the issue, and the conventions each side keeps."""

from __future__ import annotations

import re
from pathlib import Path

from netwarden.agent.metrics.names import ALL, BY_NAME, CONFIG, METRICS, PROBES, PUSH, SSH, SYNC

# The issue's list, verbatim: acceptance tests and dashboards use these names and labels.
CONTRACT = {
    **dict.fromkeys(
        [
            "ifHCInOctets",
            "ifHCOutOctets",
            "ifHCInUcastPkts",
            "ifHCOutUcastPkts",
            "ifHCInMulticastPkts",
            "ifHCOutMulticastPkts",
            "ifHCInBroadcastPkts",
            "ifHCOutBroadcastPkts",
            "ifInErrors",
            "ifOutErrors",
            "ifInDiscards",
            "ifOutDiscards",
            "ifInOctets",
            "ifOutOctets",
            "ifInUcastPkts",
            "ifOutUcastPkts",
        ],
        ("counter", "device site role ifIndex ifName ifDescr ifAlias"),
    ),
    **dict.fromkeys(
        ["ifOperStatus", "ifAdminStatus", "ifHighSpeed", "ifLastChange"],
        ("gauge", "device site role ifIndex ifName ifDescr ifAlias"),
    ),
    "sysUpTime": ("gauge", "device site role"),
    **dict.fromkeys(
        ["hrStorageAllocationUnits", "hrStorageSize", "hrStorageUsed"],
        ("gauge", "device site role hrStorageIndex hrStorageDescr"),
    ),
    "hrProcessorLoad": ("gauge", "device site role hrDeviceIndex"),
    "netwarden_device_up": ("gauge", "device site role method"),
    "netwarden_snmp_poll_duration_seconds": ("gauge", "device site role"),
    "netwarden_snmp_poll_errors_total": ("counter", "device site role reason"),
    "netwarden_snmp_last_success_timestamp_seconds": ("gauge", "device site role"),
    "netwarden_snmp_label_refreshes_total": ("counter", "device trigger"),
    "netwarden_if_renumbered_total": ("counter", "device"),
    "netwarden_if_high_capacity": ("gauge", "device ifIndex ifName"),
    "netwarden_link_info": ("gauge", "link kind device ifName"),
    "netwarden_agent_inventory_reload_success": ("gauge", ""),
    "netwarden_agent_inventory_reload_timestamp_seconds": ("gauge", ""),
    "netwarden_agent_build_info": ("gauge", "version"),
}


def test_the_table_is_the_contract() -> None:
    table = {spec.name: (spec.type, " ".join(spec.labels)) for spec in METRICS}
    assert table == CONTRACT
    assert len(BY_NAME) == len(ALL)  # no name is defined twice


def test_probe_metrics_name_their_target_and_follow_conventions() -> None:
    for spec in PROBES:
        assert spec.labels[:6] == ("probe", "device", "service", "site", "role", "target")
        assert re.fullmatch(r"netwarden_probe(_[a-z0-9]+)+", spec.name), spec.name
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert spec.help.endswith("."), spec.name
    assert {"netwarden_probe_success", "netwarden_probe_duration_seconds"} <= {
        spec.name for spec in PROBES
    }


def test_agent_metrics_follow_prometheus_conventions() -> None:
    for spec in METRICS:
        if spec.is_mib:
            continue
        assert re.fullmatch(r"netwarden(_[a-z0-9]+)+", spec.name), spec.name
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert spec.help.endswith("."), spec.name


def test_mib_metrics_keep_snmp_exporter_spelling() -> None:
    for spec in METRICS:
        if not spec.is_mib:
            continue
        assert re.fullmatch(r"(if|sys|hr)[A-Z][A-Za-z0-9]*", spec.name), spec.name
        assert not spec.name.endswith("_total")
        # snmp_exporter's HELP ends with the object's OID.
        assert re.search(r" - 1\.3\.6\.1\.2\.1(\.\d+)+$", spec.help), spec.help


def test_label_names_are_valid_and_unique() -> None:
    for spec in METRICS:
        assert len(set(spec.labels)) == len(spec.labels), spec.name
        for label in spec.labels:
            assert re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", label), label
            assert not label.startswith("__")


def test_ssh_config_and_sync_metrics_follow_prometheus_conventions() -> None:
    for spec in (*SSH, *CONFIG, *SYNC, *PUSH):
        assert re.fullmatch(r"netwarden(_[a-z0-9]+)+", spec.name), spec.name
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert spec.help.endswith("."), spec.name
        assert len(set(spec.labels)) == len(spec.labels), spec.name


def test_every_metric_is_documented() -> None:
    # Rules and dashboards may only use documented names: each family has its row in the docs.
    doc = (Path(__file__).parents[4] / "docs" / "metrics.md").read_text(encoding="utf-8")
    missing = [spec.name for spec in ALL if f"`{spec.name}`" not in doc]
    assert not missing


def test_push_metrics_are_the_issues() -> None:
    issue = {"netwarden_push_spool_bytes": ("gauge", ()),
             "netwarden_push_spool_oldest_age_seconds": ("gauge", ()),
             "netwarden_push_samples_sent_total": ("counter", ()),
             "netwarden_push_samples_retried_total": ("counter", ()),
             "netwarden_push_samples_dropped_total": ("counter", ("reason",)),
             "netwarden_push_last_success_timestamp_seconds": ("gauge", ())}  # fmt: skip
    table = {spec.name: (spec.type, spec.labels) for spec in PUSH}
    assert {name: table.get(name) for name in issue} == issue
