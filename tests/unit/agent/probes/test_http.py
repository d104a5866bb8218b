"""HTTP(S) probe against real asyncio servers on 127.0.0.1, TLS with throwaway certificates."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from netwarden.agent.probes import http_wire
from netwarden.agent.probes.common import ProbeFailure
from netwarden.agent.probes.http import (
    CONTENT_LENGTH,
    PHASE_SECONDS,
    PHASES,
    REDIRECT_COUNT,
    SSL,
    STATUS_CODE,
    TLS_DAYS_LEFT,
    TLS_VERIFIED,
    TLS_VERIFY_ERROR,
    HttpTarget,
)
from netwarden.agent.probes.http import probe as http_probe
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from tests.ports import refused_port
from tests.unit.agent.probes.http_servers import HANG, Routes, response, serve

# How late past its deadline a loaded machine may end a probe (its timer fired late): a probe
# that ignored the deadline would wait on the silent server for ever.
LATE = 5.0
# The deadline of the probes that must time out in a given phase: the steps before it
# (connect, send the request) must all fit in it, however late a loaded machine runs them.
PHASE_DEADLINE = 2.0

_response = response


def _redirect(location: str, status: int = 302) -> bytes:
    return _response(status, b"moved", f"Location: {location}")


def _routes(base: str) -> dict[str, bytes]:
    chunked = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    return {
        "/ok": _response(200, "xin chào netwarden".encode()),
        "/missing": _response(404, b"not here"),
        "/empty": _response(204, length=False),
        "/abs": _redirect(f"{base}/ok", 301),
        "/a/rel": _redirect("../ok", 308),
        "/loop": _redirect("/loop"),
        "/chunked": _response(200, chunked, "Transfer-Encoding: chunked", length=False),
        "/eof": _response(200, b"until the close", length=False),
        "/big": _response(200, b"x" * (http_wire.BODY_LIMIT + 500_000) + b"tail"),
        "/hang": HANG,
        "/garbage": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    }


def _serve(
    routes: Routes = _routes, context: ssl.SSLContext | None = None
) -> contextlib.AbstractAsyncContextManager[str]:
    return serve(routes, context)


@dataclass(frozen=True)
class Cert:
    context: ssl.SSLContext
    not_after: dt.datetime


def _cert(tmp: Path, name: str, key: ec.EllipticCurvePrivateKey, days: tuple[int, int]) -> Cert:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (tmp / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / f"{name}.crt", tmp / "key.pem")
    return Cert(context, cert.not_valid_after_utc)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cert]:
    tmp = tmp_path_factory.mktemp("certs")
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp / "key.pem").write_bytes(pem)
    spans = {"valid": (-1, 90), "expiring": (-85, 5), "expired": (-93, -3)}
    return {name: _cert(tmp, name, key, span) for name, span in spans.items()}


def _probe(
    path: str,
    context: ssl.SSLContext | None = None,
    *,
    expect_status: int | None = None,
    tls_verify: bool = False,
    body_regex: str | None = None,
    max_redirects: int = 5,
    deadline: float = 3.0,
) -> ProbeResult:
    """Probe ``path`` of a fresh server (TLS with ``context``) and check the invariants every
    result keeps: bounded reason, phases that add up to the duration, the duration bound."""

    async def scenario() -> ProbeResult:
        async with _serve(context=context) as base:
            return await http_probe(
                HttpTarget(
                    base + path,
                    expect_status=expect_status,
                    tls_verify=tls_verify,
                    body_regex=body_regex,
                    max_redirects=max_redirects,
                ),
                deadline=deadline,
            )

    result = asyncio.run(scenario())
    assert result.success is (result.reason is ProbeReason.ok), result
    phases = result.labelled[PHASE_SECONDS]
    assert set(phases) == set(PHASES)
    # Exactly (float rounding aside), however late a loaded machine's loop gets to each step.
    assert sum(phases.values()) == pytest.approx(result.duration, abs=1e-9)
    assert result.duration < deadline + LATE
    return result


def test_expected_status_with_its_body() -> None:
    result = _probe("/ok", expect_status=200, body_regex="chào net")
    assert result.success, result.message
    assert result.values[STATUS_CODE] == 200
    assert result.values[CONTENT_LENGTH] == len("xin chào netwarden".encode())
    assert result.values[REDIRECT_COUNT] == 0
    assert result.values[SSL] == 0
    assert TLS_DAYS_LEFT not in result.values
    phases = result.labelled[PHASE_SECONDS]
    assert phases["tls"] == 0
    assert phases["connect"] > 0 and phases["processing"] > 0


def test_any_2xx_when_no_status_is_expected() -> None:
    assert _probe("/empty").success
    assert _probe("/ok").success


def test_other_status_is_http_status() -> None:
    result = _probe("/missing", expect_status=200)
    assert result.reason is ProbeReason.http_status
    assert result.values[STATUS_CODE] == 404
    assert not _probe("/missing").success
    assert _probe("/missing", expect_status=404).success


def test_body_mismatch() -> None:
    result = _probe("/ok", body_regex="^goodbye")
    assert result.reason is ProbeReason.body_mismatch
    assert result.values[STATUS_CODE] == 200


def test_invalid_regex_is_a_configuration_error() -> None:
    with pytest.raises(re.error):
        _probe("/ok", body_regex="(")


@pytest.mark.parametrize("path", ["/abs", "/a/rel"])
def test_absolute_and_relative_redirects_are_followed(path: str) -> None:
    result = _probe(path, expect_status=200, body_regex="netwarden")
    assert result.success, result.message
    assert result.values[REDIRECT_COUNT] == 1
    assert result.values[STATUS_CODE] == 200


def test_redirect_loop_stops_at_max_redirects() -> None:
    result = _probe("/loop", expect_status=200, max_redirects=3)
    assert result.reason is ProbeReason.http_status
    assert result.values[REDIRECT_COUNT] == 3
    assert result.values[STATUS_CODE] == 302


def test_expected_redirect_is_not_followed() -> None:
    result = _probe("/abs", expect_status=301)
    assert result.success, result.message
    assert result.values[REDIRECT_COUNT] == 0


def test_chunked_and_close_delimited_bodies() -> None:
    chunked = _probe("/chunked", body_regex="^hello, world$")
    assert chunked.success, chunked.message
    assert chunked.values[CONTENT_LENGTH] == len("hello, world")
    eof = _probe("/eof", body_regex="until the close")
    assert eof.success, eof.message


def test_body_past_the_limit_is_counted_not_matched() -> None:
    result = _probe("/big", body_regex="tail")
    assert result.reason is ProbeReason.body_mismatch
    assert result.values[CONTENT_LENGTH] == http_wire.BODY_LIMIT + 500_000 + 4


def test_not_http_is_other() -> None:
    assert _probe("/garbage").reason is ProbeReason.other


def test_silent_server_times_out_at_the_deadline() -> None:
    result = _probe("/hang", deadline=PHASE_DEADLINE)
    assert result.reason is ProbeReason.timeout
    assert "processing" in result.message
    assert PHASE_DEADLINE <= result.duration < PHASE_DEADLINE + LATE  # the deadline, not the hang
    assert result.values[STATUS_CODE] == 0


def test_closed_port_is_refused() -> None:
    with refused_port() as port:
        target = HttpTarget(f"http://127.0.0.1:{port}/", tls_verify=False)
        result = asyncio.run(http_probe(target, deadline=2.0))
    assert result.reason is ProbeReason.refused


def test_unknown_name_is_dns() -> None:
    target = HttpTarget("http://no-such-host.invalid/", tls_verify=False)
    result = asyncio.run(http_probe(target, deadline=5))
    assert result.reason is ProbeReason.dns


@pytest.mark.parametrize("name", ["valid", "expiring", "expired"])
def test_days_left_of_each_certificate(certs: dict[str, Cert], name: str) -> None:
    result = _probe("/ok", certs[name].context, expect_status=200)
    truth = (certs[name].not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert result.success, result.message
    assert result.values[TLS_DAYS_LEFT] == pytest.approx(truth, abs=0.01)
    assert result.values[TLS_VERIFIED] == 0
    assert result.values[SSL] == 1
    assert result.labelled[PHASE_SECONDS]["tls"] > 0


def test_expired_certificate_with_days_left_negative(certs: dict[str, Cert]) -> None:
    assert _probe("/ok", certs["expired"].context).values[TLS_DAYS_LEFT] < -2.99


@pytest.mark.parametrize("name", ["valid", "expired"])
def test_verification_failure_still_reports_the_certificate(
    certs: dict[str, Cert], name: str
) -> None:
    # Both are self-signed, so neither verifies (the expired one would not even if trusted);
    # what the certificate says is read all the same, for the expiry alert.
    result = _probe("/ok", certs[name].context, tls_verify=True)
    truth = (certs[name].not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert result.reason is ProbeReason.tls
    assert "CERTIFICATE_VERIFY_FAILED" in result.message
    assert result.values[TLS_DAYS_LEFT] == pytest.approx(truth, abs=0.01)
    assert result.values[TLS_VERIFIED] == 0
    assert result.labelled[TLS_VERIFY_ERROR] == {"self-signed": 1.0}


def test_handshake_failure_is_tls_and_not_verified() -> None:
    # A server that speaks first, and not TLS (sshd on the port): the handshake fails before
    # any certificate was seen.
    def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        writer.close()

    async def scenario() -> ProbeResult:
        server = await asyncio.start_server(banner, "127.0.0.1", 0)
        async with server:
            url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
            return await http_probe(HttpTarget(url), deadline=2.0)

    result = asyncio.run(scenario())
    assert result.reason is ProbeReason.tls
    assert result.values[TLS_VERIFIED] == 0
    assert TLS_DAYS_LEFT not in result.values
    assert TLS_VERIFY_ERROR not in result.labelled


def test_https_to_a_server_that_never_handshakes_is_timeout() -> None:
    async def scenario() -> ProbeResult:
        async with _serve() as base:
            url = base.replace("http:", "https:") + "/hang"
            return await http_probe(HttpTarget(url, tls_verify=False), deadline=PHASE_DEADLINE)

    result = asyncio.run(scenario())
    assert result.reason is ProbeReason.timeout
    assert "tls" in result.message


def test_bad_urls_are_other() -> None:
    for url in ("ftp://127.0.0.1/", "http:///nohost", "http://127.0.0.1:99999/"):
        result = asyncio.run(http_probe(HttpTarget(url, tls_verify=False), deadline=1))
        assert result.reason is ProbeReason.other, url


def test_malformed_chunk_size_is_rejected() -> None:
    with pytest.raises(ProbeFailure, match="chunk size"):
        http_wire._chunk_size(b"zz")
