"""The resolver: literals answered on the loop, names on its own bounded daemon threads, the
caller's deadline honoured, and a dead name service (a lookup that blocks) costing nothing
but the lookups of names. The system's getaddrinfo is replaced by a fake that blocks."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from netwarden.agent.event_loop import AgentEventLoop
from netwarden.agent.probes import http, tcp
from netwarden.agent.probes.http import HttpTarget
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.resolver import AddrRow, Key, Resolver, is_ip_literal
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.probes.tcp import TcpTarget

BOUND = 10.0  # seconds any wait in these tests may take before it is a failure
# What "at once" and "at the deadline, not later" are held to: a wait behind a stuck lookup
# lasts until the dead name service gives up (BOUND), so half of it tells the two apart with
# seconds to spare for a loaded machine's delays (bounds of 50 ms to 1 s did not).
AT_ONCE = BOUND / 2


class DeadDns:
    """A getaddrinfo that blocks every name until released, as with resolvers that never
    answer; ``asked`` lists the names in the order the threads took them."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, key: Key) -> list[AddrRow]:
        with self.lock:
            self.asked.append(str(key[0]))
        if not self.release.wait(BOUND):
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("198.18.10.5", key[1] or 0))]

    async def wait_asked(self, count: int) -> None:
        """Until ``count`` lookups reached the (blocked) name service; the loop runs meanwhile."""
        deadline = time.monotonic() + BOUND
        while len(self.asked) < count:
            assert time.monotonic() < deadline, self.asked
            await asyncio.sleep(0.005)


@pytest.fixture
def dead() -> Iterator[DeadDns]:
    dns = DeadDns()
    yield dns
    dns.release.set()  # let the daemon threads finish


def test_literals_never_start_a_thread(dead: DeadDns) -> None:
    resolver = Resolver(lookup=dead)

    async def run() -> list[list[AddrRow]]:
        return [
            await resolver.getaddrinfo(host, 161, type=socket.SOCK_DGRAM)
            for host in ("198.18.1.2", "2001:2:0:10::5", "::1", None)
        ]

    v4, v6, loopback, wildcard = asyncio.run(run())
    assert resolver.threads == 0 and dead.asked == []
    assert v4[0][0] == socket.AF_INET and v4[0][4] == ("198.18.1.2", 161)
    assert v6[0][0] == socket.AF_INET6 and v6[0][4][:2] == ("2001:2:0:10::5", 161)
    assert loopback[0][4][:2] == ("::1", 161)
    assert wildcard  # the wildcard of a server (host None) is no lookup either


@pytest.mark.parametrize(
    ("host", "literal"),
    [("198.18.1.2", True), ("2001:2::1", True), ("fe80::1%eth0", True),
     ("portal.example.vn", False), ("198.18.1", False), ("", False)],
)  # fmt: skip
def test_what_is_a_literal(host: str, literal: bool) -> None:
    assert is_ip_literal(host) is literal


def test_a_hung_lookup_ends_at_the_callers_deadline_and_literals_still_answer(
    dead: DeadDns,
) -> None:
    resolver = Resolver(workers=2, lookup=dead)

    async def run() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await resolver.getaddrinfo("portal.example.vn", 443)
        timed_out = loop.time() - started
        # Both threads now stuck on names: a literal is answered all the same.
        names = [
            asyncio.create_task(resolver.getaddrinfo(f"n{i}.example.vn", 80)) for i in range(5)
        ]
        await dead.wait_asked(2)
        started = loop.time()
        await resolver.getaddrinfo("198.18.1.2", 80)
        literal = loop.time() - started
        for task in names:
            task.cancel()
        await asyncio.gather(*names, return_exceptions=True)
        return timed_out, literal

    timed_out, literal = asyncio.run(run())
    assert 0.2 <= timed_out < AT_ONCE
    assert literal < AT_ONCE
    assert resolver.threads == 2  # bounded: 6 names, 2 threads


def test_one_lookup_serves_every_caller_of_the_same_name(dead: DeadDns) -> None:
    resolver = Resolver(lookup=dead)

    async def run() -> list[list[AddrRow]]:
        calls = [resolver.getaddrinfo("portal.example.vn", 443) for _ in range(10)]
        tasks = [asyncio.create_task(call) for call in calls]
        await dead.wait_asked(1)
        dead.release.set()
        return await asyncio.gather(*tasks)

    answers = asyncio.run(run())
    assert dead.asked == ["portal.example.vn"]
    assert all(answer[0][4] == ("198.18.10.5", 443) for answer in answers)


