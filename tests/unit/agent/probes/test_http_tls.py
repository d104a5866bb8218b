"""The HTTP probe's certificate checks against real HTTPS servers on loopback and a private CA:
a check trusts the province's CA with ``ca_file``; a certificate that does not verify still
reports its days left, ``tls_verified 0`` and why (expired, self-signed, hostname, untrusted).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from netwarden.agent.metrics import render
from netwarden.agent.metrics.probe_metrics import ProbeCollector
from netwarden.agent.probes.http import (
    PHASE_SECONDS,
    STATUS_CODE,
    TLS_DAYS_LEFT,
    TLS_VERIFIED,
    TLS_VERIFY_ERROR,
    HttpTarget,
)
from netwarden.agent.probes.http import probe as http_probe
from netwarden.agent.probes.plan import ProbeJob, ProbeLabels
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from tests.unit.agent.probes.http_servers import serve
from tests.unit.agent.probes.pki import Pki, ServerCert


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def _probe(
    cert: ServerCert | ssl.SSLContext, *, ca_file: Path | str | None, host: str = "127.0.0.1"
) -> ProbeResult:
    context = cert if isinstance(cert, ssl.SSLContext) else cert.context

    async def scenario() -> ProbeResult:
        async with serve(context=context, host=host) as base:
            target = HttpTarget(base + "/ok", ca_file=None if ca_file is None else str(ca_file))
            return await http_probe(target, deadline=3.0)

    result = asyncio.run(scenario())
    assert result.success is (result.reason is ProbeReason.ok), result
    assert result.duration < 3.2
    return result


def _failed_verification(result: ProbeResult, cert: ServerCert, error: str) -> None:
    assert result.reason is ProbeReason.tls
    assert "CERTIFICATE_VERIFY_FAILED" in result.message
    assert result.values[TLS_VERIFIED] == 0
    assert result.labelled[TLS_VERIFY_ERROR] == {error: 1.0}
    assert result.values[TLS_DAYS_LEFT] == pytest.approx(cert.days_left(), abs=0.01)
    # The second connection that read the certificate counts as TLS time, not lost time.
    phases = result.labelled[PHASE_SECONDS]
    assert sum(phases.values()) == pytest.approx(result.duration, abs=0.002)


def test_a_private_ca_is_trusted_with_ca_file(pki: Pki) -> None:
    cert = pki.server()
    result = _probe(cert, ca_file=pki.ca_file)
    assert result.success, result.message
    assert result.values[STATUS_CODE] == 200
    assert result.values[TLS_VERIFIED] == 1
    assert result.values[TLS_DAYS_LEFT] == pytest.approx(cert.days_left(), abs=0.01)
    assert TLS_VERIFY_ERROR not in result.labelled


def test_without_ca_file_the_private_ca_is_untrusted(pki: Pki) -> None:
    # The system's CA store does not know the province's CA.
    cert = pki.server()
    _failed_verification(_probe(cert, ca_file=None), cert, "untrusted")


def test_ca_file_replaces_the_system_store(pki: Pki) -> None:
    # Trusting "exactly these CAs": a certificate of another CA is untrusted, as with curl
    # --cacert, even if that CA were a public one.
    cert = pki.server(issuer="other")
    _failed_verification(_probe(cert, ca_file=pki.ca_file), cert, "untrusted")


def test_an_expired_certificate_reports_expired_and_its_negative_days(pki: Pki) -> None:
    cert = pki.server(valid=(-93, -3))
    result = _probe(cert, ca_file=pki.ca_file)
    _failed_verification(result, cert, "expired")
    assert -3.01 < result.values[TLS_DAYS_LEFT] < -2.99


def test_a_certificate_for_another_address_reports_hostname(pki: Pki) -> None:
    cert = pki.server(names=("198.18.10.99",))
    _failed_verification(_probe(cert, ca_file=pki.ca_file), cert, "hostname")


def test_a_self_signed_certificate_reports_self_signed(pki: Pki) -> None:
    cert = pki.server(issuer="self")
    _failed_verification(_probe(cert, ca_file=pki.ca_file), cert, "self-signed")


def test_a_certificate_not_valid_yet_is_other(pki: Pki) -> None:
    cert = pki.server(valid=(2, 90))
    _failed_verification(_probe(cert, ca_file=pki.ca_file), cert, "other")


def test_tls_verify_false_reads_the_certificate_and_verifies_nothing(pki: Pki) -> None:
    cert = pki.server(issuer="self")

    async def scenario() -> ProbeResult:
        async with serve(context=cert.context) as base:
            return await http_probe(HttpTarget(base + "/ok", tls_verify=False), deadline=3.0)

    result = asyncio.run(scenario())
    assert result.success, result.message
    assert result.values[TLS_VERIFIED] == 0
    assert result.values[TLS_DAYS_LEFT] == pytest.approx(cert.days_left(), abs=0.01)
    assert TLS_VERIFY_ERROR not in result.labelled


def test_https_over_ipv6_verifies_the_address_in_the_certificate(pki: Pki) -> None:
    cert = pki.server()
    result = _probe(cert, ca_file=pki.ca_file, host="::1")
    assert result.success, result.message
    assert result.values[TLS_VERIFIED] == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "No such file or directory"),
        (b"", "not a PEM file of CA certificates"),
        (b"-----BEGIN CERTIFICATE-----\nnot base64\n", "not a PEM file of CA certificates"),
    ],
)
def test_an_unusable_ca_file_is_other_in_one_line(
    pki: Pki, tmp_path: Path, content: bytes | None, why: str
) -> None:
    ca_file = tmp_path / "tinh-ca.pem"
    if content is not None:
        ca_file.write_bytes(content)
    result = _probe(pki.server(), ca_file=ca_file)
    assert result.reason is ProbeReason.other
    assert result.message.startswith(f"CA file {ca_file}: {why}")
    assert "\n" not in result.message


def test_a_renewed_ca_file_is_used_without_a_restart(pki: Pki, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes((pki.folder / "other-ca.pem").read_bytes())
    cert = pki.server()
    assert _probe(cert, ca_file=ca_file).reason is ProbeReason.tls
    ca_file.write_bytes(pki.ca_file.read_bytes())
    stat = ca_file.stat()  # same size; a later mtime, as a copy made a second later has
    os.utime(ca_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _probe(cert, ca_file=ca_file).success


def test_the_verify_error_and_verified_0_are_on_metrics(pki: Pki) -> None:
    cert = pki.server(valid=(-93, -3))
    result = _probe(cert, ca_file=pki.ca_file)
    labels = ProbeLabels("http", "https://cong-dvc.example/", "dc", service="cong-dvc")
    job = ProbeJob("service:cong-dvc", labels, 60.0, (), lambda _: asyncio.sleep(0, result))
    asyncio.run(job.tick(1.0))
    registry = CollectorRegistry(auto_describe=True)
    ProbeCollector(lambda: [job], registry=registry)
    samples = {
        sample.name: sample
        for family in text_string_to_metric_families(render(registry).decode())
        for sample in family.samples
    }
    error = samples["netwarden_probe_tls_verify_error_info"]
    assert (error.labels["error"], error.labels["service"], error.value) == (
        "expired",
        "cong-dvc",
        1,
    )
    assert samples["netwarden_probe_tls_verified"].value == 0
    assert samples["netwarden_probe_tls_days_left"].value < -2.99
