"""The resident process of one lab device namespace.

``lab up`` starts it under ``unshare --uts --mount`` inside the device's network namespace; the
device's snmpd and sshd then join its namespaces with ``nsenter``. It:

* holds the device's hostname (so sysName, sysDescr and shell prompts name the device) and,
  for DC hosts, a private tmpfs on /mnt filled to a set size (so hosts' disk usage differs);
* serves the device's control socket: the IOS-like CLI runs as the unprivileged SSH user and
  asks here to set an interface up or down (one JSON line in, one JSON line out);
* answers the TCP ports of the endpoints (cameras, APs, VC) that live in its namespace, and
  the HTTPS portal on DC hosts that carry one.

Run: ``python -m netwarden.lab.resident --hostname H --control SOCK [--group G] [--tmpfs-mb N
--fill-mb M] [--tcp ADDR:PORT ...] [--https ADDR:PORT,CERT,KEY ...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import grp
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

from netwarden.hostport import parse_hostport

_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_PORTAL_BODY = (
    "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
    "<title>Cổng dịch vụ công tỉnh (lab)</title></head>"
    "<body><h1>Cổng dịch vụ công tỉnh</h1><p>netwarden lab portal</p></body></html>"
).encode()


def set_link(ifname: str, up: bool) -> str | None:
    """Set ``ifname`` up or down in this namespace; return an error line, or None on success."""
    if not _IFNAME.match(ifname) or ifname == "lo":
        return f"invalid interface name {ifname!r}"
    if not Path("/sys/class/net", ifname).exists():
        return f"no interface {ifname} on this device"
    done = subprocess.run(
        ["ip", "link", "set", ifname, "up" if up else "down"],
        capture_output=True,
        text=True,
        check=False,
        timeout=5,
    )
    if done.returncode:
        return done.stderr.strip() or f"ip exited {done.returncode}"
    return None


def handle_request(line: bytes) -> dict[str, object]:
    """One control request -> one reply. Only ``{"op": "link", "ifname", "up"}`` exists."""
    try:
        request = json.loads(line)
    except ValueError:
        return {"ok": False, "error": "request is not JSON"}
    if not isinstance(request, dict) or request.get("op") != "link":
        return {"ok": False, "error": "unknown operation"}
    ifname, up = request.get("ifname"), request.get("up")
    if not isinstance(ifname, str) or not isinstance(up, bool):
        return {"ok": False, "error": "link needs ifname (string) and up (true/false)"}
    error = set_link(ifname, up)
    return {"ok": True} if error is None else {"ok": False, "error": error}


async def _serve_control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        line = await asyncio.wait_for(reader.readline(), timeout=5)
        reply = await asyncio.to_thread(handle_request, line)
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # An endpoint only has to accept: probes measure the connect, not a protocol.
    writer.close()


async def _serve_portal(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(_PORTAL_BODY)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + _PORTAL_BODY)
        await writer.drain()
    except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        writer.close()


def _prepare_host(args: argparse.Namespace) -> None:
    socket.sethostname(args.hostname)
    if args.tmpfs_mb:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={args.tmpfs_mb}m", "nwl-data", "/mnt"],
            check=True,
            timeout=10,
        )
        with open("/mnt/fill.bin", "wb") as fill:
            os.posix_fallocate(fill.fileno(), 0, args.fill_mb * 1024 * 1024)


def _publish(tmp: Path, control: Path, group: str) -> None:
    """Let the SSH user's CLI reach the socket, then move it to where `lab up` looks for it."""
    if group:
        os.chown(tmp, 0, grp.getgrnam(group).gr_gid)
    os.chmod(tmp, 0o660)
    tmp.rename(control)


async def _run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    servers = []
    for endpoint in args.tcp:
        host, port = parse_hostport(endpoint)
        servers.append(await asyncio.start_server(_serve_tcp, host, port))
    for portal in args.https:
        endpoint, cert, key = portal.split(",")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        host, port = parse_hostport(endpoint)
        servers.append(await asyncio.start_server(_serve_portal, host, port, ssl=context))
    # The socket is created last: its existence tells `lab up` that everything above is ready.
    control = Path(args.control)
    tmp = control.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    servers.append(await asyncio.start_unix_server(_serve_control, path=str(tmp)))
    _publish(tmp, control, args.group)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netwarden.lab.resident")
    parser.add_argument("--hostname", required=True)
    parser.add_argument("--control", required=True)
    parser.add_argument("--group", default="")
    parser.add_argument("--tmpfs-mb", type=int, default=0)
    parser.add_argument("--fill-mb", type=int, default=0)
    parser.add_argument("--tcp", action="append", default=[])
    parser.add_argument("--https", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        _prepare_host(args)
        asyncio.run(_run(args))
    except (OSError, subprocess.SubprocessError, ssl.SSLError) as exc:
        sys.stderr.write(f"resident {args.hostname}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
