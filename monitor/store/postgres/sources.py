"""Sources, their polls and leases, the listing pages they were read from, the polls asked of the running
service, and the listed reports that could not be read. Mixed into ``PostgresStore``.

A source is polled by one worker at a time: ``start_poll`` takes its lease (a row lock taken with SKIP LOCKED,
then an owner and an expiry by the database's clock, so the workers' clocks need not agree); a worker killed
mid-poll leaves a lease that expires, and the source is taken over."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from monitor.model import Event
from monitor.store.encoding import now, sources_digest
from monitor.store.postgres.bodies import Bodies, bodies_query, stored_bodies
from monitor.store.postgres.outbox import EVENTS, Outbox, event_args, first_events
from monitor.store.postgres.versions import KNOWN_ON_PAGE, known_rows
from monitor.store.records import Claim, Listing, PageCache, PollStart, SourceState, UnreadableReport

if TYPE_CHECKING:
    from monitor.config import Source

_PAGE = "SELECT etag, last_modified, links FROM pages WHERE url = %s"
_STATE = (
    "id, agency, kind, list_url, last_poll, last_error, consecutive_failures, failing_alerted, polled_by, ever_read"
)


# a source's lease taken (unless another worker holds it, or polled it within ``fresh``), a poll cut off by a worker
# killed mid-poll closed as interrupted, and the new poll's row: one statement
_START = (
    "WITH claimed AS (UPDATE sources SET lease_owner = %(me)s, lease_until = now() + %(lease)s WHERE id = "
    "(SELECT id FROM sources WHERE id = %(id)s AND (lease_until IS NULL OR lease_until < now() OR "
    "lease_owner = %(me)s) AND (polled_at IS NULL OR polled_at <= now() - %(fresh)s OR polled_by = %(me)s) "
    "FOR UPDATE SKIP LOCKED) RETURNING id), "
    "cut AS (UPDATE polls SET finished = %(now)s, ok = 0, error = 'interrupted (the process was stopped "
    "mid-poll)' WHERE source IN (SELECT id FROM claimed) AND finished IS NULL AND worker IS DISTINCT FROM "
    "%(me)s), "
    "poll AS (INSERT INTO polls (source, started, worker) SELECT id, %(now)s, %(me)s FROM claimed RETURNING id) "
    "SELECT (SELECT id FROM poll), EXISTS (SELECT 1 FROM sources WHERE id = %(id)s AND polled_at > now() - "
    "%(fresh)s AND polled_by <> %(me)s)"
)


_FINISH = (
    "WITH p AS (UPDATE polls SET finished = %(stamp)s, ok = %(ok)s, error = %(error)s, reports = %(reports)s, "
    "new_versions = %(new)s WHERE id = %(poll)s), "
    "d AS (UPDATE documents d SET etag = t.etag, last_modified = t.modified, last_checked = %(stamp)s FROM "
    "unnest(%(ids)s::bigint[], %(etags)s::text[], %(modified)s::text[]) AS t(id, etag, modified) WHERE d.id = t.id), "
    # a poll that read the listing: of the source's unreadable reports, only those that failed this time stay
    "u AS (DELETE FROM unreadable WHERE %(settle)s AND source = %(source)s AND NOT (url = ANY(%(failing)s))), "
    # its events (``EVENTS``), with their deliveries
    + EVENTS.format(document="NULL::bigint", version="NULL::bigint")
    + " "
    "UPDATE sources SET last_poll = %(stamp)s, last_error = %(error)s, consecutive_failures = CASE WHEN %(ok)s = 1 "
    "THEN 0 ELSE consecutive_failures + 1 END, failing_alerted = coalesce(%(alerted)s::integer, failing_alerted), "
    # the lease released, as release_source does (when it is still this worker's)
    "polled_at = CASE WHEN lease_owner = %(me)s THEN now() ELSE polled_at END, polled_by = CASE WHEN lease_owner = "
    "%(me)s THEN %(me)s ELSE polled_by END, lease_until = CASE WHEN lease_owner = %(me)s THEN NULL ELSE lease_until "
    "END, lease_owner = CASE WHEN lease_owner = %(me)s THEN NULL ELSE lease_owner END WHERE id = %(source)s"
)


def _state(row: tuple[Any, ...]) -> SourceState:
    source_id, agency, kind, list_url, last_poll, last_error, failures, alerted, worker, read = row
    return SourceState(
        source_id, agency, kind, list_url, last_poll, last_error, failures, bool(alerted), worker, bool(read)
    )


def _page(row: tuple[Any, ...] | None) -> PageCache | None:
    if row is None:
        return None
    kept = json.loads(row[2]) if row[2] else None
    listing = (
        Listing(tuple((u, t, y) for u, t, y in kept["links"]), kept["next"], kept.get("pattern"))
        if kept is not None
        else None
    )
    return PageCache(row[0], row[1], listing)


class Sources(Outbox, Bodies):  # a poll's end stores its source's events
    def sync_sources(self, sources: Iterable[Source]) -> None:
        sources = list(sources)
        digest = sources_digest(sources)
        with self._transaction(), self.conn.cursor() as cur:
            # the same sources as the last sync, by whichever worker: their rows are as they are; else all copied
            # to the server at once (COPY) and merged in one statement, writing only the rows that differ (150,000
            # upserts a statement each took 3.4 s), with the digest, in one transaction (two workers syncing at
            # once: the last to commit wrote both the rows and the digest)
            synced = cur.execute("SELECT digest FROM sources_synced").fetchone()
            if synced is None or synced[0] != digest:
                cur.execute(
                    "CREATE TEMP TABLE synced (n INTEGER, id TEXT, agency TEXT, kind TEXT, list_url TEXT) ON COMMIT DROP"
                )
                with cur.copy("COPY synced FROM STDIN") as copy:
                    for n, source in enumerate(sources):
                        copy.write_row((n, source.id, source.agency, source.kind, source.list_url))
                cur.execute(  # (in the file's order: ``added`` numbers new sources as SQLite's rowid does)
                    "INSERT INTO sources (id, agency, kind, list_url) SELECT id, agency, kind, list_url FROM synced "
                    "ORDER BY n ON CONFLICT (id) DO UPDATE SET agency = excluded.agency, kind = excluded.kind, "
                    "list_url = excluded.list_url WHERE (sources.agency, sources.kind, sources.list_url) IS DISTINCT "
                    "FROM (excluded.agency, excluded.kind, excluded.list_url)"
                )
                cur.execute(
                    "INSERT INTO sources_synced (one, digest) VALUES (1, %s) ON CONFLICT (one) DO UPDATE "
                    "SET digest = excluded.digest",
                    [digest],
                )
            self._merge_roster(sources)  # (always: a poll since may have stored a report under an alias)

    def sources(self) -> list[SourceState]:
        return [_state(r) for r in self.conn.execute(f"SELECT {_STATE} FROM sources ORDER BY added")]

    def source_state(self, source_id: str) -> SourceState:
        row = self.conn.execute(f"SELECT {_STATE} FROM sources WHERE id = %s", [source_id]).fetchone()
        return _state(row) if row else SourceState(source_id)

    def sources_read(self, among: Iterable[str] | None = None) -> set[str]:
        read = {r[0] for r in self.conn.execute("SELECT id FROM sources WHERE ever_read = 1")}
        return read if among is None else read & set(among)

    def source_changes(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT id, changed FROM sources").fetchall())

    def mark_interrupted(self) -> int:
        """Polls left unfinished by a worker that no longer holds its source (killed; its lease expired or
        released): closed as interrupted. Another worker's poll in progress is left alone."""
        return self.conn.execute(
            "UPDATE polls p SET finished = %s, ok = 0, error = 'interrupted (the process was stopped mid-poll)' "
            "WHERE finished IS NULL AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = p.source AND "
            "s.lease_owner = p.worker AND s.lease_until > now())",
            [now()],
        ).rowcount

    def release_source(self, source_id: str) -> None:
        self.conn.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, polled_at = now(), polled_by = %s WHERE id = %s "
            "AND lease_owner = %s",
            [self.worker, source_id, self.worker],
        )

    def renew_leases(self, lease: float) -> int:
        row = self.conn.execute(
            "WITH held AS (UPDATE sources SET lease_until = now() + %s WHERE lease_owner = %s RETURNING id), "
            "slots AS (UPDATE host_slots SET until = now() + %s WHERE owner = %s) SELECT count(*) FROM held",
            [timedelta(seconds=lease), self.worker, timedelta(seconds=lease), self.worker],
        ).fetchone()
        return int(row[0]) if row else 0

    def take_host_slot(self, host: str, limit: int, lease: float) -> int | None:
        if (host, limit) not in self._slots_made:  # the host's rows, made once a process (any worker may have)
            self.conn.execute(
                "INSERT INTO host_slots (host, slot) SELECT %s, n FROM generate_series(0, %s - 1) n "
                "ON CONFLICT DO NOTHING",
                [host, limit],
            )
            self._slots_made.add((host, limit))
        row = self.conn.execute(
            "UPDATE host_slots SET owner = %s, until = now() + %s WHERE (host, slot) = (SELECT host, slot FROM "
            "host_slots WHERE host = %s AND slot < %s AND (owner IS NULL OR until < now()) ORDER BY slot LIMIT 1 "
            "FOR UPDATE SKIP LOCKED) RETURNING slot",
            [self.worker, timedelta(seconds=lease), host, limit],
        ).fetchone()
        return int(row[0]) if row else None

    def free_host_slot(self, host: str, slot: int) -> None:
        self.conn.execute(
            "UPDATE host_slots SET owner = NULL, until = NULL WHERE host = %s AND slot = %s AND owner = %s",
            [host, slot, self.worker],
        )

    def start_poll(
        self, source_id: str, list_url: str, *, lease: float | None = None, fresh: float = 0, roster: Sequence[str] = ()
    ) -> PollStart:
        """The source's lease (with ``lease``), the poll's row and its reads of the source, sent together: one
        round trip, not seven. Taken over from a worker killed mid-poll, that worker's poll is closed as
        interrupted. The reads are sent before the lease is known granted: when it is not, they are dropped."""
        args = {"me": self.worker, "lease": timedelta(seconds=lease or 0), "id": source_id}
        args |= {"fresh": timedelta(seconds=fresh), "now": now()}
        with self.conn.pipeline():
            if lease is None:
                poll = self.conn.execute(
                    "INSERT INTO polls (source, started, worker) VALUES (%s, %s, %s) RETURNING id, false",
                    [source_id, now(), self.worker],
                )
            else:
                poll = self.conn.execute(_START, args)
            state = self.conn.execute(f"SELECT {_STATE} FROM sources WHERE id = %s", [source_id])
            bodies = self.conn.execute(*bodies_query(source_id, list(roster)))
            page = self.conn.execute(_PAGE, [list_url])
            years = self.conn.execute(
                "SELECT DISTINCT year FROM documents WHERE source = %s AND year IS NOT NULL", [source_id]
            )
            known = self.conn.execute(KNOWN_ON_PAGE, [list_url])
        poll_id, fresh_elsewhere = poll.fetchone() or (None, False)
        if poll_id is None:  # held by another worker (a row another claim has locked this instant too), or fresh
            return PollStart(
                0, SourceState(source_id), (), None, frozenset(), claim=Claim.FRESH if fresh_elsewhere else Claim.HELD
            )
        state_row = state.fetchone()
        return PollStart(
            int(poll_id),
            _state(state_row) if state_row else SourceState(source_id),
            tuple(stored_bodies(bodies.fetchall())),
            _page(page.fetchone()),
            frozenset(r[0] for r in years.fetchall()),
            known_rows(known.fetchall()),
        )

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
        failing: Iterable[str] | None = None,
    ) -> None:
        """The poll's end, its source's streak, its unchanged reports' validators, its unreadable reports settled,
        its events and its lease released in one statement (one round trip a source, no transaction to open and
        commit). The streak is counted in the database, so two ends of one source's polls cannot both read the
        same count."""
        touched, first = list(touched), first_events(events)
        alerted: int | None = None  # the source's "failing" alert: sent (1), ended (0), as it was (None)
        for event in first:
            alerted = 1 if event.kind == "source_failing" else 0 if event.kind == "source_recovered" else alerted
        args = {
            "stamp": now(),
            "ok": int(error is None),
            "error": error,
            "reports": reports,
            "new": new_versions,
            "poll": poll_id,
            "source": source_id,
            "me": self.worker,
            "alerted": alerted,
            "ids": [t[0] for t in touched],
            "etags": [t[1] for t in touched],
            "modified": [t[2] for t in touched],
            "settle": failing is not None,
            "failing": list(failing or ()),
        } | event_args(first)
        self.conn.execute(_FINISH, args)

    # ------------------------------------------------------------ polls asked of the running service
    def request_polls(self, sources: Iterable[str]) -> int:
        asked = [(s, now()) for s in sources]
        with self._transaction(), self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO poll_requests (source, asked) VALUES (%s, %s) ON CONFLICT (source) DO UPDATE "
                "SET asked = excluded.asked",
                asked,
            )
        return len(asked)

    def take_poll_requests(self) -> list[str]:
        return [r[0] for r in self.conn.execute("DELETE FROM poll_requests RETURNING source")]

    # ------------------------------------------------------------ listing pages
    def page(self, url: str) -> PageCache | None:
        return _page(self.conn.execute(_PAGE, [url]).fetchone())

    def page_body(self, url: str) -> bytes:
        row = self.conn.execute("SELECT body FROM pages WHERE url = %s", [url]).fetchone()
        return zlib.decompress(row[0]) if row else b""

    def save_page(self, url: str, etag: str | None, last_modified: str | None, body: bytes, listing: Listing) -> None:
        kept = {"links": [list(link) for link in listing.links], "next": listing.next, "pattern": listing.pattern}
        self.conn.execute(
            "INSERT INTO pages (url, etag, last_modified, body, fetched_at, links) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
            "body = excluded.body, fetched_at = excluded.fetched_at, links = excluded.links",
            [url, etag, last_modified, zlib.compress(body), now(), json.dumps(kept, ensure_ascii=False)],
        )

    # ------------------------------------------------------------ reports that could not be read
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
        self.conn.execute(
            "INSERT INTO unreadable (url, source, title, year, error, sha256, etag, last_modified, first_failed, "
            "last_failed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (url) DO UPDATE SET source = "
            "excluded.source, title = excluded.title, year = excluded.year, error = excluded.error, sha256 = "
            "excluded.sha256, etag = excluded.etag, last_modified = excluded.last_modified, last_failed = "
            "excluded.last_failed",
            [url, source, title, year, error[:500], sha256, *validators, stamp, stamp],
        )

    def unreadable_reports(self, source: str | None = None, year: int | None = None) -> list[UnreadableReport]:
        sql = "SELECT * FROM unreadable WHERE 1 = 1"
        args: list[Any] = []
        if source:
            sql, args = sql + " AND source = %s", [*args, source]
        if year:
            sql, args = sql + " AND year = %s", [*args, year]
        return [UnreadableReport(**r) for r in self._rows(sql + " ORDER BY source, year DESC NULLS LAST, url", args)]
