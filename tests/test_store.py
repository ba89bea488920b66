"""The store's seam: callers use the ``Store`` protocol (opened by ``open_store``), records in and out, and no
driver; each store (SQLite, PostgreSQL) implements exactly that protocol, keeps a version as the snapshot stored
it, and turns its driver's failures into ``StorageError``. The behaviour tests run once per store (the
``database`` fixture: a SQLite file, then a database on a throwaway PostgreSQL)."""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEEDS

from monitor.checks.revision import snapshot
from monitor.config import Source, load
from monitor.errors import StorageError
from monitor.model import Event, Finding, Payload, SourceHealth
from monitor.model.bodies import Attribution, Body
from monitor.reading.report import read_report
from monitor.store import KnownReport, Listing, NewVersion, PollAsk, PollEnd, Store, encoding, open_store
from monitor.store.postgres.store import PostgresStore
from monitor.store.sqlite.store import SqliteStore
from monitor.watch.prepared import prepared

ROOT = Path(__file__).resolve().parents[1]
STORES = (ROOT / "monitor" / "store" / "sqlite", ROOT / "monitor" / "store" / "postgres")
DRIVERS = {"sqlite3", "sqlite_utils", "psycopg"}
SQLITE_ONLY = re.compile(r"(?<![.\w])unpack\(|\.db\.conn|SqliteStore")  # the SQL function, the connection, the class


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_module_outside_the_sqlite_store_uses_a_database_driver_unless_its_docstring_says_why():
    """The package: none but the stores'. A benchmark may measure SQLite's own storage, saying so in its
    docstring."""
    offenders = []
    for path in _modules("monitor", "benchmarks"):
        if any(store in path.parents for store in STORES):
            continue
        used = {m for m in _imports(path) if m.split(".")[0] in DRIVERS}
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if used and not (path.parts[-2] == "benchmarks" and "sqlite3" in doc):
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(used)}")
    assert offenders == []


def test_callers_reach_the_store_only_through_its_face():
    """No module outside monitor/store imports the SQLite store, names its SQL function or reaches for a
    connection: they open the store with ``open_store`` and call the protocol."""
    offenders = []
    for path in _modules("monitor", "benchmarks"):
        if ROOT / "monitor" / "store" in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        if any(m.startswith("monitor.store.") for m in _imports(path)):
            offenders.append(f"{path.relative_to(ROOT)}: imports {sorted(_imports(path))}")
        offenders += [f"{path.relative_to(ROOT)}: {m.group()}" for m in SQLITE_ONLY.finditer(text)]
    assert offenders == []


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


@pytest.mark.parametrize("store", [SqliteStore, PostgresStore])
def test_each_store_is_the_protocol_no_more_no_less(store):
    """Every operation of the protocol, with its parameters; and nothing public beyond it a caller could lean on."""
    protocol, implemented = _public(Store), _public(store)
    assert sorted(implemented) == sorted(protocol)
    for name, signature in protocol.items():
        assert list(implemented[name].parameters) == list(signature.parameters), name


def test_a_version_is_stored_as_the_snapshot_stored_it_and_comes_back_as_records(database):
    """The bytes a version's report is kept as have not changed (``snapshot``'s data); the version comes back
    with its Report, Findings and the sections' text a revision is compared on."""
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/t.html")
    data, content_hash = snapshot(report)
    assert prepared(report, b"raw").packed == encoding.packed(b"raw", report.text)  # as a reader packs it
    finding = Finding("appeals.total", "error", "总计不符", "appeals", "review", "total", 0, 2, (("review", "total"),))
    store = open_store(database)
    try:
        version = NewVersion(
            source="s",
            url="http://x/t.html",
            title=report.title,
            year=report.year,
            raw=b"raw",
            sha256="sha",
            content_hash=content_hash,
            content_type="text/html",
            report=report,
            findings=[finding],
            diff=None,
            etag=None,
            last_modified=None,
        )
        version_id = store.save_version(version)
        doc = store.document("http://x/t.html")
        latest = store.latest_version(doc.id)  # type: ignore[union-attr]
        again = store.report_of("s", report.year)  # type: ignore[arg-type]
        assert store.raw(version_id) == b"raw"
    finally:
        store.close()
    assert latest is not None
    assert again is not None
    assert (latest.id, latest.url, latest.content_hash) == (version_id, "http://x/t.html", content_hash)
    assert latest.findings == [finding]
    assert latest.section_text == data["section_text"]
    assert latest.report.to_json() == report.to_json()
    assert again.text == report.text
    assert again.section_text(5) == report.section_text(5)


