"""The text format on the wire: every family's name, type and HELP, read back by a parser."""

from __future__ import annotations

import math
import re

import pytest
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Enum,
    Gauge,
    Histogram,
    Info,
    Summary,
    generate_latest,
)
from prometheus_client.samples import Sample

from netwarden.agent.metrics import (
    CONTENT_TYPE,
    Family,
    SnapshotCollector,
    encode_labels,
    iter_render,
    render,
)
from netwarden.agent.metrics.exposition import CHUNK_ROWS
from netwarden.agent.metrics.family import CHUNK_BYTES, StreamedFamily
from netwarden.agent.metrics.names import METRICS

from .synthetic import full_registry, large_fleet, parse, registry_of, rendered


def _blocks(text: str) -> dict[str, tuple[str, str, list[str]]]:
    """name -> (HELP text, TYPE, sample lines), straight from the text (no parser)."""
    blocks: dict[str, tuple[str, str, list[str]]] = {}
    lines = text.splitlines()
    for i in range(len(lines)):
        found = re.fullmatch(r"# HELP (\S+) (.*)", lines[i])
        if not found:
            continue
        name, help_text = found.groups()
        assert lines[i + 1].startswith(f"# TYPE {name} ")
        samples = []
        for line in lines[i + 2 :]:
            if line.startswith("#"):
                break
            samples.append(line)
        assert name not in blocks
        blocks[name] = (help_text, lines[i + 1].split(" ")[3], samples)
    return blocks


def test_every_family_is_written_with_its_exact_name_type_and_help() -> None:
    blocks = _blocks(rendered(full_registry()))
    assert list(blocks) == [spec.name for spec in METRICS]
    for spec in METRICS:
        help_text, typ, samples = blocks[spec.name]
        assert (help_text, typ) == (spec.help, spec.type)
        assert samples
        # The samples carry the family's name: no _total added, none missing.
        assert all(re.match(re.escape(spec.name) + r"[{ ]", line) for line in samples)


def test_the_parser_reads_every_family_typed_as_in_the_table() -> None:
    families = parse(rendered(full_registry()))
    for spec in METRICS:
        # prometheus-client's parser names a counter family without its _total, if any.
        name = spec.name.removesuffix("_total") if spec.type == "counter" else spec.name
        family = families.pop(name)
        assert (family.type, family.documentation) == (spec.type, spec.help)
        for sample in family.samples:
            assert set(sample.labels) == set(spec.labels), spec.name
    assert families == {}, "families outside the table, or untyped ones"


def test_mib_counters_have_no_total_and_agent_counters_do() -> None:
    text = rendered(full_registry())
    assert "# TYPE ifHCInOctets counter\n" in text
    assert "\nifHCInOctets{" in text
    assert "ifHCInOctets_total" not in text
    assert "ifInErrors_total" not in text
    assert "# TYPE netwarden_snmp_poll_errors_total counter\n" in text
    assert "\nnetwarden_snmp_poll_errors_total{" in text
    assert "_total_total" not in text


def test_prometheus_client_families_render_as_generate_latest_does() -> None:
    reg = CollectorRegistry()
    Counter("jobs", "Jobs done.", ["kind"], registry=reg).labels("a\\b").inc(3)
    Gauge("queue_depth", 'Queue "depth".\nSecond line', registry=reg).set(math.inf)
    Histogram("wait_seconds", "Waits.", registry=reg).observe(0.3)
    Summary("size_bytes", "Sizes.", registry=reg).observe(12)
    Info("build", "Build.", registry=reg).info({"version": "phiên bản 1"})
    Enum("state", "State.", states=["a", "b"], registry=reg).state("b")
    assert render(reg) == generate_latest(reg)


def test_a_registry_can_mix_both_kinds_of_family() -> None:
    reg = full_registry()
    Counter("other_events", "Other events.", registry=reg).inc()
    families = parse(rendered(reg))
    assert families["other_events"].type == "counter"
    assert families["ifHCInOctets"].type == "counter"


