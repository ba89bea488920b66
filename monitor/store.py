"""Stage: store. SQLite (WAL) through sqlite-utils: sources, polls, documents, versions, alert outbox.

A report's new version, its findings, and the alert events they cause are written in one
transaction, so a crash mid-poll leaves either all of them or none: polling again then
stores the version once and the alert once (events have a unique key). The schema is
versioned with ``PRAGMA user_version``; migrations only ever add.
"""

from __future__ import annotations

import fcntl
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StateError
from monitor.model import Event

PER_BAND = 20  # other sources' reports read per band hash when looking for the reports a new one may copy

MIGRATIONS = [
    """
    CREATE TABLE sources (id TEXT PRIMARY KEY, agency TEXT, kind TEXT, list_url TEXT, last_poll TEXT,
        last_error TEXT, consecutive_failures INTEGER NOT NULL DEFAULT 0, failing_alerted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE polls (id INTEGER PRIMARY KEY, source TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
        ok INTEGER, error TEXT, reports INTEGER NOT NULL DEFAULT 0, new_versions INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE pages (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, body BLOB, fetched_at TEXT);
    CREATE TABLE documents (id INTEGER PRIMARY KEY, source TEXT NOT NULL, url TEXT NOT NULL UNIQUE, title TEXT,
        year INTEGER, first_seen TEXT NOT NULL, etag TEXT, last_modified TEXT, last_checked TEXT);
    CREATE TABLE versions (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id),
        fetched_at TEXT NOT NULL, sha256 TEXT NOT NULL, content_hash TEXT NOT NULL, content_type TEXT,
        raw BLOB NOT NULL, text TEXT, report TEXT NOT NULL, findings TEXT NOT NULL, diff TEXT);
    CREATE INDEX versions_by_document ON versions(document_id, id);
    CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, source TEXT,
        document_id INTEGER, created TEXT NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES events(id),
        channel TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT NOT NULL, last_error TEXT, delivered_at TEXT,
        UNIQUE (event_id, channel, recipient));
    CREATE INDEX deliveries_due ON deliveries(status, next_attempt);
    """,
    # events name the version they are about; its tables and findings are read from it when sent
    "ALTER TABLE events ADD COLUMN version_id INTEGER REFERENCES versions(id)",
    # every per-source query of a poll by index: at 20,000 sources a scan per source is quadratic
    """
    CREATE INDEX documents_by_source ON documents(source, year);
    CREATE INDEX versions_by_content ON versions(content_hash);
    CREATE INDEX events_by_version ON events(version_id);
    """,
    # copy detection (copies.py): the LSH band hashes of each document's latest version
    """
    CREATE TABLE prints (version_id INTEGER NOT NULL REFERENCES versions(id), key INTEGER NOT NULL);
    CREATE INDEX prints_by_key ON prints(key);
    CREATE INDEX prints_by_version ON prints(version_id);
    """,
    # a listing's discovered links beside its validators: a 304 needs neither the body nor discover()
    "ALTER TABLE pages ADD COLUMN links TEXT",
    # prints by (key, year): a report's candidates are read a bounded number per band (``similar``); one
    # key shared by thousands of reports (one template copied across a province) cost a scan of all of them
    """
    CREATE TABLE prints_by_year (key INTEGER NOT NULL, year INTEGER NOT NULL, version_id INTEGER NOT NULL,
        PRIMARY KEY (key, year, version_id)) WITHOUT ROWID;
    INSERT OR IGNORE INTO prints_by_year SELECT p.key, d.year, p.version_id FROM prints p
        JOIN versions v ON v.id = p.version_id JOIN documents d ON d.id = v.document_id WHERE d.year IS NOT NULL;
    DROP TABLE prints;
    ALTER TABLE prints_by_year RENAME TO prints;
    CREATE INDEX prints_by_version ON prints(version_id);
    """,
]


def _inserted(table: sqlite_utils.db.Table) -> int:
    """The rowid of the row ``table.insert`` just wrote."""
    if table.last_pk is None:
        raise RuntimeError(f"insert into {table.name} gave no rowid")
    return int(table.last_pk)


def pack(text: str) -> bytes:
    """A version's text or report JSON as stored: zlib (a tenth of the database's size at 20,000 sources)."""
    return zlib.compress(text.encode("utf-8"), 6)


def unpack(value: bytes | str | None) -> str | None:
    """What ``pack`` stored, as text; rows written by an older govmon hold plain text (a schema-5 database
    may hold both). In SQL: ``unpack(col)``."""
    return zlib.decompress(value).decode("utf-8") if isinstance(value, bytes) else value


def now() -> str:
    return _iso(datetime.now(UTC))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


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


