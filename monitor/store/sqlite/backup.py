"""``govmon backup PATH`` for the SQLite store: a consistent copy of the database while the service runs (SQLite's
online backup API, page by page, under the database's own locking), checked before it is named as done.
Restoring is a file copy with the service stopped (README 'Backup and restore')."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from monitor.errors import InputError, StateError, StorageError, storage_error


def backup(database: Path, target: str | Path, now: datetime | None = None) -> Path:
    """Copy ``database`` to ``target`` (a file, or a folder that gets govmon-YYYYmmddTHHMMSS.db: one that exists, or
    a path ending in a slash, made if its parent exists). Returns the file written. The copy is written beside its
    name and renamed into place once it passed a quick check."""
    if not database.exists():
        raise StateError(f"{database}: no database here yet; nothing to back up")
    folder = isinstance(target, str) and target.endswith(("/", os.sep))
    target = Path(target)
    if not target.parent.is_dir():
        raise InputError(f"{target.parent}: no such folder; create it first (the backup goes in it)")
    if folder and target.exists() and not target.is_dir():
        raise InputError(f"{target}: a file, not a folder")
    if folder:
        target.mkdir(exist_ok=True)  # `backup /var/backups/govmon/`: a folder, never a file of that name
    if target.is_dir():
        target = target / f"govmon-{(now or datetime.now(UTC)):%Y%m%dT%H%M%S}.db"
    if target.resolve() == database.resolve():
        raise InputError(f"{target}: that is the database itself; give another path")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    except sqlite3.DatabaseError as exc:
        raise storage_error(database, exc) from exc
    try:
        copy = sqlite3.connect(tmp)
        try:
            source.backup(copy, pages=1024)
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
    except (sqlite3.DatabaseError, OSError) as exc:  # the copy's side (a full or read-only target), unless the
        tmp.unlink(missing_ok=True)  # database itself is damaged
        damaged = isinstance(exc, sqlite3.DatabaseError) and ("malformed" in str(exc) or "not a database" in str(exc))
        said = storage_error(database if damaged else target, exc)
        if not damaged and "cannot use the database" in str(said):  # (not a full disk: the target's folder)
            said = StorageError(f"{target}: cannot write the backup there: {exc}")
        raise said from exc
    finally:
        source.close()
    if verdict != "ok":
        tmp.unlink(missing_ok=True)
        raise StateError(f"{database}: the copy does not pass SQLite's check ({verdict}); the database is damaged")
    os.replace(tmp, target)
    return target