def test_a_failing_database_is_a_storage_error_from_every_kind_of_call(database):
    """Whatever the driver raises (here: a closed connection) reaches callers as the store's one error, naming
    the database, from a plain call and from a streamed one."""
    store = open_store(database)
    store.close()
    named = re.escape(database.rsplit("/", 1)[-1]) + ": cannot use the database"
    with pytest.raises(StorageError, match=named):
        store.alert_counts()
    with pytest.raises(StorageError, match=named):
        list(store.reports())


def test_every_write_a_standing_depends_on_moves_its_sources_mark_and_no_other(database, tmp_path):
    """``source_changes``: what the overview's rebuild asks (present/ledger.py). A version stored, its findings
    checked again, a report that could not be read (and, at the end of a poll that no longer fails on it, settled),
    a poll's end: each moves the mark of the source it belongs to, whichever code path wrote it, and leaves the
    other source's; a poll's start and a read move nothing."""
    (tmp_path / "sources.toml").write_text(
        f'[monitor]\ndatabase = "{database}"\n'
        + "".join(
            f'[[source]]\nid = "{i}"\nagency = "{i}县人民政府"\nkind = "government"\nlist_url = "http://x/{i}/"\n'
            for i in ("s", "t")
        ),
        encoding="utf-8",
    )
    cfg = load(tmp_path / "sources.toml")
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/s/t.html")
    store = open_store(cfg)
    moved = []

    def step(write) -> None:
        before = store.source_changes()
        write()
        after = store.source_changes()
        moved.append(sorted(k for k in after if after[k] != before.get(k)))

    try:
        store.sync_sources(cfg.sources)
        new = NewVersion(
            source="s", url="http://x/s/t.html", title=report.title, year=report.year, raw=b"raw", sha256="sha",
            content_hash=snapshot(report)[1], content_type="text/html", report=report, findings=[], diff=None,
            etag=None, last_modified=None,
        )  # fmt: skip
        version: list[int] = []
        step(lambda: version.append(store.save_version(new)))
        step(lambda: store.replace_findings(version[0], [Finding("x", "warning", "复查", "appeals")]))
        step(lambda: store.mark_unreadable("t", "http://x/t/1.pdf", "损坏", title=None, year=2021))
        polls: list[int] = []
        step(lambda: polls.append(store.start_polls([PollAsk("t", "http://x/t/")])[0].poll_id))
        step(lambda: store.finish_polls([PollEnd(polls[0], "t", failing=())]))
        step(lambda: polls.append(store.start_polls([PollAsk("s", "http://x/s/")])[0].poll_id))
        step(lambda: store.finish_polls([PollEnd(polls[1], "s", reports=1)]))
        step(lambda: store.source_state("t"))  # a read moves nothing
    finally:
        store.close()
    assert moved == [["s"], ["s"], ["t"], [], ["t"], [], ["s"], []]


def test_a_bodys_kind_changed_in_the_store_moves_the_marks_of_the_sources_with_its_reports(database):
    """A body's kind is its deadline: when sources.toml's roster (on another source) changes it in the store, the
    sources that stored its reports show it under the new kind, so their marks move; a sync that leaves it as it
    was (every poll pass syncs) moves nothing."""
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/s/t.html")
    pattern = re.compile(".")
    s, t = (Source(i, f"{i}县人民政府", "government", f"http://x/{i}/", 3600, pattern) for i in ("s", "t"))
    store = open_store(database)
    try:
        store.sync_sources([s, t])
        new = NewVersion(
            source="s", url="http://x/s/t.html", title=report.title, year=report.year, raw=b"raw", sha256="sha",
            content_hash=snapshot(report)[1], content_type="text/html", report=report, findings=[], diff=None,
            etag=None, last_modified=None, attribution=Attribution("乙局", "government", "read"),
        )  # fmt: skip
        store.save_version(new)
        moved = []
        for kind in ("department", "department", "government"):
            before = store.source_changes()
            store.sync_sources([s, replace(t, bodies=(Body("乙局", kind),))])
            after = store.source_changes()
            moved.append(sorted(k for k in after if after[k] != before[k]))
    finally:
        store.close()
    assert moved == [["s"], [], ["s"]]


