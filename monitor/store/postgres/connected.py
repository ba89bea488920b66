"""What every part of the PostgreSQL store shares: the connection (autocommit; a transaction where writes
belong together) and one row as a dict."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

T = TypeVar("T")
DEADLOCK_TRIES = 3

# A version's columns, without the raw body and text (``report`` still packed: ``rows.version`` unpacks)
VERSION = (
    "v.id, v.document_id, d.url, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.report, v.findings, v.diff"
)


class Connected:
    conn: psycopg.Connection[tuple[Any, ...]]
    # ``start_polls`` and ``finish_polls``' own connection (``Store.polls_apart``: a thread may make them while the
    # loop's thread uses ``conn``), opened at their first call; held by one of them at a time, and by ``close``
    # (which waits for the one in hand: a connection closed under a thread's call could crash the process)
    polls_conn: psycopg.Connection[tuple[Any, ...]] | None
    polls_held: threading.Lock
    connect: Callable[[], psycopg.Connection[tuple[Any, ...]]]
    worker: str  # this process, as leases name it: host:pid
    _slots_made: set[tuple[str, int]]  # the hosts whose request slots this connection has made sure exist

    @contextmanager
    def _polls(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        with self.polls_held:
            if self.polls_conn is None or self.polls_conn.closed:  # (ended by the server: made again)
                self.polls_conn = self.connect()
            yield self.polls_conn

    def _on_polls(self, work: Callable[[psycopg.Connection[tuple[Any, ...]]], T]) -> T:
        """``work`` (one transaction) on the polls' connection, made again when the database broke a deadlock by
        aborting it (its transaction rolled back whole: nothing of it stored), at most ``DEADLOCK_TRIES`` times.
        The polls of a batch lock their rows (sources, documents, new events' keys) in the batch's order: two
        workers whose batches cross (two sources listing one body, on the day after its deadline) may each wait
        for the other, and PostgreSQL aborts one a second later; made again, it goes through."""
        for tries in range(1, DEADLOCK_TRIES + 1):
            try:
                with self._polls() as conn:
                    return work(conn)
            except psycopg.errors.DeadlockDetected:
                if tries == DEADLOCK_TRIES:
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def _row(self, sql: str, args: list[Any] | tuple[Any, ...] = ()) -> dict[str, Any] | None:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, args).fetchone()

    def _rows(self, sql: str, args: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, args).fetchall()
