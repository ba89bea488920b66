"""What the admin commands and the views read back: stored reports, per source and per year, streamed
from SQL so memory does not grow with the database. Mixed into ``Store``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils


class Queries:
    db: sqlite_utils.Database

    def reports(self, source: str | None = None, year: int | None = None) -> Iterator[dict[str, Any]]:
        """Each stored document with its version count and its latest version (``latest``, without the raw
        body and text, as ``latest_version`` gives it), streamed: one query, one row in memory at a time."""
        where: list[str] = ["1 = 1"]
        args: list[str | int] = []
        if source:
            where.append("d.source = ?")
            args.append(source)
        if year:
            where.append("d.year = ?")
            args.append(year)
        latest = ("id", "document_id", "fetched_at", "sha256", "content_hash", "content_type", "findings", "diff")
        sql = (
            "SELECT d.*, (SELECT count(*) FROM versions c WHERE c.document_id = d.id) AS versions, "
            + "".join(f"v.{k} AS v_{k}, " for k in latest)
            + "unpack(v.report) AS v_report FROM documents d LEFT JOIN versions v ON v.id = "
            f"(SELECT max(id) FROM versions WHERE document_id = d.id) WHERE {' AND '.join(where)} "
            "ORDER BY d.source, d.year DESC, d.id"
        )
        cur = self.db.conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        for row in cur:
            doc = dict(zip(names, row, strict=True))
            version = {k[2:]: doc.pop(k) for k in names if k.startswith("v_")}
            yield {**doc, "latest": version if version["id"] is not None else None}

    def sources(self) -> list[dict[str, Any]]:
        return list(self.db.table("sources").rows)

    def last_reports(self) -> dict[str, dict[str, Any]]:
        """Per source, its newest report (latest year, then latest seen) and its latest version's error count."""
        rows = self.db.query(
            "SELECT d.source, d.title, d.url, d.year, d.first_seen, (SELECT count(*) FROM json_each(v.findings) "
            "WHERE json_extract(json_each.value, '$.severity') = 'error') AS errors FROM documents d "
            "JOIN versions v ON v.id = (SELECT max(id) FROM versions WHERE document_id = d.id) "
            "ORDER BY d.source, coalesce(d.year, 0), d.first_seen, d.id"
        )
        return {r["source"]: r for r in rows}  # the last row of a source wins

    def year_reports(self, year: int) -> dict[str, dict[str, Any]]:
        """Per source, its report for ``year`` (the document whose latest version is newest): that version's
        title, 发布日期, table states (JSON) and findings, the version before's findings, how many versions."""
        rows = self.db.query(
            "SELECT d.source, d.url, d.title, d.first_seen, v.id AS version_id, v.findings, "
            "json_extract(unpack(v.report), '$.title', '$.published', '$.table_status') AS head, "
            "(SELECT p.findings FROM versions p WHERE p.document_id = d.id AND p.id < v.id ORDER BY p.id DESC "
            "LIMIT 1) AS before, (SELECT count(*) FROM versions c WHERE c.document_id = d.id) AS versions "
            "FROM documents d JOIN versions v ON v.id = (SELECT max(id) FROM versions WHERE document_id = d.id) "
            "WHERE d.year = ? ORDER BY d.source, v.id",
            [year],
        )
        out = {}
        for r in rows:  # the last row of a source wins
            title, r["published"], r["table_status"] = json.loads(r.pop("head"))
            r["title"] = r["title"] or title
            out[r["source"]] = r
        return out

    def history(self, version_id: int) -> list[dict[str, Any]]:
        """Every version of the document that ``version_id`` belongs to, oldest first (without raw bodies)."""
        return list(
            self.db.query(
                "SELECT v.id, v.fetched_at, v.content_hash, unpack(v.report) AS report, v.findings, v.diff FROM versions v "
                "WHERE v.document_id = (SELECT document_id FROM versions WHERE id = ?) ORDER BY v.id",
                [version_id],
            )
        )

    def sources_read(self) -> set[str]:
        """The sources whose listing was read at least once (a poll that succeeded)."""
        return {r[0] for r in self.db.conn.execute("SELECT DISTINCT source FROM polls WHERE ok = 1")}

    def year_span(self) -> tuple[int, int] | None:
        row = self.db.conn.execute("SELECT min(year), max(year) FROM documents WHERE year IS NOT NULL").fetchone()
        return (row[0], row[1]) if row[0] is not None else None
