"""One `run` or `poll` per database: the instance lock beside the database file."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import StateError, storage_error


@contextmanager
def instance_lock(database: Path) -> Iterator[None]:
    """One `run` or `poll` per database: an exclusive lock on ``<database>.lock`` holding the PID.
    Two of them would send every alert twice and store duplicate versions. The file is written unbuffered: a full
    disk is said of the database's own path when the PID is written, not raised again when the file is closed."""
    database.parent.mkdir(parents=True, exist_ok=True)
    path = database.with_name(database.name + ".lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise storage_error(database, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise StateError(
                f"{database}: another govmon (PID {holder}) is running on this database; "
                "stop it first (systemctl stop govmon), or use a read-only command"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError as exc:
            raise storage_error(database, exc) from None
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


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
