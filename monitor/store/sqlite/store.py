"""The SQLite store: one file in WAL mode, through sqlite-utils. ``SqliteStore`` opens (and migrates) it and
mixes in the parts, each one module: ``sources`` (sources, polls, listing pages, polls asked for), ``versions``
(documents, versions, copy candidates), ``unreadable``, ``outbox`` (events and deliveries) and ``queries``
(what the commands read back).

Every public method turns SQLite's errors into ``StorageError`` (the disk is full, the file is damaged) naming
the database: callers catch the store's error, not the driver's.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from monitor.errors import StateError, storage_error
from monitor.redact import redact
from monitor.store.decoded import Decoded
from monitor.store.encoding import body_name, unpack
from monitor.store.sqlite.driver import sqlite_utils
from monitor.store.sqlite.outbox import Outbox
from monitor.store.sqlite.prints import UNREAD, Log
from monitor.store.sqlite.queries import Queries
from monitor.store.sqlite.schema import BODIES_MIGRATION, MIGRATIONS
from monitor.store.sqlite.sources import Sources
from monitor.store.sqlite.unreadable import Unreadable
from monitor.store.sqlite.versions import Versions

T = TypeVar("T")


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(self: SqliteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise storage_error(self.path, exc) from exc

    return guarded


def _guard_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(fn)
    def guarded(self: SqliteStore, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from fn(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise storage_error(self.path, exc) from exc

    return guarded


def _guarded(cls: type[T]) -> type[T]:
    """Each public method of ``cls`` (its parts' too) with SQLite's errors turned into ``StorageError``."""
    for name in dir(cls):
        fn = getattr(cls, name)
        if not name.startswith("_") and inspect.isfunction(fn):
            setattr(cls, name, _guard_stream(fn) if inspect.isgeneratorfunction(fn) else _guard(fn))
    return cls


@_guarded
class SqliteStore(Sources, Versions, Unreadable, Outbox, Queries):
    polls_apart = False  # one connection, the loop's thread's

    def __init__(self, path: str | Path, create: bool = True) -> None:
        """Open (and migrate) the database; with ``create=False`` a missing file is an error, not a new one."""
        self.path = Path(path)
        self.decoded = Decoded()
        self.log, self.log_mark = Log(), UNREAD
        if not create and not self.path.exists():
            raise StateError(
                f"{self.path}: no database here yet; the service (or `govmon poll`) has not run with this "
                "configuration, or --config names another sources.toml than the service's"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(self.path)
            self.db.conn.execute("PRAGMA busy_timeout = 10000")
            self.db.enable_wal()
            self.db.conn.execute("PRAGMA synchronous = NORMAL")
            self.db.conn.create_function("unpack", 1, unpack, deterministic=True)
            self.db.conn.create_function("redact", 1, redact, deterministic=True)
            self.db.conn.create_function("body_name", 1, body_name, deterministic=True)
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as exc:  # damaged, truncated, not a database, disk full
            raise storage_error(self.path, exc) from exc

    def close(self) -> None:
        self.db.conn.close()

    def _migrate(self) -> None:
        version = self.db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):  # opening it would write to a schema this govmon does not know
            raise StateError(
                f"{self.path}: written by a newer govmon (schema {version}; this one knows {len(MIGRATIONS)}): "
                "upgrade govmon (README 'Upgrading'), or restore a backup this version made"
            )
        for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.conn.executescript(f"BEGIN; {sql}; PRAGMA user_version = {n}; COMMIT;")
        if version < BODIES_MIGRATION <= len(MIGRATIONS):  # the stored reports were attributed just now
            self._merge_forms()


def fold_prints(path: Path) -> int:
    """Every copy print of the SQLite database at ``path`` into the index, none left in the log (before `govmon
    db migrate-to`, whose copy reads the index); how many versions' prints were in the log."""
    store = SqliteStore(path, create=False)
    try:
        return store._fold_now()
    except sqlite3.DatabaseError as exc:
        raise storage_error(path, exc) from exc
    finally:
        store.close()
