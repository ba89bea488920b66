"""One `run` or `poll` per database: the instance lock beside the database file."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import StateError


@contextmanager
def instance_lock(database: Path) -> Iterator[None]:
    """One `run` or `poll` per database: an exclusive lock on ``<database>.lock`` holding the PID.
    Two of them would send every alert twice and store duplicate versions."""
    database.parent.mkdir(parents=True, exist_ok=True)
    path = database.with_name(database.name + ".lock")
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise StateError(
                f"{database}: another govmon (PID {holder}) is running on this database; "
                "stop it first (systemctl stop govmon), or use a read-only command"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked(database: Path) -> str | None:
    """The PID holding the instance lock, or None when no `run`/`poll` is on this database."""
    path = database.with_name(database.name + ".lock")
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "?"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
