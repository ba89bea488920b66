"""The polls' starts and ends made together in a thread of their own (``watch.batched``, ``Store.polls_apart``) beside
the loop's own calls on the shared store: what the two connections of one worker do at the same moment."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import psycopg

from monitor.config import Source
from monitor.errors import StorageError
from monitor.store import PollAsk, PollEnd, open_store


def _worker(url: str, name: str):
    store = open_store(url)
    store.worker = name  # type: ignore[attr-defined]
    return store


def _until_waiting(conn: psycopg.Connection, call: threading.Thread, waiting: int) -> None:
    """Until ``call`` has ended, or ``waiting`` of the database's sessions wait for a row's lock."""
    for _ in range(1000):
        locked = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()
        if not call.is_alive() or (locked and locked[0] >= waiting):
            return
        time.sleep(0.01)
    raise AssertionError("the call neither ended nor waited")


def _in_thread(call: Callable[[], object], failed: list[str]) -> threading.Thread:
    def run() -> None:
        try:
            call()
        except StorageError as exc:
            failed.append(str(exc))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_renewing_leases_while_the_polls_ends_are_stored_never_deadlocks(pg_url):
    """A worker renews its leases (the loop's connection) while the ends of its polls are stored (the polls'
    connection): both lock the rows of the sources in hand, the renewal in the table's order, the ends in theirs.
    Neither may wait for the other in a cycle: PostgreSQL would abort one ("deadlock detected") a second later,
    the loop stalled meanwhile; an end aborted is every poll of its batch failed, its alerts not stored. Here the
    ends wait first (a third session holds a row the renewal needs for a moment), so they would be aborted."""
    a = _worker(pg_url, "a")
    failed: list[str] = []
    try:  # as many sources as a large configuration, so the ends find their rows by key (in the ends' order)
        a.sync_sources(
            [Source(f"s{i:05}", "单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in range(20000)]
        )
        begun = {b.state.id: b for b in a.start_polls([PollAsk(f"s{i:05}", "http://x/", 600) for i in (1, 2, 3)])}
        with psycopg.connect(pg_url, autocommit=True) as conn, psycopg.connect(pg_url) as other:
            conn.execute("ANALYZE sources")
            one, two, three = [
                r[0] for r in conn.execute("SELECT id FROM sources WHERE lease_owner = 'a' ORDER BY ctid")
            ]
            other.execute("SELECT 1 FROM sources WHERE id = %s FOR UPDATE", [two])
            renewing = _in_thread(lambda: a.renew_leases(600), failed)
            _until_waiting(conn, renewing, 1)  # (before the fix: holding one, waiting for two)
            ending = _in_thread(lambda: a.finish_polls([PollEnd(begun[s].poll_id, s) for s in (three, one)]), failed)
            _until_waiting(conn, ending, 2)  # (before: holding three, waiting for one)
            other.commit()
            renewing.join()
            ending.join()
            open_polls = conn.execute("SELECT count(*) FROM polls WHERE finished IS NULL").fetchone()
    finally:
        a.close()
    assert open_polls == (1,)  # two's poll, still in hand
    assert failed == []


def test_a_polls_error_holding_a_nul_ends_with_the_other_polls_of_its_batch(pg_url):
    """A portal may answer ``HTTP/1.1 404 Bad\\x00Thing``: the poll's error then holds a NUL, which PostgreSQL's
    text cannot. Every poll ending in that turn of the loop goes in one statement with it: refused, they would all
    fail ("cannot use the database") at every interval, their alerts not stored. The NUL is left out."""
    a = _worker(pg_url, "a")
    try:
        a.sync_sources(
            [Source(i, "单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in ("ok", "bad")]
        )
        begun = a.start_polls([PollAsk(i, f"http://x/{i}/", 600) for i in ("ok", "bad")])
        a.finish_polls(
            [PollEnd(begun[0].poll_id, "ok"), PollEnd(begun[1].poll_id, "bad", "http://x/bad/: HTTP 404 Bad\x00Thing")]
        )
        with psycopg.connect(pg_url, autocommit=True) as conn:
            polls = conn.execute("SELECT source, ok, error FROM polls ORDER BY source").fetchall()
        states = {s.id: (s.last_error, s.consecutive_failures) for s in a.sources()}
    finally:
        a.close()
    assert polls == [("bad", 0, "http://x/bad/: HTTP 404 BadThing"), ("ok", 1, None)]
    assert states == {"ok": (None, 0), "bad": ("http://x/bad/: HTTP 404 BadThing", 1)}
