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
from monitor.store.postgres.outbox import EVENTS, Outbox, event_args
from monitor.store.records import (
    KnownReport,
    NewVersion,
    ReportReads,
    StoredDocument,
    StoredVersion,
    UnreadableReport,
    VersionHashes,
)

BODY_LOCKS = 0x6B0D  # advisory locks (BODY_LOCKS, hashtext(body)): one body's new reports saved in turn

# the reads before a report is checked (``report_reads``): its content stored under another URL of its source or
# of its body; the body's reports of a year (its latest version's report and text, whether one is stored)
_SEEN = (
    "SELECT 1 FROM versions v JOIN documents d ON d.id = v.document_id WHERE (d.source = %s OR d.body_id = "
    "(SELECT id FROM bodies WHERE name = %s)) AND v.content_hash = %s LIMIT 1"
)
_BODY_YEAR = (
    "FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.body_id = (SELECT id FROM bodies WHERE "
    "name = %s) AND d.year = %s"
)
_BODY_REPORT = f"SELECT v.report, v.text {_BODY_YEAR} ORDER BY v.id DESC LIMIT 1"
_BODY_REPORT_BESIDES = f"SELECT v.report, v.text {_BODY_YEAR} AND d.url <> %s ORDER BY v.id DESC LIMIT 1"
_YEAR_STORED = f"SELECT 1 {_BODY_YEAR} LIMIT 1"

# A document as a save leaves it, with its body (added when new; a roster's kind, or the one read, kept over
# none) when the report is attributed. A URL's row is the first writer's; a duplicate's (``save_duplicate``) is
# only added, never changed; a new version's is upserted, which locks it to the end of the transaction (two
# writers of one document go in turn), a title read kept over none, the body over no attribution.
_BODY = (
    "b AS (INSERT INTO bodies (name, kind) SELECT %(body)s, %(kind)s WHERE %(body)s::text IS NOT NULL "
    "ON CONFLICT (name) DO UPDATE SET kind = coalesce(bodies.kind, excluded.kind) RETURNING id)"
)
_DOCUMENT = (
    "INSERT INTO documents (source, url, title, year, first_seen, etag, last_modified, last_checked, body_id, "
    "body_how) VALUES (%(source)s, %(url)s, %(title)s, %(year)s, %(stamp)s, %(etag)s, %(modified)s, %(stamp)s, "
    "(SELECT id FROM b), %(how)s) ON CONFLICT (url) DO "
)
_DUPLICATE = f"WITH {_BODY} {_DOCUMENT}NOTHING"
# A new version: its document and body as above, the version, its copy prints in place of its document's older
# versions' and its events, one statement (all or nothing, whatever fails), the version's id its answer
_VERSION = (
    f"WITH {_BODY}, d AS ({_DOCUMENT}UPDATE SET title = coalesce(nullif(excluded.title, ''), documents.title), "
    "year = excluded.year, etag = excluded.etag, last_modified = excluded.last_modified, last_checked = "
    "excluded.last_checked, body_id = coalesce(excluded.body_id, documents.body_id), body_how = "
    "coalesce(excluded.body_how, documents.body_how) RETURNING id), "
    "v AS (INSERT INTO versions (document_id, fetched_at, sha256, content_hash, content_type, raw, text, report, "
    "findings, diff) SELECT id, %(stamp)s, %(sha256)s, %(content_hash)s, %(content_type)s, %(raw)s, %(text)s, "
    "%(report)s, %(findings)s, %(diff)s FROM d RETURNING id, document_id), "
    "gone AS (DELETE FROM prints WHERE version_id IN (SELECT o.id FROM versions o JOIN v ON o.document_id = "
    "v.document_id)), "
    "p AS (INSERT INTO prints (key, year, version_id) SELECT k.key, %(year)s, v.id FROM v, unnest(%(prints)s::bigint[]) "
    "AS k(key) ON CONFLICT DO NOTHING), "
    + EVENTS.format(document="(SELECT document_id FROM v)", version="(SELECT id FROM v)")
    + " SELECT id FROM v"
)
_VERSION_ROW = ("sha256", "content_hash", "content_type", "raw", "text", "report", "findings", "diff")  # version_row
# A stored version's findings checked again, and their events
_FINDINGS = (
    "WITH v AS (UPDATE versions SET findings = %(findings)s WHERE id = %(version)s RETURNING document_id), "
    + EVENTS.format(document="(SELECT document_id FROM v)", version="%(version)s::bigint")
    + " SELECT 1"
)