def test_chunks_join_to_the_document() -> None:
    reg = full_registry()
    assert b"".join(iter_render(reg)) == render(reg)
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_help_escapes_backslash_and_newline_only() -> None:
    family = Family("odd_help", 'A \\ and "quotes"\nand a new line.', "gauge")
    family.add(b"", 1)
    reg = registry_of(family)
    text = rendered(reg)
    assert '# HELP odd_help A \\\\ and "quotes"\\nand a new line.\n' in text
    assert parse(text)["odd_help"].documentation == 'A \\ and "quotes"\nand a new line.'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (math.nan, "NaN"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (0.1, "0.1"),
        (-3, "-3"),
        (True, "1.0"),
        (1e-7, "1e-07"),
    ],
)
def test_values_are_written_as_go_parses_them(value: float, written: str) -> None:
    family = Family("a_value", "A value.", "gauge")
    family.add(encode_labels((("k", "v"),)), 2)
    family.add(encode_labels((("k", "w"),)), value)
    reg = registry_of(family)
    text = rendered(reg)
    assert f'a_value{{k="w"}} {written}\n' in text
    parsed = parse(text)["a_value"].samples[1].value
    assert parsed == float(value) or (math.isnan(parsed) and math.isnan(value))


def test_family_samples_are_prometheus_client_samples() -> None:
    family = Family("ifInErrors", "Errors.", "counter")
    family.add(encode_labels((("ifIndex", "1"),)), 2**64 - 1)
    assert family.samples == [Sample("ifInErrors", {"ifIndex": "1"}, float(2**64 - 1))]
    copy = Family("ifInErrors", "Errors.", "counter")
    copy.samples = family.samples
    assert copy == family
    with pytest.raises(ValueError, match="does not belong"):
        copy.samples = [Sample("ifInErrors_total", {}, 1.0)]


@pytest.mark.parametrize(("name", "typ"), [("bad-name", "gauge"), ("ok", "histogram")])
def test_family_refuses_what_it_cannot_write(name: str, typ: str) -> None:
    with pytest.raises(ValueError, match=r"metric name|type must be"):
        Family(name, "Help.", typ)


@pytest.mark.parametrize("finite", [True, False])
def test_a_large_family_is_written_in_slices_of_whole_lines(finite: bool) -> None:
    family = Family("ifHCInOctets", "octets", "counter")
    rows = 2 * CHUNK_ROWS + 5
    for i in range(rows):
        family.add(encode_labels((("ifIndex", str(i)),)), i if finite else math.inf)
    chunks = list(iter_render(registry_of(family)))
    body = [c for c in chunks if not c.startswith(b"# ")]
    # Never the whole family in one piece; every piece ends on a line.
    assert [c.count(b"\n") for c in body] == [CHUNK_ROWS, CHUNK_ROWS, 5]
    # Immutable bytes (the pieces are built in a bytearray): the server may hold them.
    assert {type(c) for c in chunks} == {bytes}
    text = b"".join(body).decode()
    assert text.splitlines()[-1] == f'ifHCInOctets{{ifIndex="{rows - 1}"}} ' + (
        f"{rows - 1}" if finite else "+Inf"
    )
    assert len(text.splitlines()) == rows


def test_a_streamed_family_is_written_as_its_rows_would_be_in_pieces_of_whole_lines() -> None:
    # 60 devices x 50 interfaces: an IF-MIB family is ~560 KB, written in three pieces.
    families = list(SnapshotCollector(lambda: large_fleet(60, 50)).collect())
    streamed = [f for f in families if isinstance(f, StreamedFamily)]
    assert len(streamed) == 12 + 4 + 1  # 64-bit counters, IF-MIB gauges, high capacity
    for family in streamed:
        rows = Family(family.name, family.documentation, family.type)
        for labels, value in zip(family.row_labels, family.row_values, strict=True):
            rows.add(labels, value)
        assert len(rows.row_values) == 60 * 50
        chunks = list(iter_render(registry_of(family)))
        assert b"".join(chunks) == render(registry_of(rows))
        body = chunks[1:]  # after HELP and TYPE
        assert len(body) > 1 or len(body[0]) < CHUNK_BYTES  # high capacity: 210 KB, one piece
        # Whole lines, and never much more than CHUNK_BYTES (a piece ends after a device).
        assert all(c.endswith(b"\n") and len(c) < CHUNK_BYTES + 50 * 400 for c in body)
        assert {type(c) for c in chunks} == {bytes}
