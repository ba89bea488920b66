"""Sources, their polls, the listing pages they were read from, and the polls asked of the running service. Mixed
into ``SqliteStore``."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from monitor.store.encoding import fetched, listing_json, listing_of, now, sources_digest
from monitor.store.records import Listing, PageCache, PollAsk, PollEnd, PollStart, SourceState
from monitor.store.sqlite.bodies import Bodies
from monitor.store.sqlite.outbox import Outbox

if TYPE_CHECKING:
    from monitor.config import Source


def _state(row: dict[str, Any]) -> SourceState:
    return SourceState(
        row["id"],
        row["agency"],
        row["kind"],
        row["list_url"],
        row["last_poll"],
        row["last_error"],
        row["consecutive_failures"],
        bool(row["failing_alerted"]),
        ever_read=bool(row["ever_read"]),
    )


class Sources(Outbox, Bodies):  # a poll's end stores its source's events
    def sync_sources(self, sources: Iterable[Source]) -> None:
        sources = list(sources)
        digest = sources_digest(sources)
        with self._transaction():  # one statement for all: 20,000 sqlite-utils upserts took 4.4 s of `run`'s start
            synced = self.db.conn.execute("SELECT digest FROM sources_synced").fetchone()
            if synced is None or synced[0] != digest:  # (the same sources as the last sync: nothing to compare)
                known = {r[0]: r[1:] for r in self.db.conn.execute("SELECT id, agency, kind, list_url FROM sources")}
                self.db.conn.executemany(  # only what changed: rewriting 150,000 unchanged rows is ~10 MB
                    "INSERT INTO sources (id, agency, kind, list_url) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                    "SET agency = excluded.agency, kind = excluded.kind, list_url = excluded.list_url",
                    [row for s in sources if known.get((row := (s.id, s.agency, s.kind, s.list_url))[0]) != row[1:]],
                )
                self.db.conn.execute("DELETE FROM sources_synced")
                self.db.conn.execute("INSERT INTO sources_synced (digest) VALUES (?)", [digest])
            self._merge_roster(sources)  # (always: a poll since may have stored a report under an alias)

    def sources(self) -> list[SourceState]:
        return [_state(r) for r in self.db.table("sources").rows]

    def source_state(self, source_id: str) -> SourceState:
        row = self._row("SELECT * FROM sources WHERE id = ?", [source_id])
        return _state(row) if row else SourceState(source_id)

    def sources_read(self, among: Iterable[str] | None = None) -> dict[str, str]:
        read = dict(self.db.conn.execute("SELECT id, last_read FROM sources WHERE last_read IS NOT NULL").fetchall())
        return read if among is None else {i: read[i] for i in set(among) & read.keys()}

    def source_changes(self) -> dict[str, int]:
        return dict(self.db.conn.execute("SELECT id, changed FROM sources").fetchall())

    def mark_interrupted(self) -> int:
        """Poll rows a killed process left unfinished: said so, not left looking like a poll in progress.
        Called under the instance lock, so no other process is polling."""
        with self._transaction():
            return self.db.conn.execute(
                "UPDATE polls SET finished = ?, ok = 0, error = 'interrupted (the process was "
                "stopped mid-poll)' WHERE finished IS NULL",
                [now()],
            ).rowcount

    def release_source(self, source_id: str) -> None:
        """Nothing to release: SQLite's store takes no lease."""

    def renew_leases(self, lease: float) -> int:  # noqa: ARG002
        """Nothing to renew: SQLite's store takes no lease."""
        return 0

    def take_host_slot(self, host: str, limit: int, lease: float) -> int | None:  # noqa: ARG002
        """One process: its connector's per-host limit is the whole politeness."""
        return 0

    def free_host_slot(self, host: str, slot: int) -> None:
        """Nothing was taken."""

    def start_polls(self, asks: Sequence[PollAsk]) -> list[PollStart]:
        """One process polls a SQLite database (its instance lock): every source is its own, no lease is taken. The
        listed reports are asked of ``known_reports`` once the listing is read (each is a query of its own here)."""
        with self._transaction():  # one commit for all the polls' rows
            return [self._start_poll(ask) for ask in asks]

    def _start_poll(self, ask: PollAsk) -> PollStart:
        cur = self.db.conn.execute("INSERT INTO polls (source, started) VALUES (?, ?)", [ask.source_id, now()])
        years = self.db.conn.execute(
            "SELECT DISTINCT year FROM documents WHERE source = ? AND year IS NOT NULL", [ask.source_id]
        )
        return PollStart(
            int(cur.lastrowid or 0),
            self.source_state(ask.source_id),
            tuple(self.bodies(ask.source_id, ask.roster)),
            self.page(ask.list_url),
            frozenset(r[0] for r in years),
        )

    def finish_polls(self, ends: Sequence[PollEnd]) -> None:
        with self._transaction():  # one commit for all (each was one a poll)
            for end in ends:
                self._finish_poll(end)

    def _finish_poll(self, end: PollEnd) -> None:
        poll_id, source_id, error = end.poll_id, end.source_id, end.error
        state = self.source_state(source_id)
        failures = state.consecutive_failures + 1 if error else 0
        stamp = now()
        self.db.conn.execute(
            "UPDATE polls SET finished = ?, ok = ?, error = ?, reports = ?, new_versions = ? WHERE id = ?",
            [stamp, error is None, error, end.reports, end.new_versions, poll_id],
        )
        alerted = int(state.failing_alerted)
        for event in end.events:
            self._add_event(event, None)
            alerted = 1 if event.kind == "source_failing" else 0 if event.kind == "source_recovered" else alerted
        self.db.conn.execute(
            "UPDATE sources SET last_poll = ?, last_error = ?, consecutive_failures = ?, failing_alerted = ? "
            "WHERE id = ?",
            [stamp, error, failures, alerted, source_id],
        )
        self.db.conn.executemany(
            "UPDATE documents SET etag = ?, last_modified = ?, last_checked = ? WHERE id = ?",
            [(etag, modified, stamp, doc_id) for doc_id, etag, modified in end.touched],
        )
        if end.failing is not None:
            keep = list(end.failing)
            self.db.conn.execute(
                f"DELETE FROM unreadable WHERE source = ? AND url NOT IN ({', '.join('?' * len(keep))})",
                [source_id, *keep],
            )

    # ------------------------------------------------------------ polls asked of the running service
    def request_polls(self, sources: Iterable[str]) -> int:
        with self._transaction():
            return self.db.conn.executemany(
                "INSERT OR REPLACE INTO poll_requests (source, asked) VALUES (?, ?)", [(s, now()) for s in sources]
            ).rowcount

    def take_poll_requests(self) -> list[str]:
        # looked at first, a read: the service asks every second, and a write would wait out the busy timeout on its
        # loop whenever another process holds the database (an admin's sqlite3 session), for nothing asked
        if self.db.conn.execute("SELECT 1 FROM poll_requests LIMIT 1").fetchone() is None:
            return []
        with self._transaction():
            return [r[0] for r in self.db.conn.execute("DELETE FROM poll_requests RETURNING source")]

    # ------------------------------------------------------------ listing pages
    def page(self, url: str) -> PageCache | None:
        row = self._row("SELECT etag, last_modified, links FROM pages WHERE url = ?", [url])
        if row is None:
            return None
        return PageCache(row["etag"], row["last_modified"], listing_of(row["links"]))

    def page_body(self, url: str) -> bytes:
        row = self.db.conn.execute("SELECT body FROM pages WHERE url = ?", [url]).fetchone()
        return zlib.decompress(row[0]) if row else b""

    def save_page(self, url: str, etag: str | None, last_modified: str | None, body: bytes, listing: Listing) -> None:
        with self._transaction():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO pages (url, etag, last_modified, body, fetched_at, links) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [url, etag, last_modified, fetched(body), now(), listing_json(listing)],
            )
