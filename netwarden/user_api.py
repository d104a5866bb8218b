"""The command line's client of the collector's user API: one collector, one user token, every
failure one readable line. Every user command that asks the collector (``fleet``, ``incident``,
``playbook``, ``report``, ``config ... --collector``) uses it, so it lives in the core; httpx is
imported only when a request is made (the CLI starts fast). The options that feed it are in
``user_api_options.py``.

The token is ``NETWARDEN_TOKEN``; the collector's URL is ``--collector`` or
``NETWARDEN_COLLECTOR``; its CA is ``--ca-file`` (or ``NETWARDEN_CA_FILE``, e.g. the
``tls/ca.pem`` of the collector's data directory). Plain ``http://`` needs ``--insecure``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from netwarden.errors import NetwardenError, UsageError

if TYPE_CHECKING:
    import httpx

TIMEOUT = 30.0
CHUNK = 1024 * 1024


class CollectorUnreachable(NetwardenError):
    """No answer, or a 5xx: worth trying again later (``events tail`` does)."""


def _verify(url: str, ca_file: Path | None, insecure: bool) -> bool | ssl.SSLContext:
    if url.startswith("http://") and not insecure:
        raise UsageError(f"{url} is plain HTTP: pass --insecure to use it")
    if ca_file is None:
        return not insecure
    if not ca_file.is_file():
        raise UsageError(f"--ca-file {ca_file}: no such file")
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"--ca-file {ca_file}: not a PEM certificate ({exc})") from None


class CollectorClient:
    """One collector, one token (from ``NETWARDEN_TOKEN``)."""

    def __init__(
        self,
        url: str | None,
        ca_file: Path | None,
        insecure: bool,
        transport: httpx.BaseTransport | None = None,  # tests answer in the collector's place
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        import httpx

        if not url:
            raise UsageError("no collector: pass --collector URL or set NETWARDEN_COLLECTOR")
        token = os.environ.get("NETWARDEN_TOKEN", "").strip()
        if not token:
            raise UsageError(
                "NETWARDEN_TOKEN is not set (a user token from "
                "`netwarden collector token create --user NAME --role ROLE`)"
            )
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url,
            verify=_verify(url, ca_file, insecure),
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CollectorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, request: httpx.Request, role: str, *, stream: bool = False) -> httpx.Response:
        import httpx

        try:
            answer = self._client.send(request, stream=stream)
        except httpx.ConnectError as exc:
            hint = " (is --ca-file the collector's CA?)" if "CERTIFICATE" in str(exc) else ""
            raise CollectorUnreachable(
                f"cannot reach the collector at {self.url}: {exc}{hint}"
            ) from exc
        except httpx.HTTPError as exc:
            raise CollectorUnreachable(f"collector {self.url}: {exc}") from exc
        if answer.status_code >= 400:
            if stream:
                answer.read()
            answer.close()
            if answer.status_code in (401, 403):
                raise NetwardenError(
                    f"the collector refused the token ({_error(answer)}): this "
                    f"needs a token with the {role} role"
                )
            error = CollectorUnreachable if answer.status_code >= 500 else NetwardenError
            raise error(f"collector answered {answer.status_code}: {_error(answer)}")
        return answer

    def call(
        self,
        method: str,
        path: str,
        role: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """A JSON request; the decoded JSON answer."""
        request = self._client.build_request(method, path, json=body, params=params)
        answer = self._send(request, role)
        try:
            return answer.json()
        except ValueError:
            raise NetwardenError(f"collector {self.url} answered no JSON") from None

    def upload(
        self, path: str, role: str, source: BinaryIO, size: int, params: dict[str, str]
    ) -> Any:
        """POST the bytes of ``source`` (streamed) as the body; the decoded JSON answer."""

        def chunks() -> Iterator[bytes]:
            while chunk := source.read(CHUNK):
                yield chunk

        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        request = self._client.build_request(
            "POST", path, content=chunks(), params=params, headers=headers
        )
        return self._send(request, role).json()

    def download(
        self,
        path: str,
        role: str,
        out: BinaryIO,
        *,
        method: str = "GET",
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Send a request and write the answer's body into ``out`` (streamed); the answer's
        headers."""
        import httpx

        request = self._client.build_request(method, path, json=body, params=params)
        answer = self._send(request, role, stream=True)
        try:
            for chunk in answer.iter_bytes(CHUNK):
                out.write(chunk)
        except httpx.HTTPError as exc:
            raise NetwardenError(f"collector {self.url}: download cut off: {exc}") from exc
        finally:
            answer.close()
        return dict(answer.headers)


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200] or answer.reason_phrase


CollectorApi = CollectorClient  # the name the fleet and report commands know it by


def call_once(
    url: str | None,
    ca_file: Path | None,
    insecure: bool,
    request: tuple[str, str, str],
    params: Mapping[str, str] | None = None,
) -> Any:
    """One request (``method, path, role``) on a client closed after it."""
    with CollectorClient(url, ca_file, insecure) as api:
        return api.call(*request, params=dict(params) if params else None)