_COLUMNS = ("id", "source", "title", "year", "first_seen", "etag", "last_modified", "last_checked")
_UNREADABLE = "x.source, x.title, x.year, x.error, x.first_failed, x.last_failed, x.sha256, x.etag, x.last_modified"
_KNOWN_FROM = (
    f"SELECT {{page}}u.url, {', '.join('d.' + c for c in _COLUMNS)}, (SELECT b.name FROM bodies b WHERE b.id = "
    f"d.body_id), h.id, h.sha256, h.content_hash, {_UNREADABLE} "
    "FROM {urls} LEFT JOIN documents d ON d.url = u.url "
    "LEFT JOIN LATERAL ((SELECT v.id, v.sha256, v.content_hash FROM versions v WHERE v.document_id = d.id "
    "ORDER BY v.id DESC LIMIT 1) UNION ALL (SELECT v.id, v.sha256, v.content_hash FROM documents o JOIN versions v "
    "ON v.document_id = o.id WHERE o.body_id = d.body_id AND o.year = d.year ORDER BY v.id DESC LIMIT 1) LIMIT 1) h "
    "ON true LEFT JOIN unreadable x ON x.url = u.url"
)
_KNOWN = (
    _KNOWN_FROM.format(page="", urls="unnest(%s::text[]) AS u(url)") + " WHERE d.id IS NOT NULL OR x.url IS NOT NULL"
)
# the reports stored listing pages link to (``pages.links``), each page's, each URL present: ``start_polls`` sends it
# with its other reads, so a poll whose listing is unchanged asks nothing more of its reports
KNOWN_ON_PAGES = _KNOWN_FROM.format(
    page="u.page, ",
    urls="(SELECT p.url, l ->> 0 FROM pages p, json_array_elements(p.links::json -> 'links') l WHERE p.url = "
    "ANY(%s)) AS u(page, url)",
)


def known_rows(rows: Iterable[tuple[Any, ...]]) -> dict[str, KnownReport]:
    """``_KNOWN``'s rows (or ``KNOWN_ON_PAGES``' of one page, without it) as records: a URL nothing is known of is ``KnownReport()``."""
    known = {}
    for url, *row in rows:
        doc = StoredDocument(url=url, **dict(zip((*_COLUMNS, "body"), row[:9], strict=True))) if row[0] else None
        hashes = VersionHashes(*row[9:12]) if row[9] else None
        bad = UnreadableReport(url, *row[12:]) if row[12] else None
        known[url] = KnownReport(doc, hashes, bad)
    return known


def _version(row: dict[str, object] | None) -> StoredVersion | None:
    return version({**row, "report": unpack(row["report"])}) if row else None  # type: ignore[arg-type]


def _report(packed: bytes, text: bytes | None) -> Report:
    return Report.from_json(json.loads(unpack(packed) or "{}"), unpack(text) or "")


def _document_args(
    source: str,
    url: str,
    *,
    title: str | None,
    year: int | None,
    who: Attribution | None,
    validators: tuple[str | None, str | None],
) -> dict[str, Any]:
    """``_DOCUMENT``'s (and ``_DUPLICATE``'s) arguments."""
    body = dict(zip(("body", "kind", "how"), (who.body, who.kind, who.how) if who else (None,) * 3, strict=True))
    etag, modified = validators
    return body | {"source": source, "url": url, "title": title, "year": year, "etag": etag, "modified": modified}


