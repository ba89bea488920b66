"""The real pipeline against a real portal on 127.0.0.1, into a real SQLite file, then again into a real
PostgreSQL database (every test runs once per store)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import SEEDS, WIDE_PAGE, per_store
from formats import CORPUS
from portal import listing, settings

from monitor.checks.pipeline import run_rules
from monitor.demo.pages import report_page
from monitor.errors import FetchError, InputError
from monitor.model import china_today, said_cn
from monitor.reading.report import read_report
from monitor.store import Store, StoredReport, open_store
from monitor.watch.addresses import allowed_for
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher

TONGLIAO = SEEDS["tongliao"].read_bytes()
LAIXI = SEEDS["laixi"].read_bytes()
TIANMEN = SEEDS["tianmen"].read_bytes()
TODAY = date(2022, 3, 1)  # before the 2021 deadlines (so 2020 is the year a missing report would be flagged)


store_kind = per_store(__name__)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


async def poll(cfg, sleeps=None, timeout=5.0, today=TODAY, ids=None):
    store = open_store(cfg)
    try:
        async with Fetcher(
            cfg.user_agent, 4, 2, retries=2, backoff=0.01, timeout=timeout, sleep=sleeps or Sleeps()
        ) as f:
            return await Watcher(cfg, store, f, today=lambda: today).poll(ids)
    finally:
        store.close()


def db(cfg) -> Store:
    return open_store(cfg)


def findings(doc: StoredReport) -> list[dict]:
    """The findings of the document's latest version, as ``check --json`` prints them."""
    return [f.to_json() for f in doc.latest.findings] if doc.latest else []


def event_kinds(store: Store) -> list[str]:
    return [e.event.kind for e in store.events()]


def versions(cfg) -> dict[str, int]:
    store = db(cfg)
    try:
        return {d.url.rsplit("/", 1)[1]: d.versions for d in store.reports()}
    finally:
        store.close()


