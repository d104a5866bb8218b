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
from collections.abc import Sequence
from typing import Final

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

_NAME: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")

EXACT_LIMIT: Final = 2**53
"""Every integer of magnitude up to this is exactly a float64; beyond it only some are."""


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
        self.row_labels: list[Labels] = []
        self.row_values: list[float] = []
        self.finite = True  # False once a NaN or infinity was added (the writer then checks)
        super().__init__(name, documentation, typ)

    def add(self, labels: Labels, value: float) -> None:
        """Append a series; ``value`` goes through :func:`sample_value` (inlined: hot path)."""
        if type(value) is int:
            if value > EXACT_LIMIT or value < -EXACT_LIMIT:
                value = float(value)
        else:
            value = float(value)
            if value - value != 0:  # NaN or an infinity (both give NaN here)
                self.finite = False
        self.row_labels.append(labels)
        self.row_values.append(value)

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
        self.row_labels, self.row_values, self.finite = [], [], True
        for sample in samples:
            if sample.name != self.name:
                raise ValueError(f"sample {sample.name!r} does not belong to {self.name!r}")
            self.add(encode_labels(tuple(sample.labels.items())), sample.value)
