"""pysnmp/pyasn1 as the oracle of the codec: conversions both ways and hypothesis strategies."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1905
from pysnmp.proto.api import v2c

from netwarden.agent.snmp.ber import Pdu, PduType
from netwarden.agent.snmp.types import Oid, Tag, Value, VarBind

_PYSNMP_OF: dict[Tag, Any] = {
    Tag.INTEGER: v2c.Integer,
    Tag.OCTET_STRING: v2c.OctetString,
    Tag.NULL: lambda _: v2c.null,
    Tag.OBJECT_IDENTIFIER: v2c.ObjectIdentifier,
    Tag.IP_ADDRESS: v2c.IpAddress,
    Tag.COUNTER32: v2c.Counter32,
    Tag.GAUGE32: v2c.Gauge32,
    Tag.TIMETICKS: v2c.TimeTicks,
    Tag.OPAQUE: v2c.Opaque,
    Tag.COUNTER64: v2c.Counter64,
    Tag.NO_SUCH_OBJECT: lambda _: rfc1905.noSuchObject,
    Tag.NO_SUCH_INSTANCE: lambda _: rfc1905.noSuchInstance,
    Tag.END_OF_MIB_VIEW: lambda _: rfc1905.endOfMibView,
}
_PDU_CLASSES = {
    PduType.GET: v2c.GetRequestPDU,
    PduType.GET_NEXT: v2c.GetNextRequestPDU,
    PduType.RESPONSE: v2c.ResponsePDU,
    PduType.GET_BULK: v2c.GetBulkRequestPDU,
    PduType.REPORT: v2c.ReportPDU,
    PduType.INFORM: v2c.InformRequestPDU,
    PduType.TRAP: v2c.SNMPv2TrapPDU,
}
OCTETS = {Tag.OCTET_STRING, Tag.IP_ADDRESS, Tag.OPAQUE}
NONE = {Tag.NULL, Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW}


def to_pysnmp_value(vb: VarBind) -> Any:
    return _PYSNMP_OF[vb.tag](vb.value)


def from_pysnmp(oid: Any, value: Any) -> VarBind:
    """A pysnmp (name, value) pair as our VarBind."""
    tag_of = value.tagSet.superTags[-1]
    tag = Tag(tag_of.tagClass | tag_of.tagFormat | tag_of.tagId)
    converted: Value
    if tag in NONE:
        converted = None
    elif tag == Tag.OBJECT_IDENTIFIER:
        converted = tuple(value)
    elif tag in OCTETS:
        converted = value.asOctets()
    else:
        converted = int(value)
    return VarBind(tuple(oid), tag, converted)


def to_pysnmp_pdu(pdu: Pdu) -> Any:
    out = _PDU_CLASSES[pdu.type]()
    api = v2c.apiBulkPDU if pdu.type == PduType.GET_BULK else v2c.apiPDU
    api.set_defaults(out)
    api.set_request_id(out, pdu.request_id)
    if pdu.type == PduType.GET_BULK:
        api.set_non_repeaters(out, pdu.error_status)
        api.set_max_repetitions(out, pdu.error_index)
    else:
        api.set_error_status(out, pdu.error_status)
        api.set_error_index(out, pdu.error_index)
    api.set_varbinds(out, [(vb.oid, to_pysnmp_value(vb)) for vb in pdu.varbinds])
    return out


def from_pysnmp_pdu(pdu: Any) -> Pdu:
    """Our Pdu from a pysnmp one (read field by field, so nothing is shared with our codec)."""
    kind = PduType(pdu.tagSet.superTags[-1].tagId | 0xA0)
    return Pdu(
        kind,
        int(pdu[0]),
        int(pdu[1]),
        int(pdu[2]),
        [from_pysnmp(oid, value) for oid, value in v2c.apiPDU.get_varbinds(pdu)],
    )


def pysnmp_v2c(community: bytes, pdu: Pdu) -> bytes:
    msg = v2c.Message()
    v2c.apiMessage.set_defaults(msg)
    v2c.apiMessage.set_community(msg, community)
    v2c.apiMessage.set_pdu(msg, to_pysnmp_pdu(pdu))
    return bytes(encoder.encode(msg))


def pysnmp_decode_v2c(data: bytes) -> tuple[bytes, Pdu]:
    msg, rest = decoder.decode(data, asn1Spec=v2c.Message())
    assert not rest
    return bytes(v2c.apiMessage.get_community(msg)), from_pysnmp_pdu(v2c.apiMessage.get_pdu(msg))


# -- strategies --------------------------------------------------------------------------------

subids = st.one_of(st.integers(0, 127), st.integers(128, 2**14), st.integers(0, 2**32 - 1))


@st.composite
def oids(draw: st.DrawFn) -> Oid:
    first = draw(st.integers(0, 2))
    second = draw(st.integers(0, 39) if first < 2 else st.integers(0, 2**20))
    return (first, second, *draw(st.lists(subids, max_size=126)))


VALUES: dict[Tag, st.SearchStrategy[Value]] = {
    Tag.INTEGER: st.one_of(
        st.sampled_from([0, -1, -(2**31), 2**31 - 1, 127, 128, -128, -129]),
        st.integers(-(2**31), 2**31 - 1),
    ),
    Tag.OCTET_STRING: st.one_of(
        st.just(b""), st.binary(max_size=300), st.text(max_size=40).map(str.encode)
    ),
    Tag.NULL: st.none(),
    Tag.OBJECT_IDENTIFIER: oids(),
    Tag.IP_ADDRESS: st.binary(min_size=4, max_size=4),
    Tag.COUNTER32: st.one_of(st.sampled_from([0, 2**31, 2**32 - 1]), st.integers(0, 2**32 - 1)),
    Tag.GAUGE32: st.integers(0, 2**32 - 1),
    Tag.TIMETICKS: st.integers(0, 2**32 - 1),
    Tag.OPAQUE: st.binary(max_size=40),
    Tag.COUNTER64: st.one_of(st.sampled_from([0, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1)),
    Tag.NO_SUCH_OBJECT: st.none(),
    Tag.NO_SUCH_INSTANCE: st.none(),
    Tag.END_OF_MIB_VIEW: st.none(),
}


@st.composite
def varbinds(draw: st.DrawFn) -> VarBind:
    tag = draw(st.sampled_from(list(VALUES)))
    return VarBind(draw(oids()), tag, draw(VALUES[tag]))


@st.composite
def pdus(draw: st.DrawFn, types: list[PduType] | None = None) -> Pdu:
    kind = draw(st.sampled_from(types or list(PduType)))
    a = draw(st.integers(0, 2**31 - 1) if kind == PduType.GET_BULK else st.integers(0, 18))
    return Pdu(
        kind,
        draw(st.integers(-(2**31), 2**31 - 1)),
        a,
        draw(st.integers(0, 2**31 - 1)),
        draw(st.lists(varbinds(), max_size=25)),
    )
