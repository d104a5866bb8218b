"""FakeSnmpSession answers like an agent and fails on demand."""

from __future__ import annotations

import asyncio

import pytest

from netwarden.agent.snmp.fake import FakeSnmpSession
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, SnmpSession, Tag, VarBind

IF_DESCR: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_TYPE: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
SYS_NAME: Oid = (1, 3, 6, 1, 2, 1, 1, 5, 0)


def _fake() -> FakeSnmpSession:
    mib = [VarBind((*IF_DESCR, i), Tag.OCTET_STRING, f"eth{i}".encode()) for i in (10, 2, 1)]
    mib += [VarBind((*IF_TYPE, i), Tag.INTEGER, 6) for i in (1, 2, 10)]
    mib.append(VarBind(SYS_NAME, Tag.OCTET_STRING, b"fake"))
    return FakeSnmpSession(mib)


def test_walks_return_each_subtree_in_oid_order() -> None:
    fake = _fake()
    session: SnmpSession = fake
    got = asyncio.run(session.bulk_walk([IF_DESCR, IF_TYPE, (1, 3, 6, 1, 9)]))
    assert [vb.value for vb in got[IF_DESCR]] == [b"eth1", b"eth2", b"eth10"]
    assert [vb.oid[-1] for vb in got[IF_TYPE]] == [1, 2, 10]
    assert got[(1, 3, 6, 1, 9)] == []
    assert fake.calls == [("walk", (IF_DESCR, IF_TYPE, (1, 3, 6, 1, 9)))]


def test_get_marks_missing_instances_and_objects() -> None:
    got = asyncio.run(_fake().get([SYS_NAME, (*IF_DESCR, 3), (1, 3, 6, 1, 9, 0)]))
    assert [vb.tag for vb in got] == [Tag.OCTET_STRING, Tag.NO_SUCH_INSTANCE, Tag.NO_SUCH_OBJECT]


def test_failures_hit_requests_under_the_root_for_a_number_of_times() -> None:
    fake = _fake()
    fake.fail(IF_DESCR, Reason.timeout, times=2)

    async def scenario() -> list[str]:
        seen = []
        for _ in range(3):
            try:
                await fake.bulk_walk([IF_TYPE, IF_DESCR])
                seen.append("ok")
            except SnmpError as err:
                seen.append(err.reason)
        await fake.get([SYS_NAME])  # not under the failing root
        return seen

    assert asyncio.run(scenario()) == [Reason.timeout, Reason.timeout, "ok"]


def test_a_failure_can_be_limited_to_walks_and_healed() -> None:
    fake = _fake()
    error = SnmpError(Reason.auth, "wrong key")
    fake.fail((1, 3, 6, 1), error, kinds=["walk"])
    asyncio.run(fake.get([SYS_NAME]))
    with pytest.raises(SnmpError) as err:
        asyncio.run(fake.bulk_walk([IF_TYPE]))
    assert err.value is error
    fake.heal()
    assert len(asyncio.run(fake.bulk_walk([IF_TYPE]))[IF_TYPE]) == 3


def test_updates_and_removals_change_later_answers() -> None:
    fake = _fake()
    fake.set((*IF_TYPE, 5), Tag.INTEGER, 24)
    fake.remove(IF_DESCR)
    got = asyncio.run(fake.bulk_walk([IF_DESCR, IF_TYPE]))
    assert got[IF_DESCR] == []
    assert [vb.oid[-1] for vb in got[IF_TYPE]] == [1, 2, 5, 10]


def test_closed_fake_refuses_work() -> None:
    fake = _fake()
    asyncio.run(fake.close())
    assert fake.closed
    with pytest.raises(SnmpError):
        asyncio.run(fake.get([SYS_NAME]))
