"""Metric families as the agent builds them: exact wire names and rows of shared label sets.

A scrape of a large agent is about a hundred thousand interfaces times ~17 series. Building a
prometheus-client ``Sample`` (a namedtuple with a label dict) per series and rendering every
label dict again per series costs seconds; here the labels of one interface are escaped and
rendered once (:data:`Labels`) and shared by all its series, and a :class:`Family` keeps its
rows as two flat lists that the text writer turns into lines in a single pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Final

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

_NAME: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")

EXACT_LIMIT: Final = 2**53
"""Every integer of magnitude up to this is exactly a float64; beyond it only some are."""

CHUNK_BYTES: Final = 64 * 1024
"""A :class:`StreamedFamily`'s text is written in pieces of about this size, of whole lines.

64 KiB, not 256: each piece is a growing buffer, its copy, and the HTTP transport's buffer of
what the socket did not take yet, all kept by glibc's heaps once freed; a 500-device agent
under scrapes stayed ~4 MiB lower with the smaller pieces, for the same CPU a scrape
(bench/README.md, s27)."""


def sample_value(value: float) -> float:
    """The float64 Prometheus stores for ``value``, as the writer will write it.

    Integers up to 2**53 in magnitude are kept as ``int`` (the same number, written without a
    trailing ``.0``). Larger ones (Counter64 above 2**53) become the nearest float64: rounding
    to nearest is monotonic, so a counter that grows never comes out smaller than before and
    rate() never sees a false reset (snmp_exporter wraps at 2**53 instead, which does); the
    relative error is at most 2**-53. ``repr`` of that float reads back as the same float.
    """
    if type(value) is int:
        return value if -EXACT_LIMIT <= value <= EXACT_LIMIT else float(value)
    return float(value)  # bool and int subclasses become plain floats too


def format_value(value: float) -> str:
    """``value`` as the text format writes it (Go's ParseFloat reads it back exactly)."""
    value = sample_value(value)
    if type(value) is int:
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def escape_label_value(value: str) -> str:
    r"""Escape ``\``, ``"`` and newline as the text format requires; all else is verbatim UTF-8.

    A poller's ``\xff`` (backslashreplace of a non-UTF-8 byte) becomes ``\\xff`` on the wire,
    which a parser reads back as the four characters ``\xff``.
    """
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


Labels = bytes
"""A label set as written on the wire, UTF-8: ``b'{a="x",b="y"}'``, or ``b''`` for none.

Bytes, not a class with a dict: a scrape builds one per interface and shares it among the
interface's ~17 series, and plain bytes are neither tracked by the garbage collector (whose
full passes over a large fleet cost more than the rendering) nor re-encoded per line (one
non-ASCII label makes a str line UCS-2, and the whole page twice as slow to build)."""


def encode_labels(pairs: Sequence[tuple[str, str]]) -> Labels:
    """``pairs`` rendered and escaped once. Names must be valid (they come from the table in
    ``names.py``); values are any text."""
    if not pairs:
        return b""
    return ("{" + ",".join([f'{k}="{escape_label_value(v)}"' for k, v in pairs]) + "}").encode()


def extend_labels(labels: Labels, pairs: Sequence[tuple[str, str]]) -> Labels:
    """``labels`` plus ``pairs``, reusing the rendering of ``labels``."""
    if not labels or not pairs:
        return labels or encode_labels(pairs)
    return labels[:-1] + b"," + encode_labels(pairs)[1:]


_PAIR: Final = re.compile(rb'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_ESCAPED: Final = re.compile(rb"\\.")
_UNESCAPE: Final = {rb"\\": b"\\", rb"\"": b'"', rb"\n": b"\n"}


def decode_labels(labels: Labels) -> dict[str, str]:
    """The label dict of ``labels`` (what prometheus-client's ``Sample.labels`` holds)."""
    return {
        name.decode(): _ESCAPED.sub(lambda m: _UNESCAPE[m[0]], value).decode()
        for name, value in _PAIR.findall(labels)
    }


class Family(Metric):
    """A metric family whose ``name`` is the name on the wire, for every type.

    Unlike prometheus-client's families, a counter's name is not suffixed: an IF-MIB counter is
    ``ifHCInOctets`` in the HELP/TYPE lines and in its samples, and an agent counter is named
    with its ``_total``. Only :func:`netwarden.agent.metrics.exposition.render` writes it
    correctly; prometheus-client's own writers would append ``_total`` to the TYPE line.
    ``samples`` is built on demand for other consumers; the writer reads ``row_labels`` and
    ``row_values`` directly.
    """

    def __init__(self, name: str, documentation: str, typ: str) -> None:
        # Text format 0.0.4 has no quoting for other names, and Family writes only these types.
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a text-format 0.0.4 metric name: {name!r}")
        if typ not in ("counter", "gauge"):
            raise ValueError(f"Family {name!r}: type must be counter or gauge, not {typ!r}")
        self._labels: list[Labels] = []
        self._values: list[float] = []
        self._finite = True  # False once a NaN or infinity was added (the writer then checks)
        super().__init__(name, documentation, typ)

    @property
    def row_labels(self) -> list[Labels]:
        """Each series' label set, in order (parallel to :attr:`row_values`)."""
        return self._labels

    @property
    def row_values(self) -> list[float]:
        """Each series' value, as :func:`sample_value` makes it."""
        return self._values

    @property
    def finite(self) -> bool:
        """No value is a NaN or an infinity (the writer can then skip the check)."""
        return self._finite

    def has_rows(self) -> bool:
        """The family has at least one series (a family without any is not written)."""
        return bool(self._values)

    def add(self, labels: Labels, value: float) -> None:
        """Append a series; ``value`` goes through :func:`sample_value` (inlined: hot path)."""
        if type(value) is int:
            if value > EXACT_LIMIT or value < -EXACT_LIMIT:
                value = float(value)
        else:
            value = float(value)
            if value - value != 0:  # NaN or an infinity (both give NaN here)
                self._finite = False
        self._labels.append(labels)
        self._values.append(value)

    @property
    def samples(self) -> list[Sample]:
        """The rows as prometheus-client samples (all named ``name``)."""
        name = self.name
        return [
            Sample(name, decode_labels(labels), float(value))
            for labels, value in zip(self.row_labels, self.row_values, strict=True)
        ]

    @samples.setter
    def samples(self, samples: list[Sample]) -> None:
        # Metric.__init__ assigns []; accept any samples of this family, as rows.
        self._labels, self._values, self._finite = [], [], True
        for sample in samples:
            if sample.name != self.name:
                raise ValueError(f"sample {sample.name!r} does not belong to {self.name!r}")
            self.add(encode_labels(tuple(sample.labels.items())), sample.value)


Row = tuple[Labels, Labels, float]
"""A streamed series: its label set in two pieces that are written one after the other (a
device's labels without their ``}`` and an interface's, each encoded once and shared by many
lines), and its value as the source holds it (not yet through :func:`sample_value`)."""


class StreamedFamily(Family):
    """A family whose rows are not stored: ``rows()`` walks the state they come from (e.g. the
    scrape's snapshots) each time they are read, and :meth:`chunks` writes them from there.

    A scrape of a 500-device agent has ~25,000 interfaces times 17 families: holding each
    family's labels and values in lists (and the int objects unpacked from the polls' packed
    rows) put megabytes of short-lived objects among the polls' long-lived results, which
    fragments pymalloc's arenas and keeps the agent's RSS up. Streamed, a line's temporaries
    are freed as the next line is written. ``rows`` must give the same rows on every call
    (a fixed view of the state). ``row_labels``, ``row_values`` and ``samples`` are built on
    demand, for consumers other than the writer.
    """

    def __init__(
        self, name: str, documentation: str, typ: str, rows: Callable[[], Iterator[Row]]
    ) -> None:
        super().__init__(name, documentation, typ)
        self.rows = rows

    @property
    def row_labels(self) -> list[Labels]:
        return [head + tail for head, tail, _ in self.rows()]

    @property
    def row_values(self) -> list[float]:
        return [sample_value(value) for _, _, value in self.rows()]

    @property
    def finite(self) -> bool:
        return all(value - value == 0 for value in self.row_values)

    def has_rows(self) -> bool:
        return next(self.rows(), None) is not None

    def add(self, labels: Labels, value: float) -> None:
        raise TypeError(f"{self.name}: a streamed family's rows come from its source")

    @property
    def samples(self) -> list[Sample]:
        return super().samples

    @samples.setter
    def samples(self, samples: list[Sample]) -> None:
        if samples:  # Metric.__init__ assigns []
            raise TypeError(f"{self.name}: a streamed family's rows come from its source")

    def chunks(self) -> Iterator[bytes]:
        """The sample lines (no HELP/TYPE) in pieces of about :data:`CHUNK_BYTES`."""
        wire_name = self.name.encode()
        chunk = bytearray()
        for head, tail, value in self.rows():
            chunk += line(wire_name, head, tail, value)
            if len(chunk) >= CHUNK_BYTES:
                yield bytes(chunk)
                chunk = bytearray()
        if chunk:
            yield bytes(chunk)


def line(wire_name: bytes, head: Labels, tail: Labels, value: float) -> bytes:
    """One sample line: what :class:`Family` and the writer make of the same series."""
    if type(value) is int and -EXACT_LIMIT <= value <= EXACT_LIMIT:
        return b"%b%b%b %d\n" % (wire_name, head, tail, value)
    # A big int is its nearest float, a float its repr, NaN and infinities as Go spells them.
    return b"%b%b%b %b\n" % (wire_name, head, tail, format_value(value).encode())
