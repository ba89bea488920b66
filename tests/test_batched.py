"""The polls' starts and ends made together in a thread of their own (``watch.batched``, ``Store.polls_apart``) beside
the loop's own calls on the shared store: what the two connections of one worker do at the same moment."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from monitor.config import Source
from monitor.errors import StorageError
from monitor.model import Event, Payload
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


async def test_a_stop_stores_the_end_of_a_poll_cut_off_while_it_waited_for_the_call_before(
    pg_url, tmp_path, monkeypatch
):
    """A stop cuts off the polls in hand after STOP_GRACE. A poll that had done its work and was waiting for its end
    to be stored (behind the ends on their way) is cut off too: its end still goes, before the polls cut off are
    marked interrupted and the store is closed; not lost with its alerts, the poll counted as interrupted."""
    from portal import settings  # noqa: PLC0415

    from monitor.watch import timetable  # noqa: PLC0415
    from monitor.watch.fetch import Fetcher  # noqa: PLC0415
    from monitor.watch.poll import Watcher  # noqa: PLC0415

    monkeypatch.setattr(timetable, "STOP_GRACE", 0.05)
    monkeypatch.setattr(timetable.reading, "kill_all", lambda: 0)  # no document is being read
    store = _worker(pg_url, "a")
    finish_polls = store.finish_polls

    def slow(ends):  # a database answering slowly
        time.sleep(0.3)
        finish_polls(ends)

    store.finish_polls = slow
    cfg = settings(tmp_path, [(i, "government", f"http://x/{i}/") for i in "pq"], database_url=pg_url)
    try:
        store.sync_sources(cfg.sources)
        begun = store.start_polls([PollAsk(i, f"http://x/{i}/", 600) for i in "pq"])
        async with Fetcher(cfg.user_agent, 2, 2) as fetcher:
            watcher = Watcher(cfg, store, fetcher)

            async def ending(poll_id: int, source: str) -> None:  # a poll at its end; cut off, its source given back
                try:
                    await watcher.calls.finish(PollEnd(poll_id, source))
                finally:
                    store.release_source(source)

            running = {"p": asyncio.create_task(ending(begun[0].poll_id, "p"))}
            await asyncio.sleep(0.05)  # p's end is on its way
            running["q"] = asyncio.create_task(ending(begun[1].poll_id, "q"))  # q's waits for it
            await timetable._finish(watcher, running, None)
    finally:
        store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        polls = conn.execute("SELECT source, ok, error FROM polls ORDER BY source").fetchall()
    assert polls == [("p", 1, None), ("q", 1, None)]


def _missing(key: str, source: str) -> Event:
    return Event(key, "missing", source, Payload(source, "单位", "http://x/"), ())


def test_two_workers_whose_ends_insert_the_same_new_events_crosswise_both_store_them(pg_url):
    """Two workers' batches of ends insert the same new event keys in opposite orders (sources listing one body,
    the day after its deadline): each waits for the other's key, and PostgreSQL aborts one ("deadlock
    detected"), its whole batch rolled back. That batch is made again, so both store their polls' ends and every
    event is stored once. A third session holds one key a moment so the two interleave so."""
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    failed: list[str] = []
    try:
        a.sync_sources([Source(i, "单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in "pqrs"])
        on_a = a.start_polls([PollAsk(i, "http://x/", 600) for i in "pq"])
        on_b = b.start_polls([PollAsk(i, "http://x/", 600) for i in "rs"])
        first, k1, k2 = "missing|甲|0", "missing|乙|0", "missing|丙|0"
        with psycopg.connect(pg_url, autocommit=True) as conn, psycopg.connect(pg_url) as other:
            other.execute("INSERT INTO events (key, kind, created, payload) VALUES (%s, 'missing', 'x', '{}')", [first])
            ends_b = [
                PollEnd(on_b[0].poll_id, "r", events=(_missing(k2, "r"),)),
                PollEnd(on_b[1].poll_id, "s", events=(_missing(first, "s"), _missing(k1, "s"))),
            ]
            tb = _in_thread(lambda: b.finish_polls(ends_b), failed)
            _until_waiting(conn, tb, 1)  # b has k2, waits for the third session's key
            ends_a = [
                PollEnd(on_a[0].poll_id, "p", events=(_missing(k1, "p"),)),
                PollEnd(on_a[1].poll_id, "q", events=(_missing(k2, "q"),)),
            ]
            ta = _in_thread(lambda: a.finish_polls(ends_a), failed)
            _until_waiting(conn, ta, 2)  # a has k1, waits for b's k2; b's k1 waits for a
            other.rollback()
            ta.join()
            tb.join()
            keys = sorted(r[0] for r in conn.execute("SELECT key FROM events"))
            open_polls = conn.execute("SELECT count(*) FROM polls WHERE finished IS NULL").fetchone()
    finally:
        a.close()
        b.close()
    assert failed == []
    assert keys == sorted([first, k1, k2])
    assert open_polls == (0,)


def test_a_polls_call_made_after_the_store_is_closed_is_refused_and_opens_nothing(pg_url):
    """A stop closes the store; a poll's start or end asked after that (a task the stop cut off) is refused with
    the store's one line, and opens no connection that nothing would close."""
    store = _worker(pg_url, "a")
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.start_polls([PollAsk("s", "http://x/s/", 600)])
    with pytest.raises(StorageError, match="closed"):
        store.finish_polls([PollEnd(1, "s")])
    assert store.polls_conn is None
