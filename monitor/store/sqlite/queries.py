"""What the admin commands and the views read back: stored reports, per source and per year, streamed
from SQL so memory does not grow with the database. Mixed into ``SqliteStore``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from monitor.store.encoding import diff, findings, summary
from monitor.store.records import LastReport, StoredReport, VersionSummary, YearReport
from monitor.store.sqlite.rows import Connected


class Queries(Connected):
    def reports(
        self, source: str | None = None, year: int | None = None, *, summaries: bool = False
    ) -> Iterator[StoredReport]:
        """One query, one row in memory at a time; a report unpacked only when its summary is asked for."""
        where: list[str] = ["1 = 1"]
        args: list[str | int] = []
        if source:
            where.append("d.source = ?")
            args.append(source)
        if year:
            where.append("d.year = ?")
            args.append(year)
        report = "unpack(v.report)" if summaries else "NULL"
        sql = (
            "SELECT d.id, d.source, d.url, d.title, d.year, d.first_seen, (SELECT count(*) FROM versions c WHERE "
            "c.document_id = d.id) AS versions, v.id, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.findings, "
            "v.diff, "
            f"{report}, (SELECT name FROM bodies WHERE id = d.body_id) FROM documents d LEFT JOIN versions v ON v.id = "
            f"(SELECT max(id) FROM versions WHERE document_id = d.id) WHERE {' AND '.join(where)} "
            "ORDER BY d.source, d.year DESC, d.url"  # (not the id: two reports read at once are stored in either order)
        )
        for row in self.db.conn.execute(sql, args):
            doc_id, doc_source, url, title, doc_year, first_seen, versions = row[:7]
            vid, fetched, sha256, content_hash, content_type, found, changed, data, body = row[7:]
            latest = (
                VersionSummary(
                    vid, fetched, sha256, content_hash, content_type, findings(found), diff(changed), summary(data)
                )
                if vid is not None
                else None
            )
            yield StoredReport(doc_id, doc_source, url, title, doc_year, first_seen, versions, latest, body)

    def last_reports(self) -> dict[str, LastReport]:
        rows = self.db.conn.execute(
            "SELECT d.source, d.title, d.url, d.year, d.first_seen, (SELECT count(*) FROM json_each(v.findings) "
            "WHERE json_extract(json_each.value, '$.severity') = 'error') AS errors FROM documents d "
            "JOIN versions v ON v.id = (SELECT max(id) FROM versions WHERE document_id = d.id) "
            "ORDER BY d.source, coalesce(d.year, 0), d.first_seen, d.id"
        )
        return {r[0]: LastReport(*r) for r in rows}  # the last row of a source wins

    def body_year_reports(self, year: int, bodies: Iterable[str] | None = None) -> dict[str, YearReport]:
        return {r.body: r for r in self._year_reports(year, bodies) if r.body}  # the last row of a body wins

    def _year_reports(self, year: int, bodies: Iterable[str] | None = None) -> Iterator[YearReport]:
        names = None if bodies is None else sorted(set(bodies))
        if names == []:
            return
        among = "" if names is None else " AND b.name IN (SELECT value FROM json_each(?))"  # one argument: a
        # rebuild may ask of more names than a statement takes arguments (32,766 in SQLite's default build)
        rows = self.db.conn.execute(
            "SELECT b.name, d.body_how, d.source, d.url, d.title, d.first_seen, v.id, (SELECT count(*) FROM versions c WHERE "
            "c.document_id = d.id), json_extract(unpack(v.report), '$.title', '$.published', '$.table_status'), "
            "v.findings, (SELECT p.findings FROM versions p WHERE p.document_id = d.id AND p.id < v.id ORDER BY "
            "p.id DESC LIMIT 1) FROM documents d JOIN versions v ON v.id = (SELECT max(id) FROM versions WHERE "
            "document_id = d.id) LEFT JOIN bodies b ON b.id = d.body_id WHERE d.year = ?"
            + among
            + " ORDER BY d.source, v.id",
            [year, *([] if names is None else [json.dumps(names)])],
        )
        for body, how, source, url, title, first_seen, version_id, versions, head, found, before in rows:
            named, published, table_status = json.loads(head)
            yield YearReport(
                source,
                url,
                title or named,
                first_seen,
                version_id,
                versions,
                published,
                table_status or {},
                findings(found, cells=False),
                findings(before, cells=False) if before is not None else None,
                body,
                how,
            )

    def history(self, version_id: int) -> list[VersionSummary]:
        rows = self.db.conn.execute(
            "SELECT v.id, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.findings, v.diff, CASE WHEN "
            "v.id = ? THEN unpack(v.report) END FROM versions v WHERE v.document_id = (SELECT document_id FROM versions WHERE id = ?) ORDER BY v.id",
            [version_id, version_id],
        )
        return [
            VersionSummary(vid, fetched, sha256, content_hash, kind, findings(found), diff(changed), summary(data))
            for vid, fetched, sha256, content_hash, kind, found, changed, data in rows
        ]

    def year_span(self) -> tuple[int, int] | None:
        row = self.db.conn.execute("SELECT min(year), max(year) FROM documents WHERE year IS NOT NULL").fetchone()
        return (row[0], row[1]) if row[0] is not None else None
