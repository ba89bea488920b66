"""The shared store's configuration and its failures: `database = "postgresql://…"` in [monitor] chooses the
PostgreSQL store; its password comes from the environment variable `database_password_env` names, never the
file; a URL holding a password, a password variable not set, a server that is not there, a database that
refuses the password: each one line naming the file, the line and the key, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import threading
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from conftest import SEEDS
from portal import listing, settings
from processes import wait_for

from monitor.config import Source, load
from monitor.errors import ConfigError, StorageError
from monitor.present.cli import main
from monitor.store import Claim, KnownReport, Listing, PollAsk, open_store
from monitor.store.postgres import store as postgres_store
from monitor.watch import liveness, timetable
from monitor.watch.batched import PollCalls
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher

SOURCE = """
[[source]]
id = "tongliao"
agency = "通辽市人民政府"
kind = "government"
list_url = "http://www.tongliao.gov.cn/tl/zfxxgknb/"
"""


def write(tmp_path, monitor: str):
    path = tmp_path / "sources.toml"
    path.write_text(f'[monitor]\nuser_agent = "govmon-test"\n{monitor}\n{SOURCE}', encoding="utf-8")
    return path


def test_a_postgresql_url_chooses_the_shared_store_with_its_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVMON_DB_PASSWORD", "s3cret")
    path = write(
        tmp_path,
        'database = "postgresql://govmon@db.example:5433/govmon"\ndatabase_password_env = "GOVMON_DB_PASSWORD"',
    )
    settings = load(path, secrets=False)
    assert settings.database_url == "postgresql://govmon@db.example:5433/govmon"
    assert settings.database_password == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.database_line == f"{path}:3: [monitor] key 'database'"
    plain = load(write(tmp_path, 'database = "state/govmon.db"'))
    assert plain.database_url is None
    assert plain.database == tmp_path / "state" / "govmon.db"


@pytest.mark.parametrize(
    ("monitor", "message"),
    [
        (
            'database = "postgresql://govmon:s3cret@db.example/govmon"',
            r":3: \[monitor\] key 'database': holds a password",
        ),
        (
            'database = "postgresql://db.example:port/govmon"',
            r":3: \[monitor\] key 'database': not a valid postgresql:// URL",
        ),
        (
            'database = "postgresql://db.example/govmon"\ndatabase_password_env = "GOVMON_NOT_SET"',
            r":4: \[monitor\] key 'database_password_env': environment variable GOVMON_NOT_SET is not set",
        ),
        (
            'database = "govmon.db"\ndatabase_password_env = "GOVMON_DB_PASSWORD"',
            r":4: \[monitor\] key 'database_password_env': only a postgresql:// database has a password",
        ),
    ],
)
def test_each_mistake_in_the_database_keys_is_one_line_naming_the_key(tmp_path, monkeypatch, monitor, message):
    monkeypatch.delenv("GOVMON_NOT_SET", raising=False)
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, monitor))


def test_a_server_that_is_not_there_is_one_line_naming_the_key(tmp_path, capsys, unused_tcp_port):
    path = write(tmp_path, f'database = "postgresql://govmon@127.0.0.1:{unused_tcp_port}/govmon"')
    with pytest.raises(StorageError) as caught:
        open_store(load(path))
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}:3: [monitor] key 'database': cannot connect to the PostgreSQL database")
    assert main(["status", "--config", str(path)]) != 0
    err = capsys.readouterr().err
    assert f"{path}:3: [monitor] key 'database': cannot connect" in err
    assert "Traceback" not in err


def test_a_role_without_rights_is_one_line_naming_the_key(tmp_path, pg_url, capsys):
    """A database the configured role may not create tables in: the server's refusal, in one line."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS reader")
        conn.execute("CREATE ROLE reader LOGIN")
        conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    path = write(tmp_path, f'database = "{pg_url.replace("govmon@", "reader@")}"')
    assert main(["status", "--config", str(path)]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"govmon: {path}:3: [monitor] key 'database': cannot use the database: ")
    assert "schema" in line  # the server's reason: the role may not create the tables in the public schema


