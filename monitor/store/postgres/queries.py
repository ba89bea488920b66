"""What the admin commands and the views read back from PostgreSQL: stored reports, per source and per year.
The same answers as the SQLite store's (``sqlite.queries``), in the same order. Mixed into ``PostgresStore``."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg

from monitor.store.encoding import diff, findings, summary, unpack
from monitor.store.postgres.connected import Connected
from monitor.store.records import LastReport, StoredReport, VersionSummary, YearReport

_CURSORS = itertools.count()  # a name for each server-side cursor (two may be open at once on one connection)


class Queries(Connected):
    def reports(
        self, source: str | None = None, year: int | None = None, *, summaries: bool = False
    ) -> Iterator[StoredReport]:
        """A report unpacked only when its summary is asked for."""
        where: list[str] = ["1 = 1"]
        args: list[str | int] = []
        if source:
            where.append("d.source = %s")
            args.append(source)
        if year:
            where.append("d.year = %s")
            args.append(year)
        report = "v.report" if summaries else "NULL::bytea"
        sql = (
            "SELECT d.id, d.source, d.url, d.title, d.year, d.first_seen, (SELECT count(*) FROM versions c WHERE "
            "c.document_id = d.id) AS versions, v.id, v.fetched_at, v.sha256, v.content_hash, v.content_type, "
            f"v.findings, v.diff, {report}, (SELECT name FROM bodies WHERE id = d.body_id) FROM documents d "
            "LEFT JOIN versions v ON v.id = "
            f"(SELECT max(id) FROM versions WHERE document_id = d.id) WHERE {' AND '.join(where)} "
            "ORDER BY d.source, d.year DESC NULLS LAST, d.url"  # (as the SQLite store's: not the id)
        )
        # streamed: a server-side cursor (WITH HOLD, as the connection autocommits) fetched ``itersize`` rows at a
        # time, so memory does not grow with the database (the rows wait on the server, not here); one source's
        # few rows in one round trip (the cursor's declaring, fetching and closing were four, on each source's
        # first poll)
        with self._reports_cursor(source) as cur:
            cur.execute(sql, args)
            for row in cur:
                doc_id, doc_source, url, title, doc_year, first_seen, versions = row[:7]
                vid, fetched, sha256, content_hash, content_type, found, changed, data, body = row[7:]
                latest = (
                    VersionSummary(
                        vid,
                        fetched,
                        sha256,
                        content_hash,
                        content_type,
                        findings(found),
                        diff(changed),
                        summary(unpack(data)),
                    )
                    if vid is not None
                    else None
                )
                yield StoredReport(doc_id, doc_source, url, title, doc_year, first_seen, versions, latest, body)

    def _reports_cursor(self, source: str | None) -> psycopg.Cursor[tuple[Any, ...]]:
        if source:
            return self.conn.cursor()
        cur = self.conn.cursor(name=f"govmon_reports_{next(_CURSORS)}", withhold=True)
        cur.itersize = 500
        return cur

    def last_reports(self) -> dict[str, LastReport]:
        rows = self.conn.execute(
            "SELECT d.source, d.title, d.url, d.year, d.first_seen, (SELECT count(*) FROM "
            "jsonb_array_elements(v.findings::jsonb) f WHERE f->>'severity' = 'error')::int AS errors "
            "FROM documents d JOIN versions v ON v.id = (SELECT max(id) FROM versions WHERE document_id = d.id) "
            "ORDER BY d.source, coalesce(d.year, 0), d.first_seen, d.id"
        )
        return {r[0]: LastReport(*r) for r in rows}  # the last row of a source wins

    def body_year_reports(self, year: int, bodies: Iterable[str] | None = None) -> dict[str, YearReport]:
        return {r.body: r for r in self._year_reports(year, bodies) if r.body}  # the last row of a body wins

    def _year_reports(self, year: int, bodies: Iterable[str] | None = None) -> Iterator[YearReport]:
        names = None if bodies is None else sorted(set(bodies))
        if names == []:
            return
        among = "" if names is None else " AND b.name = ANY(%s)"  # one array: a rebuild may ask of 65,535 names
        rows = self.conn.execute(
            "SELECT b.name, d.body_how, d.source, d.url, d.title, d.first_seen, v.id, (SELECT count(*) FROM versions c WHERE "
            "c.document_id = d.id)::int, v.report, v.findings, (SELECT p.findings FROM versions p WHERE "
            "p.document_id = d.id AND p.id < v.id ORDER BY p.id DESC LIMIT 1) FROM documents d JOIN versions v "
            "ON v.id = (SELECT max(id) FROM versions WHERE document_id = d.id) LEFT JOIN bodies b ON b.id = d.body_id "
            "WHERE d.year = %s" + among + ' ORDER BY d.source COLLATE "C", v.id',
            [year, *([] if names is None else [names])],
        )
        for body, how, source, url, title, first_seen, version_id, versions, packed, found, before in rows:
            head = json.loads(unpack(packed) or "{}")
            yield YearReport(
                source,
                url,
                title or head.get("title"),
                first_seen,
                version_id,
                versions,
                head.get("published"),
                head.get("table_status") or {},
                findings(found, cells=False),
                findings(before, cells=False) if before is not None else None,
                body,
                how,
            )

    def history(self, version_id: int) -> list[VersionSummary]:
        rows = self.conn.execute(
            "SELECT v.id, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.findings, v.diff, CASE WHEN "
            "v.id = %s THEN v.report END FROM versions v WHERE v.document_id = (SELECT document_id FROM versions "
            "WHERE id = %s) ORDER BY v.id",
            [version_id, version_id],
        )
        return [
            VersionSummary(
                vid, fetched, sha256, content_hash, kind, findings(found), diff(changed), summary(unpack(data))
            )
            for vid, fetched, sha256, content_hash, kind, found, changed, data in rows
        ]

    def year_span(self) -> tuple[int, int] | None:
        row = self.conn.execute("SELECT min(year), max(year) FROM documents WHERE year IS NOT NULL").fetchone()
        return (row[0], row[1]) if row and row[0] is not None else None
