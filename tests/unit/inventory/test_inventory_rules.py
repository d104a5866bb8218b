"""Rules of loading that the corpus does not show well: API shape, ordering, robustness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from netwarden.errors import InventoryError
from netwarden.inventory import load_inventory

Write = Callable[[str, str], Path]


def _problems(paths: list[Path]) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        load_inventory(paths)
    return caught.value.problems


def test_inventory_error_carries_every_problem_sorted(write: Write) -> None:
    b = write("b.yaml", "province: p\nsites: [{id: s, kind: nope}]\n")
    a = write("a.yaml", "devices: [{id: d}]\nfoo: 1\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory([b, a])
    assert str(caught.value) == "inventory has 5 problems"
    assert caught.value.problems == [
        f"{a}:1: devices[d].address: is required",
        f"{a}:1: devices[d].role: is required",
        f"{a}:1: devices[d].site: is required",
        f"{a}:2: foo: unknown key (allowed: province, agents, sites, devices, links, services,"
        " credentials)",
        f"{b}:2: sites[s].kind: must be 'agency', 'datacentre', 'core', 'hotspot' or"
        " 'camera-group'",
    ]


def test_no_paths() -> None:
    assert _problems([]) == ["<inventory>:1: no inventory files given"]


def test_references_into_an_unreadable_file_are_not_guessed(write: Write) -> None:
    # b.yaml cannot be parsed, so whether site s exists is unknown: only the YAML error shows.
    a = write("a.yaml", "province: p\ndevices: [{id: d, site: s, address: 10.0.0.1, role: host}]\n")
    b = write("b.yaml", "sites: [{id: s, kind: core}\n")
    assert _problems([a, b]) == [
        f"{b}:1: invalid YAML: expected ',' or ']', but got '<stream end>'"
        " (while parsing a flow sequence)"
    ]


def test_invalid_agent_does_not_cause_guesses_about_its_site(write: Write) -> None:
    path = write(
        "inv.yaml",
        "province: p\nsites: [{id: s, kind: core}]\n"
        "agents: [{id: a, site: s, metrics: never}]\n"
        "devices: [{id: d, site: s, address: 10.0.0.1, role: host}]\n",
    )
    assert _problems([path]) == [f"{path}:3: agents[a].metrics: must be 'pull' or 'push'"]


def test_alias_bomb_is_refused(write: Write) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = write("bomb.yaml", "\n".join(lines) + "\n")
    assert _problems([path]) == [f"{path}:1: too large or too deeply nested (aliases expanding?)"]


def test_self_referencing_alias_is_refused(write: Write) -> None:
    path = write("loop.yaml", "province: p\nsites: &s [*s]\n")
    assert _problems([path]) == [f"{path}:1: too large or too deeply nested (aliases expanding?)"]


def test_unknown_yaml_tag_is_a_yaml_problem(write: Write) -> None:
    path = write("tag.yaml", "province: !!python/name:os.system p\n")
    [problem] = _problems([path])
    assert problem.startswith(f"{path}:1: invalid YAML: could not determine a constructor")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffprovince: p\n".encode())
    assert load_inventory([path]).province == "p"


def test_yml_and_yaml_files_only_and_sorted(write: Write, tmp_path: Path) -> None:
    write("d/b.yml", "province: p\nsites: [{id: s2, kind: core}]\n")
    write("d/a.yaml", "province: p\nsites: [{id: s1, kind: core}]\n")
    write("d/c.json", "{not read}")
    assert [s.id for s in load_inventory([tmp_path / "d"]).sites] == ["s1", "s2"]


def test_unreadable_file(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("secret.yaml", "province: p\n")
    real_read = Path.read_bytes

    # Root reads any file whatever its mode, so the permission error the kernel gives an
    # unprivileged agent is raised here for this one path.
    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert _problems([path]) == [f"{path}:1: cannot read: permission denied"]


def test_missing_path_suppresses_guesses_about_what_it_held(write: Write, tmp_path: Path) -> None:
    # The province and the site may well be in the file that is not there.
    path = write("a.yaml", "devices: [{id: d, site: s, address: 10.0.0.1, role: host}]\n")
    missing = tmp_path / "b.yaml"
    assert _problems([path, missing]) == [f"{missing}:1: no such file or directory"]


def test_duplicate_keys_do_not_stop_the_other_checks(write: Write) -> None:
    path = write(
        "dup.yaml",
        "province: p\nprovince: p\nsites: [{id: s, kind: core}]\n"
        "devices: [{id: d, site: x, address: 10.0.0.1, role: host}]\n",
    )
    assert _problems([path]) == [
        f"{path}:2: province: duplicate key, first at line 1",
        f"{path}:4: devices[d].site: unknown site 'x'",
    ]


def test_invalid_date_looking_value(write: Write) -> None:
    path = write("ts.yaml", "province: p\nsites: [{id: s, kind: core, name: 2024-13-45}]\n")
    assert _problems([path]) == [f"{path}:2: sites[s].name: not a valid date or time; quote it"]


def test_deep_nesting_is_refused(write: Write) -> None:
    path = write("deep.yaml", "province: p\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    assert _problems([path]) == [f"{path}:1: too large or too deeply nested (aliases expanding?)"]


PUSH_AGENTS = """province: p
sites: [{id: s, kind: agency}]
agents:
  - {id: a, site: s, metrics: push, push: {url: "ftp://x/w"}}
  - {id: b, site: s, push: {url: "http://r:9090/api/v1/write"}}
  - {id: c, site: s, metrics: push, push: {url: "http://r/w", ca_file: /etc/ca.pem}}
  - {id: d, site: s, metrics: push, push: {url: "https://r/w", bearer_token: hunter2}}
  - {id: e, site: s, metrics: push, push: {url: "https://r/w", spool_max_size: 1024,
                                          spool_max_age: 3d, backlog_rate: 0, batch: 10}}
"""


def test_push_blocks_are_checked_one_message_per_problem(write: Write) -> None:
    path = write("push.yaml", PUSH_AGENTS)
    assert _problems([path]) == [
        f"{path}:4: agents[a].push.url: must be an http:// or https:// URL with a host",
        f"{path}:5: agents[b].push: is only for agents with 'metrics: push'",
        f"{path}:6: agents[c].push.ca_file: is only for https:// URLs",
        f"{path}:7: agents[d].push.bearer_token: must be a secret reference env:NAME or "
        "file:/absolute/path; a literal secret is not allowed (value not shown)",
        f"{path}:8: agents[e].push.spool_max_size: must be a size with a unit, like 512MiB, "
        "1GiB or 200MB, not a number",
        f"{path}:9: agents[e].push.backlog_rate: must be at least 100",
        f"{path}:9: agents[e].push.batch: must be at least 100",
        f"{path}:9: agents[e].push.spool_max_age: must be a duration with a unit, like 500ms, "
        "2s, 1m or 1h",
    ]


def test_push_defaults_and_sizes(write: Write) -> None:
    path = write("ok.yaml", "province: p\nsites: [{id: s, kind: agency}]\nagents: [{id: a, "
                 "site: s, metrics: push, push: {url: 'https://r/api/v1/write', "
                 "bearer_token: 'env:NW_PUSH', spool_max_size: 512MiB}}]\n")  # fmt: skip
    push = load_inventory([path]).agents[0].push
    assert push is not None
    assert (push.spool_max_size, push.spool_max_age, push.interval) == (2**29, 259200.0, 15.0)
    assert (push.batch, push.backlog_rate, push.tls_verify, push.timeout) == (5000, 20000, True, 30)
    assert push.model_dump(mode="json")["spool_max_size"] == "512MiB"
