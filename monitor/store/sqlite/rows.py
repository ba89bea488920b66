"""What every part of the SQLite store shares: the connection (``Connected.db``) and one row as a dict in plain
sqlite3 (the poll's hot path: sqlite-utils reads the schema per call). The decoders of the JSON columns into
records are ``store.encoding``'s, shared with PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from monitor.store.sqlite.driver import sqlite_utils

# A version's columns, without the raw body and text; ``report`` unpacked (the ``unpack`` SQL function)
VERSION = (
    "v.id, v.document_id, d.url, v.fetched_at, v.sha256, v.content_hash, v.content_type, unpack(v.report) AS report, "
    "v.findings, v.diff"
)


class Connected:
    db: sqlite_utils.Database

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self.db.conn:
            yield

    def _row(self, sql: str, args: list[Any]) -> dict[str, Any] | None:
        cur = self.db.conn.execute(sql, args)
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None
