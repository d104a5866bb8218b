"""Rendering a registry to the Prometheus text exposition format, version 0.0.4.

prometheus-client's writers cannot express an snmp_exporter counter: they append ``_total`` to
every counter family (``# TYPE ifHCInOctets_total counter`` above samples named
``ifHCInOctets``, which parsers then read as an untyped metric). The format itself is small, so
the agent writes it: :class:`~netwarden.agent.metrics.family.Family` families (all of the
agent's) are written here with their names exactly as given; any other family in the registry
(a colleague's ``Counter``, the process collector) is written by prometheus-client's own
``generate_latest``, one family at a time, so its output is byte for byte what it always was.

Serve this with :data:`CONTENT_TYPE` whatever the scrape's ``Accept`` header asks: OpenMetrics
requires counters to end in ``_total`` and cannot carry snmp_exporter's names (snmp_exporter
does not offer OpenMetrics either).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from netwarden.agent.metrics.family import Family, StreamedFamily, format_value

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
"""The Content-Type of :func:`render`'s output."""
CHUNK_ROWS: Final = 4096  # lines per chunk of a family's text (~0.5 MB)


def render(registry: Collector) -> bytes:
    """Every family ``registry`` collects, as one UTF-8 text-format document."""
    return b"".join(iter_render(registry))


def iter_render(registry: Collector) -> Iterator[bytes]:
    """:func:`render` in chunks of about one family each, for a server that streams (a large
    agent's page is hundreds of megabytes; this never holds more than one family's text)."""
    for metric in registry.collect():
        if isinstance(metric, Family):
            yield from _family_chunks(metric)
        else:
            yield generate_latest(_Only(metric))


def _family_chunks(family: Family) -> Iterator[bytes]:
    name = family.name
    # HELP escapes only backslash and newline (quotes are literal there).
    doc = family.documentation.replace("\\", "\\\\").replace("\n", "\\n")
    yield f"# HELP {name} {doc}\n# TYPE {name} {family.type}\n".encode()
    if isinstance(family, StreamedFamily):
        yield from family.chunks()  # written from its source, never held as rows
        return
    wire_name = name.encode()
    labels, values = family.row_labels, family.row_values
    # A family of a 2,000-device agent is ~100,000 lines: written in slices, its text is
    # never in memory whole (it was, twice: the lines and their join), which set the agent's
    # peak RSS at every scrape.
    for start in range(0, len(values), CHUNK_ROWS):
        end = start + CHUNK_ROWS
        part = labels[start:end]
        # Appended line by line to one buffer: each line's bytes are freed at once, where a
        # list of 4,096 lines held ~0.8 MB of small objects among the polls' (fragmenting
        # the heap that the agent's RSS then keeps).
        chunk = bytearray()
        if family.finite:
            # Values are ints (exact, |v| <= 2**53) or finite floats; %r of either is what
            # Go's ParseFloat reads back as the same float64 (repr: the shortest exact text).
            for lab, v in zip(part, values[start:end], strict=True):
                chunk += b"%b%b %r\n" % (wire_name, lab, v)
        else:
            for lab, v in zip(part, values[start:end], strict=True):
                chunk += b"%b%b %b\n" % (wire_name, lab, format_value(v).encode())
        yield bytes(chunk)


class _Only:
    """A collector of one already collected family (what ``generate_latest`` takes)."""

    def __init__(self, metric: Metric) -> None:
        self._metric = metric

    def collect(self) -> Iterable[Metric]:
        return (self._metric,)
