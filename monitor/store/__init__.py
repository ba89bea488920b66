"""Stage: store. SQLite (WAL) through sqlite-utils: sources, polls, documents, versions, alert outbox.

A report's new version, its findings, and the alert events they cause are written in one
transaction, so a crash mid-poll leaves either all of them or none: polling again then
stores the version once and the alert once (events have a unique key).

This module is the poll's side: the connection, sources and polls, listing pages, documents and
versions, and the copy candidates. Beside it: ``schema`` (migrations, packing, timestamps),
``outbox`` (events and deliveries), ``queries`` (what the admin commands read back), ``lock``
(one `run`/`poll` per database), ``unreadable`` (reports that could not be read; polls asked of the service).
``Store`` mixes the outbox, the queries and the unreadable reports in.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StateError, storage_error
from monitor.model import Event
from monitor.redact import redact
from monitor.store.lock import instance_lock, is_locked
from monitor.store.outbox import Outbox
from monitor.store.queries import Queries
from monitor.store.schema import MIGRATIONS, now, pack, unpack
from monitor.store.unreadable import Unreadable

__all__ = ["MIGRATIONS", "PER_BAND", "NewVersion", "Store", "instance_lock", "is_locked", "pack", "unpack"]

PER_BAND = 20  # other sources' reports read per band hash when looking for the reports a new one may copy


def _inserted(table: sqlite_utils.db.Table) -> int:
    """The rowid of the row ``table.insert`` just wrote."""
    if table.last_pk is None:
        raise RuntimeError(f"insert into {table.name} gave no rowid")
    return int(table.last_pk)


@dataclass(frozen=True)
class NewVersion:
    """A report version about to be stored: the raw bytes, the parsed report and its findings."""

    source: str
    url: str
    title: str | None
    year: int | None
    raw: bytes
    sha256: str
    content_hash: str
    content_type: str
    text: str
    report: dict[str, Any]
    findings: list[dict[str, Any]]
    diff: dict[str, Any] | None
    etag: str | None
    last_modified: str | None
    prints: list[int] = field(default_factory=list)  # copies.prints: replaces the document's older version's


class Store(Outbox, Queries, Unreadable):
    def __init__(self, path: str | Path, create: bool = True) -> None:
        """Open (and migrate) the database; with ``create=False`` a missing file is an error, not a new one."""
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StateError(
                f"{self.path}: no database here yet; the service (or `govmon poll`) has not run with this "
                "configuration, or --config names another sources.toml than the service's"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(self.path)
            self.db.conn.execute("PRAGMA busy_timeout = 10000")
            self.db.enable_wal()
            self.db.conn.execute("PRAGMA synchronous = NORMAL")
            self.db.conn.create_function("unpack", 1, unpack, deterministic=True)
            self.db.conn.create_function("redact", 1, redact, deterministic=True)
            self.migrate()
        except (sqlite3.DatabaseError, OSError) as exc:  # damaged, truncated, not a database, disk full
            raise storage_error(self.path, exc) from exc

    def close(self) -> None:
        self.db.conn.close()

    def migrate(self) -> None:
        version = self.db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):  # opening it would write to a schema this govmon does not know
            raise StateError(
                f"{self.path}: written by a newer govmon (schema {version}; this one knows {len(MIGRATIONS)}): "
                "upgrade govmon (README 'Upgrading'), or restore a backup this version made"
            )
        for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.conn.executescript(f"BEGIN; {sql}; PRAGMA user_version = {n}; COMMIT;")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.conn:
            yield

    # ------------------------------------------------------------ sources and polls
    def sync_sources(self, sources: Iterable[Any]) -> None:
        with self.transaction():  # one statement for all: 20,000 sqlite-utils upserts took 4.4 s of `run`'s start
            self.db.conn.executemany(
                "INSERT INTO sources (id, agency, kind, list_url) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                "SET agency = excluded.agency, kind = excluded.kind, list_url = excluded.list_url",
                [(s.id, s.agency, s.kind, s.list_url) for s in sources],
            )

    def _row(self, sql: str, args: list[Any]) -> dict[str, Any] | None:
        """One row as a dict, in plain sqlite3: the poll's hot path (sqlite-utils reads the schema per call)."""
        cur = self.db.conn.execute(sql, args)
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def source_state(self, source_id: str) -> dict[str, Any]:
        row = self._row("SELECT * FROM sources WHERE id = ?", [source_id])
        return row or {"consecutive_failures": 0, "failing_alerted": 0}

    def mark_interrupted(self) -> int:
        """Poll rows a killed process left unfinished: said so, not left looking like a poll in progress.
        Called under the instance lock, so no other process is polling."""
        with self.transaction():
            return self.db.conn.execute(
                "UPDATE polls SET finished = ?, ok = 0, error = 'interrupted (the process was "
                "stopped mid-poll)' WHERE finished IS NULL",
                [now()],
            ).rowcount

    def start_poll(self, source_id: str) -> int:
        with self.transaction():
            cur = self.db.conn.execute("INSERT INTO polls (source, started) VALUES (?, ?)", [source_id, now()])
            return int(cur.lastrowid or 0)

    def finish_poll(
        self,
        poll_id: int,
        source_id: str,
        *,
        error: str | None,
        reports: int,
        new_versions: int,
        events: Iterable[Event] = (),
        touched: Iterable[tuple[int, str | None, str | None]] = (),
    ) -> None:
        """Close the poll and update the source's failure streak, with any source events and the validators
        of its unchanged reports (``touched``: document id, ETag, Last-Modified), in one transaction."""
        state = self.source_state(source_id)
        failures = state["consecutive_failures"] + 1 if error else 0
        stamp = now()
        with self.transaction():
            self.db.conn.execute(
                "UPDATE polls SET finished = ?, ok = ?, error = ?, reports = ?, new_versions = ? WHERE id = ?",
                [stamp, error is None, error, reports, new_versions, poll_id],
            )
            alerted = state["failing_alerted"]
            for event in events:
                self._add_event(event, None)
                alerted = 1 if event.kind == "source_failing" else 0 if event.kind == "source_recovered" else alerted
            self.db.conn.execute(
                "UPDATE sources SET last_poll = ?, last_error = ?, consecutive_failures = ?, failing_alerted = ? "
                "WHERE id = ?",
                [stamp, error, failures, alerted, source_id],
            )
            self.db.conn.executemany(
                "UPDATE documents SET etag = ?, last_modified = ?, last_checked = ? WHERE id = ?",
                [(etag, modified, stamp, doc_id) for doc_id, etag, modified in touched],
            )

    # ------------------------------------------------------------ listing pages
    def page(self, url: str) -> dict[str, Any] | None:
        """A listing page's validators and the links found on it last time (``links``: None for a page stored
        before links were kept); its body only on demand (``page_body``)."""
        row = self._row("SELECT etag, last_modified, links FROM pages WHERE url = ?", [url])
        return {**row, "links": json.loads(row["links"]) if row["links"] else None} if row else None

    def page_body(self, url: str) -> bytes:
        row = self.db.conn.execute("SELECT body FROM pages WHERE url = ?", [url]).fetchone()
        return zlib.decompress(row[0]) if row else b""

    def save_page(
        self, url: str, etag: str | None, last_modified: str | None, body: bytes, links: dict[str, Any]
    ) -> None:
        with self.transaction():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO pages (url, etag, last_modified, body, fetched_at, links) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [url, etag, last_modified, zlib.compress(body), now(), json.dumps(links, ensure_ascii=False)],
            )

    # ------------------------------------------------------------ documents and versions
    def document(self, url: str) -> dict[str, Any] | None:
        return self._row("SELECT * FROM documents WHERE url = ?", [url])

    def latest_version(self, document_id: int) -> dict[str, Any] | None:
        """The newest version without its raw body and text (read those with ``raw``)."""
        return self._row(
            "SELECT id, document_id, fetched_at, sha256, content_hash, content_type, unpack(report) AS report, "
            "findings, diff FROM versions WHERE document_id = ? ORDER BY id DESC LIMIT 1",
            [document_id],
        )

    def latest_hashes(self, document_id: int) -> dict[str, Any] | None:
        """The newest version's id and hashes: all a poll needs to tell an unchanged report (nothing unpacked)."""
        return self._row(
            "SELECT id, sha256, content_hash FROM versions WHERE document_id = ? ORDER BY id DESC LIMIT 1",
            [document_id],
        )

    def content_seen(self, source_id: str, content_hash: str) -> bool:
        """The same report content already stored under another URL of this source."""
        sql = (
            "SELECT 1 FROM versions v JOIN documents d ON d.id = v.document_id WHERE d.source = ? "
            "AND v.content_hash = ? LIMIT 1"
        )
        return self.db.conn.execute(sql, [source_id, content_hash]).fetchone() is not None

    def report_of(self, source_id: str, year: int) -> tuple[dict[str, Any], str] | None:
        """The source's stored report for ``year`` (its latest version): the report JSON and its text."""
        row = self.db.conn.execute(
            "SELECT unpack(v.report), unpack(v.text) FROM documents d JOIN versions v ON v.document_id = d.id "
            "WHERE d.source = ? AND d.year = ? ORDER BY v.id DESC LIMIT 1",
            [source_id, year],
        ).fetchone()
        return (json.loads(row[0]), row[1] or "") if row else None

    def version_of(self, source_id: str, year: int) -> dict[str, Any] | None:
        """The latest version of the source's report for ``year``: its id, url, hashes, report and findings."""
        rows = self.db.query(
            "SELECT v.id, d.url, v.content_hash, unpack(v.report) AS report, v.findings FROM documents d "
            "JOIN versions v ON v.document_id = d.id WHERE d.source = ? AND d.year = ? ORDER BY v.id DESC LIMIT 1",
            [source_id, year],
        )
        return next(iter(rows), None)

    def replace_findings(self, version_id: int, findings: list[dict[str, Any]], events: Iterable[Event] = ()) -> None:
        """A stored version checked again (its year before arrived later): its findings and their events at once."""
        with self.transaction():
            self.db.conn.execute(
                "UPDATE versions SET findings = ? WHERE id = ?", [json.dumps(findings, ensure_ascii=False), version_id]
            )
            row = self.db.conn.execute("SELECT document_id FROM versions WHERE id = ?", [version_id]).fetchone()
            for event in events:
                self._add_event(event, row[0], version_id)

    def years(self, source_id: str) -> set[int]:
        """The report years already stored for a source (older ones may have left the listing's pages)."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT year FROM documents WHERE source = ? AND year IS NOT NULL", [source_id]
        )
        return {r[0] for r in rows}

    def save_version(self, v: NewVersion, events: Iterable[Event] = ()) -> int:
        """Store a new version and its events in one transaction; returns the version id."""
        stamp = now()
        with self.transaction():
            doc = self.document(v.url)
            if doc is None:
                doc_id = _inserted(
                    self.db.table("documents").insert(
                        {"source": v.source, "url": v.url, "title": v.title, "year": v.year, "first_seen": stamp}
                    )
                )
            else:
                doc_id = doc["id"]
            self.db.table("documents").update(
                doc_id,
                {
                    "title": v.title or (doc or {}).get("title"),
                    "year": v.year,
                    "etag": v.etag,
                    "last_modified": v.last_modified,
                    "last_checked": stamp,
                },
            )
            version_id = _inserted(
                self.db.table("versions").insert(
                    {
                        "document_id": doc_id,
                        "fetched_at": stamp,
                        "sha256": v.sha256,
                        "content_hash": v.content_hash,
                        "content_type": v.content_type,
                        "raw": zlib.compress(v.raw),
                        "text": pack(v.text),
                        "report": pack(json.dumps(v.report, ensure_ascii=False)),
                        "findings": json.dumps(v.findings, ensure_ascii=False),
                        "diff": json.dumps(v.diff, ensure_ascii=False) if v.diff else None,
                    }
                )
            )
            self.db.conn.execute(
                "DELETE FROM prints WHERE version_id IN (SELECT id FROM versions WHERE document_id = ?)", [doc_id]
            )
            if v.year is not None:
                self.db.conn.executemany(
                    "INSERT OR IGNORE INTO prints (key, year, version_id) VALUES (?, ?, ?)",
                    [(k, v.year, version_id) for k in v.prints],
                )
            for event in events:
                self._add_event(event, doc_id, version_id)
        return version_id

    def similar(self, source_id: str, year: int, prints: list[int], limit: int = 5) -> list[tuple[dict[str, Any], str]]:
        """The stored reports sharing most band hashes with ``prints`` among those a report may copy: the
        source's earlier years and other sources' reports of ``year``. Each as (report JSON, text).

        Other sources' reports are read at most PER_BAND per band hash, oldest first: when hundreds of
        reports share a band (one template copied across a province), any of them shows the copy, and
        reading them all made each new report cost as much as all the reports before it."""
        if not prints:
            return []
        own = self.db.conn.execute(
            "SELECT v.id, d.year FROM documents d JOIN versions v ON v.document_id = d.id WHERE d.source = ?",
            [source_id],
        ).fetchall()
        mine = {vid for vid, _ in own}
        counts: Counter[int] = Counter()
        for key in set(prints):
            rows = self.db.conn.execute(
                "SELECT version_id FROM prints WHERE key = ? AND year = ? LIMIT ?", [key, year, PER_BAND + len(mine)]
            )
            counts.update(vid for (vid,) in rows if vid not in mine)
        if earlier := [vid for vid, y in own if y is not None and y < year]:
            rows = self.db.conn.execute(
                f"SELECT version_id, count(*) FROM prints WHERE version_id IN ({','.join('?' * len(earlier))}) "
                f"AND key IN ({','.join('?' * len(prints))}) GROUP BY version_id",
                [*earlier, *prints],
            )
            counts.update(dict(rows.fetchall()))
        best = [vid for vid, _ in counts.most_common(limit)]
        rows = self.db.conn.execute(
            f"SELECT id, unpack(report), unpack(text) FROM versions WHERE id IN ({','.join('?' * len(best))})", best
        )
        found = {r[0]: (json.loads(r[1]), r[2] or "") for r in rows}
        return [found[vid] for vid in best if vid in found]

    def raw(self, version_id: int) -> bytes:
        return zlib.decompress(self.db.table("versions").get(version_id)["raw"])