class Versions(Outbox, Bodies):  # a new version stores its events (and its body)
    decoded: Decoded  # the candidates last compared against

    def document(self, url: str) -> StoredDocument | None:
        row = self._row(
            "SELECT id, source, url, title, year, first_seen, etag, last_modified, last_checked, "
            "(SELECT name FROM bodies WHERE id = documents.body_id) AS body FROM documents WHERE url = %s",
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
        document = _document_args(source, url, title=title, year=year, who=attribution, validators=validators)
        self.conn.execute(_DUPLICATE, document | {"stamp": now()})

    def latest_version(self, document_id: int) -> StoredVersion | None:
        return _version(
            self._row(
                f"SELECT {VERSION} FROM versions v JOIN documents d ON d.id = v.document_id "
                "WHERE v.document_id = %s ORDER BY v.id DESC LIMIT 1",
                [document_id],
            )
        )

    def content_seen(self, source_id: str, content_hash: str, body: str | None = None) -> bool:
        return self.conn.execute(_SEEN, [source_id, body, content_hash]).fetchone() is not None

    def body_report(self, body: str, year: int, besides: str | None = None) -> Report | None:
        if besides is not None:
            row = self.conn.execute(_BODY_REPORT_BESIDES, [body, year, besides]).fetchone()
            return _report(row[0], row[1]) if row else None
        row = self.conn.execute(_BODY_REPORT, [body, year]).fetchone()
        return _report(row[0], row[1]) if row else None

    def report_reads(self, source_id: str, content_hash: str, body: str, year: int | None) -> ReportReads:
        """The three reads sent together (a pipeline): one round trip, not three."""
        with self.conn.pipeline():
            seen = self.conn.execute(_SEEN, [source_id, body, content_hash])
            years = (
                (self.conn.execute(_BODY_REPORT, [body, year - 1]), self.conn.execute(_YEAR_STORED, [body, year]))
                if year is not None
                else None
            )
        if years is None:
            return ReportReads(seen.fetchone() is not None)
        row, stored = years[0].fetchone(), years[1].fetchone()
        return ReportReads(seen.fetchone() is not None, _report(row[0], row[1]) if row else None, bool(stored))

    def body_version(self, body: str, year: int) -> StoredVersion | None:
        return _version(self._row(f"SELECT {VERSION} {_BODY_YEAR} ORDER BY v.id DESC LIMIT 1", [body, year]))

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
        args = {"findings": findings_json(findings), "version": version_id, "stamp": now()}
        self.conn.execute(_FINDINGS, args | event_args(events))

    def rehash(self, version_id: int, content_hash: str) -> None:
        self.conn.execute("UPDATE versions SET content_hash = %s WHERE id = %s", [content_hash, version_id])

    def set_aside(self, document_id: int, year: int) -> None:
        self.conn.execute(_SET_ASIDE, {"year": str(year), "id": document_id})

    def save_version(self, v: NewVersion, events: Iterable[Event] = ()) -> int:
        """One round trip, two when the report is attributed (the body's lock taken and what another worker
        stored meanwhile asked, then the write), in one transaction: the pipeline's (sent without waiting for
        each statement, committed at its end). Its arguments are made before it begins: the write is one
        statement, so nothing is left half written if anything fails."""
        validators = (v.etag, v.last_modified)
        document = _document_args(v.source, v.url, title=v.title, year=v.year, who=v.attribution, validators=validators)
        document["stamp"] = now()
        marks = sorted(set(v.prints)) if v.year is not None else []  # a report without a year: none
        stored = document | dict(zip(_VERSION_ROW, version_row(v), strict=True)) | {"prints": marks}
        stored |= event_args(events)
        with self.conn.pipeline():
            if (kept := self._stored_elsewhere(v)) is not None:
                # another worker stored this body's report from another source meanwhile: kept once, this URL
                # remembered as its duplicate (as the watcher does when it sees the report stored before reading)
                self.conn.execute(_DUPLICATE, document)
                return kept
            version = self.conn.execute(_VERSION, stored)
        row = version.fetchone()
        return int(row[0]) if row else 0

    def _stored_elsewhere(self, v: NewVersion) -> int | None:
        """The version already holding a new document's content, stored under another URL of its source or of
        its body: the watcher asks ``content_seen`` before saving, but another worker may store the same body's
        report listed on another source between its question and this save. The body's lock, held to the end of
        the transaction, orders the two saves; the second sees the first's version (the question is a statement
        after the lock's, so it reads what the first committed) and stores nothing."""
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

    def text(self, version_id: int) -> str:
        row = self.conn.execute("SELECT text FROM versions WHERE id = %s", [version_id]).fetchone()
        if row is None:
            raise KeyError(version_id)
        return unpack(row[0]) or ""


# (the address with its year; with the document's id too where that is taken: an address that held 2024, 2025, 2024)
_SET_ASIDE = (
    "UPDATE documents SET url = url || '#' || %(year)s || CASE WHEN EXISTS (SELECT 1 FROM documents x "
    "WHERE x.url = documents.url || '#' || %(year)s) THEN '-' || id ELSE '' END WHERE id = %(id)s"
)