def test_migrate_to_copies_every_row_and_the_stores_answer_alike(tmp_path, pg_url, capsys):
    """The demo's SQLite database (real polls: versions, findings, events, deliveries) copied into PostgreSQL:
    each table's rows counted on both sides, and every read of the two stores gives the same records."""
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    path = tmp_path / "sources.toml"
    path.write_text(f'[monitor]\ndatabase = "{tmp_path / "demo" / "govmon.db"}"\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["db", "migrate-to", pg_url, "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "versions: " in out
    assert "every table's rows counted on both sides" in out
    sqlite, shared = open_store(tmp_path / "demo" / "govmon.db"), open_store(pg_url)
    try:
        assert list(shared.reports(summaries=True)) == list(sqlite.reports(summaries=True))
        assert shared.events() == sqlite.events()
        assert shared.events()  # the demo raised alerts
        assert shared.deliveries(delivered=True) == sqlite.deliveries(delivered=True)
        assert shared.sources() == sqlite.sources()
        assert shared.last_reports() == sqlite.last_reports()
        span = sqlite.year_span()
        assert span is not None
        assert shared.year_span() == span
        for year in range(span[0], span[1] + 1):
            assert shared.body_year_reports(year) == sqlite.body_year_reports(year)
        assert shared.bodies() == sqlite.bodies()
        assert shared.bodies()  # the demo's reports are attributed
        for body in sqlite.bodies():
            for year in body.years:
                assert shared.body_version(body.name, year) == sqlite.body_version(body.name, year)
        for doc in shared.reports():  # streamed from a server-side cursor: other questions asked between rows
            assert doc.latest is not None
            assert shared.raw(doc.latest.id) == sqlite.raw(doc.latest.id)
            assert shared.history(doc.latest.id) == sqlite.history(doc.latest.id)
        assert shared.alert_counts() == sqlite.alert_counts()
    finally:
        sqlite.close()
        shared.close()
    # again into the same database: refused, in one line, nothing mixed
    assert main(["db", "migrate-to", pg_url, "--config", str(path)]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "not empty" in line
    assert main(["db", "migrate-to", "mysql://x/y", "--config", str(path)]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "not a postgresql:// URL" in line


def _worker(url: str, name: str):
    """A store as the worker ``name`` (each process is one worker; here two share a process)."""
    store = open_store(url)
    store.worker = name  # type: ignore[attr-defined]
    return store


def _claim(store, source: str, lease: float, fresh: float = 0) -> Claim:
    """What asking for the source's poll with a lease got (the poll's row made only when granted)."""
    return store.start_polls([PollAsk(source, f"http://x/{source}/", lease, fresh)])[0].claim


def _ended(url: str, source: str, worker: str) -> None:
    """``worker``'s poll of ``source`` ended just now, as ``finish_polls`` leaves the source's row."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL, polled_at = now(), polled_by = %s WHERE id = %s",
            [worker, source],
        )


def test_a_source_lease_keeps_a_second_worker_off_until_released_or_expired(pg_url):
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("INSERT INTO sources (id) VALUES ('s1')")
        assert _claim(a, "s1", lease=600)
        assert _claim(b, "s1", lease=600) is Claim.HELD  # a polls it: looked at again after the lease
        assert _claim(a, "s1", lease=600)  # its holder may renew it
        _ended(pg_url, "s1", "a")
        assert _claim(b, "s1", lease=600, fresh=3600) is Claim.FRESH  # polled just now, by a: next interval
        assert _claim(b, "s1", lease=600)  # a `poll` asked now takes it
        b.release_source("s1")  # b's poll cut off (a stop, the database away): free, and not counted as polled
        assert _claim(a, "s1", lease=600, fresh=3600) is Claim.TAKEN
        with psycopg.connect(pg_url, autocommit=True) as conn:  # b is killed; its lease's time passes
            conn.execute("UPDATE sources SET lease_until = now() - interval '1 second'")
        assert _claim(a, "s1", lease=600)  # taken over
    finally:
        a.close()
        b.close()


def test_stamps_a_database_clock_left_far_ahead_hold_nothing_back(pg_url):
    """The stamps are the database server's ``now()``. Made while its clock was 120 days ahead (then corrected),
    each held its row until the clock caught up: a source polled then was 'polled just now' to every other worker
    and to `govmon poll` (a restarted service is another worker: another PID); a killed worker's lease kept its
    source, its unfinished poll open and its host slot, and no other worker could poll that host; an alert it had
    claimed was sent by no one. No lease, slot or claim is ever taken for more than an hour: a stamp further ahead
    was a wrong clock's."""
    a, b = _worker(pg_url, "host:100"), _worker(pg_url, "host:200")
    ahead = "now() + interval '120 days'"
    sources = [Source(i, "单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in ("s1", "s2")]
    try:
        a.sync_sources(sources)
        assert _claim(a, "s1", lease=600)
        _ended(pg_url, "s1", "a")  # polled by a
        assert _claim(a, "s2", lease=600)  # a is polling s2, holds a slot of its host, and has claimed an alert
        assert a.take_host_slot("portal.gov.cn", 1, 600) == 0
        with psycopg.connect(pg_url, autocommit=True) as conn:
            (event,) = conn.execute(
                "INSERT INTO events (key, kind, source, created, payload) VALUES ('k', 'missing', 's1', %s, '{}') "
                "RETURNING id",
                [datetime.now(UTC).isoformat()],
            ).fetchone()
            conn.execute(
                "INSERT INTO deliveries (event_id, channel, recipient, next_attempt) VALUES (%s, 'email', 'x@y', %s)",
                [event, datetime.now(UTC).isoformat()],
            )
        assert len(a.due_deliveries(datetime.now(UTC))) == 1
        with psycopg.connect(pg_url, autocommit=True) as conn:  # ... all while the clock was ahead; a is killed
            conn.execute(f"UPDATE sources SET polled_at = {ahead} WHERE id = 's1'")
            conn.execute(f"UPDATE sources SET lease_until = {ahead} WHERE id = 's2'")
            conn.execute(f"UPDATE host_slots SET until = {ahead}")
            conn.execute(f"UPDATE deliveries SET claimed_until = {ahead}")
        assert b.mark_interrupted() == 2  # a's polls: of s2 (its lease stamped ahead), and of s1 (never ended here)
        assert _claim(b, "s1", lease=600, fresh=3240) is Claim.TAKEN  # not polled 'just now': in 120 days' time
        assert _claim(b, "s2", lease=600) is Claim.TAKEN
        assert b.take_host_slot("portal.gov.cn", 1, 600) == 0
        assert len(b.due_deliveries(datetime.now(UTC))) == 1
        # and what is really held is still held: b's own lease and slot, just taken, against a
        assert _claim(a, "s2", lease=600) is Claim.HELD
        assert a.take_host_slot("portal.gov.cn", 1, 600) is None
    finally:
        a.close()
        b.close()


def test_a_polls_start_is_one_round_trip_that_makes_nothing_when_its_lease_is_not_granted(pg_url):
    """The lease, the poll's row and its reads go together (``start_polls`` with a lease): a poll that did not get
    the lease leaves no row; one that did knows already what the store holds of each report its listing page
    linked to as last read (every URL present, one never seen as nothing known), the same as ``known_reports``."""
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        a.sync_sources([Source("s1", "单位", "government", "http://x/s1/", 3600, re.compile("."))])
        links = (("http://x/s1/bad.pdf", "2023年报告", 2023, ""), ("http://x/s1/new.html", "2024年报告", 2024, ""))
        a.save_page("http://x/s1/", None, None, b"<html></html>", Listing(links, None, "."))
        a.mark_unreadable("s1", links[0][0], "读不出", title=links[0][1], year=2023, sha256="bad")
        [begun] = a.start_polls([PollAsk("s1", "http://x/s1/", 600)])
        [held] = b.start_polls([PollAsk("s1", "http://x/s1/", 600)])
        with psycopg.connect(pg_url, autocommit=True) as conn:
            polls = conn.execute("SELECT id, worker FROM polls").fetchall()
        asked = a.known_reports([url for url, *_ in links])
    finally:
        a.close()
        b.close()
    assert begun.claim is Claim.TAKEN
    assert polls == [(begun.poll_id, "a")]  # b's start made no poll
    assert (held.claim, held.poll_id, held.page) == (Claim.HELD, 0, None)
    assert sorted(begun.known) == [url for url, *_ in links]
    assert begun.known[links[1][0]] == KnownReport()
    assert begun.known[links[0][0]] == asked[links[0][0]]
    bad = begun.known[links[0][0]].unreadable
    assert bad is not None
    assert bad.sha256 == "bad"


def test_polls_asked_together_are_each_granted_or_refused_as_alone(pg_url):
    """``start_polls`` with several asks (one round trip): each source's lease as asking alone would give it: one
    another worker holds is refused (HELD), one it polled a moment ago too (FRESH), a source asked twice is held
    by its first ask (one poll row), and only the granted polls have rows, each its source's."""
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        a.sync_sources([Source(i, "单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in "pqrs"])
        assert _claim(b, "q", lease=600)  # b polls q now
        assert _claim(b, "r", lease=600)
        _ended(pg_url, "r", "b")  # b polled r a moment ago
        asks = [PollAsk(i, f"http://x/{i}/", 600, 60) for i in "pqrsp"]
        begun = a.start_polls(asks)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            rows = conn.execute("SELECT source, id FROM polls WHERE worker = 'a' ORDER BY source").fetchall()
    finally:
        a.close()
        b.close()
    assert [x.claim for x in begun] == [Claim.TAKEN, Claim.HELD, Claim.FRESH, Claim.TAKEN, Claim.HELD]
    assert rows == [("p", begun[0].poll_id), ("s", begun[3].poll_id)]
    assert [x.state.id for x in begun] == list("pqrsp")


async def test_polls_asked_in_one_turn_begin_together_and_one_cut_off_meanwhile_gives_its_source_back(pg_url):
    """The watcher's polls asked to begin in one turn of the loop go to the store in one call (``PollCalls``); a poll
    cut off (a stop) while its ask was on its way does not keep the lease it was granted: its source is free for
    the next worker at once, not after ``lease_seconds``."""
    store = _worker(pg_url, "a")
    sent: list[list[str]] = []
    start_polls = store.start_polls

    def counted(asks):
        sent.append([a.source_id for a in asks])
        return start_polls(asks)

    store.start_polls = counted
    try:
        store.sync_sources([Source(i, "单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in "pqr"])
        calls = PollCalls(store)
        asked = [asyncio.create_task(calls.start(PollAsk(i, f"http://x/{i}/", 600))) for i in "pqr"]
        await asyncio.sleep(0)  # each has asked; the store is asked at the next turn, in a thread
        asked[1].cancel()
        begun = await asyncio.gather(*asked, return_exceptions=True)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            owners = conn.execute("SELECT id, lease_owner FROM sources ORDER BY id").fetchall()
    finally:
        store.close()
    assert sent == [["p", "q", "r"]]
    assert isinstance(begun[1], asyncio.CancelledError)
    assert [b.claim for b in (begun[0], begun[2])] == [Claim.TAKEN, Claim.TAKEN]
    assert owners == [("p", "a"), ("q", None), ("r", "a")]


def test_a_hosts_slots_are_shared_by_every_worker(pg_url):
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        assert a.take_host_slot("portal.example", 2, 60) == 0
        assert b.take_host_slot("portal.example", 2, 60) == 1
        assert a.take_host_slot("portal.example", 2, 60) is None  # per_host = 2 in total, not each
        assert b.take_host_slot("other.example", 2, 60) == 0  # another host has its own
        b.free_host_slot("portal.example", 1)
        assert a.take_host_slot("portal.example", 2, 60) == 1
        with psycopg.connect(pg_url, autocommit=True) as conn:  # a is killed mid-request; the slot's lease passes
            conn.execute("UPDATE host_slots SET until = now() - interval '1 second' WHERE owner = 'a'")
        assert b.take_host_slot("portal.example", 2, 60) == 0
    finally:
        a.close()
        b.close()


def test_renewing_extends_only_the_leases_a_worker_still_holds(pg_url):
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("INSERT INTO sources (id) VALUES ('s1'), ('s2')")
        assert _claim(a, "s1", lease=1)
        assert _claim(a, "s2", lease=1)
        assert a.take_host_slot("portal.example", 2, 1) == 0
        with psycopg.connect(pg_url, autocommit=True) as conn:  # s2's lease lapsed while a was busy; b took it
            conn.execute("UPDATE sources SET lease_until = now() - interval '1 second' WHERE id = 's2'")
        assert _claim(b, "s2", lease=600)
        assert a.renew_leases(600) == 1  # s1 only: s2 is b's now
        with psycopg.connect(pg_url, autocommit=True) as conn:
            leases = dict(conn.execute("SELECT id, lease_owner FROM sources").fetchall())
            left = conn.execute("SELECT min(lease_until - now()) FROM sources").fetchone()[0]
            slot = conn.execute("SELECT until - now() FROM host_slots WHERE owner = 'a'").fetchone()[0]
        assert leases == {"s1": "a", "s2": "b"}
        assert left.total_seconds() > 500  # renewed to 600 s, not 1
        assert slot.total_seconds() > 500
        assert not _claim(b, "s1", lease=600)
    finally:
        a.close()
        b.close()


async def test_a_report_new_after_another_workers_first_poll_is_alerted_not_silenced(portal, pg_url, tmp_path):
    """Worker b knew which sources had been read when it started; worker a then made s0's first poll (one
    summary). When b polls s0 next and finds a new report, that is no first poll: the report is alerted."""
    from datetime import date  # noqa: PLC0415

    from conftest import SEEDS  # noqa: PLC0415
    from portal import listing, settings  # noqa: PLC0415

    from monitor.present import admin  # noqa: PLC0415
    from monitor.watch.fetch import Fetcher  # noqa: PLC0415
    from monitor.watch.poll import Watcher  # noqa: PLC0415

    first = [("t0.html", "通辽市2021年政府信息公开工作年度报告")]
    portal.add("/s0/", listing(first))
    portal.add("/s0/t0.html", SEEDS["tongliao"].read_bytes(), content_type="text/plain")
    # s1 lists another body's report: one body's report listed on two sources is stored once (#27)
    portal.add("/s1/", listing([("t0.html", "伊宁市2020年政府信息公开工作年度报告")]))
    portal.add("/s1/t0.html", SEEDS["yining"].read_bytes(), content_type="text/plain")
    sources = [(f"s{i}", "government", f"{portal.base}/s{i}/") for i in (0, 1)]
    cfg = settings(tmp_path, sources, database_url=pg_url, first_poll="summary", outbox_dir=tmp_path / "mail")
    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0) as fetcher:
            wa = Watcher(cfg, a, fetcher, today=lambda: date(2022, 3, 1))
            wb = Watcher(cfg, b, fetcher, today=lambda: date(2022, 3, 1))
            await wb.poll(["s1"])  # b starts: s0 has not been read
            await wa.poll(["s0"])  # a's first poll of s0: its report told in the summary
            portal.add("/s0/", listing([*first, ("t1.html", "通辽市2022年政府信息公开工作年度报告")]))
            portal.add("/s0/t1.html", SEEDS["luzhou"].read_bytes(), content_type="text/plain")
            with psycopg.connect(pg_url, autocommit=True) as conn:  # an interval passes
                conn.execute("UPDATE sources SET polled_at = now() - interval '1 hour'")
            (result,) = await wb.poll(["s0"])
        assert (result.new_versions, result.quiet) == (1, False)
        told = [e for e in b.events() if e.event.kind == "new_report" and e.event.source == "s0"]
        assert len(told) == 2
        assert told[0].event.recipients == ()  # in the first poll's summary
        assert told[1].event.recipients  # the new one: alerted
        # which worker polled each source last, as the admin's `govmon sources` shows it
        assert {s.id: s.polled_by for s in a.sources()} == {"s0": "b", "s1": "b"}
        assert admin.sources_text(cfg, a).count(" by b") == 2
    finally:
        a.close()
        b.close()


def test_a_shared_database_of_the_first_schema_upgrades_with_its_reports_attributed(pg_url):
    """A schema-1 shared database (before bodies, #27): the upgrade attributes each stored document to the body
    its stored report names ('read'), else to its source's agency ('assumed'); two forms of one body's name on
    one source are made one, under the name first stored (as the SQLite store's migration 9 does)."""
    from monitor.store.encoding import pack  # noqa: PLC0415
    from monitor.store.postgres.schema import MIGRATIONS  # noqa: PLC0415

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE govmon_schema (version INTEGER NOT NULL)")
        conn.execute(MIGRATIONS[0].encode())
        conn.execute("INSERT INTO govmon_schema (version) VALUES (1)")
        conn.execute("INSERT INTO sources (id, agency, kind) VALUES ('city', '通辽市 人民政府', 'government')")
        for doc, agency in ((1, "泸州市人民政府"), (2, None), (3, "洪泽区人民政府"), (4, "淮安市洪泽区 人民政府")):
            conn.execute(
                "INSERT INTO documents (id, source, url, year, first_seen) VALUES (%s, 'city', %s, 2022, 'x')",
                [doc, f"u{doc}"],
            )
            report = json.dumps({"agency": agency, "kind": "government"}, ensure_ascii=False)
            conn.execute(
                "INSERT INTO versions (document_id, fetched_at, sha256, content_hash, raw, report, findings) "
                "VALUES (%s, 'x', 's', %s, '\\x00', %s, '[]')",
                [doc, f"h{doc}", pack(report)],
            )
    store = open_store(pg_url)
    try:
        found = {(b.name, b.how, b.years) for b in store.bodies("city")}
        assert store.body_report("泸州市人民政府", 2022) is not None
        assert {r.body for r in store.reports()} == {"泸州市人民政府", "通辽市人民政府", "洪泽区人民政府"}
    finally:
        store.close()
    assert found == {
        ("泸州市人民政府", "read", frozenset({2022})),
        ("通辽市人民政府", "assumed", frozenset({2022})),
        ("洪泽区人民政府", "read", frozenset({2022})),
    }


def test_a_bodys_report_saved_by_two_workers_from_two_sources_is_stored_once(pg_url):
    """Worker a stores 通辽's report from its own portal; worker b, which asked ``content_seen`` before a saved,
    then saves the same report listed on a platform's column: b's save finds a's version and stores no second
    version or alert, only b's URL as the report's duplicate (a document without a version), as one SQLite
    worker's check just before its save keeps it once."""
    from conftest import SEEDS  # noqa: PLC0415

    from monitor.checks.revision import snapshot  # noqa: PLC0415
    from monitor.model.bodies import Attribution  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415
    from monitor.store import NewVersion  # noqa: PLC0415

    report = read_report(SEEDS["tongliao"].read_bytes(), "x")
    _, content_hash = snapshot(report)
    who = Attribution("通辽市人民政府", "government", "title")

    def version(source: str) -> NewVersion:
        url = f"http://{source}.example/t.html"
        return NewVersion(
            source,
            url,
            report.title,
            report.year,
            b"raw",
            "sha",
            content_hash,
            "text/html",
            report,
            [],
            None,
            None,
            None,
            attribution=who,
        )

    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    try:
        assert not b.content_seen("mirror", content_hash, who.body)  # b's question, before a's save
        first = a.save_version(version("own"))
        assert b.save_version(version("mirror")) == first
        versions = {r.url: r.versions for r in b.reports()}
        assert versions == {"http://own.example/t.html": 1, "http://mirror.example/t.html": 0}
        assert b.body_version(who.body, report.year or 0) is not None
    finally:
        a.close()
        b.close()


def test_two_workers_saving_a_bodys_report_at_the_same_moment_store_it_once(pg_url):
    """Workers a and b save one body's report, listed on two sources, at the same moment (each from a thread of
    its own, released together), for 12 bodies: the body's lock orders the two saves, so each body has one
    version and one event, and the second URL is its duplicate (a document without a version); both saves answer
    the stored version's id."""
    import threading  # noqa: PLC0415

    from conftest import SEEDS  # noqa: PLC0415

    from monitor.model import Event, Payload  # noqa: PLC0415
    from monitor.model.bodies import Attribution  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415
    from monitor.store import NewVersion  # noqa: PLC0415

    report = read_report(SEEDS["tongliao"].read_bytes(), "x")
    bodies = [f"第{i}单位" for i in range(12)]

    def save(store, source: str, gate: threading.Barrier, answers: list[int]) -> None:
        for body in bodies:
            url = f"http://{source}.example/{body}.html"
            event = Event(f"new:{body}", "report_new", source, Payload(source, body, url), (("email", "a@x"),))
            version = NewVersion(
                source, url, report.title, 2023, b"raw", "sha", f"hash:{body}", "text/html", report, [], None,
                None, None, [1, 2], Attribution(body, "government", "read"),
            )  # fmt: skip
            gate.wait(10)
            answers.append(store.save_version(version, [event]))

    a, b = _worker(pg_url, "a"), _worker(pg_url, "b")
    gate = threading.Barrier(2)
    answers: dict[str, list[int]] = {"own": [], "mirror": []}
    try:
        threads = [
            threading.Thread(target=save, args=(store, source, gate, answers[source]))
            for store, source in ((a, "own"), (b, "mirror"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        stored = [(r.url, r.versions, r.body) for r in a.reports()]
        events = [e.event.key for e in a.events()]
    finally:
        a.close()
        b.close()
    assert answers["own"] == answers["mirror"]
    assert len(set(answers["own"])) == len(bodies)
    for body in bodies:
        versions = sorted(n for _, n, b in stored if b == body)
        assert versions == [0, 1], body
    assert sorted(events) == sorted(f"new:{body}" for body in bodies)


_ROWS = {  # each table's rows as both stores keep them, without the moments they were written; a body and a
    # document by name and URL, an event by key (PostgreSQL's upserts spend ids of a sequence on rows already there)
    "bodies": "SELECT name, kind FROM bodies ORDER BY id",
    "documents": "SELECT d.source, d.url, d.title, d.year, d.etag, d.last_modified, b.name, d.body_how "
    "FROM documents d LEFT JOIN bodies b ON b.id = d.body_id ORDER BY d.id",
    "versions": "SELECT v.id, d.url, v.sha256, v.content_hash, v.content_type, v.raw, v.text, v.report, v.findings, "
    "v.diff FROM versions v JOIN documents d ON d.id = v.document_id ORDER BY v.id",
    "events": "SELECT e.key, e.kind, e.source, d.url, e.version_id, e.payload FROM events e LEFT JOIN documents d "
    "ON d.id = e.document_id ORDER BY e.id",
    "deliveries": "SELECT e.key, d.channel, d.recipient, d.status, d.attempts FROM deliveries d JOIN events e "
    "ON e.id = d.event_id ORDER BY d.id",
}


def test_a_versions_writes_leave_the_rows_sqlite_leaves_and_its_prints_replace_the_older_versions(tmp_path, pg_url):
    """The same saves (a first version and its events, a key twice; a second version that reads no title or
    body; a duplicate; a report without a year; a body read without a kind, then with one) and a version checked
    again, on both stores: the same rows, table by table; each key's event once with its first recipients; the
    copy prints only the document's latest version's, under its year."""
    import sqlite3  # noqa: PLC0415

    from conftest import SEEDS  # noqa: PLC0415

    from monitor.model import Event, Finding, Payload  # noqa: PLC0415
    from monitor.model.bodies import Attribution  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415
    from monitor.store import NewVersion  # noqa: PLC0415

    report = read_report(SEEDS["tongliao"].read_bytes(), "x")
    own = Attribution("通辽市人民政府", "government", "title")
    finding = Finding("appeals.total", "error", "总计不符", "appeals", "review", "total", 0, 2, (("review", "total"),))

    def event(key: str, *to: str) -> Event:
        return Event(key, "report_new", "own", Payload("own", "单位", "http://own/"), tuple(("email", t) for t in to))

    def version(url: str, content: str, year: int | None, prints: list[int], who: Attribution | None, **kw):
        return NewVersion(
            "own", url, kw.get("title"), year, content.encode(), content, content, "text/html", report,
            kw.get("findings", []), kw.get("diff"), kw.get("etag"), None, prints, who,
        )  # fmt: skip

    def saves(store) -> list[int]:
        first = store.save_version(
            version("http://own/a", "a1", 2023, [3, 1, 2, 3], own, title="年报", findings=[finding], etag='"1"'),
            [event("k1", "b@x", "a@x"), event("k1", "c@x"), event("k2")],
        )
        second = store.save_version(
            version("http://own/a", "a2", 2023, [3, 4], None, diff={"sections": ["一"]}), [event("k3", "a@x")]
        )
        store.save_duplicate(
            "mirror",
            "http://mirror/a",
            title="转载",
            year=2023,
            attribution=Attribution(own.body, None, "read"),
            validators=('"m"', "Mon"),
        )
        store.save_version(version("http://own/b", "b1", None, [9], Attribution("某局", None, "assumed")))
        store.save_version(version("http://own/c", "c1", 2022, [9], Attribution("某局", "department", "read")))
        store.replace_findings(first, [], [event("k1", "d@x"), event("k4", "a@x")])
        return [first, second]

    sqlite_store, shared = open_store(tmp_path / "govmon.db"), open_store(pg_url)
    try:
        ids = saves(sqlite_store)
        assert saves(shared) == ids
    finally:
        sqlite_store.close()
        shared.close()
    lite = sqlite3.connect(tmp_path / "govmon.db")
    with psycopg.connect(pg_url) as conn:
        for table, sql in _ROWS.items():
            assert conn.execute(sql).fetchall() == lite.execute(sql).fetchall(), table
        events = conn.execute("SELECT key FROM events ORDER BY id").fetchall()
        to = conn.execute(
            "SELECT e.key, d.recipient FROM deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.id"
        )
        prints = conn.execute("SELECT key, year, version_id FROM prints ORDER BY version_id, key").fetchall()
        latest = conn.execute("SELECT max(id) FROM versions").fetchone()
    lite.close()
    assert events == [("k1",), ("k2",), ("k3",), ("k4",)]
    assert to.fetchall() == [("k1", "b@x"), ("k1", "a@x"), ("k3", "a@x"), ("k4", "a@x")]
    assert prints == [(3, 2023, ids[1]), (4, 2023, ids[1]), (9, 2022, latest[0])]  # none for the yearless


def test_a_version_that_cannot_be_written_leaves_nothing_and_the_connection_usable(pg_url):
    """A save that fails (here: a content type PostgreSQL cannot hold, with a NUL, refused as the version's
    arguments are sent) is one line's StorageError, writes nothing of the version, its document or its body, and
    the store saves the next."""
    from conftest import SEEDS  # noqa: PLC0415

    from monitor.model.bodies import Attribution  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415
    from monitor.store import NewVersion  # noqa: PLC0415

    report = read_report(SEEDS["tongliao"].read_bytes(), "x")

    def version(content_type: str) -> NewVersion:
        return NewVersion(
            "own", "http://own/a", "年报", 2023, b"raw", "sha", "hash", content_type, report, [], None, None, None,
            [1], Attribution("通辽市人民政府", "government", "read"),
        )  # fmt: skip

    store = open_store(pg_url)
    try:
        with pytest.raises(StorageError) as failed:
            store.save_version(version("text/html\x00"))
        held = (store.document("http://own/a"), store.bodies(), list(store.reports()))
        saved = store.save_version(version("text/html"))
        after = [(r.url, r.versions, r.body) for r in store.reports()]
    finally:
        store.close()
    assert "\n" not in str(failed.value)
    assert held == (None, [], [])
    assert saved
    assert after == [("http://own/a", 1, "通辽市人民政府")]


def test_a_server_that_ends_the_connection_fails_one_call_and_the_next_connects_again(pg_url):
    """A PostgreSQL restart (or failover) ended the service's connections; nothing made them again, so `govmon run`
    stayed up polling nothing and delivering nothing until restarted by hand. The call that meets the end fails with
    its one line; the next connects anew, the polls' own connection too."""
    store = _worker(pg_url, "a")
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("INSERT INTO sources (id) VALUES ('s1')")
        assert _claim(store, "s1", lease=600)  # (the polls' connection opened)
        store.release_source("s1")
        with psycopg.connect(pg_url, autocommit=True) as conn:  # what a restart does to every session of govmon's
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid != pg_backend_pid() "
                "AND datname = current_database()"
            )
        with pytest.raises(StorageError):
            store.alert_counts()
        assert store.alert_counts() is not None  # connected again
        with pytest.raises(StorageError):
            _claim(store, "s1", lease=600)
        assert _claim(store, "s1", lease=600)
        with psycopg.connect(pg_url, autocommit=True) as conn:  # a restart in the middle of that poll
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid != pg_backend_pid() "
                "AND datname = current_database()"
            )
        with pytest.raises(StorageError):
            store.known_reports(["http://x/s1/t.html"])  # the poll's next call meets the end: cut off
        store.release_source("s1")  # (poll_source gives the source back, on a new connection)
        other = _worker(pg_url, "b")
        try:
            assert _claim(other, "s1", lease=600, fresh=3600) is Claim.TAKEN  # not "polled by another worker"
        finally:
            other.close()
    finally:
        store.close()


class _FreezingProxy:
    """A TCP proxy in front of the server that can stop passing bytes on, its connections left open: a frozen
    proxy (or a server that stopped answering) as a client sees it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.passing = upstream, threading.Event()
        self.passing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.passing.set()
        for sock in self.sockets:
            sock.close()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.upstream)
                self.sockets += [client, server]
                for a, b in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                self.passing.wait()
                b.sendall(data)


async def test_a_service_frozen_on_a_server_that_stopped_answering_says_so_and_where(
    portal, pg_url, tmp_path, monkeypatch, caplog
):
    """A PostgreSQL behind a proxy that froze: the service's loop waited on it without a line (health said nothing
    either). After STALL its journal says so, inside psycopg, and again when the server answers."""
    monkeypatch.setattr(liveness, "STALL", 2.0)
    monkeypatch.setattr(timetable, "TICK", 0.1)
    url = urlsplit(pg_url)
    proxy = _FreezingProxy((url.hostname or "127.0.0.1", url.port or 5432))
    through = urlunsplit(url._replace(netloc=f"{url.netloc.rsplit('@', 1)[0]}@127.0.0.1:{proxy.port}"))
    said = threading.Event()

    class Heard(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "has not run for" in record.getMessage():
                said.set()
                proxy.passing.set()  # the server answers again once the stall was said

    heard = Heard()
    logging.getLogger("govmon").addHandler(heard)
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", SEEDS["tongliao"].read_bytes(), content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")], database_url=through)
    store = open_store(cfg)
    stop = asyncio.Event()
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5) as fetcher:
            watcher = Watcher(cfg, store, fetcher, today=lambda: date(2022, 3, 1))
            service = asyncio.create_task(timetable.run(watcher, stop, spread=0))
            await wait_for(lambda: bool(list(store.reports("city"))))
            proxy.passing.clear()  # frozen: the next call made on the loop waits, as the service's own would
            store.alert_counts()
            await wait_for(lambda: "the service runs again" in caplog.text)
            stop.set()
            await asyncio.wait_for(service, 30)
    finally:
        logging.getLogger("govmon").removeHandler(heard)
        store.close()
        proxy.close()
    assert said.is_set()
    (line,) = [r.getMessage() for r in caplog.records if "has not run for" in r.getMessage()]
    assert re.search(r"waiting in monitor/store/postgres/\w+\.py:\d+ \(\w+\), inside psycopg", line), line


def test_a_lock_another_session_holds_fails_the_call_in_one_line_not_a_wait_without_end(pg_url, monkeypatch):
    """Audit 15: an admin's transaction holding a table: the service's call waited as long as it did (45 s measured,
    and a stop with it), with no line. It fails after the lock timeout, as SQLite's busy timeout, and the next call
    goes through once the lock is gone."""
    monkeypatch.setattr(postgres_store, "LOCK_TIMEOUT_MS", 300)
    store = _worker(pg_url, "a")
    try:
        with psycopg.connect(pg_url, autocommit=True) as holder:
            holder.execute("BEGIN")
            holder.execute("LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StorageError, match="lock timeout"):
                store.alert_counts()
            holder.execute("ROLLBACK")
        assert store.alert_counts() == {"pending": 0, "delivered": 0, "dead": 0}
    finally:
        store.close()
