"""``netwarden agent enroll``: exchange a one-time join token for an agent credential.

A join token is ``nwj.<secret>.<ca-sha256>``: the agent fetches the collector's CA without
verification, checks that the SHA-256 of its DER form is the token's hash (anything else is a
wrong URL or a man in the middle), pins it, and only then sends the token, over TLS verified
against that CA. ``nwj.<secret>`` (no hash) is for a plain-HTTP lab collector and needs
``--insecure``: an https:// collector cannot be checked without the hash, and plain HTTP is
never used without the admin asking for it.
"""

from __future__ import annotations

import hmac
import socket
import time
from hashlib import sha256
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from netwarden import __version__
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.replies import Outcome, Reply
from netwarden.agent.sync.state_dir import AgentIdentity, StateDir
from netwarden.errors import NetwardenError, UsageError
from netwarden.join_token import JoinToken, parse_token

CA_MISMATCH = "collector CA does not match the join token — wrong URL or a man-in-the-middle"


def check_transport(url: str, token: JoinToken, *, insecure: bool) -> None:
    """Refuse the combinations of URL scheme, CA hash and --insecure that are not safe."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--collector must be an http:// or https:// URL, got {url!r}")
    if token.ca_sha256 is not None:
        if parts.scheme != "https":
            raise UsageError("this join token pins the collector's CA: use its https:// URL")
        if insecure:
            raise UsageError("--insecure is for a plain-HTTP lab collector; this token pins a CA")
        return
    if parts.scheme == "https":
        raise UsageError(
            "the join token has no CA hash, so the collector's certificate cannot be checked: "
            "ask for a token of an https collector (nwj.<secret>.<ca-sha256>)"
        )
    if not insecure:
        raise UsageError("plain HTTP sends the credential in clear: add --insecure (lab only)")


def ca_fingerprint(ca_pem: str) -> str:
    """SHA-256 (hex, lower case) of the certificate's DER form, as the join token carries it."""
    try:
        cert = x509.load_pem_x509_certificate(ca_pem.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise NetwardenError("the collector's /api/v1/ca is not a PEM certificate") from exc
    return sha256(cert.public_bytes(Encoding.DER)).hexdigest()


async def fetch_pinned_ca(url: str, expected_sha256: str) -> str:
    """The collector CA, fetched without verification and accepted only if its hash matches."""
    client = CollectorClient(url, verify=False)
    try:
        reply = await client.get("/api/v1/ca")
    finally:
        await client.aclose()
    _require(reply, "fetch the collector CA")
    pem = reply.data.get("ca_pem") if isinstance(reply.data, dict) else None
    if not isinstance(pem, str):
        raise NetwardenError("the collector's /api/v1/ca answer has no ca_pem")
    if not hmac.compare_digest(ca_fingerprint(pem), expected_sha256):
        raise NetwardenError(CA_MISMATCH)
    return pem


def _require(reply: Reply, what: str) -> None:
    if reply.ok:
        return
    if reply.outcome in (Outcome.unreachable, Outcome.timeout):
        raise NetwardenError(f"cannot {what}: {reply.error}")
    if reply.outcome in (Outcome.revoked, Outcome.client_error):
        raise NetwardenError(f"the collector refused to {what}: {reply.error}")
    raise NetwardenError(f"the collector failed to {what}: {reply.error}")


def _identity_from(reply: Reply, url: str, *, insecure: bool) -> tuple[AgentIdentity, str]:
    data = reply.data if isinstance(reply.data, dict) else {}
    agent, credential, site = data.get("agent"), data.get("credential"), data.get("site")
    if not (isinstance(agent, str) and isinstance(credential, str) and isinstance(site, str)):
        raise NetwardenError("the collector's enrolment answer lacks agent, credential or site")
    if not credential.startswith(f"nwa.{agent}."):
        raise NetwardenError("the collector's enrolment answer has a malformed credential")
    return AgentIdentity(agent, site, url.rstrip("/"), insecure, time.time()), credential


async def enroll(
    url: str,
    token_text: str,
    state_dir: Path,
    *,
    insecure: bool = False,
    force: bool = False,
    hostname: str | None = None,
) -> AgentIdentity:
    """Enrol this host as an agent and write its state dir; returns who it now is."""
    token = parse_token(token_text)
    check_transport(url, token, insecure=insecure)
    state = StateDir(state_dir)
    # Locked: no enrolment under a running agent's feet. A failure leaves no trace (a first
    # attempt against a collector that is down must not leave a dir holding only agent.lock).
    with state.lock(undo_on_error=True):
        previous = state.read_identity() if state.is_enrolled() else None
        if previous is not None and not force:
            raise NetwardenError(
                f"state dir {state.path} is already enrolled as agent {previous.agent}: "
                "add --force to enrol it again"
            )
        ca_pem = None if token.ca_sha256 is None else await fetch_pinned_ca(url, token.ca_sha256)
        client = CollectorClient(url, ca_pem=ca_pem)
        try:
            body = {
                "token": token.text,
                "hostname": hostname or socket.gethostname(),
                "version": __version__,
            }
            reply = await client.post_json("/api/v1/enroll", body)
        finally:
            await client.aclose()
        _require(reply, "enrol this agent")
        identity, credential = _identity_from(reply, url, insecure=ca_pem is None)
        if previous is not None and previous.agent != identity.agent:
            # Another agent's assignment and queued results must not be sent under this id.
            state.forget_agent_data()
        if ca_pem is None:
            state.ca_path.unlink(missing_ok=True)
        else:
            state.write_ca(ca_pem)
        state.write_credential(credential)
        state.write_identity(identity)  # last: a dir is "enrolled" only once it is complete
        return identity
