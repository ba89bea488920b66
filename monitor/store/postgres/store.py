"""``PostgresStore``: the connection to the shared database (psycopg 3, autocommit, a transaction where
writes belong together), the migrations run under an advisory lock (two workers starting at once migrate once),
and the driver's errors turned into ``StorageError`` naming the database (its URL without a password)."""

from __future__ import annotations

import functools
import inspect
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg

from monitor.errors import StateError, StorageError, storage_error
from monitor.redact import redact
from monitor.store.decoded import Decoded
from monitor.store.postgres.queries import Queries
from monitor.store.postgres.schema import BODIES_MIGRATION, MIGRATIONS
from monitor.store.postgres.sources import Sources
from monitor.store.postgres.versions import Versions

T = TypeVar("T")
log = logging.getLogger("govmon.store")
MIGRATING = 0x60F0_0025  # the advisory lock held while the schema is migrated
# how long a statement waits for a lock another session holds (an admin's transaction left open, a long lock) before
# it fails with one line, as SQLite's busy timeout: the service's loop never waits on it without a word
LOCK_TIMEOUT_MS = 10_000


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(self: PostgresStore, *args: Any, **kwargs: Any) -> Any:
        try:
            self._connected()
            return fn(self, *args, **kwargs)
        except psycopg.Error as exc:
            raise storage_error(self.where, _one_line(exc)) from exc

    return guarded


def _guard_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(fn)
    def guarded(self: PostgresStore, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            self._connected()
            yield from fn(self, *args, **kwargs)
        except psycopg.Error as exc:
            raise storage_error(self.where, _one_line(exc)) from exc

    return guarded


def _guarded(cls: type[T]) -> type[T]:
    for name in dir(cls):
        fn = getattr(cls, name)
        if not name.startswith("_") and inspect.isfunction(fn):
            setattr(cls, name, _guard_stream(fn) if inspect.isgeneratorfunction(fn) else _guard(fn))
    return cls


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _one_line(exc: psycopg.Error) -> Exception:
    """The server's error without the SQL it quotes (``LINE 1: ...``): one line for the admin."""
    return Exception(_first_line(exc))


def _connect(url: str, password: str | None) -> psycopg.Connection[tuple[Any, ...]]:
    conn = psycopg.connect(url, password=password, autocommit=True, connect_timeout=10)
    conn.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}")  # (a SET, not a startup option: a pooler allows it)
    return conn


def _closed() -> psycopg.Connection[tuple[Any, ...]]:
    """``connect`` once the store is closed."""
    raise psycopg.OperationalError("the connection is closed")


@_guarded
class PostgresStore(Sources, Versions, Queries):
    polls_apart = True

    def __init__(self, url: str, password: str | None = None, where: str | None = None) -> None:
        """Connect and migrate. ``where`` is what a failure to connect names (the configuration's file, line and
        key); the URL is never shown with a password."""
        self.where = redact(url)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._slots_made = set()
        self.decoded = Decoded()
        self.polls_conn, self.polls_held = None, threading.Lock()
        self.connect = functools.partial(_connect, url, password)
        try:
            self.conn = self.connect()
        except psycopg.Error as exc:
            raise StorageError(
                f"{where or self.where}: cannot connect to the PostgreSQL database {self.where}: {_first_line(exc)}"
            ) from None
        try:
            self._migrate()
        except psycopg.Error as exc:
            self.conn.close()
            raise storage_error(where or self.where, _one_line(exc)) from exc

    def _connected(self) -> None:
        """The connection, made again when the server ended it (a restart, a failover): the call that met the end
        failed with its one line; the next one connects anew, so the service goes on once the server is back."""
        if self.conn.closed and self.connect is not _closed:
            self.conn = self.connect()
            log.warning("%s: connected again to the PostgreSQL database", self.where)

    def close(self) -> None:
        self.conn.close()
        with self.polls_held:
            if self.polls_conn is not None:
                self.polls_conn.close()
            self.connect = _closed  # a poll's call made after (a stop) is refused, not a connection left open

    def _migrate(self) -> None:
        with self._transaction():
            self.conn.execute("SET LOCAL lock_timeout = 0")  # another worker migrating: as long as it takes
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATING])
            self.conn.execute("CREATE TABLE IF NOT EXISTS govmon_schema (version INTEGER NOT NULL)")
            row = self.conn.execute("SELECT max(version) FROM govmon_schema").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version > len(MIGRATIONS):
                raise StateError(
                    f"{self.where}: written by a newer govmon (schema {version}; this one knows {len(MIGRATIONS)}): "
                    "upgrade govmon (README 'Upgrading')"
                )
            for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                self.conn.execute(sql.encode())
                self.conn.execute("INSERT INTO govmon_schema (version) VALUES (%s)", [n])
            if version < BODIES_MIGRATION <= len(MIGRATIONS):  # the stored reports are attributed now
                self._attribute_stored()
                self._merge_forms()
