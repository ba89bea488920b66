"""Documents and their versions: what a poll reads to tell an unchanged report, writes for a new one (with its
findings, events and copy prints, in one transaction), and the reports a new one is checked against (the year
before, the reports it may copy). Mixed into ``SqliteStore``."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

from monitor.model import Event, Finding, Report
from monitor.model.bodies import Attribution
from monitor.store.decoded import Decoded
from monitor.store.encoding import PER_BAND, findings_json, now, version, version_row
from monitor.store.records import (
    KnownReport,
    NewVersion,
    ReportReads,
    StoredDocument,
    StoredVersion,
    UnreadableReport,
    VersionHashes,
)
from monitor.store.sqlite.outbox import Outbox
from monitor.store.sqlite.prints import UNREAD, Prints
from monitor.store.sqlite.rows import VERSION


def _rowid(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row the INSERT just wrote."""
    if cursor.lastrowid is None:
        raise RuntimeError("the insert gave no rowid")
    return cursor.lastrowid


class Versions(Outbox, Prints):  # a new version stores its events and its copy prints
    decoded: Decoded  # the candidates last compared against

    def document(self, url: str) -> StoredDocument | None:
        row = self._row(
            "SELECT id, source, url, title, year, first_seen, etag, last_modified, last_checked, "
            "(SELECT name FROM bodies WHERE id = documents.body_id) AS body FROM documents WHERE url = ?",
            [url],
        )
        return StoredDocument(**row) if row else None

    def known_reports(self, urls: Sequence[str]) -> dict[str, KnownReport]:
        known = {}
        for url in urls:
            doc = self.document(url)
            bad = self._row("SELECT * FROM unreadable WHERE url = ?", [url])
            if doc or bad:
                hashes = self._latest_hashes(doc.id) if doc else None
                known[url] = KnownReport(doc, hashes, UnreadableReport(**bad) if bad else None)
        return known

    def _latest_hashes(self, document_id: int) -> VersionHashes | None:
        row = self._row(
            "SELECT id, sha256, content_hash FROM versions WHERE document_id = ? ORDER BY id DESC LIMIT 1",
            [document_id],
        ) or self._row(  # a duplicate: its body's report of its year
            "SELECT v.id, v.sha256, v.content_hash FROM documents c JOIN documents d ON d.body_id = c.body_id AND "
            "d.year = c.year JOIN versions v ON v.document_id = d.id WHERE c.id = ? ORDER BY v.id DESC LIMIT 1",
            [document_id],
        )
        return VersionHashes(**row) if row else None

    def save_duplicate(
        self,
        source: str,
        url: str,
        *,
        title: str | None,
        year: int | None,
        attribution: Attribution,
        validators: tuple[str | None, str | None],
    ) -> None:
        stamp = now()
        with self._transaction():
            self.db.conn.execute(
                "INSERT INTO documents (source, url, title, year, first_seen, etag, last_modified, last_checked, "
                "body_id, body_how) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                [source, url, title, year, stamp, *validators, stamp, self._body_id(attribution), attribution.how],
            )

    def latest_version(self, document_id: int) -> StoredVersion | None:
        row = self._row(
            f"SELECT {VERSION} FROM versions v JOIN documents d ON d.id = v.document_id WHERE v.document_id = ? "
            "ORDER BY v.id DESC LIMIT 1",
            [document_id],
        )
        return version(row) if row else None

    def content_seen(self, source_id: str, content_hash: str, body: str | None = None) -> bool:
        sql = (
            "SELECT 1 FROM versions v JOIN documents d ON d.id = v.document_id WHERE (d.source = ? OR d.body_id = "
            "(SELECT id FROM bodies WHERE name = ?)) AND v.content_hash = ? LIMIT 1"
        )
        return self.db.conn.execute(sql, [source_id, body, content_hash]).fetchone() is not None

    def body_report(self, body: str, year: int, besides: str | None = None) -> Report | None:
        row = self.db.conn.execute(
            "SELECT unpack(v.report), unpack(v.text) FROM documents d JOIN versions v ON v.document_id = d.id "
            "WHERE d.body_id = (SELECT id FROM bodies WHERE name = ?) AND d.year = ? AND d.url IS NOT ? "
            "ORDER BY v.id DESC LIMIT 1",
            [body, year, besides],
        ).fetchone()
        return Report.from_json(json.loads(row[0]), row[1] or "") if row else None

    def body_version(self, body: str, year: int) -> StoredVersion | None:
        row = self._row(
            f"SELECT {VERSION} FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.body_id = "
            "(SELECT id FROM bodies WHERE name = ?) AND d.year = ? ORDER BY v.id DESC LIMIT 1",
            [body, year],
        )
        return version(row) if row else None

    def report_reads(self, source_id: str, content_hash: str, body: str, year: int | None) -> ReportReads:
        seen = self.content_seen(source_id, content_hash, body)
        if year is None:
            return ReportReads(seen)
        stored = self.db.conn.execute(  # whether there is one, not the version decoded (~1 ms a stored report)
            "SELECT 1 FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.body_id = "
            "(SELECT id FROM bodies WHERE name = ?) AND d.year = ? LIMIT 1",
            [body, year],
        ).fetchone()
        return ReportReads(seen, self.body_report(body, year - 1), stored is not None)

    def _body_id(self, a: Attribution) -> int:
        self.db.conn.execute("INSERT OR IGNORE INTO bodies (name, kind) VALUES (?, ?)", [a.body, a.kind])
        if a.kind:  # a roster's kind, or the one read, is kept over none
            self.db.conn.execute("UPDATE bodies SET kind = ? WHERE name = ? AND kind IS NULL", [a.kind, a.body])
        return int(self.db.conn.execute("SELECT id FROM bodies WHERE name = ?", [a.body]).fetchone()[0])

    def report_of(self, source_id: str, year: int) -> Report | None:
        row = self.db.conn.execute(
            "SELECT unpack(v.report), unpack(v.text) FROM documents d JOIN versions v ON v.document_id = d.id "
            "WHERE d.source = ? AND d.year = ? ORDER BY v.id DESC LIMIT 1",
            [source_id, year],
        ).fetchone()
        return Report.from_json(json.loads(row[0]), row[1] or "") if row else None

    def version_of(self, source_id: str, year: int) -> StoredVersion | None:
        row = self._row(
            f"SELECT {VERSION} FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.source = ? "
            "AND d.year = ? ORDER BY v.id DESC LIMIT 1",
            [source_id, year],
        )
        return version(row) if row else None

    def replace_findings(self, version_id: int, findings: Sequence[Finding], events: Iterable[Event] = ()) -> None:
        with self._transaction():
            self.db.conn.execute("UPDATE versions SET findings = ? WHERE id = ?", [findings_json(findings), version_id])
            row = self.db.conn.execute("SELECT document_id FROM versions WHERE id = ?", [version_id]).fetchone()
            for event in events:
                self._add_event(event, row[0], version_id)

    def save_version(self, v: NewVersion, events: Iterable[Event] = ()) -> int:
        stamp = now()
        try:
            return self._save_version(v, events, stamp)
        except BaseException:
            self.log_mark = UNREAD  # rolled back: the log is read again from the database
            raise

    def _save_version(self, v: NewVersion, events: Iterable[Event], stamp: str) -> int:
        with self._transaction():  # plain statements: sqlite-utils' insert asks the schema again on every call
            conn = self.db.conn
            doc = self.document(v.url)
            if doc is None:
                doc_id = _rowid(
                    conn.execute(
                        "INSERT INTO documents (source, url, title, year, first_seen) VALUES (?, ?, ?, ?, ?)",
                        [v.source, v.url, v.title, v.year, stamp],
                    )
                )
            else:
                doc_id = doc.id
            body = [self._body_id(v.attribution), v.attribution.how] if v.attribution else None
            conn.execute(
                "UPDATE documents SET title = ?, year = ?, etag = ?, last_modified = ?, last_checked = ?"
                + (", body_id = ?, body_how = ?" if body else "")
                + " WHERE id = ?",
                [
                    v.title or (doc.title if doc else None),
                    v.year,
                    v.etag,
                    v.last_modified,
                    stamp,
                    *(body or []),
                    doc_id,
                ],
            )
            version_id = _rowid(
                conn.execute(
                    "INSERT INTO versions (document_id, fetched_at, sha256, content_hash, content_type, raw, text, "
                    "report, findings, diff) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        doc_id,
                        stamp,
                        *version_row(v),
                    ],
                )
            )
            self._replace_prints(doc_id, version_id, v.year, v.prints)
            for event in events:
                self._add_event(event, doc_id, version_id)
        return version_id

    def similar(
        self, source_id: str, year: int, prints: list[int], limit: int = 5, body: str | None = None
    ) -> list[Report]:
        """Other sources' reports are read at most PER_BAND per band hash, oldest first: when hundreds of
        reports share a band (one template copied across a province), any of them shows the copy, and
        reading them all made each new report cost as much as all the reports before it. With ``body``, "own"
        reports are that body's (on any source), and every other body's report of ``year`` is a candidate."""
        if not prints:
            return []
        mine_sql = "d.body_id = (SELECT id FROM bodies WHERE name = ?)" if body else "d.source = ?"
        own = self.db.conn.execute(
            f"SELECT v.id, d.year FROM documents d JOIN versions v ON v.document_id = d.id WHERE {mine_sql}",
            [body or source_id],
        ).fetchall()
        mine = {vid for vid, _ in own}
        keys = set(prints)
        n = PER_BAND + len(mine)
        logged = self._band_matches(year, keys, n)  # the hashes not yet folded into the index (prints.py)
        rows = self.db.conn.execute(  # one statement, each band's first n read from the index
            "SELECT k.value, (SELECT group_concat(version_id) FROM (SELECT version_id FROM prints WHERE year = ? "
            "AND key = k.value ORDER BY version_id LIMIT ?)) FROM json_each(?) k",
            [year, n, json.dumps(sorted(keys))],
        )
        found: list[int] = []  # counted once at the end (C speed), not band by band: ~2,000 ids a report
        for key, ids in rows:  # each band's n oldest: the index's (in order) and the log's merged where it has any
            from_index = map(int, ids.split(",")) if ids else ()
            found += sorted([*from_index, *logged[key]])[:n] if key in logged else from_index
        counts = Counter(found)
        for vid in mine:  # own reports are not candidates by band (the same as leaving them out band by band)
            counts.pop(vid, None)
        if earlier := [vid for vid, y in own if y is not None and y < year]:
            rows = self.db.conn.execute(
                f"SELECT version_id, count(*) FROM prints WHERE version_id IN ({','.join('?' * len(earlier))}) "
                f"AND key IN ({','.join('?' * len(prints))}) GROUP BY version_id",
                [*earlier, *prints],
            )
            counts.update(dict(rows.fetchall()))
            counts.update(self._shared(earlier, keys))
        best = [vid for vid, _ in counts.most_common(limit)]
        return self._decoded(best)

    def _decoded(self, ids: list[int]) -> list[Report]:
        def load(todo: list[int]) -> Iterable[tuple[int, Report]]:
            rows = self.db.conn.execute(
                f"SELECT id, unpack(report), unpack(text) FROM versions WHERE id IN ({','.join('?' * len(todo))})", todo
            )
            return [(vid, Report.from_json(json.loads(report), text or "")) for vid, report, text in rows]

        return self.decoded.reports(ids, load)

    def rehash(self, version_id: int, content_hash: str) -> None:
        with self._transaction():
            self.db.conn.execute("UPDATE versions SET content_hash = ? WHERE id = ?", [content_hash, version_id])

    def set_aside(self, document_id: int, year: int) -> None:
        with self._transaction():
            self.db.conn.execute(_SET_ASIDE, {"year": str(year), "id": document_id})

    def raw(self, version_id: int) -> bytes:
        return zlib.decompress(self.db.table("versions").get(version_id)["raw"])

    def text(self, version_id: int) -> str:
        row = self.db.conn.execute("SELECT unpack(text) FROM versions WHERE id = ?", [version_id]).fetchone()
        if row is None:
            raise KeyError(version_id)
        return str(row[0] or "")


# (the address with its year; with the document's id too where that is taken: an address that held 2024, 2025, 2024)
_SET_ASIDE = (
    "UPDATE documents SET url = url || '#' || :year || CASE WHEN EXISTS (SELECT 1 FROM documents x "
    "WHERE x.url = documents.url || '#' || :year) THEN '-' || id ELSE '' END WHERE id = :id"
)
