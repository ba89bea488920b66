"""Listed reports that could not be read, and the polls asked of the running service. Mixed into ``Store``.

A report page that fails (an HTTP error, a hang, a page that is not a report, a file its reader gives up on)
is kept here with its error until it is read or leaves the listing: ``status``, ``overview``, ``reports`` and
``sources`` show it as 无法读取 instead of calling the report missing. Its body's hash and validators are
kept too, so the same bytes are not read again (a page that costs its reader a minute of CPU costs it once).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from monitor.store.schema import now


class Unreadable:
    db: sqlite_utils.Database

    def unreadable(self, url: str) -> dict[str, Any] | None:
        """The failure recorded for a report URL: its error, the body's sha256 (None: not fetched) and validators."""
        cur = self.db.conn.execute("SELECT * FROM unreadable WHERE url = ?", [url])
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def mark_unreadable(
        self,
        source: str,
        url: str,
        error: str,
        *,
        title: str | None,
        year: int | None,
        sha256: str | None = None,
        validators: tuple[str | None, str | None] = (None, None),
    ) -> None:
        stamp = now()
        with self.db.conn:
            self.db.conn.execute(
                "INSERT INTO unreadable (url, source, title, year, error, sha256, etag, last_modified, first_failed, "
                "last_failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET source = "
                "excluded.source, title = excluded.title, year = excluded.year, error = excluded.error, sha256 = "
                "excluded.sha256, etag = excluded.etag, last_modified = excluded.last_modified, last_failed = "
                "excluded.last_failed",
                [url, source, title, year, error[:500], sha256, *validators, stamp, stamp],
            )

    def settle_unreadable(self, source: str, failing: Iterable[str]) -> None:
        """After a poll that read the listing: only the URLs that failed this time stay recorded."""
        keep = list(failing)
        with self.db.conn:
            self.db.conn.execute(
                f"DELETE FROM unreadable WHERE source = ? AND url NOT IN ({', '.join('?' * len(keep))})",
                [source, *keep],
            )

    def unreadable_reports(self, source: str | None = None, year: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT source, url, title, year, error, first_failed, last_failed FROM unreadable WHERE 1 = 1"
        args: list[Any] = []
        if source:
            sql, args = sql + " AND source = ?", [*args, source]
        if year:
            sql, args = sql + " AND year = ?", [*args, year]
        return list(self.db.query(sql + " ORDER BY source, year DESC, url", args))

    # ------------------------------------------------------------ polls asked of the running service
    def request_polls(self, sources: Iterable[str]) -> int:
        """`govmon poll --source ID` beside the running service: the service polls them within a second."""
        with self.db.conn:
            return self.db.conn.executemany(
                "INSERT OR REPLACE INTO poll_requests (source, asked) VALUES (?, ?)", [(s, now()) for s in sources]
            ).rowcount

    def take_poll_requests(self) -> list[str]:
        with self.db.conn:
            return [r[0] for r in self.db.conn.execute("DELETE FROM poll_requests RETURNING source")]