def test_a_lookup_nobody_waits_for_is_never_started(dead: DeadDns) -> None:
    resolver = Resolver(workers=1, lookup=dead)

    async def run() -> None:
        first = asyncio.create_task(resolver.getaddrinfo("first.example.vn", 80))
        await dead.wait_asked(1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await resolver.getaddrinfo("abandoned.example.vn", 80)
        dead.release.set()
        await first
        # The thread is free again: the next name is looked up, the abandoned one never was.
        await resolver.getaddrinfo("next.example.vn", 80)

    asyncio.run(run())
    assert dead.asked == ["first.example.vn", "next.example.vn"]


def test_a_full_queue_fails_at_once(dead: DeadDns) -> None:
    resolver = Resolver(workers=1, max_waiting=2, lookup=dead)

    async def run() -> None:
        held = [asyncio.create_task(resolver.getaddrinfo("held.example.vn", 80))]
        await dead.wait_asked(1)
        held += [
            asyncio.create_task(resolver.getaddrinfo(f"q{i}.example.vn", 80)) for i in range(2)
        ]
        await asyncio.sleep(0)
        with pytest.raises(socket.gaierror, match="2 name lookups already waiting") as caught:
            await resolver.getaddrinfo("one-too-many.example.vn", 80)
        assert caught.value.errno == socket.EAI_AGAIN
        dead.release.set()
        await asyncio.gather(*held)

    asyncio.run(run())


def test_errors_are_gaierror_per_caller() -> None:
    def lookup(key: Key) -> list[AddrRow]:
        if key[0] == "bad..name":
            raise UnicodeError("label empty or too long")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    resolver = Resolver(lookup=lookup)

    async def run() -> list[BaseException]:
        calls = [resolver.getaddrinfo(h, 80) for h in ("nope.invalid", "nope.invalid", "bad..name")]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    first, second, bad = asyncio.run(run())
    assert isinstance(first, socket.gaierror) and first.strerror == "Name or service not known"
    assert first is not second  # each caller's traceback is its own
    assert isinstance(bad, socket.gaierror) and bad.errno == socket.EAI_FAIL


def test_threads_are_daemons_and_survive_closed_loops(dead: DeadDns) -> None:
    # A lookup still running when its loop is gone must not raise in the thread, and must
    # not keep the process alive (daemon threads are not joined at exit).
    resolver = Resolver(workers=1, lookup=dead)
    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value or RuntimeError())
    try:

        async def abandon() -> None:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await resolver.getaddrinfo("slow.example.vn", 80)

        asyncio.run(abandon())  # the loop closes with the lookup still in its thread
        dead.release.set()

        async def again() -> list[AddrRow]:
            return await resolver.getaddrinfo("slow.example.vn", 80)

        assert asyncio.run(asyncio.wait_for(again(), BOUND))
    finally:
        threading.excepthook = previous
    assert errors == []
    assert all(t.daemon for t in threading.enumerate() if t.name == "netwarden-resolver")


def test_the_agent_loop_keeps_name_lookups_off_the_default_executor(dead: DeadDns) -> None:
    """Libraries (httpx, asyncio's create_connection) call loop.getaddrinfo: on the agent's
    loop a dead name service fills the resolver's threads, never the default executor."""
    resolver = Resolver(workers=2, lookup=dead)

    async def run() -> float:
        loop = asyncio.get_running_loop()
        hung = [asyncio.create_task(loop.getaddrinfo(f"h{i}.example.vn", 443)) for i in range(40)]
        await dead.wait_asked(2)
        started = loop.time()
        assert await loop.run_in_executor(None, lambda: "free") == "free"
        await loop.getaddrinfo("127.0.0.1", 9430)  # a literal: answered on the loop
        took = loop.time() - started
        for task in hung:
            task.cancel()
        await asyncio.gather(*hung, return_exceptions=True)
        return took

    with asyncio.Runner(loop_factory=lambda: AgentEventLoop(resolver)) as runner:
        took = runner.run(run())
    assert took < AT_ONCE
    assert resolver.threads == 2


def test_probes_of_names_fail_as_dns_at_their_deadline_and_literals_do_not_wait(
    dead: DeadDns,
) -> None:
    resolver = Resolver(workers=1, lookup=dead)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    pinger = IcmpPinger(resolver=resolver)

    async def run() -> list[ProbeResult]:
        names = [
            tcp.probe(TcpTarget("cam.example.vn", 554), deadline=0.3, resolver=resolver),
            http.probe(HttpTarget("http://portal.example.vn/"), deadline=0.3, resolver=resolver),
            pinger.ping("ap.example.vn", count=1, spacing=0.1, timeout=0.1, lookup_deadline=0.3),
        ]
        results = await asyncio.gather(*names)
        # Its own deadline is long: a literal held up by the stuck resolver would fail it.
        target = TcpTarget("127.0.0.1", port)
        literal = await tcp.probe(target, deadline=AT_ONCE, resolver=resolver)
        return [*results, literal]

    try:
        *failed, literal = asyncio.run(run())
    finally:
        server.close()
    for result in failed:
        assert result.reason is ProbeReason.dns, result
        assert "no answer from the resolver within 0.3 s" in result.message
        assert 0.3 <= result.duration < AT_ONCE
    assert literal.success, literal.message
    assert literal.duration < AT_ONCE
