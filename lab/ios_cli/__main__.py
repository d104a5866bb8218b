"""Entry point: ``python -m netwarden.lab.ios_cli --hostname NAME --enable-secret-file PATH
--control SOCKET``, with stdin/stdout being the SSH channel."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence

from netwarden.errors import SecretError
from netwarden.lab.ios_cli.control import SocketLinkControl
from netwarden.lab.ios_cli.interfaces import NamespaceReader
from netwarden.lab.ios_cli.routing import NamespaceRouting
from netwarden.lab.ios_cli.session import Session
from netwarden.lab.ios_cli.terminal import ChannelClosed, StdioTerminal
from netwarden.secret import Secret


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m netwarden.lab.ios_cli",
        description="IOS-like CLI of one lab device (stdin/stdout are the SSH channel).",
    )
    parser.add_argument("--hostname", required=True, help="device name shown in the prompt")
    parser.add_argument(
        "--enable-secret-file", required=True, help="file holding the enable secret"
    )
    parser.add_argument("--control", required=True, help="Unix socket of the device control")
    return parser.parse_args(argv)


def secret_from_file(path: str) -> Callable[[], str | None]:
    """Read the secret at each ``enable``, so a rotated file applies without a restart."""
    secret = Secret(f"file:{os.path.abspath(path)}")

    def read() -> str | None:
        try:
            return secret.reveal()
        except SecretError:
            return None  # shown to the user as IOS does: "% No password set"

    return read


def main(argv: Sequence[str] | None = None) -> int:
    """Run one session; 0 when it ends by ``exit`` or a closed channel."""
    args = _arguments(argv)
    # The pty turns ^C/^Z/^\ into signals; a device CLI must survive them, not die or stop.
    for signum in (signal.SIGINT, signal.SIGTSTP, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_IGN)
    session = Session(
        hostname=args.hostname,
        terminal=StdioTerminal(sys.stdin.buffer, sys.stdout.fileno()),
        reader=NamespaceReader(),
        control=SocketLinkControl(args.control),
        enable_secret=secret_from_file(args.enable_secret_file),
        routing=NamespaceRouting(),
    )
    with contextlib.suppress(ChannelClosed):
        session.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