@contextmanager
def instance_lock(database: Path) -> Iterator[None]:
    """One `run` or `poll` per database: an exclusive lock on ``<database>.lock`` holding the PID.
    Two of them would send every alert twice and store duplicate versions."""
    database.parent.mkdir(parents=True, exist_ok=True)
    path = database.with_name(database.name + ".lock")
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise StateError(
                f"{database}: another govmon (PID {holder}) is running on this database; "
                "stop it first (systemctl stop govmon), or use a read-only command"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked(database: Path) -> str | None:
    """The PID holding the instance lock, or None when no `run`/`poll` is on this database."""
    path = database.with_name(database.name + ".lock")
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "?"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


class Store:
    def __init__(self, path: str | Path, create: bool = True) -> None:
        """Open (and migrate) the database; with ``create=False`` a missing file is an error, not a new one."""
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StateError(
                f"{self.path}: no database here yet; the service (or `govmon poll`) has not run with this "
                "configuration, or --config names another sources.toml than the service's"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.conn.execute("PRAGMA busy_timeout = 10000")
        self.db.enable_wal()
        self.db.conn.execute("PRAGMA synchronous = NORMAL")
        self.db.conn.create_function("unpack", 1, unpack, deterministic=True)
        self.migrate()

    def close(self) -> None:
        self.db.conn.close()

    def migrate(self) -> None:
        version = self.db.conn.execute("PRAGMA user_version").fetchone()[0]
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

    # ------------------------------------------------------------ alert outbox
    def add_events(self, events: Iterable[Event]) -> None:
        with self.transaction():
            for event in events:
                self._add_event(event, None)

    def _add_event(self, event: Event, document_id: int | None, version_id: int | None = None) -> None:
        cur = self.db.conn.execute(
            "INSERT OR IGNORE INTO events (key, kind, source, document_id, version_id, created, payload) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                event.key,
                event.kind,
                event.source,
                document_id,
                version_id,
                now(),
                json.dumps(event.payload, ensure_ascii=False),
            ],
        )
        if cur.rowcount == 0:
            return  # already recorded: never queued twice
        for channel, recipient in event.recipients:
            self.db.conn.execute(
                "INSERT OR IGNORE INTO deliveries (event_id, channel, recipient, next_attempt) VALUES (?, ?, ?, ?)",
                [cur.lastrowid, channel, recipient, now()],
            )

    def due_deliveries(self, at: datetime, limit: int = 100, ignore_backoff: bool = False) -> list[dict[str, Any]]:
        """Pending deliveries whose next attempt is due at ``at`` (all pending ones with ``ignore_backoff``), each
        with its event and the report and findings of the version the event names (``report``/``findings``)."""
        sql = (
            "SELECT d.*, e.kind, e.key, e.source, e.payload, e.created, unpack(v.report) AS report, v.findings FROM deliveries d "
            "JOIN events e ON e.id = d.event_id LEFT JOIN versions v ON v.id = e.version_id "
            "WHERE d.status = 'pending' AND (d.next_attempt <= ? OR ?) ORDER BY d.id LIMIT ?"
        )
        return [dict(r) for r in self.db.query(sql, [_iso(at), ignore_backoff, limit])]

    def last_delivered(self, channel: str, recipient: str) -> datetime | None:
        row = self.db.conn.execute(
            "SELECT max(delivered_at) FROM deliveries WHERE channel = ? AND recipient = ? AND status = 'delivered'",
            [channel, recipient],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row[0] else None

    def mark_delivered(self, delivery_ids: Iterable[int], at: datetime) -> None:
        with self.transaction():
            for i in delivery_ids:
                self.db.table("deliveries").update(i, {"status": "delivered", "delivered_at": _iso(at)})

    def mark_failed(self, delivery_ids: Iterable[int], error: str, retry_at: datetime | None) -> None:
        """A failed attempt: retried at ``retry_at``, or dead when it is None (gave up)."""
        with self.transaction():
            for i in delivery_ids:
                row = self.db.table("deliveries").get(i)
                update = {"attempts": row["attempts"] + 1, "last_error": error[:500]}
                if retry_at is None:
                    update["status"] = "dead"
                else:
                    update["next_attempt"] = _iso(retry_at)
                self.db.table("deliveries").update(i, update)

    def make_due(self, at: datetime) -> int:
        """Every pending delivery due at ``at``: the running service sends them with its next pass."""
        with self.transaction():
            return self.db.conn.execute(
                "UPDATE deliveries SET next_attempt = ? WHERE status = 'pending'", [_iso(at)]
            ).rowcount

    def revive_dead(self, at: datetime) -> int:
        """Dead letters back into the outbox, due at ``at``, with a fresh count of attempts."""
        with self.transaction():
            cur = self.db.conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ? WHERE status = 'dead'",
                [_iso(at)],
            )
            return cur.rowcount

    def alert_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "delivered": 0, "dead": 0}
        for row in self.db.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts

    # ------------------------------------------------------------ reading back
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

    def undelivered(self) -> list[dict[str, Any]]:
        """The outbox as `govmon alerts list` shows it: every delivery not yet made, oldest first."""
        return list(
            self.db.query(
                "SELECT d.*, e.kind, e.key FROM deliveries d JOIN events e ON e.id = d.event_id "
                "WHERE d.status != 'delivered' ORDER BY d.id"
            )
        )