def test_a_sync_of_the_sources_last_synced_compares_no_row(database):
    """The store keeps the digest of the sources its last sync wrote: a restart with the same ones (at 150,000
    sources, ~0.3 s of `run`'s start on SQLite, 150,000 upserts on PostgreSQL) leaves their rows alone; other
    sources, or these again after others, are compared and written as ever."""
    pattern = re.compile(".")
    first = [Source(i, f"{i}县人民政府", "government", f"http://x/{i}/", 3600, pattern) for i in ("s", "t")]
    renamed = [first[0], replace(first[1], agency="乙局")]
    store = open_store(database)
    conn = store.db.conn if isinstance(store, SqliteStore) else store.conn

    def agencies() -> list[str | None]:
        return [s.agency for s in sorted(store.sources(), key=lambda s: s.id)]

    try:
        store.sync_sources(first)
        conn.execute("UPDATE sources SET agency = 'edited in the database' WHERE id = 't'")
        if isinstance(store, SqliteStore):
            conn.commit()
        store.sync_sources(first)  # the same sources: not compared, the row left as it is
        assert agencies() == ["s县人民政府", "edited in the database"]
        store.sync_sources(renamed)
        assert agencies() == ["s县人民政府", "乙局"]
        store.sync_sources(first)  # another digest: every row compared, the changed one written back
        assert agencies() == ["s县人民政府", "t县人民政府"]
        store.sync_sources([*first, replace(first[0], id="u")])  # one more source: added
        assert agencies() == ["s县人民政府", "t县人民政府", "s县人民政府"]
        store.sync_sources([*first, *(replace(first[0], id=i) for i in ("u", "b", "a"))])  # added in the file's order
        assert [s.id for s in store.sources()] == ["s", "t", "u", "b", "a"]
    finally:
        store.close()


def test_a_start_finds_the_unfinished_polls_by_an_index_not_a_scan_of_every_poll(tmp_path):
    """``mark_interrupted`` runs at every start: on SQLite it reads the unfinished polls from their own (partial)
    index, as PostgreSQL's ``polls_open`` does, whatever the number of polls stored."""
    store = SqliteStore(tmp_path / "govmon.db")
    try:
        plan = store.db.conn.execute(
            "EXPLAIN QUERY PLAN UPDATE polls SET finished = 'x', ok = 0, error = 'interrupted' WHERE finished IS NULL"
        ).fetchall()
        store.sync_sources([Source("s", "单位", "government", "http://x/", 3600, re.compile("."))])
        store.start_polls([PollAsk("s", "http://x/")])[0]
        assert store.mark_interrupted() == 1
    finally:
        store.close()
    assert [row[-1] for row in plan] == ["SCAN polls USING INDEX polls_open"]


def test_a_rebuild_may_ask_of_more_bodies_than_a_statement_takes_arguments(database):
    """After a pass over every source the overview's rebuild asks of every body it shows by name: more than
    PostgreSQL's 65,535 arguments a statement (SQLite's default build: 32,766); the names go as one argument."""
    names = [f"{n}局" for n in range(70_000)]
    store = open_store(database)
    try:
        assert (store.body_year_reports(2021, names), store.bodies(names=names)) == ({}, [])
    finally:
        store.close()


