"""Documents and their versions in PostgreSQL: what a poll reads to tell an unchanged report, writes for a new
one (with its findings, events and copy prints, in one transaction), and the reports a new one is checked
against. The same encodings as the SQLite store (``store.encoding``). Mixed into
``PostgresStore``."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from monitor.model import Event, Finding, Report
from monitor.model.bodies import Attribution
from monitor.store.decoded import Decoded
from monitor.store.encoding import PER_BAND, findings_json, now, unpack, version, version_row
from monitor.store.postgres.bodies import Bodies
from monitor.store.postgres.connected import VERSION
from monitor.store.postgres.outbox import Outbox
from monitor.store.records import (
    KnownReport,
    NewVersion,
    StoredDocument,
    StoredVersion,
    UnreadableReport,
    VersionHashes,
)

BODY_LOCKS = 0x6B0D  # advisory locks (BODY_LOCKS, hashtext(body)): one body's new reports saved in turn


_DOCUMENT = ("id", "source", "title", "year", "first_seen", "etag", "last_modified", "last_checked")
_UNREADABLE = "x.source, x.title, x.year, x.error, x.first_failed, x.last_failed, x.sha256, x.etag, x.last_modified"
_KNOWN_FROM = (
    f"SELECT u.url, {', '.join('d.' + c for c in _DOCUMENT)}, h.id, h.sha256, h.content_hash, {_UNREADABLE} "
    "FROM unnest({urls}) AS u(url) LEFT JOIN documents d ON d.url = u.url "
    "LEFT JOIN LATERAL ((SELECT v.id, v.sha256, v.content_hash FROM versions v WHERE v.document_id = d.id "
    "ORDER BY v.id DESC LIMIT 1) UNION ALL (SELECT v.id, v.sha256, v.content_hash FROM documents o JOIN versions v "
    "ON v.document_id = o.id WHERE o.body_id = d.body_id AND o.year = d.year ORDER BY v.id DESC LIMIT 1) LIMIT 1) h "
    "ON true LEFT JOIN unreadable x ON x.url = u.url"
)
_KNOWN = _KNOWN_FROM.replace("{urls}", "%s::text[]") + " WHERE d.id IS NOT NULL OR x.url IS NOT NULL"
# the reports a stored listing page links to (``pages.links``), each URL present: ``start_poll`` sends it with its
# other reads, so a poll whose listing is unchanged asks nothing more of its reports
KNOWN_ON_PAGE = _KNOWN_FROM.replace(
    "{urls}", "ARRAY(SELECT l ->> 0 FROM pages p, json_array_elements(p.links::json -> 'links') l WHERE p.url = %s)"
)


def known_rows(rows: Iterable[tuple[Any, ...]]) -> dict[str, KnownReport]:
    """``_KNOWN``'s rows (or ``KNOWN_ON_PAGE``'s) as records: a URL nothing is known of is ``KnownReport()``."""
    known = {}
    for url, *row in rows:
        doc = StoredDocument(url=url, **dict(zip(_DOCUMENT, row[:8], strict=True))) if row[0] else None
        hashes = VersionHashes(*row[8:11]) if row[8] else None
        bad = UnreadableReport(url, *row[11:]) if row[11] else None
        known[url] = KnownReport(doc, hashes, bad)
    return known


def _version(row: dict[str, object] | None) -> StoredVersion | None:
    return version({**row, "report": unpack(row["report"])}) if row else None  # type: ignore[arg-type]


def _report(packed: bytes, text: bytes | None) -> Report:
    return Report.from_json(json.loads(unpack(packed) or "{}"), unpack(text) or "")


class Versions(Outbox, Bodies):  # a new version stores its events (and its body)
    decoded: Decoded  # the candidates last compared against

    def document(self, url: str) -> StoredDocument | None:
        row = self._row(
            "SELECT id, source, url, title, year, first_seen, etag, last_modified, last_checked FROM documents "
            "WHERE url = %s",
            [url],
        )
        return StoredDocument(**row) if row else None

    def known_reports(self, urls: Sequence[str]) -> dict[str, KnownReport]:
        """Each URL's document, latest hashes (a duplicate's: its body's report of its year, as SQLite's) and
        recorded failure, every URL of a poll in one statement (was three or four a report)."""
        return known_rows(self.conn.execute(_KNOWN, [list(urls)]))

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
            self.conn.execute(
                "INSERT INTO documents (source, url, title, year, first_seen, etag, last_modified, last_checked, "
                "body_id, body_how) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (url) DO NOTHING",
                [source, url, title, year, stamp, *validators, stamp, self._body_id(attribution), attribution.how],
            )

    def latest_version(self, document_id: int) -> StoredVersion | None:
        return _version(
            self._row(
                f"SELECT {VERSION} FROM versions v JOIN documents d ON d.id = v.document_id "
                "WHERE v.document_id = %s ORDER BY v.id DESC LIMIT 1",
                [document_id],
            )
        )

    def content_seen(self, source_id: str, content_hash: str, body: str | None = None) -> bool:
        sql = (
            "SELECT 1 FROM versions v JOIN documents d ON d.id = v.document_id WHERE (d.source = %s OR d.body_id = "
            "(SELECT id FROM bodies WHERE name = %s)) AND v.content_hash = %s LIMIT 1"
        )
        return self.conn.execute(sql, [source_id, body, content_hash]).fetchone() is not None

    def body_report(self, body: str, year: int) -> Report | None:
        row = self.conn.execute(
            "SELECT v.report, v.text FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.body_id = "
            "(SELECT id FROM bodies WHERE name = %s) AND d.year = %s ORDER BY v.id DESC LIMIT 1",
            [body, year],
        ).fetchone()
        return _report(row[0], row[1]) if row else None

    def body_version(self, body: str, year: int) -> StoredVersion | None:
        return _version(
            self._row(
                f"SELECT {VERSION} FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.body_id = "
                "(SELECT id FROM bodies WHERE name = %s) AND d.year = %s ORDER BY v.id DESC LIMIT 1",
                [body, year],
            )
        )

    def report_of(self, source_id: str, year: int) -> Report | None:
        row = self.conn.execute(
            "SELECT v.report, v.text FROM documents d JOIN versions v ON v.document_id = d.id "
            "WHERE d.source = %s AND d.year = %s ORDER BY v.id DESC LIMIT 1",
            [source_id, year],
        ).fetchone()
        return _report(row[0], row[1]) if row else None

    def version_of(self, source_id: str, year: int) -> StoredVersion | None:
        return _version(
            self._row(
                f"SELECT {VERSION} FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.source = %s "
                "AND d.year = %s ORDER BY v.id DESC LIMIT 1",
                [source_id, year],
            )
        )

    def replace_findings(self, version_id: int, findings: Sequence[Finding], events: Iterable[Event] = ()) -> None:
        with self._transaction():
            row = self.conn.execute(
                "UPDATE versions SET findings = %s WHERE id = %s RETURNING document_id",
                [findings_json(findings), version_id],
            ).fetchone()
            for event in events:
                self._add_event(event, row[0] if row else None, version_id)

    def save_version(self, v: NewVersion, events: Iterable[Event] = ()) -> int:
        stamp = now()
        with self._transaction():
            if (kept := self._stored_elsewhere(v)) is not None and v.attribution is not None:
                # another worker stored this body's report from another source meanwhile: kept once, this URL
                # remembered as its duplicate (as the watcher does when it sees the report stored before reading)
                validators = (v.etag, v.last_modified)
                self.save_duplicate(
                    v.source, v.url, title=v.title, year=v.year, attribution=v.attribution, validators=validators
                )
                return kept
            # one row per URL whichever worker stores it first; the lock orders two writers of one document
            self.conn.execute(
                "INSERT INTO documents (source, url, title, year, first_seen) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (url) DO NOTHING",
                [v.source, v.url, v.title, v.year, stamp],
            )
            doc_id, title = self.conn.execute(
                "SELECT id, title FROM documents WHERE url = %s FOR UPDATE", [v.url]
            ).fetchone() or (0, None)
            self.conn.execute(
                "UPDATE documents SET title = %s, year = %s, etag = %s, last_modified = %s, last_checked = %s "
                "WHERE id = %s",
                [v.title or title, v.year, v.etag, v.last_modified, stamp, doc_id],
            )
            if v.attribution:  # else the document keeps its body
                self.conn.execute(
                    "UPDATE documents SET body_id = %s, body_how = %s WHERE id = %s",
                    [self._body_id(v.attribution), v.attribution.how, doc_id],
                )
            row = self.conn.execute(
                "INSERT INTO versions (document_id, fetched_at, sha256, content_hash, content_type, raw, text, "
                "report, findings, diff) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                [
                    doc_id,
                    stamp,
                    *version_row(v),
                ],
            ).fetchone()
            version_id = int(row[0]) if row else 0
            self.conn.execute(
                "DELETE FROM prints WHERE version_id IN (SELECT id FROM versions WHERE document_id = %s)", [doc_id]
            )
            if v.year is not None and v.prints:
                with self.conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO prints (key, year, version_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        [(k, v.year, version_id) for k in set(v.prints)],
                    )
            for event in events:
                self._add_event(event, doc_id, version_id)
        return version_id

    def _stored_elsewhere(self, v: NewVersion) -> int | None:
        """The version already holding a new document's content, stored under another URL of its source or of
        its body: the watcher asks ``content_seen`` before saving, but another worker may store the same body's
        report listed on another source between its question and this save. The body's lock, held to the end of
        the transaction, orders the two saves; the second sees the first's version and stores nothing."""
        if v.attribution is None:
            return None
        self.conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [BODY_LOCKS, v.attribution.body])
        row = self.conn.execute(
            "SELECT v.id FROM versions v JOIN documents d ON d.id = v.document_id WHERE v.content_hash = %s AND "
            "(d.source = %s OR d.body_id = (SELECT id FROM bodies WHERE name = %s)) AND NOT EXISTS (SELECT 1 FROM "
            "versions o JOIN documents od ON od.id = o.document_id WHERE od.url = %s) ORDER BY v.id LIMIT 1",
            [v.content_hash, v.source, v.attribution.body, v.url],
        ).fetchone()
        return int(row[0]) if row else None

    def similar(
        self, source_id: str, year: int, prints: list[int], limit: int = 5, body: str | None = None
    ) -> list[Report]:
        """As the SQLite store's: other sources' (with ``body``: other bodies') reports read at most PER_BAND per
        band hash; "own" reports are the source's (the body's, on any source)."""
        if not prints:
            return []
        mine_sql = "d.body_id = (SELECT id FROM bodies WHERE name = %s)" if body else "d.source = %s"
        own = self.conn.execute(
            f"SELECT v.id, d.year FROM documents d JOIN versions v ON v.document_id = d.id WHERE {mine_sql}",
            [body or source_id],
        ).fetchall()
        mine = {vid for vid, _ in own}
        counts: Counter[int] = Counter()
        rows = self.conn.execute(  # each band's first few, all bands in one round trip (was one a band)
            "SELECT p.version_id FROM unnest(%s::bigint[]) AS k(key) CROSS JOIN LATERAL (SELECT version_id FROM "
            "prints WHERE key = k.key AND year = %s LIMIT %s) p",
            [sorted(set(prints)), year, PER_BAND + len(mine)],
        )
        counts.update(vid for (vid,) in rows if vid not in mine)
        if earlier := [vid for vid, y in own if y is not None and y < year]:
            rows = self.conn.execute(
                "SELECT version_id, count(*) FROM prints WHERE version_id = ANY(%s) AND key = ANY(%s) "
                "GROUP BY version_id",
                [earlier, prints],
            )
            counts.update(dict(rows.fetchall()))
        best = [vid for vid, _ in counts.most_common(limit)]

        def load(todo: list[int]) -> Iterable[tuple[int, Report]]:
            rows = self.conn.execute("SELECT id, report, text FROM versions WHERE id = ANY(%s)", [todo])
            return [(r[0], _report(r[1], r[2])) for r in rows]

        return self.decoded.reports(best, load)

    def raw(self, version_id: int) -> bytes:
        row = self.conn.execute("SELECT raw FROM versions WHERE id = %s", [version_id]).fetchone()
        if row is None:
            raise KeyError(version_id)
        return zlib.decompress(row[0])
