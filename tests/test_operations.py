"""A service an admin leaves running for a year (issue #24): a slow channel, a bad link, a report that cannot be
read, a clock that steps, a damaged database, a full disk, SIGHUP, `poll` beside the service, health, backup.
Through a real portal on 127.0.0.1, real SQLite files and real `govmon` processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import apscheduler.schedulers.base
import pytest
from aiohttp import web
from conftest import SEEDS
from portal import listing, settings
from test_service import GOVMON, count, govmon, wait_for

from monitor import reading
from monitor.alerts.outbox import deliver_due
from monitor.alerts.render import Renderer
from monitor.config import Webhook
from monitor.errors import InputError, StorageError
from monitor.present.cli import main
from monitor.store import open_store
from monitor.store.sqlite.schema import MIGRATIONS
from monitor.watch import liveness, timetable
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher

TONGLIAO = SEEDS["tongliao"].read_bytes()
LAIXI = SEEDS["laixi"].read_bytes()
RENDERER = Renderer()


async def poll(cfg, today, ids=None):
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, backoff=0.01, timeout=5) as f:
            return await Watcher(cfg, store, f, today=lambda: today).poll(ids)
    finally:
        store.close()


def toml(tmp_path: Path, base: str, extra: str = "", sources: tuple[str, ...] = ("city",)) -> Path:
    path = tmp_path / "sources.toml"
    body = "".join(
        f'[[source]]\nid = "{s}"\nagency = "{s}人民政府"\nkind = "government"\nlist_url = "{base}/{s}/"\n'
        for s in sources
    )
    path.write_text(f'[monitor]\ndatabase = "govmon.db"\noutbox_dir = "mail"\n{extra}\n{body}', encoding="utf-8")
    return path


async def _hook(answer: Callable[[web.Request], Awaitable[web.Response]]) -> tuple[web.AppRunner, str]:
    """A webhook receiver on 127.0.0.1 answering with ``answer``: its runner (to clean up) and its URL."""
    app = web.Application()
    app.router.add_post("/hook", answer)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


# ---------------------------------------------------------------- 1. a slow channel never stalls polling
async def test_polling_goes_on_while_a_channel_takes_ten_seconds_a_message(portal, tmp_path, monkeypatch):
    """A webhook answering after 10 s: each job used to wait for the delivery pass, so in 240 s 17 of 50 sources
    were never polled. Now every source is polled again and again while that webhook is still being served."""
    monkeypatch.setattr(timetable, "STOP_GRACE", 0.5)
    monkeypatch.setattr(timetable, "SEND_GRACE", 0.5)  # (the message in hand is cut off at the end)
    served: list[float] = []

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        served.append(time.monotonic())
        return web.Response(text="{}")

    runner, url = await _hook(slow)
    hook = Webhook("slow", url, "json")
    ids = [f"s{i}" for i in range(4)]
    for i in ids:
        portal.add(f"/{i}/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
        portal.add(f"/{i}/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [(i, "government", f"{portal.base}/{i}/") for i in ids], webhooks=(hook,))
    cfg = replace(cfg, sources=tuple(replace(s, interval=1) for s in cfg.sources))  # a poll a second
    store = open_store(cfg)
    stop = asyncio.Event()
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5) as fetcher:
            watcher = Watcher(cfg, store, fetcher, today=lambda: date(2022, 3, 1))
            service = asyncio.create_task(
                timetable.run(watcher, stop, lambda: deliver_due(cfg, store, RENDERER), spread=0)
            )
            db = cfg.database
            await wait_for(
                lambda: (
                    count(
                        db,
                        "SELECT coalesce(min(n), 0) FROM (SELECT count(*) AS n FROM polls WHERE finished IS NOT NULL GROUP BY source)",
                    )
                    >= 3
                ),
                30,
            )
            assert served == []  # the first message is still being delivered: polling did not wait for it
            stop.set()
            await asyncio.wait_for(service, 15)
    finally:
        store.close()
        await runner.cleanup()
    assert count(cfg.database, "SELECT count(DISTINCT source) FROM polls WHERE ok = 1") == 4


async def test_a_wall_clock_stepped_back_a_day_and_ahead_moves_no_poll(portal, tmp_path, monkeypatch, caplog):
    """Polls are timed on the monotonic clock: after the clock stepped back a day (and returned), the service
    polled nothing for the 70 s measured; now polls go on (APScheduler, which fires the tick by the wall clock,
    is woken by the monotonic watchdog), and each step is logged once."""
    monkeypatch.setattr(timetable, "STOP_GRACE", 0.5)
    monkeypatch.setattr(timetable, "TICK", 0.1)
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    cfg = replace(cfg, sources=(replace(cfg.sources[0], interval=1),))
    step = [0.0]

    class Stepped(datetime):  # the wall clock APScheduler (which fires the tick) and the timetable see
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime.now(tz) + timedelta(seconds=step[0])

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", Stepped)
    monkeypatch.setattr(timetable, "datetime", Stepped)
    store = open_store(cfg)
    stop = asyncio.Event()
    polls = "SELECT count(*) FROM polls WHERE finished IS NOT NULL"
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5) as fetcher:
            watcher = Watcher(cfg, store, fetcher, today=lambda: date(2022, 3, 1))
            with caplog.at_level(logging.INFO, logger="govmon"):
                service = asyncio.create_task(
                    timetable.run(watcher, stop, spread=0, wall=lambda: time.time() + step[0])
                )
                await wait_for(lambda: count(cfg.database, polls) >= 1, 30)
                step[0] = -86400.0  # back a day
                seen = count(cfg.database, polls)
                await wait_for(lambda: count(cfg.database, polls) >= seen + 2, 30)
                step[0] = 0.0  # and right again
                seen = count(cfg.database, polls)
                await wait_for(lambda: count(cfg.database, polls) >= seen + 2, 30)
                stop.set()
                await asyncio.wait_for(service, 15)
    finally:
        store.close()
    steps = [r.getMessage() for r in caplog.records if "wall clock stepped" in r.getMessage()]
    assert len(steps) == 2, steps
    assert steps[0].startswith("the wall clock stepped back by 8640")
    assert steps[1].startswith("the wall clock stepped ahead by 8640")


async def test_deadlines_are_not_judged_on_a_clock_far_ahead_of_the_portals(portal, tmp_path, caplog):
    """A clock 500 days ahead called next year's report missing; the portals' Date header says otherwise."""
    today = datetime.now(UTC).date()
    year = today.year - 1 if today >= date(today.year, 4, 1) else today.year - 2  # the last year now due
    portal.add("/nb/", listing([("t.html", f"通辽市{year}年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    with caplog.at_level(logging.WARNING, logger="govmon"):
        await poll(cfg, today + timedelta(days=500))
    assert count(cfg.database, "SELECT count(*) FROM events WHERE kind = 'missing'") == 0
    assert any("deadlines are judged on" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- 2, 3, 12: reports that cannot be read
async def test_a_listed_report_that_could_not_be_read_is_unreadable_with_its_error_never_missing(
    portal, tmp_path, capsys
):
    portal.add(
        "/city/",
        listing(
            [
                ("t2021.html", "2021年政府信息公开工作年度报告"),
                ("t2022.html", "2022年政府信息公开工作年度报告"),  # 503, every time
                ("t2020.html", "2020年政府信息公开工作年度报告"),  # not a page at all
                ("http://[::1/x", "2019年政府信息公开工作年度报告"),  # 3: malformed links beside the others
                ("http://127.0.0.1:99999/t.html", "2018年政府信息公开工作年度报告"),
            ]
        ),
    )
    portal.add("/city/t2021.html", TONGLIAO, content_type="text/plain")
    portal.add("/city/t2022.html", b"", status=[503] * 100)
    portal.add("/city/t2020.html", bytes(range(256)) * 64, content_type="application/octet-stream")
    path = toml(tmp_path, portal.base, extra="failure_threshold = 2")
    from monitor.config import load  # noqa: PLC0415

    cfg = load(path)
    for _ in range(3):  # past failure_threshold: the malformed links never make the source "failing"
        (result,) = await poll(cfg, date(2023, 6, 1))
        assert result.error is None
    assert count(cfg.database, "SELECT count(*) FROM events WHERE kind IN ('source_failing', 'missing')") == 0
    assert count(cfg.database, "SELECT count(*) FROM versions") == 1

    assert main(["status", "--year", "2022", "--as-of", "2023-06-01", "--json", "--config", str(path)]) == 0
    (city,) = json.loads(capsys.readouterr().out)["sources"]
    assert (city["state"], city["state_cn"]) == ("unreadable", "无法读取")
    assert "HTTP 503" in city["error"]
    assert city["url"] == f"{portal.base}/city/t2022.html"
    assert main(["status", "--year", "2020", "--as-of", "2023-06-01", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "无法读取" in out
    assert "逾期未发布" not in out
    assert "报告无法读取：" in out
    assert main(["reports", "--json", "--config", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(b["year"] for b in data["unreadable"]) == [2020, 2022]
    assert main(["reports", "--config", str(path)]) == 0
    assert "无法读取：" in capsys.readouterr().out
    assert main(["sources", "--config", str(path)]) == 0
    assert f"could not read {portal.base}/city/t2022.html: " in capsys.readouterr().out
    assert main(["overview", "--out", str(tmp_path / "site"), "--as-of", "2023-06-01", "--config", str(path)]) == 0
    capsys.readouterr()
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'data-state="unreadable"' in index  # the summary counts it
    grid = (tmp_path / "site" / "g" / "city.html").read_text(encoding="utf-8")
    assert 'data-state="unreadable"' in grid
    assert "HTTP 503" in grid  # and the source's grid says why

    portal.pages["/city/t2022.html"] = portal.pages["/city/t2021.html"]  # fixed: read, and no longer unreadable
    await poll(cfg, date(2023, 6, 1))
    assert count(cfg.database, "SELECT count(*) FROM unreadable WHERE year = 2022") == 0


async def test_a_page_that_cannot_be_read_is_not_read_again_until_it_changes(portal, tmp_path, monkeypatch):
    """A 1.6 KB DOCX cost 60 s of CPU on every poll: what failed is remembered by its hash (and validators)."""
    reads: list[str] = []
    real = reading.read_page_and  # the watcher reads a page, and works out what it needs of it, in the reader

    def counted(then, data, source, *args, **kw):
        reads.append(source)
        return real(then, data, source, *args, **kw)

    monkeypatch.setattr(reading, "read_page_and", counted)
    portal.add("/nb/", listing([("t.html", "2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", "<html><body><p>页面建设中</p></body></html>")  # not a report, links no attachment
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (first,) = await poll(cfg, date(2022, 3, 1))
    assert len(reads) == 1
    assert "页面不是报告" in first.problems[0]
    (again,) = await poll(cfg, date(2022, 3, 1))  # a 304
    assert portal.not_modified["/nb/t.html"] == 1
    assert len(reads) == 1
    assert "not read again" in again.problems[0]
    portal.pages["/nb/t.html"].etag = False  # no validators: the same bytes, told by their hash
    await poll(cfg, date(2022, 3, 1))
    assert len(reads) == 1
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")  # it changed: read, and stored
    (fixed,) = await poll(cfg, date(2022, 3, 1))
    assert len(reads) == 2
    assert (fixed.new_versions, fixed.problems) == (1, [])


@pytest.mark.parametrize(("failed", "read_on_a_later_day"), [("overran", True), ("exhausted", False)])
async def test_a_read_cut_off_by_a_busy_machine_is_read_again_the_next_day(
    portal, tmp_path, monkeypatch, failed, read_on_a_later_day
):
    """A sound report whose read ran past its wall-clock time (a busy machine at the season's first pass: its CPU
    within budget) was remembered as unreadable for as long as its bytes stayed the same: never read again, never
    checked. It is remembered for the day; one that died past its CPU or memory is remembered as before."""
    limits = reading._limits((b"", "t.html"), None, None)
    reads: list[str] = []
    real = reading.read_page_and

    def busy_once(then, data, source, *args, **kw):
        reads.append(source)
        if len(reads) == 1:
            raise InputError(limits.too_long if failed == "overran" else limits.exhausted)
        return real(then, data, source, *args, **kw)

    monkeypatch.setattr(reading, "read_page_and", busy_once)
    portal.add("/nb/", listing([("t.html", "2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain", etag=False)
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (first,) = await poll(cfg, date(2022, 3, 1))
    assert first.problems
    (same_day,) = await poll(cfg, date(2000, 1, 1))  # (a day before the failure was stored, whatever the clock says)
    assert (len(reads), same_day.new_versions) == (1, 0)
    (later,) = await poll(cfg, date(2099, 1, 1))
    assert len(reads) == (2 if read_on_a_later_day else 1)
    assert later.new_versions == (1 if read_on_a_later_day else 0)


async def test_a_binary_listing_page_is_one_line_not_a_traceback(portal, tmp_path, caplog):
    portal.add("/nb/", bytes(range(256)) * 64, content_type="application/octet-stream")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    with caplog.at_level(logging.INFO, logger="govmon"):
        (result,) = await poll(cfg, date(2022, 3, 1))
    assert result.error
    assert not result.error.startswith("internal error")
    assert not [r for r in caplog.records if r.exc_info]
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line.startswith("source city: poll failed after ")


# ---------------------------------------------------------------- 10. the database and the disk
def test_a_damaged_database_is_one_actionable_line_for_every_command(tmp_path, capsys):
    path = toml(tmp_path, "http://127.0.0.1:9")
    (tmp_path / "govmon.db").write_bytes(b"this is not SQLite " * 500)
    for command in (["sources"], ["reports"], ["status"], ["alerts", "list"], ["health"], ["poll"]):
        assert main([*command, "--config", str(path)]) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "the database is damaged" in err
        assert "restore the last backup" in err


def test_a_database_from_a_newer_govmon_is_refused_and_left_alone(tmp_path, capsys):
    path = toml(tmp_path, "http://127.0.0.1:9")
    con = sqlite3.connect(tmp_path / "govmon.db")
    con.execute("PRAGMA user_version = 99")
    con.close()
    assert main(["poll", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"written by a newer govmon (schema 99; this one knows {len(MIGRATIONS)})" in err
    con = sqlite3.connect(tmp_path / "govmon.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == 99
    assert con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0  # nothing written
    con.close()


async def poll_on_a_small_disk(tmp_path: Path, base: str, size: str, fill: str = "") -> tuple[Path, str]:
    """`govmon poll` with its database on a tmpfs of ``size`` (a mount namespace of its own), after the shell's
    ``fill``, run from / (another filesystem): the folder, and the one line it said (no traceback; exit 2)."""
    small = tmp_path / "small"
    small.mkdir()
    config = toml(tmp_path, base)
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {small} && cp {config} {small}/ && {fill}"
        f"cd / && exec {GOVMON} poll --config {small}/sources.toml"
    )
    proc = await asyncio.create_subprocess_exec(
        "unshare", "-m", "sh", "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    text = err.decode()
    assert proc.returncode == 2, text
    assert "Traceback" not in text
    (line,) = [x for x in text.splitlines() if x.startswith("govmon: ")]
    return small, line


async def test_a_full_disk_is_one_line_naming_the_path_and_the_space(portal, tmp_path):
    """A 256 KiB filesystem under the database: `poll` stores what fits, then says the disk is full, where, and how
    much is free; no traceback."""
    portal.add("/city/", listing([(f"t{y}.html", f"{y}年政府信息公开工作年度报告") for y in range(2015, 2023)]))
    for y in range(2015, 2023):
        portal.add(f"/city/t{y}.html", TONGLIAO.replace(b"2021", str(y).encode()), content_type="text/plain")
    small, line = await poll_on_a_small_disk(tmp_path, portal.base, "256k")
    assert re.search(r"the disk is full \(\d+ MiB free on its filesystem\): free some space there", line), line
    assert str(small) in line


@pytest.mark.parametrize("left_kib", [0, 32])
async def test_a_disk_already_full_is_said_so_of_the_database_and_its_filesystem(portal, tmp_path, left_kib):
    """A disk already full when `poll` starts: the instance lock's PID could not be written, and the line said "the
    database" with the free space of the folder `poll` ran from; with a few KiB left, SQLite's I/O error growing its
    files read "disk I/O error", as if the disk were failing."""
    portal.add("/city/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/city/t.html", TONGLIAO, content_type="text/plain")
    small = tmp_path / "small"
    fill = f"dd if=/dev/zero of={small}/filler bs=1k 2>/dev/null; " + (
        f"truncate -s -{left_kib}K {small}/filler; " if left_kib else ""
    )
    small, line = await poll_on_a_small_disk(tmp_path, portal.base, "512k", fill)
    assert re.search(rf"^govmon: {small}/govmon.db\S*: the disk is full \(0 MiB free on its filesystem\)", line), line


# ---------------------------------------------------------------- 13. operating it
async def _service_of_two_portals(
    portal, tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[Path, Path, Path, asyncio.subprocess.Process]:
    """Two real portals (city, town), a sources.toml of the first, and `govmon run` on it (in ``env``) once its
    first poll ended: (the file, the database, the journal, the process)."""
    for s in ("city", "town"):
        portal.add(f"/{s}/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
        portal.add(f"/{s}/t.html", TONGLIAO, content_type="text/plain")
    path, db, log = toml(tmp_path, portal.base), tmp_path / "govmon.db", tmp_path / "journal.txt"
    with log.open("wb") as journal:
        proc = await asyncio.create_subprocess_exec(
            GOVMON, "run", "--spread", "0", "--config", str(path), stdout=journal, stderr=journal, env=env
        )
    try:
        await wait_for(lambda: count(db, "SELECT count(*) FROM polls WHERE finished IS NOT NULL") >= 1, 60)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    return path, db, log, proc


async def test_sighup_reloads_a_valid_file_keeps_the_old_on_a_bad_one_and_poll_is_handed_over(portal, tmp_path):
    path, db, log, proc = await _service_of_two_portals(portal, tmp_path)
    try:
        await wait_for(lambda: "source city: polled in " in log.read_text(encoding="utf-8"), 10)
        assert re.search(r"source city: polled in [\d.]+ s: 1 listed, 1 new, 0 changed, 0 unreadable", log.read_text())

        good = path.read_text(encoding="utf-8")
        path.write_text(good.replace('kind = "government"', 'kind = "gov"'), encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        await wait_for(lambda: "keeping the running configuration" in log.read_text(encoding="utf-8"), 10)
        assert proc.returncode is None  # SIGHUP used to kill it (exit 129)
        assert f"{path}:8: [[source]] #1 key 'kind'" in log.read_text(encoding="utf-8")

        toml(tmp_path, portal.base, sources=("city", "town"))
        proc.send_signal(signal.SIGHUP)
        await wait_for(lambda: count(db, "SELECT count(*) FROM polls WHERE source = 'town' AND ok = 1") >= 1, 30)
        assert "(1 added, 0 removed)" in log.read_text(encoding="utf-8")

        before = count(db, "SELECT count(*) FROM polls WHERE source = 'city'")
        code, out, err = await govmon("poll", "--source", "city", "--config", str(path))
        assert code == 0, err
        assert f"govmon (PID {proc.pid}) is running on this database: asked it to poll city now" in out
        await wait_for(lambda: count(db, "SELECT count(*) FROM polls WHERE source = 'city'") > before, 10)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    assert proc.returncode == 0


async def test_a_sighup_while_the_database_is_locked_is_applied_once_it_is_free_and_said_in_one_line(portal, tmp_path):
    """A SIGHUP adding a source while another process held the database: the new settings were taken, storing
    its sources failed, and the new source was never scheduled (listed as never polled), with only APScheduler's
    tracebacks in the journal, every 10 s. Now the reload waits whole until the database is free, and each error
    is one line."""
    _, db, log, proc = await _service_of_two_portals(portal, tmp_path)
    try:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the database past the busy timeout
        try:
            toml(tmp_path, portal.base, sources=("city", "town"))
            proc.send_signal(signal.SIGHUP)
            await wait_for(lambda: "tried again" in log.read_text(encoding="utf-8"), 30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await wait_for(lambda: count(db, "SELECT count(*) FROM polls WHERE source = 'town' AND ok = 1") >= 1, 60)
        text = log.read_text(encoding="utf-8")
        assert "(1 added, 0 removed)" in text
        assert "Traceback" not in text
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    assert proc.returncode == 0


async def test_an_idle_service_beside_a_process_holding_the_database_waits_on_nothing_and_stops_at_once(
    portal, tmp_path
):
    """Another process holding the database (an admin's sqlite3 session): the tick's look for polls asked was a
    write, so every second it waited out the 10 s busy timeout on the loop (one error a minute, APScheduler's
    "maximum number of running instances", SIGTERM ~19 s and exit 1). It is a read now, a write only when a poll
    was asked: the idle service waits on nothing and stops cleanly."""
    _, db, log, proc = await _service_of_two_portals(portal, tmp_path)
    try:  # its first poll's alerts delivered first: the pass that marks them writes, and waits (said in one line)
        await wait_for(lambda: count(db, "SELECT count(*) FROM deliveries WHERE status = 'pending'") == 0, 30)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            await asyncio.sleep(12)  # past the busy timeout
            text = log.read_text(encoding="utf-8")
            assert "database is locked" not in text, text
            assert "maximum number of running instances" not in text, text
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, log.read_text(encoding="utf-8")


async def test_a_stop_with_nothing_in_hand_does_not_wait_out_the_grace(portal, tmp_path, monkeypatch):
    """The delivery pass, waiting for polls to end, did not wake at a stop: every SIGTERM waited STOP_GRACE (3 s)
    for it, then cut it off and marked polls interrupted. It ends at the stop now."""
    monkeypatch.setattr(timetable, "STOP_GRACE", 3600.0)
    monkeypatch.setattr(timetable, "SEND_GRACE", 3600.0)
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    store = open_store(cfg)
    stop = asyncio.Event()
    passes: list[float] = []

    async def deliver() -> None:
        passes.append(time.monotonic())

    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5) as fetcher:
            watcher = Watcher(cfg, store, fetcher, today=lambda: date(2022, 3, 1))
            service = asyncio.create_task(timetable.run(watcher, stop, deliver, spread=0))
            await wait_for(lambda: len(passes) >= 1, 30)  # the poll ended, its delivery pass made
            stop.set()
            await asyncio.wait_for(service, 30)  # (an hour, before)
    finally:
        store.close()
    assert count(cfg.database, "SELECT count(*) FROM polls WHERE ok = 1") == 1


async def test_systemd_is_told_the_service_is_ready_alive_and_stopping(portal, tmp_path):
    """Type=notify with WatchdogSec: systemd restarts a service whose loop stopped running (a frozen database)."""
    told: list[str] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(tmp_path / "notify"))
        notify.setblocking(False)

        def heard() -> list[str]:
            with contextlib.suppress(BlockingIOError):
                while True:
                    told.append(notify.recv(4096).decode())
            return told

        _, _, log, proc = await _service_of_two_portals(
            portal, tmp_path, env={**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify")}
        )
        try:
            await wait_for(lambda: heard().count("WATCHDOG=1") >= 2, 30)  # a beat every few seconds
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
        heard()
    assert proc.returncode == 0, log.read_text(encoding="utf-8")
    assert told[0] == "READY=1"
    assert told[-1] == "STOPPING=1"


async def test_a_loop_that_stopped_running_is_said_with_where_it_waits_and_when_it_runs_again(
    portal, tmp_path, monkeypatch, caplog
):
    """A database that stops answering (a PostgreSQL behind a frozen proxy, a hung mount) froze the service without a
    line. Here SQLite held by another process makes a poll due every second wait out its busy timeout on the loop."""
    monkeypatch.setattr(liveness, "STALL", 2.0)
    monkeypatch.setattr(timetable, "TICK", 0.1)  # the loop's beats, every 3 ticks, well within STALL
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    cfg = replace(cfg, sources=(replace(cfg.sources[0], interval=1),))
    store = open_store(cfg)
    stop = asyncio.Event()
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5) as fetcher:
            watcher = Watcher(cfg, store, fetcher, today=lambda: date(2022, 3, 1))
            service = asyncio.create_task(timetable.run(watcher, stop, spread=0))
            await wait_for(lambda: count(cfg.database, "SELECT count(*) FROM polls WHERE ok = 1") == 1, 30)
            holder = sqlite3.connect(cfg.database, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                await wait_for(lambda: "has not run for" in caplog.text, 60)
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            await wait_for(lambda: "the service runs again" in caplog.text, 60)
            stop.set()
            await asyncio.wait_for(service, 30)
    finally:
        store.close()
    (said,) = [r.getMessage() for r in caplog.records if "has not run for" in r.getMessage()]
    assert re.search(r"waiting in monitor/store/sqlite/\w+\.py:\d+ \(\w+\)", said), said


async def test_an_alert_sent_as_the_database_locked_is_recorded_at_the_next_pass_not_sent_again(portal, tmp_path):
    """Audit 15: the webhook took the message, then marking it delivered met a database another process held: the
    pass ended, the delivery stayed pending and was sent again at the next pass. It is recorded then instead."""
    got: list[bytes] = []
    holder = sqlite3.connect(tmp_path / "govmon.db", isolation_level=None, check_same_thread=False)

    async def hook(request: web.Request) -> web.Response:
        got.append(await request.read())
        if len(got) == 1:
            holder.execute("BEGIN EXCLUSIVE")  # another process takes the database as the first message is answered
        return web.Response(text="{}", content_type="application/json")

    runner, url = await _hook(hook)
    portal.add("/nb/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t.html", TONGLIAO, content_type="text/plain")
    hook_at = Webhook("h", url, "json")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")], webhooks=(hook_at,))
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, timeout=5) as fetcher:  # (2022's report missing: a second)
            await Watcher(cfg, store, fetcher, today=lambda: date(2023, 4, 5)).poll()
        store.db.conn.execute("PRAGMA busy_timeout = 100")  # (its 10 s, shorter)
        with pytest.raises(StorageError, match="database is locked"):
            await deliver_due(cfg, store, RENDERER)
        holder.execute("ROLLBACK")
        first = json.loads(got[0])["key"]
        await deliver_due(cfg, store, RENDERER)
        assert store.alert_counts()["pending"] == 0
    finally:
        holder.close()
        store.close()
        await runner.cleanup()
    assert [json.loads(body)["key"] for body in got].count(first) == 1
    assert len(got) == len({json.loads(body)["key"] for body in got}) >= 2


async def test_a_sigterm_while_an_alert_is_being_answered_waits_for_it_and_it_is_sent_once(portal, tmp_path):
    """Audit 15: the delivery pass in hand was cut off after the polls' 3 s, so a webhook answering in 4-6 s got the
    alert again at every start; and the pass began new messages after the stop, to be cut off in turn."""
    got: list[bytes] = []
    answering = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if not got:
            answering.set()
            await asyncio.sleep(5)
        got.append(body)
        return web.Response(text="{}", content_type="application/json")

    runner, url = await _hook(hook)
    portal.add("/city/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/city/t.html", TONGLIAO, content_type="text/plain")
    path = toml(tmp_path, portal.base, extra=f'\n[[alerts.webhook]]\nname = "h"\nurl = "{url}"\nformat = "json"\n')
    db, log = tmp_path / "govmon.db", tmp_path / "journal.txt"
    try:
        for run in range(2):
            with log.open("ab") as journal:
                proc = await asyncio.create_subprocess_exec(
                    GOVMON, "run", "--spread", "0", "--config", str(path), stdout=journal, stderr=journal
                )
            try:
                if run == 0:
                    await asyncio.wait_for(answering.wait(), 60)  # the first alert is being answered
                else:  # the next start sends what the first left
                    await wait_for(
                        lambda: count(db, "SELECT count(*) FROM deliveries WHERE status = 'pending'") == 0, 60
                    )
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 60)
            assert proc.returncode == 0, log.read_text(encoding="utf-8")
            if run == 0:
                assert len(got) == 1  # answered before the service ended: recorded, not cut off
    finally:
        await runner.cleanup()
    keys = [json.loads(body)["key"] for body in got]
    assert len(keys) == len(set(keys)) >= 2, keys


async def test_poll_exits_1_when_alerts_failed(portal, tmp_path):
    portal.add("/city/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/city/t.html", TONGLIAO, content_type="text/plain")
    path = toml(tmp_path, portal.base)
    text = path.read_text(encoding="utf-8").replace('outbox_dir = "mail"\n', "")
    path.write_text(
        text
        + '[alerts.email]\nhost = "127.0.0.1"\nport = 9\ntls = "none"\nfrom = "m@example.gov.cn"\nto = ["o@example.gov.cn"]\n',
        encoding="utf-8",
    )
    code, out, _ = await govmon("poll", "--config", str(path))
    assert code == 1
    assert re.search(r"alerts: 0 delivered, [1-9]\d* failed", out), out


async def test_health_from_the_last_polls_failures_and_the_outbox(portal, tmp_path, capsys):
    portal.add("/city/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/city/t.html", TONGLIAO, content_type="text/plain")
    path = toml(tmp_path, portal.base)
    code, _, err = await govmon("poll", "--config", str(path))
    assert code == 0, err
    assert main(["health", "--config", str(path)]) == 0
    assert capsys.readouterr().out.startswith("govmon health: OK: 1/1 source(s) polled, 0 alert(s) pending")
    con = sqlite3.connect(tmp_path / "govmon.db")
    long_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds")
    con.execute("UPDATE sources SET last_poll = ?", [long_ago])  # the service stopped two days ago
    con.execute("UPDATE deliveries SET status = 'dead'")
    con.commit()
    con.close()
    assert main(["health", "--config", str(path)]) == 2
    out = capsys.readouterr().out
    assert "CRITICAL: source city: last polled 2 days" in out
    assert re.search(r"WARNING: outbox: [1-9]\d* dead alert\(s\)", out), out
    con = sqlite3.connect(tmp_path / "govmon.db")
    ahead = (datetime.now(UTC) + timedelta(days=120)).isoformat(timespec="seconds")
    con.execute("UPDATE sources SET last_poll = ?", [ahead])  # stamped while the clock was 120 days ahead
    con.execute("UPDATE deliveries SET status = 'pending'")
    con.execute("UPDATE events SET created = ?", [ahead])
    con.commit()
    con.close()
    assert main(["health", "--config", str(path)]) == 1  # was OK: nothing looked late, nothing waited long
    out = capsys.readouterr().out
    # (120 days, or a second less: whole seconds, rounded)
    assert re.search(r"WARNING: 1 source\(s\) last polled at a time ahead of this clock, by up to 1(19|20) days", out)
    assert re.search(r"WARNING: outbox: the oldest pending alert is stamped 1(19|20) days", out), out


async def test_backup_while_the_service_runs_and_restore_as_the_readme_says(portal, tmp_path, capsys):
    portal.add("/city/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/city/t.html", TONGLIAO, content_type="text/plain")
    path = toml(tmp_path, portal.base)
    db = tmp_path / "govmon.db"
    proc = await asyncio.create_subprocess_exec(
        GOVMON, "run", "--spread", "0", "--config", str(path), stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_for(lambda: count(db, "SELECT count(*) FROM polls WHERE finished IS NOT NULL") >= 1, 60)
        (tmp_path / "backups").mkdir()
        assert await asyncio.to_thread(main, ["backup", str(tmp_path / "backups"), "--config", str(path)]) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    assert "checked" in capsys.readouterr().out
    (copy,) = (tmp_path / "backups").glob("govmon-*.db")
    assert count(copy, "SELECT count(*) FROM versions") == count(db, "SELECT count(*) FROM versions") == 1
    db.write_bytes(b"damaged")  # then restored as the README says: the service stopped, the file copied back
    for extra in (db.with_name("govmon.db-wal"), db.with_name("govmon.db-shm")):
        extra.unlink(missing_ok=True)
    subprocess.run(["cp", str(copy), str(db)], check=True)
    assert main(["reports", "--config", str(path)]) == 0
    assert "通辽市2021年政府信息公开工作年度报告" in capsys.readouterr().out
    assert os.path.getsize(copy) > 0


async def test_a_backup_onto_a_full_disk_names_the_backup_not_the_database(tmp_path):
    """The backup's filesystem full: the line named the database, with its filesystem's free space."""
    path = toml(tmp_path, "http://127.0.0.1:9")
    code, _, err = await govmon("poll", "--config", str(path))  # (a database to back up: the portal is down)
    assert code == 1, err
    small = tmp_path / "small"
    small.mkdir()
    script = f"mount -t tmpfs -o size=16k tmpfs {small} && exec {GOVMON} backup {small}/ --config {path}"
    proc = await asyncio.create_subprocess_exec(
        "unshare", "-m", "sh", "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err_bytes = await asyncio.wait_for(proc.communicate(), 60)
    text = err_bytes.decode()
    assert proc.returncode == 2, text
    (line,) = [x for x in text.splitlines() if x.startswith("govmon: ")]
    assert line.startswith(f"govmon: {small}/govmon-"), line
    assert "the disk is full (0 MiB free on its filesystem)" in line


def test_a_backup_to_a_folder_not_made_yet_is_a_folder_and_a_missing_parent_is_named(tmp_path, capsys):
    """`govmon backup backups/` with the folder never made wrote a file named backups, replaced every night without a
    word (one backup kept); a missing parent folder was blamed on the database ("cannot use the database")."""
    path = toml(tmp_path, "http://127.0.0.1:9")
    main(["poll", "--config", str(path)])  # (a database to back up: the portal is down, the poll is stored)
    capsys.readouterr()
    assert main(["backup", f"{tmp_path / 'backups'}/", "--config", str(path)]) == 0
    assert len(list((tmp_path / "backups").glob("govmon-*.db"))) == 1
    capsys.readouterr()
    assert main(["backup", str(tmp_path / "nowhere" / "backups") + "/", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nowhere'}: no such folder; create it first" in err
    assert "database" not in err


def test_an_admins_small_slips_are_each_said_once(tmp_path, capsys, caplog):
    """`reports --source TYPO` printed nothing, as if nothing were stored; `poll` said twice that no alert channel is
    configured; `check` of a folder without report files said no input was given, or nothing beside a file."""
    path = toml(tmp_path, "http://127.0.0.1:9")
    path.write_text(path.read_text(encoding="utf-8").replace('outbox_dir = "mail"\n', ""), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="govmon"):
        main(["poll", "--config", str(path)])
    assert len([r for r in caplog.records if "configures no alert channel" in r.getMessage()]) == 1
    capsys.readouterr()
    assert main(["reports", "--source", "ctiy", "--config", str(path)]) == 2
    assert "no source with id 'ctiy' (known: city)" in capsys.readouterr().err
    (tmp_path / "drafts").mkdir()
    assert main(["check", str(tmp_path / "drafts"), str(SEEDS["tongliao"])]) == 2
    out, err = capsys.readouterr()
    assert f"{tmp_path / 'drafts'}：文件夹中没有可检查的报告文件" in err
    assert "通辽市" in out


# ---------------------------------------------------------------- 8. the address guard on pooled connections
async def test_a_pooled_loopback_connection_does_not_carry_a_public_sources_request(portal):
    """After a loopback source fetched http://localhost:P/, a public source's link to http://localhost:P/secret
    was fetched on the pooled connection (the guard runs when a connection is opened)."""
    from monitor.errors import FetchError  # noqa: PLC0415
    from monitor.watch.addresses import allowed_for  # noqa: PLC0415

    portal.add("/nb/", "listing")
    portal.add("/secret.html", "secret")
    local = portal.base.replace("127.0.0.1", "localhost")
    async with Fetcher("govmon-test", 4, 2, retries=0, timeout=5) as fetcher:
        own = await fetcher.get(f"{local}/nb/", allow=allowed_for(f"{local}/nb/"))
        assert own.body == b"listing"
        public = allowed_for("http://www.example.gov.cn/nb/")
        with pytest.raises(FetchError, match="refused"):
            await fetcher.get(f"{local}/secret.html", allow=public)
    assert portal.hits["/secret.html"] == 0


async def test_an_answer_with_bytes_past_its_content_length_is_one_short_line():
    """A portal that sends more than its Content-Length says (the next answer then starts with page bytes): aiohttp
    quoted the whole page (30 KB) in its error; the admin reads one line, retried then given up."""
    from monitor.errors import FetchError  # noqa: PLC0415

    page = ("<html><body>" + "报告" * 1000 + "</body></html>").encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 100\r\n\r\n" + page)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Fetcher("govmon-test", 2, 2, retries=1, backoff=0.01) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.get(f"http://127.0.0.1:{port}/t.html", allow=frozenset({"loopback"}))
    finally:
        server.close()
        await server.wait_closed()
    message = str(caught.value)
    assert len(message) < 300
    assert "\n" not in message
    assert "not valid HTTP" in message


def test_the_timetable_takes_only_what_is_due_each_source_once(tmp_path):
    """A tick looks at the due end of a heap, not at every source: what is due is taken once, in time order;
    a source being polled, asked for again or removed by a reload is not taken twice."""
    cfg = settings(tmp_path, [(f"s{i}", "government", f"http://127.0.0.1:1/s{i}/") for i in range(50)])
    table = timetable.Timetable(cfg.sources, now=0.0, spread=10.0)
    assert table.take(-1.0, []) == []
    early = sorted(table.due, key=table.due.__getitem__)[:5]
    cut = table.due[early[-1]]
    assert table.take(cut, [early[0]]) == early[1:]
    assert table.take(cut, []) == []  # taken: due again only once polled
    table.set_due(early[1], cut)
    table.set_due(early[1], cut)  # asked for twice
    assert table.take(cut, []) == [early[1]]
    table.polled(early[2], now=cut)
    assert table.due[early[2]] > cut + cfg.sources[0].interval - 1
    table.sync([s for s in cfg.sources if s.id != early[3]], now=cut)  # a reload: the others keep their time
    table.set_due(early[4], cut)
    everything = table.take(float("inf"), [])
    assert early[3] not in everything
    assert everything == sorted(table.due, key=lambda i: (table.due[i], i))


def test_the_timetable_hands_out_at_most_the_free_slots_longest_due_first(tmp_path):
    """`run` takes no more due sources than it has free slots: the rest stay queued, due, and come next in the
    order they fell due (a restart makes every source due within `spread`; none is lost or taken twice)."""
    cfg = settings(tmp_path, [(f"s{i}", "government", f"http://127.0.0.1:1/s{i}/") for i in range(30)])
    table = timetable.Timetable(cfg.sources, now=0.0, spread=10.0)
    in_order = sorted(table.due, key=lambda i: (table.due[i], i))
    first = table.take(float("inf"), [], limit=4)
    assert first == in_order[:4]
    second = table.take(float("inf"), first, limit=100)
    assert second == in_order[4:]
    assert table.take(float("inf"), []) == []


async def test_a_poll_the_database_failed_is_due_again_in_a_minute_not_an_interval(tmp_path, monkeypatch):
    """A poll that met the database away (locked, full, PostgreSQL restarting) was due again a whole interval later
    (6 h by default), its source unpolled meanwhile; it is due again in STORAGE_RETRY."""
    from monitor.errors import StorageError  # noqa: PLC0415

    cfg = settings(tmp_path, [("s", "government", "http://127.0.0.1:1/s/")])
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2) as fetcher:
            watcher = Watcher(cfg, store, fetcher)

            async def away(_source):
                raise StorageError(f"{cfg.database}: cannot use the database: database is locked")

            monkeypatch.setattr(watcher, "poll_source", away)
            loop = asyncio.get_running_loop()
            table = timetable.Timetable(cfg.sources, now=loop.time(), spread=0.0)
            polls = timetable._Polls(watcher, table, asyncio.Event())
            polls.fill()
            await asyncio.gather(*polls.running.values())
    finally:
        store.close()
    assert table.due["s"] - loop.time() <= timetable.STORAGE_RETRY
    assert cfg.sources[0].interval > 10 * timetable.STORAGE_RETRY


async def test_a_poll_that_ends_starts_the_next_due_source_without_waiting_for_a_tick(portal, tmp_path, monkeypatch):
    """More sources due than `run` polls at once (4 x concurrency): each poll that ends starts the next due one
    at once, as `poll`'s workers do. The tick that would otherwise take them comes once an hour here."""
    monkeypatch.setattr(timetable, "TICK", 3600.0)
    ids = [f"c{i}" for i in range(12)]
    for i in ids:
        portal.add(f"/{i}/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
        portal.add(f"/{i}/t.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [(i, "government", f"{portal.base}/{i}/") for i in ids], concurrency=1)
    store = open_store(cfg)
    stop = asyncio.Event()
    polls = "SELECT count(DISTINCT source) FROM polls WHERE finished IS NOT NULL"
    try:
        async with Fetcher(cfg.user_agent, 1, 1, retries=0, timeout=5) as fetcher:
            watcher = Watcher(cfg, store, fetcher, today=lambda: date(2022, 3, 1))
            service = asyncio.create_task(timetable.run(watcher, stop, spread=0))
            await wait_for(lambda: count(cfg.database, polls) == len(ids), 30)
            stop.set()
            await asyncio.wait_for(service, 15)
    finally:
        store.close()
    assert count(cfg.database, "SELECT count(*) FROM polls WHERE ok = 1") == len(ids)