async def test_paginated_relative_gbk_portal_then_all_304(portal, tmp_path):
    portal.add(
        "/nb/index.html",
        listing(
            [("t1.html", "通辽市2021年政府信息公开工作年度报告"), ("/nb/news.html", "市政府常务会议")], "index_1.html"
        ),
    )
    portal.add(
        "/nb/index_1.html",
        listing([("./t2.html", "2020年莱西市政府信息公开工作年度报告")], "index_2.html", "gbk").encode("gb18030"),
        charset="gbk",
    )
    portal.add(
        "/nb/index_2.html",
        listing(
            [
                (f"{portal.base}/nb/t3.html", "天门市2021年政府信息公开工作年度报告"),
                ("t1.html#top", "通辽市2021年政府信息公开工作年度报告"),
            ]
        ),
    )
    portal.add("/nb/t1.html", TONGLIAO, content_type="text/plain")
    portal.add("/nb/t2.html", LAIXI.decode().encode("gb18030"), content_type="text/plain", charset="gbk")
    portal.add("/nb/t3.html", TIANMEN, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/index.html")])
    (result,) = await poll(cfg)
    assert (result.error, result.reports, result.new_versions) == (None, 3, 3)
    assert versions(cfg) == {"t1.html": 1, "t2.html": 1, "t3.html": 1}
    assert portal.hits["/nb/news.html"] == 0  # not a report link
    store = db(cfg)
    laixi = next(d for d in store.reports(summaries=True) if d.url.endswith("t2.html"))
    assert (laixi.title, laixi.year) == ("2020年莱西市政府信息公开工作年度报告", 2020)
    assert laixi.latest.report.tables["applications"]["handled_total"]["total"] == 193
    # the bytes and text, packed by the reader that read the page, kept as served (GBK) and as read
    assert store.raw(laixi.latest.id) == LAIXI.decode().encode("gb18030")
    assert "莱西市" in store.report_of("city", 2020).text  # type: ignore[union-attr]
    store.close()

    (again,) = await poll(cfg)
    assert again.new_versions == 0
    assert set(portal.not_modified) == {
        "/nb/index.html",
        "/nb/index_1.html",
        "/nb/index_2.html",
        "/nb/t1.html",
        "/nb/t2.html",
        "/nb/t3.html",
    }
    assert versions(cfg) == {"t1.html": 1, "t2.html": 1, "t3.html": 1}
    store = db(cfg)
    try:  # the unchanged reports were marked checked, with their ETags, in the transaction closing the poll
        closed = store.source_state("city").last_poll
        docs = [store.document(f"{portal.base}/nb/t{n}.html") for n in (1, 2, 3)]
        checked = (sum(d.etag is not None and d.last_checked == closed for d in docs),)
    finally:
        store.close()
    assert checked == (3,)


async def test_flaky_and_hostile_pages_are_retried_or_refused_and_the_rest_goes_on(portal, tmp_path):
    links = [
        ("ok.html", "2021年政府信息公开工作年度报告"),
        ("flaky.html", "2020年政府信息公开工作年度报告"),
        ("busy.html", "2019年政府信息公开工作年度报告"),
        ("loop.html", "2018年政府信息公开工作年度报告"),
        ("huge.html", "2017年政府信息公开工作年度报告"),
        ("slow.html", "2016年政府信息公开工作年度报告"),
        ("http://169.254.169.254/latest/meta-data", "2015年政府信息公开工作年度报告"),
    ]
    portal.add("/nb/", listing(links))
    portal.add("/nb/ok.html", TONGLIAO, content_type="text/plain")
    portal.add("/nb/flaky.html", LAIXI, content_type="text/plain", status=[500])
    portal.add("/nb/busy.html", TIANMEN, content_type="text/plain", status=[429], retry_after="1")
    portal.add("/nb/loop.html", b"", location="/nb/loop.html")
    portal.add("/nb/huge.html", b"<html>" + b"x" * (9 * 2**20), content_type="text/html")
    portal.add("/nb/slow.html", TONGLIAO, content_type="text/plain", delay=10)
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    sleeps = Sleeps()
    # each try's timeout 2 s: far past any loopback answer on a loaded machine (at 0.5 s, a redirect's hop once took
    # longer under a CI run's load, its request was tried again from the start, and the loop counted 7), far short
    # of slow.html's
    (result,) = await poll(cfg, sleeps, timeout=2.0)
    assert result.error is None
    assert result.new_versions == 3  # ok, flaky (500 then 200), busy (429 then 200)
    assert 1.0 in sleeps.calls  # Retry-After honoured
    problems = "\n".join(result.problems)
    assert "redirects" in problems
    assert "byte limit" in problems
    slow = next(p for p in result.problems if "/nb/slow.html" in p)  # given up on: each try's timeout, or the
    assert "timed out" in slow or "no complete answer" in slow  # request's deadline first (a loaded machine)
    assert "refused: 169.254.169.254 is a link-local address" in problems
    assert portal.hits["/nb/flaky.html"] == 2
    assert portal.hits["/nb/loop.html"] == 6  # the first request and five redirects, then stop


async def test_a_source_that_is_down_is_reported_once_and_again_on_recovery(portal, tmp_path):
    portal.add("/ok/", listing([("t.html", "2021年政府信息公开工作年度报告")]))
    portal.add("/ok/t.html", TONGLIAO, content_type="text/plain")
    portal.add("/down/", b"", status=[503] * 9)
    cfg = settings(
        tmp_path, [("down", "government", f"{portal.base}/down/"), ("ok", "government", f"{portal.base}/ok/")]
    )
    for _ in range(3):
        results = await poll(cfg)
        assert [r.error is not None for r in results] == [True, False]  # one source's failure never stops another
    store = db(cfg)
    assert event_kinds(store).count("source_failing") == 1  # threshold 2, reported once, not on every failed poll
    assert store.source_state("down").consecutive_failures == 3
    store.close()
    portal.pages["/down/"].status.clear()
    portal.pages["/down/"].body = listing([("t.html", "2021年政府信息公开工作年度报告")]).encode()
    portal.add("/down/t.html", TONGLIAO, content_type="text/plain")
    await poll(cfg)
    store = db(cfg)
    assert event_kinds(store).count("source_recovered") == 1
    assert store.source_state("down").consecutive_failures == 0
    store.close()


async def test_revision_is_a_new_version_with_a_diff_and_chrome_is_not(portal, tmp_path):
    data = read_report(TONGLIAO, "x").to_json()
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", report_page(data))
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    await poll(cfg)
    portal.pages["/nb/t.html"].body = report_page(data).replace("首页", "首页 浏览次数: 1234").encode()
    (r,) = await poll(cfg)
    assert r.new_versions == 0  # only chrome changed
    data["tables"]["appeals"]["review"]["upheld"] = 2
    data["tables"]["appeals"]["review"]["total"] = 3
    portal.pages["/nb/t.html"].body = report_page(data).encode()
    (r,) = await poll(cfg)
    assert r.new_versions == 1
    store = db(cfg)
    (doc,) = store.reports()
    assert doc.versions == 2
    diff = doc.latest.diff
    assert diff["cells"] == [
        {"table": "appeals", "row": "review", "column": "total", "old": 2, "new": 3},
        {"table": "appeals", "row": "review", "column": "upheld", "old": 1, "new": 2},
    ]
    (finding,) = [f for f in findings(doc) if f["rule"] == "revision.changed"]
    assert "行政复议·结果维持：1 → 2" in finding["message"]
    assert [k for k in event_kinds(store) if k != "missing"] == ["new_report", "revision"]
    store.close()


async def test_the_same_report_under_two_urls_is_kept_once(portal, tmp_path):
    portal.add(
        "/nb/",
        listing([("a.html", "2021年政府信息公开工作年度报告"), ("b.html?from=list", "2021年政府信息公开工作年度报告")]),
    )
    portal.add("/nb/a.html", TONGLIAO, content_type="text/plain")
    portal.add("/nb/b.html?from=list", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg)
    assert r.new_versions == 1
    assert sorted(versions(cfg).values()) == [0, 1]  # one version; the second URL remembered as its duplicate


async def test_the_second_url_of_a_report_kept_once_revised_is_told_as_that_report_revised(portal, tmp_path):
    """The same report under two URLs is stored once, under whichever was read first (both are read at once).
    When the page at the other URL then changes, it is that report revised: staff were told a revision or a new
    report by the luck of the first poll (seen in benchmarks/same_alerts.py, two sources listing one report)."""
    data = read_report(TONGLIAO, "x").to_json()
    portal.add(
        "/nb/", listing([("a.html", "2021年政府信息公开工作年度报告"), ("b.html", "2021年政府信息公开工作年度报告")])
    )
    portal.add("/nb/a.html", report_page(data))
    portal.add("/nb/b.html", report_page(data))
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    await poll(cfg)
    (kept,) = [url for url, n in versions(cfg).items() if n == 1]
    (other,) = [url for url, n in versions(cfg).items() if n == 0]
    data["tables"]["appeals"]["review"]["upheld"] = 2
    data["tables"]["appeals"]["review"]["total"] = 3
    portal.pages[f"/nb/{other}"].body = report_page(data).encode()
    (r,) = await poll(cfg)
    assert (r.new_versions, r.changed) == (1, 1)
    store = db(cfg)
    try:
        assert [k for k in event_kinds(store) if k != "missing"] == ["new_report", "revision"]
        (doc,) = [d for d in store.reports() if d.url.endswith(other)]
        assert doc.latest is not None
        assert {c["column"]: (c["old"], c["new"]) for c in doc.latest.diff["cells"]} == {
            "total": (2, 3),
            "upheld": (1, 2),
        }
    finally:
        store.close()
    assert versions(cfg) == {kept: 1, other: 1}


async def test_missing_report_after_the_deadline(portal, tmp_path):
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    # 2021's report is listed before its deadline (2022-03-31), 2020's is the one judged: a column that lists only a
    # newer report says nothing of it (reviews 114, 115: it was mailed 逾期未发布)
    await poll(cfg, today=date(2022, 3, 31))
    await poll(cfg, today=date(2023, 4, 1))  # the 2022 report is missing
    await poll(cfg, today=date(2023, 4, 2))  # still missing: not reported again
    store = db(cfg)
    missing = [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"]
    store.close()
    assert missing == [2022]


async def test_deadlines_are_judged_on_the_day_in_china(portal, tmp_path):
    """The law's 1月31日 is Beijing's. At 07:30 on 1 February in Beijing (23:30 on 31 January in UTC) a department's
    report is late; the watcher judged on the UTC date and told it up to eight hours later. The portals' Date header,
    which stands in for a clock that is ahead, is read as Beijing's day too."""
    portal.add("/nb/", listing([("t.html", "天门市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TIANMEN, content_type="text/plain")
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")])
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, backoff=0.01) as f:
            watcher = Watcher(cfg, store, f)
            assert watcher.today is china_today  # the service's clock, unless a test gives one
            f._saw_date("Tue, 31 Jan 2023 23:30:00 GMT")
            assert f.server_date == date(2023, 2, 1)
            at_0730 = china_today(datetime(2023, 1, 31, 23, 30, tzinfo=UTC))
            assert at_0730 == date(2023, 2, 1)
            await Watcher(cfg, store, f, today=lambda: at_0730).poll()
        missing = [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"]
    finally:
        store.close()
    assert missing == [2022]


async def test_poll_named_source_only(portal, tmp_path):
    portal.add("/a/", listing([]))
    portal.add("/b/", listing([]))
    cfg = settings(tmp_path, [("a", "government", f"{portal.base}/a/"), ("b", "government", f"{portal.base}/b/")])
    results = await poll(cfg, ids=["b"])
    assert [r.source for r in results] == ["b"]
    assert portal.hits["/a/"] == 0


async def test_a_poll_of_a_source_never_read_starts_the_readers_as_it_begins_and_one_read_before_does_not(
    portal, tmp_path
):
    """A source never read is about to have its reports read: its poll starts a reader (the forkserver, a reader's
    imports) as it begins, so its first report does not wait for it after its fetch. Here the listing fails, so
    no document is ever handed over, and the reader is there all the same. A source read before starts none: a
    steady pass, every page unchanged, stays without readers."""
    from monitor import reading  # noqa: PLC0415

    portal.add("/new/", b"", status=[404] * 5)
    portal.add("/old/", listing([("t.html", "天门市2021年政府信息公开工作年度报告")]))
    portal.add("/old/t.html", TIANMEN, content_type="text/plain")
    old = settings(tmp_path, [("old", "department", f"{portal.base}/old/")], readers=1)
    (first,) = await poll(old)
    assert (first.error, first.new_versions) == (None, 1)
    pool = reading._pool()
    pool.close()  # its readers ended, as a service's that read nothing for a while would not be: none is there
    started = pool.started
    try:
        (again,) = await poll(old)  # read before: nothing new, nothing handed to a reader
        assert (again.error, again.new_versions, again.read) == (None, 0, 0)
        assert (pool.started, pool.idle, pool.busy, pool.starting) == (started, [], set(), 0)
        new = settings(tmp_path / "n", [("new", "government", f"{portal.base}/new/")], readers=2)
        (tmp_path / "n").mkdir()
        (failed,) = await poll(new)
        assert "HTTP 404" in failed.error
        for _ in range(600):  # (started in a thread of its own)
            if pool.idle:
                break
            await asyncio.sleep(0.05)
        # one reader of the two a pass may use: the other forks from the started forkserver when a second document
        # comes; one whose listing fails at once (as here) holds one idle reader
        assert (pool.size, pool.started, len(pool.idle), pool.starting) == (2, started + 1, 1, 0)
        assert reading.bounded(_pid, b"x") == pool.idle[0].proc.pid  # the reader started ahead reads the next one
    finally:
        reading.readers(None)


def _pid(*_: object) -> int:
    import os  # noqa: PLC0415

    return os.getpid()


@pytest.mark.parametrize("status", [404, 403])
async def test_permanent_http_errors_are_not_retried(portal, tmp_path, status):
    portal.add("/nb/", b"", status=[status] * 5)
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg)
    assert f"HTTP {status}" in r.error
    assert portal.hits["/nb/"] == 1


async def test_a_report_that_failed_to_load_is_not_called_missing(portal, tmp_path):
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain", status=[503] * 9)
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg, today=date(2022, 4, 1))  # 2021's deadline has passed; its report exists but will not load
    assert r.problems
    store = db(cfg)
    assert event_kinds(store) == []  # no false "missing" alert
    store.close()
    portal.pages["/nb/t.html"].status.clear()
    await poll(cfg, today=date(2022, 4, 2))
    store = db(cfg)
    assert event_kinds(store) == ["new_report"]
    store.close()


async def test_a_pathological_page_costs_its_limit_while_a_healthy_source_is_stored(portal, tmp_path, monkeypatch):
    from monitor import reading  # noqa: PLC0415

    monkeypatch.setattr(reading, "SECONDS", 3)  # production: 60 s; the behaviour, not the figure, is tested
    deep = WIDE_PAGE
    portal.add("/odd/", listing([("t1.html", "XX市2021年政府信息公开工作年度报告")]))
    portal.add("/odd/t1.html", deep)
    portal.add("/ok/", listing([("t1.html", "天门市2021年政府信息公开工作年度报告")]))
    portal.add("/ok/t1.html", TIANMEN, content_type="text/plain")
    cfg = settings(tmp_path, [("odd", "government", f"{portal.base}/odd/"), ("ok", "department", f"{portal.base}/ok/")])
    odd, ok = await poll(cfg, timeout=30.0)
    (problem,) = odd.problems
    assert "已放弃" in problem  # one line: past its limits, never a traceback or a hang
    assert "\n" not in problem
    assert (ok.error, ok.new_versions, ok.problems) == (None, 1, [])
    assert versions(cfg) == {"t1.html": 1}  # the healthy report is stored; the odd one is not


async def test_a_server_dribbling_its_answer_costs_the_deadline_not_every_retry():
    from aiohttp import web  # noqa: PLC0415

    from monitor.errors import FetchError  # noqa: PLC0415

    requests = []

    async def dribble(request):
        requests.append(request.path)
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        for _ in range(600):  # a byte every 0.1 s: each read is quick, the whole page never comes
            await resp.write(b"x")
            await asyncio.sleep(0.1)
        return resp

    app = web.Application()
    app.router.add_get("/nb/", dribble)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/nb/"
    try:
        async with Fetcher("govmon-test", 4, 2, retries=3, backoff=0.01, timeout=0.5) as f:
            assert f.deadline == 2.0  # timeout 0.5: each attempt may take 1 s, four of them would take 4 s
            with pytest.raises(FetchError, match=r"no complete answer within 2 s"):
                await f.get(url)
        assert 1 <= len(requests) <= 2  # the deadline cut the attempts short: four would have been made
    finally:
        await runner.cleanup()


async def test_poll_reports_progress_per_source_even_when_one_fails(portal, tmp_path):
    portal.add("/a/", listing([("t1.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/a/t1.html", TONGLIAO, content_type="text/plain")
    cfg = settings(
        tmp_path,
        [
            ("a", "government", f"{portal.base}/a/"),
            ("b", "government", f"{portal.base}/gone/"),
            ("c", "government", f"{portal.base}/a/"),
        ],
    )
    seen: list[tuple[int, int]] = []
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5.0, sleep=Sleeps()) as f:
            results = await Watcher(cfg, store, f, today=lambda: TODAY).poll(None, lambda *p: seen.append(p))
    finally:
        store.close()
    assert [r.error is None for r in results] == [True, False, True]
    assert seen == [(1, 3), (2, 3), (3, 3)]  # every source counted once, the failed one too


async def test_carry_over_is_checked_against_the_stored_year_before(portal, tmp_path):
    """Two consecutive years of one body: matching carry-over raises nothing; last year's 结转下年度 planted
    as 3 for 自然人 gives this year's report one history.carry_over naming the column and both values."""
    this = read_report(TONGLIAO, "x").to_json()  # 2021: 上年结转 all 0
    last = json.loads(json.dumps(this).replace("2021", "2020"))
    portal.add(
        "/nb/",
        listing(
            [("t21.html", "通辽市2021年政府信息公开工作年度报告"), ("t20.html", "通辽市2020年政府信息公开工作年度报告")]
        ),
    )
    portal.add("/nb/t21.html", report_page(this))
    portal.add("/nb/t20.html", report_page(last))
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    await poll(cfg)
    store = db(cfg)
    years = {d.year: findings(d) for d in store.reports()}
    store.close()
    assert set(years) == {2020, 2021}
    assert not [f for f in years[2021] if f["rule"] == "history.carry_over"]
    # the year before, as stored, keeps its tables' formats: 现行有效 is compared too (the planted year repeats
    # 2021's numbers, so in_force + issued - repealed cannot hold, and its tables are 2021's: 数据雷同)
    assert {f["rule"] for f in years[2021] if f["rule"].startswith("history.")} == {
        "history.in_force",
        "history.same_tables",
    }

    other = settings(tmp_path / "b", [("city", "government", f"{portal.base}/nb/")])
    last["tables"]["applications"]["carried_forward"]["natural_person"] = 3
    portal.pages["/nb/t20.html"].body = report_page(last).encode()
    await poll(other)
    store = db(other)
    (carry,) = [f for d in store.reports() if d.year == 2021 for f in findings(d) if f["rule"] == "history.carry_over"]
    store.close()
    assert (carry["column"], carry["expected"], carry["actual"]) == ("natural_person", 3, 0)
    assert "上一年度报告的结转下年度继续办理为3" in carry["message"]


async def test_carry_over_across_the_2019_to_2021_format_switch(portal, tmp_path):
    """莱西's real 2020 report (2019 format: 结转下年度 自然人 14, the other columns blank) before a 2021-format
    report of the same source whose 上年结转 is 0: the 自然人 column is named, the blank ones are not guessed."""
    portal.add(
        "/nb/",
        listing(
            [("t21.html", "莱西市2021年政府信息公开工作年度报告"), ("t20.html", "2020年莱西市政府信息公开工作年度报告")]
        ),
    )
    portal.add("/nb/t20.html", LAIXI, content_type="text/plain")
    # 通辽's 2021 tables standing in for 莱西's own 2021 report (its name is 莱西's: the same body's next year)
    laixi_2021 = json.loads(
        json.dumps(read_report(TONGLIAO, "x").to_json(), ensure_ascii=False).replace("通辽市", "莱西市")
    )
    portal.add("/nb/t21.html", report_page(laixi_2021))
    cfg = settings(tmp_path, [("laixi", "government", f"{portal.base}/nb/")])
    await poll(cfg)
    store = db(cfg)
    found = [f for d in store.reports() for f in findings(d) if f["rule"] == "history.carry_over"]
    store.close()
    assert [(f["column"], f["expected"], f["actual"]) for f in found] == [("natural_person", 14, 0), ("total", 14, 0)]


async def test_a_year_before_stored_later_checks_the_stored_year_after_once(portal, tmp_path):
    """The 2021 report is stored first; the 2020 one appears on the listing a poll later, its 结转下年度 for
    自然人 planted as 3 against 2021's 上年结转 0. The stored 2021 report is checked again: one carry-over
    error on it and one alert naming 2021; polling again adds neither."""
    this = read_report(TONGLIAO, "x").to_json()
    last = json.loads(json.dumps(this).replace("2021", "2020"))
    last["tables"]["applications"]["carried_forward"]["natural_person"] = 3
    only_2021 = [("t21.html", "通辽市2021年政府信息公开工作年度报告")]
    portal.add("/nb/", listing(only_2021))
    portal.add("/nb/t21.html", report_page(this))
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    await poll(cfg)
    portal.add("/nb/", listing([*only_2021, ("t20.html", "通辽市2020年政府信息公开工作年度报告")]))
    portal.add("/nb/t20.html", report_page(last))
    await poll(cfg)
    await poll(cfg)
    store = db(cfg)
    try:
        by_year = {d.year: findings(d) for d in store.reports()}
        events = [(e.event.kind, e.event.payload.to_json()) for e in store.events()]
    finally:
        store.close()
    (carry,) = [f for f in by_year[2021] if f["rule"] == "history.carry_over"]
    assert (carry["column"], carry["expected"], carry["actual"]) == ("natural_person", 3, 0)
    assert not [f for f in by_year[2020] if f["rule"] == "history.carry_over"]
    (again,) = [p for kind, p in events if kind == "new_finding"]
    assert again["year"] == 2021
    assert carry["key"] in again["finding_keys"]
    assert [kind for kind, _ in events].count("new_report") == 2


async def test_an_unchanged_listing_is_not_read_again_unless_link_pattern_changed(portal, tmp_path, monkeypatch):
    """A listing answering 304 reuses the links found last time (no decode, no discover()); an admin who edits
    link_pattern gets the listing read again with it."""
    import dataclasses  # noqa: PLC0415
    import re  # noqa: PLC0415

    from monitor.watch import listing as polling  # noqa: PLC0415

    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    await poll(cfg)
    read: list[str] = []
    real = polling.discover

    def spy(html, base, pattern):  # type: ignore[no-untyped-def]
        read.append(base)
        return real(html, base, pattern)

    monkeypatch.setattr(polling, "discover", spy)
    (again,) = await poll(cfg)
    assert read == []
    assert (again.error, again.reports, again.new_versions) == (None, 1, 0)
    source = dataclasses.replace(cfg.sources[0], link_pattern=re.compile("年度报告"))
    (edited,) = await poll(dataclasses.replace(cfg, sources=(source,)))
    assert read == [f"{portal.base}/nb/"]
    assert edited.reports == 1


async def test_a_report_not_read_because_govmon_was_stopping_is_read_at_the_next_poll(portal, tmp_path):
    """On SIGTERM the readers are stopped (``reading.kill_all``), and a report waiting for one is told "未读取：
    govmon正在停止，下次检查时再读取". The next poll reads it, as that line says: it is not remembered as a report
    that could not be read (which is never read again while its bytes stay the same: a readable report, never
    checked, shown as 无法读取)."""
    portal.add("/nb/", listing([("t.html", "天门市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TIANMEN, content_type="text/plain")
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], readers=1)
    async with _one_busy_reader(tmp_path):  # the report waits for it
        (result,) = await _stopped_while_waiting(portal, cfg, "/nb/t.html")
    assert any("govmon正在停止" in problem for problem in result.problems), result.problems
    (again,) = await poll(cfg)
    assert again.new_versions == 1, again.problems
    assert versions(cfg) == {"t.html": 1}
    store = db(cfg)
    try:
        assert store.unreadable_reports() == []
    finally:
        store.close()


def _column_page(link: str, title: str) -> str:
    """A real column page's size and chrome (the portal page of corpus 009, 136 KB) listing one report."""
    page = (CORPUS / "009_pingtan_social_affairs_bureau_2023.html").read_bytes().decode("utf-8")
    end = page.lower().rindex("</body>")
    return f'{page[:end]}<ul class="list"><li><a href="{link}">{title}</a></li></ul>{page[end:]}'


async def test_a_large_listing_s_links_are_found_by_a_reader_not_the_watchers_own_process(
    portal, tmp_path, monkeypatch
):
    """Issue #28: bs4 finding a real column page's links held the watcher's own process (its loop, the one core it
    has) 27-40 ms a page; lxml 2-9 ms. A page past ``IN_A_READER`` is parsed in a reader; its links are the same."""
    from monitor.watch import discover as discovering  # noqa: PLC0415
    from monitor.watch import listing as polling  # noqa: PLC0415

    page = _column_page("t.html", "天门市2021年政府信息公开工作年度报告")
    assert len(page) > polling.IN_A_READER
    portal.add("/nb/", page)
    portal.add("/nb/t.html", TIANMEN, content_type="text/plain")
    here: list[str] = []  # the pages parsed in this process
    real = discovering.parsed
    monkeypatch.setattr(discovering, "parsed", lambda html: here.append(html) or real(html))
    (result,) = await poll(settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")]))
    assert (result.error, result.new_versions) == (None, 1), result.problems
    assert here == []


async def test_a_listing_past_a_reader_s_limits_is_said_to_be_the_column_page(portal, tmp_path, monkeypatch):
    """A column page whose links a reader could not find within its limits fails the poll in words that say it was
    the column page (栏目页…), not a report: "读取超出限制…" alone sent an admin looking for a report."""
    from monitor import reading  # noqa: PLC0415
    from monitor.watch import listing as polling  # noqa: PLC0415

    async def past_its_limits(*_: object) -> object:  # what a reader that ran out says (a warm reader's free heap
        raise InputError(reading._limits((), None, None).exhausted)  # decides when: not forced here for certain)

    portal.add("/nb/", _column_page("t.html", "天门市2021年政府信息公开工作年度报告"))
    monkeypatch.setattr(polling, "handed", past_its_limits)
    (result,) = await poll(settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")]))
    assert result.error is not None
    assert result.error.startswith(f"栏目页{portal.base}/nb/：读取超出限制"), result.error


async def test_a_poll_whose_listing_waits_for_a_reader_at_a_stop_is_cut_off_not_failed(portal, tmp_path):
    """A large listing page waiting for a reader as the service stops (``reading.kill_all``) cuts its poll off as
    the stop cuts polls: its source is not counted as failing once more (``failure_threshold`` polls in a row send
    an alert), and the next poll reads it."""
    portal.add("/nb/", _column_page("t.html", "天门市2021年政府信息公开工作年度报告"))
    portal.add("/nb/t.html", TIANMEN, content_type="text/plain")
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], readers=1)
    async with _one_busy_reader(tmp_path):  # the listing waits for it
        with pytest.raises(asyncio.CancelledError):
            await _stopped_while_waiting(portal, cfg, "/nb/")
    store = db(cfg)
    try:
        state = store.source_state("tianmen")
    finally:
        store.close()
    assert (state.consecutive_failures, state.last_error) == (0, None)
    (again,) = await poll(cfg)
    assert (again.error, again.new_versions) == (None, 1), again.problems


@contextlib.asynccontextmanager
async def _one_busy_reader(tmp_path: Path):  # type: ignore[no-untyped-def]
    """One reader, kept busy opening a FIFO (not by a sleep: the fake-clock runs cut sleeps short) until a stop."""
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from monitor import reading  # noqa: PLC0415

    reading._pool().close()
    reading.readers(1)
    hold = tmp_path / "hold"
    os.mkfifo(hold)
    busy = threading.Thread(target=lambda: _stopped(lambda: reading.bounded(_opened, str(hold))))
    busy.start()
    try:
        for _ in range(400):
            if reading.reading_now():
                break
            await asyncio.sleep(0.05)
        yield
    finally:
        reading.kill_all()  # (the busy reader, should the test have failed before the stop)
        busy.join(15)
        reading.readers(None)


async def _stopped_while_waiting(portal, cfg, path: str) -> list:  # type: ignore[no-untyped-def]
    """A poll's results, the readers stopped (``reading.kill_all``) once its ``path`` was fetched and handed to the
    pool, waiting for the busy reader."""
    from monitor import reading  # noqa: PLC0415

    first = asyncio.create_task(poll(cfg))
    for _ in range(400):
        if portal.hits[path]:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # (handed to the pool, waiting for its reader)
    assert not first.done()
    reading.kill_all()
    return await first


def _opened(path: str) -> bytes:
    with open(path, "rb") as f:  # a FIFO: waits for a writer
        return f.read()


def _stopped(read) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(InputError):  # (stopped: what the test wants of it)
        read()


@pytest.mark.parametrize(
    "page",
    [
        listing([]),  # a listing a script draws from an API the page calls: no link in the HTML
        listing([]).replace(
            "<ul></ul>", '<ul><li v-for="x in list">{{ x.title }}</li></ul><p v-if="!list">暂无信息</p>'
        ),
        # GBK bytes whose page says big5, read before as nonsense
        listing([("t.html", "通辽市2019年政府信息公开工作年度报告")], charset="big5"),
    ],
)
async def test_a_listing_with_no_report_link_read_calls_no_report_missing(portal, tmp_path, page):
    # What staff are told when the listing gives govmon nothing to read: that it could not be read, not that every
    # year's report is missing (a false 逾期未发布 mail for a report the portal lists).
    portal.add("/nb/", page.encode("gbk"), charset=None)
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg, today=date(2020, 4, 1))  # 2019's deadline has passed
    store = db(cfg)
    kinds = event_kinds(store)
    store.close()
    assert "missing" not in kinds
    if "t.html" in page:
        assert r.error is None
        assert r.reports == 1
    else:
        assert r.error is not None
        assert "没有找到任何年度报告链接" in r.error


async def test_a_listing_that_says_it_lists_nothing_calls_the_overdue_report_missing(portal, tmp_path):
    # A listing page read, saying in its own words that it lists nothing (暂无信息): the body has published
    # nothing there, and once the deadline is past its report is 逾期未发布 (not "the listing could not be read").
    portal.add("/nb/", listing([]).replace("<ul></ul>", "<ul></ul><p class='empty'>暂无信息</p>"))
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg, today=date(2024, 4, 2))
    store = db(cfg)
    kinds = event_kinds(store)
    store.close()
    assert r.error is None
    assert kinds == ["missing"]


def _paged(prefix: str) -> tuple[bytes, bytes, list[str]]:
    """The real page cut into two pages as TRS cuts a long article: part 一 and 二 on t.html (its pager script and
    "共2页 下一页"), part 三 onward on t_1.html."""
    page = next((Path(__file__).resolve().parents[2] / "shared" / "corpus").glob(prefix + "*"))
    html = page.read_text(encoding="utf-8")
    cut = html.rfind("<p", 0, html.index("三、收到和处理政府信息公开申请情况"))
    pager = '<div class="page">共2页 <a href="t_1.html">2</a> <a href="t_1.html">下一页</a></div>'
    first = html[:cut] + pager + '<script>createPageHTML(2, 0, "t", "html");</script></div></body></html>'
    second = '<html><head><meta charset="utf-8"></head><body><div class="TRS_Editor">' + html[cut:]
    second = second.replace("</body>", '<script>createPageHTML(2, 1, "t", "html");</script></body>')
    return first.encode(), second.encode(), sorted(f.rule for f in run_rules(read_report(page.read_bytes(), page.name)))


async def test_a_report_its_cms_cut_into_pages_is_read_whole_by_the_watcher_and_said_so_by_check(portal, tmp_path):
    # 009 cut in two as TRS cuts a long article. The watcher reads both pages as one report: the same findings as the
    # page whole, no part missing. `check` of the first page alone says the report runs on, not that 三-六 are missing.
    first, second, findings = _paged("009_")
    alone = read_report(first, "t.html")
    rules = [(f.rule, f.severity) for f in run_rules(alone)]
    assert ("report.paged", "warning") in rules
    assert [r for r, severity in rules if severity == "error"] == []
    portal.add("/nb/", listing([("t.html", "平潭综合实验区社会事业局2023年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", first)
    portal.add("/nb/t_1.html", second)
    cfg = settings(tmp_path, [("bureau", "department", f"{portal.base}/nb/")])
    (r,) = await poll(cfg, today=date(2024, 3, 1))
    assert r.error is None
    store = db(cfg)
    try:
        (stored,) = list(store.reports(summaries=True))
        version = store.latest_version(stored.id)
    finally:
        store.close()
    assert portal.hits["/nb/t_1.html"] == 1
    assert sorted(f.rule for f in version.findings) == findings
    # its second page gone (a "页面不存在" page answered 200): the first alone, said to be one of two, no part missing
    portal.add("/nb/t.html", first.replace(b"createPageHTML(2, 0", b"createPageHTML(2,  0"))  # a new version
    portal.add("/nb/t_1.html", "<html><body>页面不存在</body></html>")
    (r,) = await poll(cfg, today=date(2024, 3, 1))
    store = db(cfg)
    try:
        version = store.latest_version(stored.id)
    finally:
        store.close()
    assert "report.paged" in {f.rule for f in version.findings}
    assert not [f for f in version.findings if f.severity == "error"]


async def test_why_a_page_could_not_be_fetched_is_said_to_staff_in_chinese(portal, tmp_path, unused_tcp_port):
    """status, the overview, the source-failing mail and `check URL` showed the fetcher's English to staff
    (cannot connect: [Errno 111] Connect call failed…). Each failure the fetcher makes, made for real here, is said in
    Chinese with its URL; the journal keeps the English."""
    portal.add("/gone.html", b"", status=[404] * 9)
    portal.add("/busy.html", b"", status=[503] * 9)
    portal.add("/big.html", b"x" * 4096)
    closed = f"http://127.0.0.1:{unused_tcp_port}/nb/"
    async with Fetcher("govmon-test", 4, 2, retries=1, backoff=0.01, max_bytes=1024) as f:
        said = {}
        for url in (
            f"{portal.base}/gone.html",
            f"{portal.base}/busy.html",
            f"{portal.base}/big.html",
            closed,
            "ftp://x/r",
        ):
            with pytest.raises(FetchError) as exc:
                await f.get(url, allow=allowed_for(url) if url.startswith("http") else None)
            said[url] = said_cn(str(exc.value))
    assert said[f"{portal.base}/gone.html"] == f"{portal.base}/gone.html：网站返回HTTP 404（页面不存在）"
    assert (
        said[f"{portal.base}/busy.html"] == f"{portal.base}/busy.html：网站返回HTTP 503（服务器出错）（重试2次后放弃）"
    )
    assert said[f"{portal.base}/big.html"] == f"{portal.base}/big.html：页面超过大小上限（1024字节）"
    assert said[closed] == f"{closed}：无法连接到网站（重试2次后放弃）"
    assert said["ftp://x/r"] == "ftp://x/r：只支持http或https网址"
    assert said_cn("PDF文件无法读取：文件已损坏") == "PDF文件无法读取：文件已损坏"  # a reader's own words, as they are
