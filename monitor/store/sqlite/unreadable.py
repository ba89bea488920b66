"""Listed reports that could not be read. Mixed into ``SqliteStore``.

A report page that fails (an HTTP error, a hang, a page that is not a report, a file its reader gives up on)
is kept here with its error until it is read or leaves the listing: ``status``, ``overview``, ``reports`` and
``sources`` show it as 无法读取 instead of calling the report missing. Its body's hash and validators are
kept too, so the same bytes are not read again (a page that costs its reader a minute of CPU costs it once).
"""

from __future__ import annotations

from typing import Any

from monitor.store.encoding import now
from monitor.store.records import UnreadableReport
from monitor.store.sqlite.rows import Connected


class Unreadable(Connected):
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
        with self._transaction():
            self.db.conn.execute(
                "INSERT INTO unreadable (url, source, title, year, error, sha256, etag, last_modified, first_failed, "
                "last_failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET source = "
                "excluded.source, title = excluded.title, year = excluded.year, error = excluded.error, sha256 = "
                "excluded.sha256, etag = excluded.etag, last_modified = excluded.last_modified, last_failed = "
                "excluded.last_failed",
                [url, source, title, year, error[:500], sha256, *validators, stamp, stamp],
            )

    def unreadable_reports(self, source: str | None = None, year: int | None = None) -> list[UnreadableReport]:
        sql = "SELECT * FROM unreadable WHERE 1 = 1"
        args: list[Any] = []
        if source:
            sql, args = sql + " AND source = ?", [*args, source]
        if year:
            sql, args = sql + " AND year = ?", [*args, year]
        return [UnreadableReport(**r) for r in self.db.query(sql + " ORDER BY source, year DESC, url", args)]
