"""The command line's client of the collector's user API: one collector, one user token, every
failure one readable line. Shared by ``netwarden fleet ...`` and ``netwarden config ...
--collector``, so it lives in the core; imported only when such a command runs (httpx is not
light). The options that feed it are in ``user_api_options.py``.

The token is ``NETWARDEN_TOKEN``; the collector's URL is ``--collector`` or
``NETWARDEN_COLLECTOR``; its CA is ``--ca-file`` (or ``NETWARDEN_CA_FILE``, e.g. the
``tls/ca.pem`` of the collector's data directory). Plain ``http://`` needs ``--insecure``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from netwarden.errors import NetwardenError, UsageError


class CollectorApi:
    """One collector, one token. ``call`` answers the decoded JSON or raises one line."""

    def __init__(
        self,
        url: str | None,
        ca_file: Path | None,
        insecure: bool,
        transport: httpx.BaseTransport | None = None,  # tests answer in the collector's place
    ) -> None:
        if not url:
            raise UsageError("no collector: pass --collector URL or set NETWARDEN_COLLECTOR")
        token = os.environ.get("NETWARDEN_TOKEN", "").strip()
        if not token:
            raise UsageError(
                "NETWARDEN_TOKEN is not set (a user token from "
                "`netwarden collector token create --user NAME --role ROLE`)"
            )
        if url.startswith("http://") and not insecure:
            raise UsageError(f"{url} is plain HTTP: pass --insecure to use it")
        if ca_file is not None and not ca_file.is_file():
            raise UsageError(f"--ca-file {ca_file}: no such file")
        verify: bool | ssl.SSLContext = True
        if ca_file is not None:
            try:
                verify = ssl.create_default_context(cafile=str(ca_file))
            except (ssl.SSLError, OSError) as exc:
                raise UsageError(f"--ca-file {ca_file}: not a PEM certificate ({exc})") from None
        elif insecure:
            verify = False
        self.url = url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.url,
            verify=verify,
            timeout=15.0,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def call(
        self, method: str, path: str, role: str, params: Mapping[str, str] | None = None
    ) -> Any:
        """``method path`` with the token; the answer's JSON. ``role`` is the one the route
        needs, named when the collector refuses the token."""
        try:
            answer = self.client.request(method, path, params=params)
        except httpx.ConnectError as exc:
            hint = " (is --ca-file the collector's CA?)" if "CERTIFICATE" in str(exc) else ""
            raise NetwardenError(f"cannot reach the collector at {self.url}: {exc}{hint}") from exc
        except httpx.HTTPError as exc:
            raise NetwardenError(f"collector {self.url}: {exc}") from exc
        if answer.status_code in (401, 403):
            raise NetwardenError(
                f"the collector refused the token ({_error(answer)}): this "
                f"needs a token with the {role} role"
            )
        if answer.status_code >= 400:
            raise NetwardenError(f"collector answered {answer.status_code}: {_error(answer)}")
        try:
            return answer.json()
        except ValueError:
            raise NetwardenError(f"{self.url}{path}: the answer is not JSON") from None

    def close(self) -> None:
        self.client.close()


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200] or answer.reason_phrase


def call_once(
    url: str | None,
    ca_file: Path | None,
    insecure: bool,
    request: tuple[str, str, str],
    params: Mapping[str, str] | None = None,
) -> Any:
    """One request (``method, path, role``) on a client closed after it."""
    api = CollectorApi(url, ca_file, insecure)
    try:
        return api.call(*request, params=params)
    finally:
        api.close()
