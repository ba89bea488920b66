"""Stage: the service's liveness, for its admin. systemd is told the service is ready, alive and stopping (its
notify protocol: ``Type=notify`` and ``WatchdogSec`` in systemd/govmon.service, so a service that stopped running
is restarted), and the journal gets one line when the event loop has not run for ``STALL`` seconds, saying where
it waits: a database or a disk that stopped answering (a PostgreSQL behind a frozen proxy, a hung network mount)
otherwise froze the service without a word. A second line says when it runs again.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path
from types import FrameType

STALL = 60.0  # the loop not run for this long is said in the journal (its watchdog runs every few seconds)
log = logging.getLogger("govmon")
_PACKAGE = Path(__file__).resolve().parent.parent


def notify(state: str) -> None:
    """``state`` (``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``) to systemd, when it started the service with a
    notify socket; nothing otherwise. A socket that cannot be written to is logged, never raised."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("telling systemd %s failed: %s (NOTIFY_SOCKET=%s)", state, exc, os.environ["NOTIFY_SOCKET"])


class Liveness:
    """The loop calls ``beat`` every few seconds (systemd's watchdog is told each time); a thread of its own says
    when the beats stopped for ``STALL`` seconds, and where the loop's thread waits."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="govmon-liveness", daemon=True)

    def __enter__(self) -> Liveness:
        self._thread.start()
        notify("READY=1")
        return self

    def __exit__(self, *_: object) -> None:
        notify("STOPPING=1")
        self._stop.set()
        self._thread.join()

    def beat(self) -> None:
        self.last = time.monotonic()
        notify("WATCHDOG=1")

    def _watch(self) -> None:
        stalled: float | None = None  # the last beat before a stall that was said
        while not self._stop.wait(STALL / 4):
            last = self.last
            if stalled is not None and last != stalled:
                log.warning("the service runs again, after %.0f s waiting", last - stalled)
                stalled = None
            elif stalled is None and time.monotonic() - last > STALL:
                log.error(
                    "the service has not run for %.0f s: waiting in %s (a database or a disk not answering?)",
                    time.monotonic() - last,
                    where(sys._current_frames().get(self.loop_thread)),
                )
                stalled = last


def where(frame: FrameType | None) -> str:
    """Where a thread waits, as an admin can look it up: govmon's innermost call (file:line, function), and the
    library it waits in when that is not govmon (``psycopg``, ``sqlite3`` calls are C: govmon's line says them)."""
    own, innermost = None, frame
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(_PACKAGE):
            own = f"{path.relative_to(_PACKAGE.parent)}:{frame.f_lineno} ({frame.f_code.co_name})"
            break
        frame = frame.f_back
    if innermost is None:
        return "an unknown place"
    library = Path(innermost.f_code.co_filename)
    inside = "" if library.is_relative_to(_PACKAGE) else f", inside {_top(library)}"
    return f"{own or 'a library'}{inside}"


def _top(path: Path) -> str:
    """The package a file belongs to (``psycopg`` for .../site-packages/psycopg/waiting.py)."""
    parts = path.parts
    for i, part in enumerate(parts):
        if part in ("site-packages", "dist-packages") and i + 1 < len(parts):
            return parts[i + 1].removesuffix(".py")
    return path.name