def test_polls_asked_together_begin_each_as_it_would_alone(database):
    """``start_polls`` with several sources (on a shared store, one round trip) gives each what asking for it alone
    gives: its state, its bodies and its roster's, its listing page as last read, its report years, what it knows
    of the reports that page linked to; each its own poll row, in the asks' order."""
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/t.html")
    _, content_hash = snapshot(report)
    sources = [Source(i, f"{i}单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in "abc"]
    store = open_store(database)
    try:
        store.sync_sources(sources)
        links = (("http://x/t.html", "2023年报告", 2023, ""), ("http://x/a/bad.pdf", "2022年报告", 2022, ""))
        store.save_page("http://x/a/", '"e1"', None, b"<html></html>", Listing(links, None, "."))
        who = Attribution("a单位", "government", "read")
        new = NewVersion("a", links[0][0], None, 2023, b"raw", "sha", content_hash, "text/html", report, [], None,
                         None, None, [], who)  # fmt: skip
        store.save_version(new)
        store.mark_unreadable("a", links[1][0], "读不出", title=links[1][1], year=2022)
        store.mark_unreadable("b", "http://x/b/x.pdf", "读不出", title=None, year=None)
        asks = [
            PollAsk("c", "http://x/c/", roster=("a单位",)),
            PollAsk("a", "http://x/a/"),
            PollAsk("b", "http://x/b/"),
        ]
        together = store.start_polls(asks)
        alone = [store.start_polls([ask])[0] for ask in asks]
        bodies = [tuple(store.bodies(ask.source_id, ask.roster)) for ask in asks]
        known = store.known_reports([url for url, *_ in links])
    finally:
        store.close()
    assert len({x.poll_id for x in together + alone}) == 6
    assert [replace(x, poll_id=0) for x in together] == [replace(x, poll_id=0) for x in alone]
    assert [x.bodies for x in together] == bodies
    c, a, b = together
    assert all(report == known.get(url, KnownReport()) for url, report in a.known.items())
    assert (a.page is not None, a.years, [x.name for x in a.bodies]) == (True, frozenset({2023}), ["a单位"])
    assert [x.name for x in c.bodies] == ["a单位"]  # its roster's
    assert (b.page, b.years, b.bodies) == (None, frozenset(), ())


def test_polls_ended_together_end_each_as_it_would_alone(database):
    """``finish_polls`` with several ends (on a shared store, one statement) leaves what ending each alone leaves:
    each source's streak, error and alert mark, its unchanged reports' validators, only the unreadable reports
    that failed this time, its events once with their deliveries. Sources a and b end together, c and d alone,
    each pair as the other."""
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/t.html")
    _, content_hash = snapshot(report)
    store = open_store(database)
    try:
        store.sync_sources(
            [Source(i, f"{i}单位", "government", f"http://x/{i}/", 3600, re.compile(".")) for i in "abcd"]
        )
        ends = {}
        for failed, ok in (("a", "b"), ("c", "d")):
            url = f"http://x/{ok}/t.html"
            who = Attribution(f"{ok}单位", "government", "read")
            new = NewVersion(ok, url, None, 2023, b"raw", "sha", content_hash, "text/html", report, [], None, None,
                             None, [], who)  # fmt: skip
            store.save_version(new)
            for bad in ("bad", "gone"):
                store.mark_unreadable(ok, f"http://x/{ok}/{bad}.pdf", "读不出", title=None, year=2022)
            document = store.document(url)
            assert document is not None
            begun = store.start_polls([PollAsk(failed, f"http://x/{failed}/"), PollAsk(ok, f"http://x/{ok}/")])
            health = Payload(failed, f"{failed}单位", "http://x/", health=SourceHealth("超时", 3))
            failing = Event(f"{failed}:failing:1", "source_failing", failed, health, (("email", "a@x"),))
            ends[failed] = PollEnd(begun[0].poll_id, failed, "超时", 0, 0, (failing, failing))
            ends[ok] = PollEnd(
                begun[1].poll_id, ok, None, 3, 0, (), ((document.id, '"e2"', "Mon"),), (f"http://x/{ok}/bad.pdf",)
            )
        store.finish_polls([ends["a"], ends["b"]])
        store.finish_polls([ends["c"]])
        store.finish_polls([ends["d"]])
        states = {i: store.source_state(i) for i in "abcd"}
        documents = {i: store.document(f"http://x/{i}/t.html") for i in "bd"}
        left = {i: [u.url.rsplit("/", 1)[1] for u in store.unreadable_reports(i)] for i in "bd"}
        events = sorted((e.event.key, e.event.recipients) for e in store.events())
        unfinished = store.mark_interrupted()  # every poll ended: none left open
    finally:
        store.close()
    pairs = {"a": "c", "b": "d"}
    for one, other in pairs.items():
        assert replace(states[one], id="", agency="", list_url="", last_poll="") == replace(
            states[other], id="", agency="", list_url="", last_poll=""
        )
    assert (states["a"].consecutive_failures, states["a"].last_error, states["a"].failing_alerted) == (1, "超时", True)
    assert (states["b"].consecutive_failures, states["b"].last_error) == (0, None)
    for i in "bd":
        assert documents[i] is not None
        assert (documents[i].etag, documents[i].last_modified) == ('"e2"', "Mon")
        assert left[i] == ["bad.pdf"]
    assert events == [("a:failing:1", (("email", "a@x"),)), ("c:failing:1", (("email", "a@x"),))]
    assert unfinished == 0


def test_a_poll_reads_its_source_at_its_start_and_stores_its_end_with_its_events_once(database):
    """``start_polls`` gives what the poll reads of its source; ``known_reports`` each listed URL's document, hashes
    and recorded failure; ``finish_polls`` stores the end with its events (each key once, its recipients' deliveries
    in order) and keeps only the unreadable reports that failed this time."""
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/t.html")
    _, content_hash = snapshot(report)
    store = open_store(database)
    try:
        store.sync_sources([Source("s", "单位", "government", "http://x/", 3600, re.compile("."))])
        first = store.start_polls([PollAsk("s", "http://x/")])[0]
        store.save_page("http://x/", '"e1"', None, b"<html></html>", Listing((), None, "p"))
        who = Attribution("单位", "government", "read")
        version = NewVersion(
            "s",
            "http://x/t.html",
            report.title,
            2023,
            b"raw",
            "sha",
            content_hash,
            "text/html",
            report,
            [],
            None,
            None,
            None,
            [],
            who,
        )
        store.save_version(version)
        for url in ("http://x/gone.pdf", "http://x/bad.pdf"):
            store.mark_unreadable("s", url, "读不出", title=None, year=2023, sha256="bad")
        health = Payload("s", "单位", "http://x/", health=SourceHealth("超时", 3))
        to = (("email", "b@x"), ("email", "a@x"))
        failing = Event("s:failing:1", "source_failing", "s", health, to)
        events = [failing, Event("s:failing:1", "source_failing", "s", health, (("email", "c@x"),))]
        urls = ["http://x/t.html", "http://x/bad.pdf", "http://x/new.html"]
        known = store.known_reports(urls)
        store.finish_polls([PollEnd(first.poll_id, "s", None, 2, 1, tuple(events), failing=("http://x/bad.pdf",))])
        second = store.start_polls([PollAsk("s", "http://x/")])[0]
        stored_events = [e.event.key for e in store.events()]
        outbox = [(d.channel, d.recipient) for d in store.deliveries()]
        left = [u.url for u in store.unreadable_reports("s")]
    finally:
        store.close()
    assert (first.page, first.years, first.bodies) == (None, frozenset(), ())
    assert first.state.last_poll is None
    assert second.poll_id != first.poll_id
    assert second.page is not None
    assert second.page.etag == '"e1"'
    assert second.years == frozenset({2023})
    assert [(b.name, b.sources, b.years) for b in second.bodies] == [("单位", ("s",), frozenset({2023}))]
    assert second.state.last_poll is not None
    assert second.state.failing_alerted
    assert sorted(known) == ["http://x/bad.pdf", "http://x/t.html"]  # a URL never seen: left out
    stored = known["http://x/t.html"]
    assert stored.document is not None
    assert stored.document.url == "http://x/t.html"
    assert stored.hashes is not None
    assert (stored.hashes.sha256, stored.hashes.content_hash) == ("sha", content_hash)
    assert stored.unreadable is None
    bad = known["http://x/bad.pdf"]
    assert bad.document is None
    assert bad.unreadable is not None
    assert bad.unreadable.sha256 == "bad"
    assert stored_events == ["s:failing:1"]
    assert outbox == list(to)
    assert left == ["http://x/bad.pdf"]


def test_the_reads_before_a_report_is_checked_answer_as_the_three_reads_they_join(database):
    """``report_reads`` (one round trip on a shared store) gives what ``content_seen``, ``body_report`` of the year
    before and ``body_version`` of the year give."""
    report = read_report(SEEDS["tongliao"].read_bytes(), "http://x/t.html")
    _, content_hash = snapshot(report)
    who = Attribution("通辽市人民政府", "government", "title")
    store = open_store(database)
    try:
        version = NewVersion(
            "s", "http://x/t.html", report.title, 2022, b"raw", "sha", content_hash, "text/html", report, [], None,
            None, None, [], who,
        )  # fmt: skip
        store.save_version(version)
        asked = [
            ("s", content_hash, who.body, 2023),  # its content stored; the year before is the stored one
            ("other", content_hash, who.body, 2022),  # its body's content, on another source; its year stored
            ("other", "new", who.body, 2021),
            ("other", content_hash, "某局", None),  # another body's, on another source; no year
            ("s", content_hash, "某局", None),  # on its source
        ]
        reads = [store.report_reads(*a) for a in asked]
        expected = [
            (
                store.content_seen(source, h, body),
                store.body_report(body, year - 1) if year else None,
                year is not None and store.body_version(body, year) is not None,
            )
            for source, h, body, year in asked
        ]
    finally:
        store.close()
    got = [(r.seen, r.before, r.year_stored) for r in reads]
    assert [(s, b.to_json() if b else None, y) for s, b, y in got] == [
        (s, b.to_json() if b else None, y) for s, b, y in expected
    ]
    assert [(r.seen, r.before is not None, r.year_stored) for r in reads] == [
        (True, True, False),
        (True, False, True),
        (False, False, False),
        (False, False, False),
        (True, False, False),
    ]
    assert reads[0].before is not None
    assert reads[0].before.text == report.text
