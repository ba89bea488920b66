"""What every part of the PostgreSQL store shares: the connection (autocommit; a transaction where writes
belong together) and one row as a dict."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

# A version's columns, without the raw body and text (``report`` still packed: ``rows.version`` unpacks)
VERSION = (
    "v.id, v.document_id, d.url, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.report, v.findings, v.diff"
)


class Connected:
    conn: psycopg.Connection[tuple[Any, ...]]
    worker: str  # this process, as leases name it: host:pid
    _slots_made: set[tuple[str, int]]  # the hosts whose request slots this connection has made sure exist

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
