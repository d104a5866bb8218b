"""Linux host outputs (df, /proc/loadavg, /proc/meminfo, systemctl) -> exact values."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.ssh.collected import Filesystem, Load, Memory, ParseError
from netwarden.agent.ssh.parsers import linux

DATA = Path(__file__).parents[3] / "data" / "ssh" / "linux"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_df_rows_in_bytes_with_a_mount_point_containing_spaces() -> None:
    got = linux.parse_df(read("df.txt"))
    assert len(got) == 8
    assert got[2] == Filesystem("/", "/dev/mapper/vg0-root", 105089261568, 41234567168,
                                58472534016, "ext4")  # fmt: skip
    assert got[6] == Filesystem("/var", "/dev/mapper/vg0-var", 214643507200, 193179156480,
                                21464350720, "xfs")  # fmt: skip
    assert got[7].mountpoint == "/srv/cong dvc/data"
    assert [f.fstype for f in got].count("tmpfs") == 3


def test_df_malformed_names_the_command() -> None:
    with pytest.raises(ParseError, match=r"^df -P -T -B1: ") as caught:
        linux.parse_df(read("df_malformed.txt"))
    assert caught.value.command == linux.DF
    with pytest.raises(ParseError, match="no df header"):
        linux.parse_df("sh: 1: df: not found\n")


def test_loadavg_and_meminfo() -> None:
    assert linux.parse_loadavg(read("loadavg.txt")) == Load(0.52, 0.58, 0.61)
    assert linux.parse_meminfo(read("meminfo.txt")) == Memory(
        16431104 * 1024, 9876544 * 1024, 4194300 * 1024, 4090876 * 1024
    )
    with pytest.raises(ParseError, match=r"^cat /proc/loadavg: "):
        linux.parse_loadavg("cat: /proc/loadavg: No such file or directory\n")
    with pytest.raises(ParseError, match=r"^cat /proc/meminfo: no MemTotal"):
        linux.parse_meminfo("MemTotal:       16431104 kB\nMemFree:  1 kB\n")


def test_systemctl_none_several_and_no_systemd() -> None:
    assert linux.parse_failed_units(read("systemctl_none.txt")) == []
    assert linux.parse_failed_units(read("systemctl_failed.txt")) == [
        "logrotate.service", "nginx.service", "postgresql@15-main.service", "backup-db.timer",
    ]  # fmt: skip
    # Not PID 1 (containers, the lab's namespaces): no answer, which is not "0 failed"
    assert linux.parse_failed_units(read("systemctl_no_systemd.txt")) is None
    # systemd < 248 prints a bullet even with --plain on some distributions
    assert linux.parse_failed_units("● nginx.service loaded failed failed nginx\n") == [
        "nginx.service"
    ]


def test_systemctl_unexpected_output_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"^systemctl list-units .*unexpected line"):
        linux.parse_failed_units("Unknown command verb list-units.\n")
