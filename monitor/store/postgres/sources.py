"""Sources, their polls and leases, the listing pages they were read from, the polls asked of the running
service, and the listed reports that could not be read. Mixed into ``PostgresStore``.

A source is polled by one worker at a time: ``start_polls`` takes its lease (a row lock taken with SKIP LOCKED,
then an owner and an expiry by the database's clock, so the workers' clocks need not agree); a worker killed
mid-poll leaves a lease that expires, and the source is taken over."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import psycopg

from monitor.store.encoding import HORIZON, fetched, listing_json, listing_of, now, sources_digest
from monitor.store.postgres.bodies import BODIES_OF, Bodies, stored_bodies
from monitor.store.postgres.outbox import EVENTS, Outbox, event_args, first_events
from monitor.store.postgres.versions import KNOWN_ON_PAGES, known_rows
from monitor.store.records import (
    Claim,
    Listing,
    PageCache,
    PollAsk,
    PollEnd,
    PollStart,
    SourceState,
    UnreadableReport,
)

if TYPE_CHECKING:
    from monitor.config import Source

_PAGE = "SELECT etag, last_modified, links FROM pages WHERE url = %s"
_PAGES = "SELECT url, etag, last_modified, links FROM pages WHERE url = ANY(%s)"
_STATE = (
    "id, agency, kind, list_url, last_poll, last_error, consecutive_failures, failing_alerted, polled_by, ever_read"
)


# the sources' leases taken (unless another worker holds one, or polled it within its ``fresh``), a poll cut off by
# a worker killed mid-poll closed as interrupted, and each new poll's row: one statement for every source asked
_START = (
    "WITH asked AS (SELECT * FROM unnest(%(ids)s::text[], %(leases)s::interval[], %(fresh)s::interval[]) AS "
    "a(id, lease, fresh)), "
    "claimed AS (UPDATE sources s SET lease_owner = %(me)s, lease_until = now() + a.lease FROM asked a WHERE "
    "s.id = a.id AND s.id IN (SELECT s.id FROM sources s JOIN asked a ON a.id = s.id WHERE (s.lease_until IS NULL "
    "OR s.lease_until < now() OR s.lease_until > now() + %(horizon)s OR s.lease_owner = %(me)s) AND (s.polled_at "
    "IS NULL OR s.polled_at <= now() - a.fresh OR s.polled_at > now() + %(horizon)s OR s.polled_by = %(me)s) "
    "FOR UPDATE OF s SKIP LOCKED) RETURNING s.id), "
    "cut AS (UPDATE polls SET finished = %(now)s, ok = 0, error = 'interrupted (the process was stopped "
    "mid-poll)' WHERE source IN (SELECT id FROM claimed) AND finished IS NULL AND worker IS DISTINCT FROM "
    "%(me)s), "
    "poll AS (INSERT INTO polls (source, started, worker) SELECT id, %(now)s, %(me)s FROM claimed RETURNING id, "
    "source) "
    "SELECT a.id, p.id, EXISTS (SELECT 1 FROM sources s WHERE s.id = a.id AND s.polled_at > now() - a.fresh AND "
    "s.polled_at <= now() + %(horizon)s AND s.polled_by <> %(me)s) FROM asked a LEFT JOIN poll p ON p.source = a.id"
)
# without a lease: each a poll's row
_OPEN = (
    "INSERT INTO polls (source, started, worker) SELECT id, %(now)s, %(me)s FROM unnest(%(ids)s::text[]) AS a(id) "
    "RETURNING source, id, false"
)
_YEARS = "SELECT DISTINCT source, year FROM documents WHERE source = ANY(%s) AND year IS NOT NULL"


# the polls' ends (``t``), their sources' streaks, their unchanged reports' validators, their unreadable reports
# settled, their events and their leases released: one statement whatever their number
_FINISH = (
    "WITH t AS (SELECT * FROM unnest(%(polls)s::bigint[], %(ids)s::text[], %(errors)s::text[], %(reports)s::integer[], "
    "%(new)s::integer[], %(alerted)s::integer[], %(settle)s::boolean[]) AS t(poll, source, error, reports, new, "
    "alerted, settle)), "
    "p AS (UPDATE polls SET finished = %(stamp)s, ok = (t.error IS NULL)::integer, error = t.error, reports = "
    "t.reports, new_versions = t.new FROM t WHERE polls.id = t.poll), "
    "d AS (UPDATE documents d SET etag = x.etag, last_modified = x.modified, last_checked = %(stamp)s FROM (SELECT * "
    "FROM unnest(%(documents)s::bigint[], %(etags)s::text[], %(modified)s::text[]) AS x(id, etag, modified) ORDER BY "
    "id) x WHERE d.id = x.id), "
    # a poll that read the listing: of the source's unreadable reports, only those that failed this time stay
    "u AS (DELETE FROM unreadable x USING t WHERE t.settle AND x.source = t.source AND NOT EXISTS (SELECT 1 FROM "
    "unnest(%(failing_at)s::text[], %(failing)s::text[]) AS f(source, url) WHERE f.source = x.source AND f.url = "
    "x.url)), " + EVENTS.format(document="NULL::bigint", version="NULL::bigint") + " "
    # their events (``EVENTS``), with their deliveries
    "UPDATE sources s SET last_poll = %(stamp)s, last_error = t.error, consecutive_failures = CASE WHEN t.error IS "
    "NULL THEN 0 ELSE s.consecutive_failures + 1 END, failing_alerted = coalesce(t.alerted, s.failing_alerted), "
    # the lease released (when it is still this worker's) and the poll counted for ``fresh``
    "polled_at = CASE WHEN s.lease_owner = %(me)s THEN now() ELSE s.polled_at END, polled_by = CASE WHEN "
    "s.lease_owner = %(me)s THEN %(me)s ELSE s.polled_by END, lease_until = CASE WHEN s.lease_owner = %(me)s THEN "
    "NULL ELSE s.lease_until END, lease_owner = CASE WHEN s.lease_owner = %(me)s THEN NULL ELSE s.lease_owner END "
    "FROM t WHERE s.id = t.source"
)


def _state(row: tuple[Any, ...]) -> SourceState:
    source_id, agency, kind, list_url, last_poll, last_error, failures, alerted, worker, read = row
    return SourceState(
        source_id, agency, kind, list_url, last_poll, last_error, failures, bool(alerted), worker, bool(read)
    )


def _page(row: tuple[Any, ...] | None) -> PageCache | None:
    if row is None:
        return None
    return PageCache(row[0], row[1], listing_of(row[2]))


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

    def sources_read(self, among: Iterable[str] | None = None) -> dict[str, str]:
        read = dict(self.conn.execute("SELECT id, last_read FROM sources WHERE last_read IS NOT NULL").fetchall())
        return read if among is None else {i: read[i] for i in set(among) & read.keys()}

    def source_changes(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT id, changed FROM sources").fetchall())

    def mark_interrupted(self) -> int:
        """Polls left unfinished by a worker that no longer holds its source (killed; its lease expired or
        released): closed as interrupted. Another worker's poll in progress is left alone."""
        return self.conn.execute(
            "UPDATE polls p SET finished = %s, ok = 0, error = 'interrupted (the process was stopped mid-poll)' "
            "WHERE finished IS NULL AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = p.source AND "
            "s.lease_owner = p.worker AND s.lease_until > now() AND s.lease_until <= now() + %s)",
            [now(), HORIZON],
        ).rowcount

    def release_source(self, source_id: str) -> None:
        self.conn.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL WHERE id = %s AND lease_owner = %s",
            [source_id, self.worker],
        )

    def renew_leases(self, lease: float) -> int:
        """A source's row locked meanwhile is left as it is (SKIP LOCKED): its poll's end (the polls' own
        connection, ``finish_polls``) is releasing it, and it locks the rows in the ends' order, this in the
        table's: waiting, each could wait for the other (a deadlock, one of them aborted a second later)."""
        row = self.conn.execute(
            "WITH held AS (UPDATE sources SET lease_until = now() + %s WHERE id IN (SELECT id FROM sources WHERE "
            "lease_owner = %s FOR UPDATE SKIP LOCKED) RETURNING id), "
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
            "host_slots WHERE host = %s AND slot < %s AND (owner IS NULL OR until < now() OR until > now() + %s) "
            "ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING slot",
            [self.worker, timedelta(seconds=lease), host, limit, HORIZON],
        ).fetchone()
        return int(row[0]) if row else None

    def free_host_slot(self, host: str, slot: int) -> None:
        self.conn.execute(
            "UPDATE host_slots SET owner = NULL, until = NULL WHERE host = %s AND slot = %s AND owner = %s",
            [host, slot, self.worker],
        )

    def start_polls(self, asks: Sequence[PollAsk]) -> list[PollStart]:
        """Every ask's lease (with ``lease``), poll row and reads of its source sent together: one round trip
        whatever their number (a poll began in seven, then one each). Taken over from a worker killed mid-poll,
        that worker's poll is closed as interrupted. The reads are sent before the leases are known granted: a
        source's are dropped when its lease is not."""
        first: dict[str, PollAsk] = {}  # a source asked twice: its first ask
        for ask in asks:
            first.setdefault(ask.source_id, ask)
        sent = list(first.values())
        ids = [a.source_id for a in sent]
        urls = sorted({a.list_url for a in sent})
        args: dict[str, Any] = {"me": self.worker, "now": now(), "ids": ids, "horizon": HORIZON}
        args |= {"leases": [timedelta(seconds=a.lease or 0) for a in sent]}
        args |= {"fresh": [timedelta(seconds=a.fresh) for a in sent]}
        leased = any(a.lease is not None for a in asks)
        if leased and not all(a.lease is not None for a in asks):  # (one statement takes the leases of all)
            raise ValueError("start_polls: the asks of one call are all leased or none")
        rosters = [(a.source_id, name) for a in sent for name in a.roster]

        def send(conn: psycopg.Connection[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
            with conn.pipeline():
                cursors = [
                    conn.execute(_START if leased else _OPEN, args),
                    conn.execute(f"SELECT {_STATE} FROM sources WHERE id = ANY(%s)", [ids]),
                    conn.execute(_PAGES, [urls]),
                    conn.execute(_YEARS, [ids]),
                    conn.execute(BODIES_OF, [ids, [s for s, _ in rosters], [n for _, n in rosters]]),
                    conn.execute(KNOWN_ON_PAGES, [urls]),
                ]
            return [cur.fetchall() for cur in cursors]

        polls, states, pages, years, bodies, known = self._on_polls(send)
        claims = {source: (poll_id, fresh) for source, poll_id, fresh in polls}
        state = {row[0]: _state(row) for row in states}
        page = {row[0]: _page(row[1:]) for row in pages}
        stored: dict[str, set[int]] = {}
        for source, year in years:
            stored.setdefault(source, set()).add(year)
        found: dict[str, list[tuple[Any, ...]]] = {}
        for source, *body in bodies:
            found.setdefault(source, []).append(tuple(body))
        linked: dict[str, list[tuple[Any, ...]]] = {}
        for url, *report in known:
            linked.setdefault(url, []).append(tuple(report))
        begun: dict[str, PollStart] = {}
        for ask in sent:
            poll_id, fresh_elsewhere = claims.get(ask.source_id, (None, False))
            if poll_id is None:  # held by another worker (a row another claim has locked this instant too), or fresh
                claim = Claim.FRESH if fresh_elsewhere else Claim.HELD
                begun[ask.source_id] = PollStart(0, SourceState(ask.source_id), (), None, frozenset(), claim=claim)
                continue
            begun[ask.source_id] = PollStart(
                int(poll_id),
                state.get(ask.source_id) or SourceState(ask.source_id),
                tuple(stored_bodies(found.get(ask.source_id, ()))),
                page.get(ask.list_url),
                frozenset(stored.get(ask.source_id, ())),
                known_rows(linked.get(ask.list_url, ())),
            )
        return [
            begun[a.source_id]
            if first[a.source_id] is a
            else PollStart(0, SourceState(a.source_id), (), None, frozenset(), claim=Claim.HELD)
            for a in asks
        ]

    def finish_polls(self, ends: Sequence[PollEnd]) -> None:
        """The polls' ends, their sources' streaks, their unchanged reports' validators, their unreadable reports
        settled, their events and their leases released in one statement (one round trip for every poll ending
        in a turn of the loop, no transaction to open and commit). A streak is counted in the database, so two
        ends of one source's polls cannot both read the same count."""
        alerted: list[int | None] = []  # each source's "failing" alert: sent (1), ended (0), as it was (None)
        for end in ends:
            alerted.append(None)
            for event in first_events(end.events):
                kind = event.kind
                alerted[-1] = 1 if kind == "source_failing" else 0 if kind == "source_recovered" else alerted[-1]
        touched = [t for end in ends for t in end.touched]
        failing = [(end.source_id, url) for end in ends for url in end.failing or ()]
        args = {
            "stamp": now(),
            "me": self.worker,
            "polls": [end.poll_id for end in ends],
            "ids": [end.source_id for end in ends],
            # (a NUL, which PostgreSQL's text cannot hold, left out: a portal's reason phrase may carry one, and one
            # end refused would be every end of its batch refused)
            "errors": [None if end.error is None else end.error.replace("\x00", "") for end in ends],
            "reports": [end.reports for end in ends],
            "new": [end.new_versions for end in ends],
            "alerted": alerted,
            "settle": [end.failing is not None for end in ends],
            "documents": [t[0] for t in touched],
            "etags": [t[1] for t in touched],
            "modified": [t[2] for t in touched],
            "failing_at": [source for source, _ in failing],
            "failing": [url for _, url in failing],
        } | event_args(e for end in ends for e in first_events(end.events))
        self._on_polls(lambda conn: conn.execute(_FINISH, args))

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
        self.conn.execute(
            "INSERT INTO pages (url, etag, last_modified, body, fetched_at, links) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
            "body = excluded.body, fetched_at = excluded.fetched_at, links = excluded.links",
            [url, etag, last_modified, fetched(body), now(), listing_json(listing)],
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
