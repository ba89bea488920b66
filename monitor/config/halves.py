"""A large ``sources.toml``'s sources checked in two processes: the later half of its pieces (``reader.pieces``)
read and checked by a forked child while this process does the first half.

At 150,000 sources, reading and checking them is ~0.75 s of a first start's ~2.1 s before `run`'s first request
(issue #28); on two cores, half of it is done meanwhile. Only the happy path is shared: the child sends the rows
of its half when every source in it is sound, and nothing otherwise; then this process reads that half itself, so
a mistake is named exactly as ever (its line, its source's number, tomli's words). A child is forked only when
this process runs no other thread (a fork copies no thread, and a lock another held stays held in the child), can
use more than one core, and the file has at least ``FORK_ABOVE`` pieces; not from the running service (a SIGHUP
reload). A child that cannot be made or fails leaves its half to this process.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from monitor.config.reader import Piece
from monitor.config.settings import SourceRow

FORK_ABOVE = 8  # pieces (~7,000 sources): below it, the fork and the hand-over cost more than they save

Rows = Callable[[Sequence[Piece], int], list[SourceRow]]


def checked(pieces: Sequence[Piece], made: int, rows_of: Rows) -> list[SourceRow]:
    """``rows_of(pieces, made)``, the later half done in a child when that is worth it. ``made``: the sources
    before the first piece (they number the sources in messages). A child that cannot be made, fails, or is lost
    leaves its half to this process: the child only ever saves time."""
    if not _worth(len(pieces)):
        return rows_of(pieces, made)
    half = len(pieces) // 2
    try:
        child = _Child(lambda: rows_of(pieces[half:], 0))
    except OSError:  # no process to be had (systemd's TasksMax, RLIMIT_NPROC, memory)
        return rows_of(pieces, made)
    try:
        rows = rows_of(pieces[:half], made)
        theirs = child.rows()
    finally:
        child.close()
    return rows + (theirs if theirs is not None else rows_of(pieces[half:], made + len(rows)))


def _worth(pieces: int) -> bool:
    """Forked only from a process that runs nothing else: no other thread (a lock another thread holds stays
    held in the child), no event loop (the service reloading on SIGHUP: its signals' wake-up socket is shared)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return (
        pieces >= FORK_ABOVE
        and cores > 1
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and not _in_event_loop()
    )


def _in_event_loop() -> bool:
    loops = sys.modules.get("asyncio")
    if loops is None:
        return False
    try:
        loops.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Child:
    """A forked process computing rows and sending them through a pipe, marshalled after their checksum: what
    arrives whole is used, whatever its exit status says (a supervisor that ignores SIGCHLD leaves none to read)."""

    def __init__(self, work: Callable[[], list[SourceRow]]) -> None:
        read, write = os.pipe()
        self.handle: int | None = None
        try:
            self.pid = os.fork()
        except BaseException:
            os.close(read)
            os.close(write)
            raise
        if self.pid == 0:  # the child: never returns, never runs the parent's exit handlers or flushes its buffers
            try:
                os.close(read)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)  # a stop ends it at once; the parent reads its half itself
                body = marshal.dumps(work())
                with os.fdopen(write, "wb") as out:
                    out.write(_digest(body) + body)
            finally:
                os._exit(0)
        self.pipe: int | None = read
        os.close(write)
        with contextlib.suppress(OSError, AttributeError):  # (Linux 5.3+: a handle its pid cannot be reused under)
            self.handle = os.pidfd_open(self.pid)

    def rows(self) -> list[SourceRow] | None:
        """The child's rows, or None when it found a mistake or failed in any way."""
        assert self.pipe is not None
        with os.fdopen(self.pipe, "rb") as got:
            self.pipe = None
            kept = got.read()
        self._reap()
        check, body = kept[:_CHECK], kept[_CHECK:]
        if len(check) < _CHECK or _digest(body) != check:
            return None
        try:
            rows = marshal.loads(body)
        except (EOFError, ValueError, TypeError):
            return None
        return rows if isinstance(rows, list) else None

    def close(self) -> None:
        """Let go of a child whose rows are no longer wanted (this process's half had a mistake)."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        if self.pid and self.handle is not None:  # (without a handle, the pipe's end ends it when it writes)
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.handle, signal.SIGKILL)
        if self.pid:
            self._reap()
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):  # (reaped already: SIGCHLD ignored)
            os.waitpid(self.pid, 0)
        self.pid = 0


_CHECK = 16  # bytes of the checksum before the rows


def _digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_CHECK).digest()
