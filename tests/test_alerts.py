"""Alerts with a real SMTP server (aiosmtpd on 127.0.0.1) and a real webhook receiver (aiohttp)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import logging
import re
import socket
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from aiohttp import web
from aiosmtpd.controller import Controller
from conftest import SEEDS, per_store
from pg import fresh_database
from portal import Portal, listing, settings

from monitor.alerts.channels import FORMATS
from monitor.alerts.outbox import deliver_due
from monitor.alerts.render import Renderer, sample_payload
from monitor.config import Email, Settings, Webhook
from monitor.demo.pages import report_page
from monitor.errors import ConfigError
from monitor.model import SourceHealth
from monitor.reading.report import read_report
from monitor.store import open_store
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher

store_kind = per_store(__name__)  # each test once per store: a SQLite file, a PostgreSQL database

TODAY = date(2023, 3, 1)  # the department's 2022 report is then overdue: two events, the report and the missing one
RENDERER = Renderer()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.rcpt: dict[str, str] = {}  # recipient -> the SMTP answer to RCPT TO (else 250)
        self.mail_from: str | None = None  # the SMTP answer to MAIL FROM (else 250)
        self.gate: threading.Event | None = None  # DATA is answered only once it is set (at most 10 s)
        self.too_big: Callable[[email.message.EmailMessage], bool] | None = None  # a message past the size limit

    async def handle_MAIL(self, _server, _session, envelope, address, options):
        if self.mail_from is not None:
            return self.mail_from
        envelope.mail_from, envelope.mail_options = address, options
        return "250 OK"

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        answer = self.rcpt.get(address, "250 OK")
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, _server, _session, envelope):
        for _ in range(200):
            if self.gate is None or self.gate.is_set():
                break
            await asyncio.sleep(0.05)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if self.too_big is not None and self.too_big(message):
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        self.messages.append(message)
        return "250 OK"


class Smtp:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def toml(self) -> str:
        """The [alerts.email] table that points at this server."""
        return (
            f'[alerts.email]\nhost = "127.0.0.1"\nport = {self.port}\ntls = "none"\n'
            f'from = "monitor@example.gov.cn"\nto = ["oversight@example.gov.cn"]\n'
        )

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def portal():
    p = Portal()
    await p.start()
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    data["tables"]["appeals"]["review"]["total"] = 2  # planted
    data["title"] = "天门市<script>alert(1)</script>2021年政府信息公开工作年度报告"
    p.add("/nb/", listing([("t.html", "天门市2021年政府信息公开工作年度报告")]))
    p.add("/nb/t.html", report_page(data))
    yield p
    await p.stop()


def config(tmp_path, portal, smtp, **kw):
    mail = Email(
        host="127.0.0.1",
        port=smtp.port,
        tls="none",
        sender="年报监测 <monitor@example.gov.cn>",
        to=("oversight@example.gov.cn",),
    )
    return settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], email=mail, **kw)


def digest_config(tmp_path, portal, smtp, **kw):
    """``config`` with the daily digest."""
    cfg = config(tmp_path, portal, smtp, **kw)
    return replace(cfg, email=replace(cfg.email, digest="daily"))


def digest_hour() -> datetime:
    """Tomorrow's 08:00 in Beijing (00:00 in UTC): when the daily digests go."""
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(0, 0), UTC)


async def poll_and_deliver(cfg, today=TODAY, now=None):
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, backoff=0.01) as f:
            await Watcher(cfg, store, f, today=lambda: today).poll()
        return await deliver_due(cfg, store, RENDERER, now=now)
    finally:
        store.close()


def make_due(cfg) -> None:
    store = open_store(cfg)
    store.make_due(datetime(2000, 1, 1, tzinfo=UTC))
    store.close()


def reports_mail(smtp):
    return [m for m in smtp.inbox.messages if "2021年度报告" in m["Subject"]]


def _queued_at(cfg, at: datetime) -> None:
    """The last event stamped as queued ``at`` (the store stamps it by the machine's clock, not a test's)."""
    sql = "UPDATE events SET created = {0} WHERE id = (SELECT max(id) FROM events)"
    if cfg.database_url is None:
        with contextlib.closing(sqlite3.connect(cfg.database)) as con, con:
            con.execute(sql.format("?"), [at.isoformat(timespec="seconds")])
        return
    import psycopg  # noqa: PLC0415

    with psycopg.connect(cfg.database_url) as conn:
        conn.execute(sql.format("%s").encode(), [at.isoformat(timespec="seconds")])


def _dump(cfg) -> str:
    """Every row of the database as text (the SQLite file's dump; PostgreSQL's tables, row by row)."""
    if cfg.database_url is None:
        con = sqlite3.connect(cfg.database)
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()
    import psycopg  # noqa: PLC0415

    with psycopg.connect(cfg.database_url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(str(row) for t in tables for row in conn.execute(f"SELECT * FROM {t}".encode()))


async def test_planted_error_alert_arrives_once_with_the_highlighted_cell(tmp_path, portal, smtp):
    cfg = config(tmp_path, portal, smtp)
    await poll_and_deliver(cfg)
    (msg,) = reports_mail(smtp)
    assert msg["Subject"] == "【年报监测】天门市政务服务和大数据管理局2021年度报告：1个错误、0个警告"
    assert msg["To"] == "oversight@example.gov.cn"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2" in text
    assert "应为 0，实为 2" in text
    assert f"{portal.base}/nb/t.html" in html
    assert 'class="hot" style="border: 1px solid #999; padding: 3px; text-align: right; background: #fdd;' in html
    hot = [part.split(">", 1)[1].split("<", 1)[0] for part in html.split('class="hot"')[1:]]
    assert hot == ["0", "0", "0", "0", "2"]  # the 行政复议 row: every operand of the identity that fails
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    await poll_and_deliver(cfg)  # the finding persists: nothing new is sent
    assert len(reports_mail(smtp)) == 1
    store = open_store(cfg)  # the event names its version and findings; the tables are not copied into it
    (event,) = [e for e in store.events() if e.event.kind == "new_report"]
    store.close()
    payload = event.event.payload.to_json()
    assert event.version_id is not None
    assert "tables" not in payload
    assert "findings" not in payload
    assert payload["finding_keys"] == ["appeals.total|appeals|review|"]


def first_poll_portal(portal: Portal) -> None:
    """The fixture's portal with two more real reports of the column, so a first poll finds three."""
    rows = [("t.html", "天门市2021年政府信息公开工作年度报告")]
    for name, seed in (("t1.html", "tongliao"), ("t2.html", "luzhou")):
        portal.add(f"/nb/{name}", SEEDS[seed].read_bytes(), content_type="text/plain")
        rows.append((name, read_report(SEEDS[seed].read_bytes(), "x").title or ""))
    portal.add("/nb/", listing(rows))


async def test_a_first_poll_is_one_summary_and_later_reports_each_their_own(tmp_path, portal, smtp):
    first_poll_portal(portal)
    cfg = config(tmp_path, portal, smtp, first_poll="summary")  # the default of sources.toml
    await poll_and_deliver(cfg)
    msg, *missing = smtp.inbox.messages  # not a mail for each past report
    # the column carries three bodies: 天门's 2022 report (due 1/31) is missing; 泸州, first seen with 2022, owes
    # no 2021 report; 通辽's 2022 one is not yet due
    assert [m["Subject"] for m in missing] == ["【年报监测】天门市政务服务和大数据管理局2022年度报告逾期未发布"]
    assert msg["Subject"].startswith("【年报监测】tianmen人民政府首次检查：发现3个单位的3份年度报告，其中")
    text = msg.get_body(("plain",)).get_content()
    assert "【天门市政务服务和大数据管理局】" in text  # each report names its body
    for url in ("t.html", "t1.html", "t2.html"):
        assert f"{portal.base}/nb/{url}" in text
    # the planted error is told in the summary, with its message, beside its report
    assert "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2" in text
    store = open_store(cfg)
    kinds = sorted(e.event.kind for e in store.events())
    store.close()
    assert kinds.count("new_report") == 3  # each report's event is kept (unsent): the record of what was found
    assert kinds.count("first_poll") == 1
    await poll_and_deliver(cfg)
    assert len(smtp.inbox.messages) == 2  # a second poll tells nothing again
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    data["title"] = "天门市2022年政府信息公开工作年度报告"
    data["year"] = 2022
    portal.add("/nb/t3.html", report_page(data))
    portal.add("/nb/", listing([("t3.html", data["title"]), ("t.html", "天门市2021年政府信息公开工作年度报告")]))
    await poll_and_deliver(cfg)
    (new,) = smtp.inbox.messages[2:]  # a report published after the first poll: its own alert, as ever
    assert "2022年度报告" in new["Subject"]
    assert "首次检查" not in new["Subject"]


async def test_an_interrupted_first_poll_is_summarised_once_when_a_poll_ends(tmp_path, portal, smtp, monkeypatch):
    from monitor.watch import poll  # noqa: PLC0415

    first_poll_portal(portal)
    cfg = config(tmp_path, portal, smtp, first_poll="summary")
    portal.pages["/nb/t2.html"].delay = 5
    monkeypatch.setattr(poll, "SOURCE_DEADLINE", 1.0)  # the first poll gives up on t2 with two reports stored
    await poll_and_deliver(cfg)
    assert smtp.inbox.messages == []  # nothing told yet: neither each report nor a summary of a poll that failed
    portal.pages["/nb/t2.html"].delay = 0
    monkeypatch.setattr(poll, "SOURCE_DEADLINE", 900.0)
    await poll_and_deliver(cfg)
    msg, *missing = smtp.inbox.messages  # and 天门's 2022 report missing (see the test above)
    assert "发现3个单位的3份年度报告" in msg["Subject"]  # the reports stored by the poll that failed are in it too
    assert ["逾期未发布" in m["Subject"] for m in missing] == [True]
    await poll_and_deliver(cfg)
    assert len(smtp.inbox.messages) == 2


async def test_smtp_down_then_back_delivers_once_and_logs_once_per_attempt(tmp_path, portal, smtp, caplog):
    smtp.stop()
    cfg = config(tmp_path, portal, smtp)
    with caplog.at_level(logging.WARNING, logger="govmon.alerts"):
        counts = await poll_and_deliver(cfg)
    assert counts.delivered == 0
    assert counts.failed == 2  # the 2021 report alert and the missing-2022-report alert
    assert len([r for r in caplog.records if "attempt 1 failed" in r.getMessage()]) == 2  # per message, not per finding
    store = open_store(cfg)
    assert store.alert_counts() == {"pending": 2, "delivered": 0, "dead": 0}
    store.close()
    smtp.start()
    await poll_and_deliver(cfg)  # not due yet: backoff
    assert smtp.inbox.messages == []
    make_due(cfg)
    await poll_and_deliver(cfg)
    assert len(reports_mail(smtp)) == 1
    make_due(cfg)
    await poll_and_deliver(cfg)
    assert len(reports_mail(smtp)) == 1


async def test_gives_up_into_dead_letter_after_the_bounded_time(tmp_path, portal, smtp):
    smtp.stop()
    cfg = config(tmp_path, portal, smtp)
    await poll_and_deliver(cfg)
    later = datetime.now(UTC) + timedelta(days=4)  # the events are four days old then
    make_due(cfg)
    await poll_and_deliver(cfg, now=later)
    store = open_store(cfg)
    assert store.alert_counts()["dead"] == 0  # three days old, but tried twice: a clock step is not three days
    ids = [d.id for d in store.deliveries()]
    for _ in range(5):  # seven attempts failed in all
        store.mark_failed(ids, "still down", later)
    store.close()
    make_due(cfg)
    await poll_and_deliver(cfg, now=later)
    store = open_store(cfg)
    assert store.alert_counts()["dead"] == 2
    store.close()


async def test_a_clock_ahead_kills_nothing_and_schedules_nothing_months_out(tmp_path, portal, smtp):
    """+73 h on the clock dead-lettered every pending alert within a minute; 120 days ahead left deliveries
    scheduled 120 days out once the clock was right again."""
    smtp.stop()
    cfg = config(tmp_path, portal, smtp)
    now = datetime.now(UTC)
    await poll_and_deliver(cfg, now=now + timedelta(hours=73))  # the clock jumped ahead: the attempt fails
    await poll_and_deliver(cfg, now=now + timedelta(days=120))  # further still: retried, not given up
    store = open_store(cfg)
    assert store.alert_counts() == {"pending": 2, "delivered": 0, "dead": 0}
    store.close()
    smtp.start()
    sent = await poll_and_deliver(cfg, now=now)  # the clock is right again: nothing waits 120 days
    assert sent.delivered == 2


async def test_an_alert_queued_before_the_clock_was_set_back_goes_at_once(tmp_path, portal, smtp):
    """An alert is queued stamped with the time it was found. When the clock was then set back (an NTP step, a
    restored VM; in CI each fake-clock process starts at the same instant), a poll held it until the clock had
    caught up with that stamp: with `govmon poll`, until some later poll. No attempt was made yet, so nothing is
    backing it off: it goes now."""
    cfg = config(tmp_path, portal, smtp)
    sent = await poll_and_deliver(cfg, now=datetime.now(UTC) - timedelta(minutes=30))
    assert (sent.delivered, len(reports_mail(smtp))) == (2, 1)


async def test_daily_digest_is_one_message_per_recipient(tmp_path, portal, smtp):
    cfg = digest_config(tmp_path, portal, smtp)
    # The digest goes out at 08:00 Beijing time: deliver at 07:30 (nothing), then 09:00, of the next day
    # (after the events were written), whatever hour the suite runs at.
    morning = digest_hour()
    await poll_and_deliver(cfg, now=morning - timedelta(minutes=30))
    assert smtp.inbox.messages == []
    await poll_and_deliver(cfg, now=morning + timedelta(hours=1))
    (msg,) = smtp.inbox.messages  # the report alert and the missing-report alert, in one digest
    assert msg["Subject"] == "【年报监测】每日汇总：2条提醒"
    body = msg.get_body(("plain",)).get_content()
    assert "1个错误" in body
    assert "逾期未发布" in body
    await poll_and_deliver(cfg, now=morning + timedelta(hours=5))
    assert len(smtp.inbox.messages) == 1  # already sent today
    await poll_and_deliver(cfg, now=morning + timedelta(days=1, hours=1))
    assert len(smtp.inbox.messages) == 1  # nothing new: no empty digest the next day


async def test_a_digest_sent_while_the_clock_was_far_ahead_holds_back_no_later_digest(tmp_path, portal, smtp):
    """A digest goes once a day: not again while the last one is stamped after this morning's 08:00. Sent while the
    clock was 120 days ahead, it held every digest back those 120 days, once the clock was right again."""
    cfg = digest_config(tmp_path, portal, smtp)
    morning = digest_hour()
    await poll_and_deliver(cfg, now=morning + timedelta(days=120, hours=1))
    assert len(smtp.inbox.messages) == 1
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    data["title"] = "天门市2021年政府信息公开工作年度报告"
    data["tables"]["appeals"]["suit_direct"]["total"] = 3  # a revision: something new to send
    portal.add("/nb/t.html", report_page(data))
    await poll_and_deliver(cfg, now=morning + timedelta(hours=1))  # the clock is right again
    assert len(smtp.inbox.messages) == 2
    assert smtp.inbox.messages[1]["Subject"] == "【年报监测】每日汇总：1条提醒"
    data["tables"]["appeals"]["suit_direct"]["total"] = 4  # revised again the same day: in tomorrow's digest
    portal.add("/nb/t.html", report_page(data))
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, backoff=0.01) as f:
            await Watcher(cfg, store, f, today=lambda: TODAY).poll()
    finally:
        store.close()
    _queued_at(cfg, morning + timedelta(hours=2))  # as the clock of this test says: after the day's digest went
    await poll_and_deliver(cfg, now=morning + timedelta(hours=3))
    assert len(smtp.inbox.messages) == 2  # one digest a day, as ever: not one a pass for those 120 days
    await poll_and_deliver(cfg, now=morning + timedelta(days=1, hours=1))
    assert len(smtp.inbox.messages) == 3


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        self.answer = '{"errcode": 0, "errmsg": "ok"}'
        self.before: Callable[[], Awaitable[None]] | None = None  # awaited before each answer

    async def handle(self, request: web.Request) -> web.Response:
        if self.before is not None:
            await self.before()
        self.requests.append((str(request.rel_url), dict(request.headers), await request.read()))
        return web.Response(status=self.status, text=self.answer, content_type="application/json")


@pytest_asyncio.fixture
async def receiver():
    r = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", r.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    r.base = f"http://127.0.0.1:{runner.addresses[0][1]}"  # type: ignore[attr-defined]
    yield r
    await runner.cleanup()


async def test_webhooks_in_every_format(tmp_path, portal, receiver):
    hooks = (
        Webhook("generic", f"{receiver.base}/hook", "json", "k3y"),
        Webhook("ding", f"{receiver.base}/robot/send?access_token=abc", "dingtalk", "SECret"),
        Webhook("wecom", f"{receiver.base}/cgi-bin/webhook/send?key=x", "wecom"),
        Webhook("feishu", f"{receiver.base}/open-apis/bot/v2/hook/x", "feishu", "fs"),
    )
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], webhooks=hooks)
    await poll_and_deliver(cfg)
    got = {
        url.split("?")[0]: (url, headers, json.loads(body))
        for url, headers, body in receiver.requests
        if "2021年度报告" in body.decode()
    }
    url, headers, body = got["/hook"]
    raw = next(b for u, _, b in receiver.requests if u == url and "2021年度报告" in b.decode())
    assert headers["X-Govmon-Signature"] == "sha256=" + hmac.new(b"k3y", raw, hashlib.sha256).hexdigest()
    assert body["event"] == "new_report"
    assert body["findings"][0]["rule"] == "appeals.total"
    url, _, body = got["/robot/send"]
    assert body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    query = dict(p.split("=", 1) for p in url.split("?")[1].split("&"))
    assert query["access_token"] == "abc"
    assert query["timestamp"].isdigit()
    assert query["sign"]
    expected = base64.b64encode(hmac.new(b"SECret", f"{query['timestamp']}\nSECret".encode(), hashlib.sha256).digest())
    assert query["sign"].replace("%2B", "+").replace("%2F", "/").replace("%3D", "=") == expected.decode()
    _, _, body = got["/cgi-bin/webhook/send"]
    assert body["msgtype"] == "markdown"
    assert "content" in body["markdown"]
    _, _, body = got["/open-apis/bot/v2/hook/x"]
    assert body["msg_type"] == "text"
    assert "总计为2" in body["content"]["text"]
    assert (
        body["sign"]
        == base64.b64encode(hmac.new(f"{body['timestamp']}\nfs".encode(), b"", hashlib.sha256).digest()).decode()
    )
    assert set(FORMATS) == {"json", "dingtalk", "wecom", "feishu"}


async def test_a_stop_begins_no_message_and_lets_those_in_hand_end(tmp_path, portal, receiver):
    """Audit 15: a SIGTERM during a delivery pass: the pass went on beginning messages through the stop's grace and
    was cut off in the middle of one (the receiver had it, the outbox did not know): 14 stops in 15 sent a webhook
    twice. Now no message is begun once the service stops; those in hand end and are recorded; the rest wait."""
    stop = asyncio.Event()

    async def answered_slowly() -> None:
        stop.set()  # the service is told to stop while a message is being answered
        await asyncio.sleep(0.3)

    receiver.before = answered_slowly
    hooks = tuple(Webhook(f"h{i}", f"{receiver.base}/h{i}", "json") for i in range(3))
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], webhooks=hooks)
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0) as f:
            await Watcher(cfg, store, f, today=lambda: TODAY).poll()
        stopped = await deliver_due(cfg, store, RENDERER, stopping=stop.is_set)
        assert stopped.delivered == len(receiver.requests) >= 1  # each message begun was answered and recorded
        assert stopped.deferred >= 1
        assert stopped.failed == 0
        other = open_store(cfg)  # another worker (on PostgreSQL) sees at once what the pass took and did not send
        other.worker = "another-host:1"
        try:
            assert len(other.due_deliveries(datetime.now(UTC), 100)) == 6 - stopped.delivered
            other.release_deliveries()
        finally:
            other.close()
        receiver.before = None
        rest = await deliver_due(cfg, store, RENDERER)  # the next start
        assert store.alert_counts()["pending"] == 0
    finally:
        store.close()
    sent = [(url, json.loads(body)["key"]) for url, _, body in receiver.requests]
    assert len(sent) == len(set(sent)) == stopped.delivered + rest.delivered == 6  # 3 webhooks x 2 events, each once


async def test_webhook_500_or_robot_error_stays_pending(tmp_path, portal, receiver):
    cfg = settings(
        tmp_path,
        [("tianmen", "department", f"{portal.base}/nb/")],
        webhooks=(Webhook("ding", f"{receiver.base}/robot", "dingtalk"),),
    )
    receiver.answer = '{"errcode": 310000, "errmsg": "keywords not in content"}'
    counts = await poll_and_deliver(cfg)
    assert (counts.delivered, counts.failed) == (0, 2)
    receiver.status = 500
    make_due(cfg)
    assert (await poll_and_deliver(cfg)).failed == 2
    receiver.status, receiver.answer = 200, '{"errcode": 0}'
    make_due(cfg)
    assert (await poll_and_deliver(cfg)).delivered == 2


def test_broken_template_is_an_error_at_start_up(tmp_path):
    folder = tmp_path / "alerts"
    folder.mkdir()
    for p in (Path(__file__).parent.parent / "alerts").iterdir():
        (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "email.html").write_text("<p>{{ agency }</p>", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"email.html:1: alert template error"):
        Renderer(folder)
    (folder / "email.html").write_text("<p>{{ agnecy }}</p>", encoding="utf-8")
    with pytest.raises(ConfigError, match="'agnecy' is undefined"):
        Renderer(folder)


def test_templates_dir_overrides_only_the_files_it_holds(tmp_path):
    folder = tmp_path / "my-templates"
    folder.mkdir()
    (folder / "subject.txt").write_text("【省政务公开办】{{ agency }}：{{ errors }}个错误", encoding="utf-8")
    r = Renderer(folder).render("new_report", sample_payload("new_report"))
    shipped = RENDERER.render("new_report", sample_payload("new_report"))
    assert r.subject == "【省政务公开办】示例市政务服务和大数据管理局：1个错误"
    assert r.text == shipped.text.replace(shipped.subject, r.subject)  # email.txt is still the shipped one
    with pytest.raises(ConfigError, match="templates_dir is not a folder"):
        Renderer(tmp_path / "missing")


def test_an_admin_s_subject_txt_copied_before_a_kind_was_added_uses_the_shipped_templates_for_it(tmp_path, caplog):
    """An admin's subject.txt copied before report_unreadable existed fell through to its ``else``: an unreadable
    report's alert was subjected 测试提醒：告警通道工作正常. A kind it has no branch for is rendered with the shipped
    templates, said once at start-up; its own branches stay its own."""
    folder = tmp_path / "my-templates"
    folder.mkdir()
    shipped = (Path(__file__).parent.parent / "alerts" / "subject.txt").read_text(encoding="utf-8")
    branch = shipped.index('{%- elif kind == "report_unreadable" -%}')
    old = shipped[:branch] + shipped[shipped.index("{%- elif", branch + 1) :]  # as copied before that kind
    (folder / "subject.txt").write_text(old.replace("逾期未发布", "逾期仍未公开"), encoding="utf-8")
    with caplog.at_level("WARNING"):
        mine = Renderer(folder)
    unreadable = sample_payload("report_unreadable")
    assert mine.render("report_unreadable", unreadable) == RENDERER.render("report_unreadable", unreadable)
    assert mine.render("missing", sample_payload("missing")).subject.endswith("年度报告逾期仍未公开")
    assert [r.getMessage() for r in caplog.records] == [
        f"{folder / 'subject.txt'} has no branch for report_unreadable: the shipped templates are used"
    ]


@pytest.mark.parametrize(
    "subject",
    [
        "【省政务公开办】{{ kind }}：{{ agency }}",  # the kind in the words, no branch
        '{% if kind == "missing" %}【逾期】{{ agency }}{% else %}【年报】{{ agency }}{% endif %}',  # one kind apart
        '{% if kind.startswith("source") %}【门户】{% else %}【年报】{% endif %}{{ agency }}',
        "【测试环境】{{ agency }}",  # one subject for every kind, saying 测试 (review 120)
    ],
)
def test_an_admin_s_own_subject_for_every_kind_is_kept(tmp_path, caplog, subject):
    """Review 119: a subject.txt that names the kind only in its words, or sets one kind apart, or branches by a
    prefix, had every other kind sent with the shipped templates (and a mail filter on the admin's words missed
    them); only a kind given the subject of a test message is."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "subject.txt").write_text(subject, encoding="utf-8")
    with caplog.at_level("WARNING"):
        mine = Renderer(folder)
    rendered = mine.render("report_unreadable", sample_payload("report_unreadable")).subject
    assert rendered != RENDERER.render("report_unreadable", sample_payload("report_unreadable")).subject
    assert caplog.records == []


def test_every_event_kind_renders_a_chinese_subject():
    subjects = {
        k: RENDERER.render(k, sample_payload(k)).subject
        for k in ("new_report", "new_finding", "revision", "missing", "source_failing", "source_recovered")
    }
    assert subjects["revision"].endswith("2021年度报告发布后被修改，1个问题已解决")
    assert subjects["source_failing"].endswith("门户网站连续3次无法访问")
    assert all(s.startswith("【年报监测】") for s in subjects.values())


def test_a_revision_of_its_date_or_year_says_so_in_every_message():
    """A report republished with only its 发布日期 and 年度 changed, and its part 五's words: the mail's 发布后改动 was
    empty, and a robot's message never said what was revised (its parts, its fields), only the old findings."""
    revised = replace(
        sample_payload("revision"),
        diff={
            "sections": ["5"],
            "cells": [],
            "fields": {"published": ["2022-01-12", "2022-01-11"], "year": [2020, 2021]},
        },
    )
    told = RENDERER.render("revision", revised)
    for text in (told.text, told.html, told.markdown):
        assert re.search(r"发布日期：(<s>)?2022-01-12(</s>)? → (<b>)?2022-01-11", text), text
        assert re.search(r"年度：(<s>)?2020(</s>)? → (<b>)?2021", text), text
        assert "正文第五部分的文字有改动" in text, text


async def test_alerts_test_command(tmp_path, smtp, receiver, capsys):
    from monitor.present.cli import main  # noqa: PLC0415

    toml = tmp_path / "sources.toml"
    toml.write_text(
        f"""
[monitor]
outbox_dir = "mail"
{smtp.toml()}[[alerts.webhook]]
name = "ops"
url = "{receiver.base}/hook"
""",
        encoding="utf-8",
    )
    code = await asyncio.to_thread(main, ["alerts", "test", "--config", str(toml)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("delivered") == 3
    assert smtp.inbox.messages[0]["Subject"] == "【年报监测】测试提醒：告警通道工作正常"
    smtp.stop()
    code = await asyncio.to_thread(main, ["alerts", "test", "--channel", "email", "--config", str(toml)])
    assert code == 1
    assert "email -> oversight@example.gov.cn: FAILED: SMTP 127.0.0.1" in capsys.readouterr().out


async def test_sigkill_between_finding_and_delivery_delivers_exactly_once(tmp_path, smtp):
    import signal  # noqa: PLC0415
    import sys  # noqa: PLC0415

    p = Portal()
    await p.start()
    try:
        names = ["000_779f9be447f66d1d.txt", "003_750a97d35f8bfe5c.txt", "004_39039b5b6710b1f1.txt"]
        p.add("/nb/", listing([(f"t{i}.html", f"{2019 + i}年政府信息公开工作年度报告") for i in range(3)]))
        for i, name in enumerate(names):
            p.add(f"/nb/t{i}.html", (SEEDS["tongliao"].parent / name).read_bytes(), content_type="text/plain")
        p.pages["/nb/t2.html"].delay = 30  # stuck here: two reports' findings and events committed, nothing sent
        toml = tmp_path / "sources.toml"
        toml.write_text(
            f"""
[monitor]
first_poll = "each"
{smtp.toml()}[[source]]
id = "city"
agency = "示例市人民政府"
kind = "government"
list_url = "{p.base}/nb/"
""",
            encoding="utf-8",
        )
        govmon = str(Path(sys.executable).parent / "govmon")
        killed = (tmp_path / "killed.log").open("wb")  # what the killed poll had logged: shown with a missing alert
        proc = await asyncio.create_subprocess_exec(
            govmon, "poll", "-v", "--config", str(toml), stdout=killed, stderr=asyncio.subprocess.STDOUT
        )
        for _ in range(400):
            if p.hits["/nb/t2.html"]:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        killed.close()
        said = [(tmp_path / "killed.log").read_text("utf-8", "replace")]
        assert smtp.inbox.messages == []  # killed before delivery
        p.pages["/nb/t2.html"].delay = 0
        # what each poll printed and logged: shown if an alert is missing (seen once, in a fake-clock CI run)
        for _ in range(2):  # restart, and once more
            proc = await asyncio.create_subprocess_exec(
                govmon,
                "poll",
                "-v",
                "--config",
                str(toml),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            said.append((await proc.communicate())[0].decode("utf-8", "replace"))
            assert proc.returncode == 0, said[-1]
        ids = [m["Message-ID"] for m in smtp.inbox.messages]
        assert len(ids) == len(set(ids))  # nothing twice
        subjects = sorted(m["Subject"] for m in smtp.inbox.messages)
        assert sum("年度报告：" in s for s in subjects) == 3, (subjects, said)  # each report's alert exactly once
    finally:
        await p.stop()


async def test_after_an_outage_alerts_send_delivers_now_and_retry_revives_dead_letters(tmp_path, portal, smtp, capsys):
    from monitor.present.cli import main  # noqa: PLC0415

    toml = tmp_path / "sources.toml"
    toml.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "g.db"}"\nfirst_poll = "each"\n{smtp.toml()}'
        f'[[source]]\nid = "tianmen"\nagency = "天门市政务服务和大数据管理局"\nkind = "department"\n'
        f'list_url = "{portal.base}/nb/"\n',
        encoding="utf-8",
    )
    smtp.stop()
    await asyncio.to_thread(main, ["poll", "--config", str(toml)])
    assert "alerts: 0 delivered, 2 failed; 2 pending in the outbox" in capsys.readouterr().out
    smtp.start()  # the mail server is back: the next attempt is minutes away, but the admin need not wait
    assert await asyncio.to_thread(main, ["alerts", "send", "--config", str(toml)]) == 0
    out = capsys.readouterr().out
    assert "email: 2 delivered, 0 failed" in out
    assert len(reports_mail(smtp)) == 1
    store = open_store(tmp_path / "g.db")
    store.mark_failed([d.id for d in store.deliveries(delivered=True)], "gave up", None)  # dead, every one
    store.close()
    assert await asyncio.to_thread(main, ["alerts", "retry", "--config", str(toml)]) == 0
    assert "2 dead alert(s) back in the outbox" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["alerts", "send", "--config", str(toml)]) == 0
    assert "email: 2 delivered" in capsys.readouterr().out


async def test_a_mail_server_that_never_greets_fails_the_batch_once_not_per_message(tmp_path, portal, monkeypatch):
    import monitor.alerts.channels.email  # noqa: PLC0415

    monkeypatch.setattr(
        monitor.alerts.channels.email, "SMTP_TIMEOUT", 0.5
    )  # the production bound is 10 s; the count is the point
    connections = []

    async def silent(reader, writer):  # accepts TCP, never says 220
        connections.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mail = Email(
        host="127.0.0.1",
        port=port,
        tls="none",
        sender="年报监测 <monitor@example.gov.cn>",
        to=tuple(f"staff{i}@example.gov.cn" for i in range(10)),
    )
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], email=mail)
    try:
        sent = await poll_and_deliver(cfg)
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
    assert (sent.delivered, sent.failed) == (0, 20)  # two alerts for ten recipients, all kept in the outbox
    assert len(connections) == 1  # one connection tried; the other nineteen failed at once
    store = open_store(cfg)
    assert store.alert_counts()["pending"] == 20
    store.close()


async def test_a_revision_is_one_message_with_its_new_errors_and_what_was_resolved(tmp_path, portal, smtp):
    cfg = config(tmp_path, portal, smtp)
    await poll_and_deliver(cfg)
    assert len(reports_mail(smtp)) == 1  # the new report, with its planted 复议 total
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    data["title"] = "天门市2021年政府信息公开工作年度报告"
    data["tables"]["appeals"]["suit_direct"]["total"] = 3  # the agency fixes 复议 and breaks 直接起诉
    portal.add("/nb/t.html", report_page(data))
    await poll_and_deliver(cfg)
    mails = reports_mail(smtp)
    assert len(mails) == 2  # one message for the revision, not one per new error besides it
    body = mails[1].get_body(("plain",)).get_content()
    assert mails[1]["Subject"].endswith("2021年度报告发布后被修改，1个问题已解决")  # (review 112: seen in the inbox)
    assert "行政诉讼(未经复议直接起诉)：" in body  # the new error
    assert "已解决的问题" in body
    assert "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2" in body.split("已解决的问题")[1]


async def test_a_pass_renders_each_event_once_and_stops_at_its_budget(tmp_path, portal, smtp, monkeypatch):
    from monitor.alerts import outbox  # noqa: PLC0415

    mail = Email(
        host="127.0.0.1",
        port=smtp.port,
        tls="none",
        sender="年报监测 <monitor@example.gov.cn>",
        to=("a@example.gov.cn", "b@example.gov.cn", "c@example.gov.cn"),
    )
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], email=mail)
    renders: list[str] = []

    class Counting(Renderer):
        def render(self, kind, payload):
            renders.append(kind)
            return super().render(kind, payload)

    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, backoff=0.01) as f:
            await Watcher(cfg, store, f, today=lambda: TODAY).poll()
        events = len(store.events())
        monkeypatch.setattr(outbox, "PASS_BUDGET", -1.0)  # spent at once: one message goes, the rest wait
        first = await deliver_due(cfg, store, Counting())
        assert (first.delivered, first.deferred) == (1, 3 * events - 1)
        assert store.alert_counts()["pending"] == 3 * events - 1
        monkeypatch.setattr(outbox, "PASS_BUDGET", 120.0)
        renderer = Counting()  # (start-up renders every kind once, as a check of the templates)
        renders.clear()
        second = await deliver_due(cfg, store, renderer)
    finally:
        store.close()
    assert (second.delivered, second.deferred) == (3 * events - 1, 0)
    assert len(renders) == events  # three recipients, one rendering per event
    assert len(smtp.inbox.messages) == 3 * events


async def test_a_poison_recipient_is_dead_at_once_and_the_others_are_delivered(tmp_path, portal, smtp):
    """A CRLF in an address (from a database or config older than the check at load) made every delivery pass
    die on `Header values may not contain linefeed`: now that one message is dead, with its reason."""
    cfg = config(tmp_path, portal, smtp)
    poison = "a@example.gov.cn\r\nBcc: spy@evil.example"
    source = replace(cfg.sources[0], alert_to=(poison, "ok@example.gov.cn"))
    cfg = replace(cfg, sources=(source,))
    sent = await poll_and_deliver(cfg)
    assert (sent.delivered, sent.failed) == (2, 2)  # the report and the missing-report alert, each to ok@
    store = open_store(cfg)
    try:
        rows = [(d.recipient, d.status, d.attempts, d.last_error) for d in store.deliveries(delivered=True)]
    finally:
        store.close()
    dead = [r for r in rows if r[0] == poison]
    assert [r[1] for r in dead] == ["dead", "dead"]
    assert all("cannot be written" in r[3] and "linefeed" in r[3] for r in dead)
    assert {m["To"] for m in smtp.inbox.messages} == {"ok@example.gov.cn"}


async def test_smtp_5xx_is_dead_at_once_with_its_reason_and_4xx_is_retried(tmp_path, portal, smtp):
    smtp.inbox.rcpt = {"gone@example.gov.cn": "550 5.1.1 no such user", "full@example.gov.cn": "452 4.2.2 mailbox full"}
    cfg = config(tmp_path, portal, smtp)
    source = replace(cfg.sources[0], alert_to=("gone@example.gov.cn", "full@example.gov.cn", "ok@example.gov.cn"))
    cfg = replace(cfg, sources=(source,))
    await poll_and_deliver(cfg)
    store = open_store(cfg)
    try:
        rows = [(d.recipient, d.status, d.attempts, d.last_error) for d in store.deliveries(delivered=True)]
    finally:
        store.close()
    by = {}
    for recipient, status, attempts, error in rows:
        by.setdefault(recipient, set()).add((status, attempts, (error or "")[:80]))
    assert {s for s, _, _ in by["gone@example.gov.cn"]} == {"dead"}
    assert all("550" in e and "no such user" in e for _, _, e in by["gone@example.gov.cn"])
    assert {(s, a) for s, a, _ in by["full@example.gov.cn"]} == {("pending", 1)}
    assert all("452" in e for _, _, e in by["full@example.gov.cn"])
    assert {s for s, _, _ in by["ok@example.gov.cn"]} == {"delivered"}


async def test_channels_are_delivered_concurrently(tmp_path, portal, smtp, receiver):
    """The mail server answers DATA only once the webhook was called, and the webhook answers once the mail
    arrived: only a pass that delivers the channels side by side gets both through."""
    called = threading.Event()
    smtp.inbox.gate = called

    async def after_the_mail() -> None:
        called.set()
        for _ in range(200):
            if smtp.inbox.messages:
                break
            await asyncio.sleep(0.05)

    receiver.before = after_the_mail
    cfg = config(tmp_path, portal, smtp, webhooks=(Webhook("ops", f"{receiver.base}/hook", "json"),))
    sent = await poll_and_deliver(cfg)
    assert (sent.delivered, sent.failed) == (4, 0), sent.channels
    assert len(smtp.inbox.messages) == 2
    assert sent.channels == {"email": [2, 0], "webhook:ops": [2, 0]}


@contextlib.contextmanager
def _hung_webhook() -> Iterator[str]:
    """A webhook's address on a socket that accepts connections (the backlog) and never answers."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    try:
        yield f"http://127.0.0.1:{hung.getsockname()[1]}/hook"
    finally:
        hung.close()


def _pending_errors(cfg: Settings) -> set[str]:
    store = open_store(cfg)
    try:
        return {d.last_error for d in store.deliveries() if d.status == "pending"}
    finally:
        store.close()


async def test_a_webhook_that_never_answers_delays_only_its_own_messages(tmp_path, portal, smtp, monkeypatch):
    from monitor.alerts.channels import registry  # noqa: PLC0415

    monkeypatch.setattr(registry, "SEND_TIMEOUT", 0.5)
    with _hung_webhook() as url:
        cfg = config(tmp_path, portal, smtp, webhooks=(Webhook("slow", url, "json"),))
        sent = await poll_and_deliver(cfg)
    assert sent.channels == {"email": [2, 0], "webhook:slow": [0, 2]}
    errors = _pending_errors(cfg)
    assert any("no answer within 0 s" in e or "no answer within 1 s" in e for e in errors), errors


async def test_a_webhook_past_its_own_timeout_says_so_in_words(tmp_path, portal, monkeypatch):
    """Audit 15: its error read "TimeoutError: " and nothing after it."""
    from monitor.alerts.channels import webhook  # noqa: PLC0415

    monkeypatch.setattr(webhook, "TIMEOUT", 0.3)
    with _hung_webhook() as url:
        cfg = settings(
            tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], webhooks=(Webhook("slow", url, "json"),)
        )
        await poll_and_deliver(cfg)
    errors = _pending_errors(cfg)
    assert errors
    assert all(e.startswith("webhook slow: no answer in time (at most 0 s)") for e in errors), errors


async def test_robot_messages_escape_scraped_markdown(tmp_path, portal, receiver):
    """A scraped title must not become a link to another site or bold text in a DingTalk/WeCom robot message."""
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    evil = "天门市2021年政府信息公开工作年度报告](http://evil.example/login)**紧急：点击上方链接重新登录**\n# 通知"
    data["title"] = evil  # not a title the reader takes: the link's text names the report
    portal.add("/nb/t.html", report_page(data))
    portal.add("/nb/", listing([("t.html", evil.replace("\n", "<br>"))]))
    hooks = (
        Webhook("ding", f"{receiver.base}/robot/send?access_token=abc", "dingtalk"),
        Webhook("wecom", f"{receiver.base}/cgi-bin/webhook/send?key=x", "wecom"),
    )
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], webhooks=hooks)
    await poll_and_deliver(cfg)
    bodies = [json.loads(b)["markdown"] for _, _, b in receiver.requests]
    texts = [m.get("text") or m.get("content") for m in bodies]
    report = [t for t in texts if "2021" in t and "evil" in t]
    assert len(report) == 2  # one per robot
    for text in report:
        assert "](http://evil" not in text
        assert "http://evil" not in text
        assert "**紧急" not in text
        assert "\n# " not in text
        assert f"]({portal.base}/nb/t.html)" in text  # the report's own link is still a link


async def test_robot_tokens_are_redacted_in_logs_outputs_and_the_database(tmp_path, portal, receiver, caplog, capsys):
    from monitor.present.cli import main  # noqa: PLC0415

    token = "d4f00c0ffee5ecret0token"
    hooks = (Webhook("ding", f"{receiver.base}/robot/send?access_token={token}", "dingtalk"),)
    cfg = settings(tmp_path, [("tianmen", "department", f"{portal.base}/nb/")], webhooks=hooks)
    receiver.status = 500  # failures log their error too
    with caplog.at_level(logging.INFO):
        await poll_and_deliver(cfg)
        receiver.status = 200
        make_due(cfg)
        await poll_and_deliver(cfg)
    assert caplog.records
    assert not [r.getMessage() for r in caplog.records if token in r.getMessage()]
    dump = _dump(cfg)
    assert "access_token=***" in dump
    assert token not in dump
    toml = tmp_path / "hooks.toml"
    toml.write_text(
        f'[[alerts.webhook]]\nname = "ding"\nurl = "{receiver.base}/robot/send?access_token={token}"\n'
        'format = "dingtalk"\n',
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["alerts", "test", "--config", str(toml)]) == 0
    out = capsys.readouterr()
    assert "access_token=***" in out.out
    assert token not in out.out + out.err


@pytest.mark.parametrize("answer", ['"ok"', "true", "[]", "null", "ok"])
async def test_a_robot_answering_what_no_robot_answers_is_delivered_once_and_holds_back_nothing(
    tmp_path, portal, smtp, receiver, answer, caplog
):
    """A relay before a DingTalk robot answered 200 with JSON that is not an object: the delivery pass died on it,
    the mail being sent beside it was cut off, and no alert went out on any channel, pass after pass. Taken for a
    failure instead, each alert was posted again at every retry for three days (77 times). HTTP accepted it: it is
    delivered, once, with a warning; the mail goes beside it."""
    receiver.answer = answer
    cfg = config(tmp_path, portal, smtp, webhooks=(Webhook("ding", f"{receiver.base}/robot/send", "dingtalk"),))
    with caplog.at_level(logging.WARNING, logger="govmon.alerts"):
        sent = await poll_and_deliver(cfg)
    assert sent.channels == {"email": [2, 0], "webhook:ding": [2, 0]}
    assert len(smtp.inbox.messages) == 2
    assert len([r for r in caplog.records if "not a robot's answer" in r.getMessage()]) == 2
    make_due(cfg)
    assert (await poll_and_deliver(cfg)).channels == {}
    assert len(receiver.requests) == 2


async def test_a_channels_unforeseen_failure_fails_its_message_not_the_pass(
    tmp_path, portal, smtp, receiver, caplog, monkeypatch
):
    """Whatever a channel raises that it did not foresee is that message's failure, retried, with one line in the
    journal (no traceback); the other channels deliver."""
    from monitor.alerts.channels import registry  # noqa: PLC0415

    webhook = registry.CHANNELS["webhook"]

    async def broken(section, recipient, message, link):
        raise KeyError("errcode")

    cfg = config(tmp_path, portal, smtp, webhooks=(Webhook("ops", f"{receiver.base}/hook", "json"),))
    monkeypatch.setitem(registry.CHANNELS, "webhook", replace(webhook, send=broken))
    with caplog.at_level(logging.ERROR, logger="govmon.alerts"):
        sent = await poll_and_deliver(cfg)
    monkeypatch.setitem(registry.CHANNELS, "webhook", webhook)
    assert sent.channels == {"email": [2, 0], "webhook:ops": [0, 2]}
    told = [r for r in caplog.records if "unforeseen" in r.getMessage()]
    assert told
    assert all(r.exc_info is None and "KeyError" in r.getMessage() for r in told)
    make_due(cfg)
    assert (await poll_and_deliver(cfg)).channels == {"webhook:ops": [2, 0]}


async def test_two_digests_of_one_day_are_two_messages_to_a_mail_system(tmp_path, portal, smtp):
    """The Message-ID of a digest was the day's and the recipient's only: the second digest of a day (``alerts
    send``, alerts left over) had the first one's, and a mail system that drops copies by Message-ID dropped it."""
    cfg = digest_config(tmp_path, portal, smtp)
    morning = digest_hour()
    await poll_and_deliver(cfg, now=morning + timedelta(hours=1))
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    data["title"] = "天门市2021年政府信息公开工作年度报告"
    data["tables"]["appeals"]["suit_direct"]["total"] = 3  # a revision: something new to send
    portal.add("/nb/t.html", report_page(data))
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0, backoff=0.01) as f:
            await Watcher(cfg, store, f, today=lambda: TODAY).poll()
        await deliver_due(cfg, store, RENDERER, now=morning + timedelta(hours=2), ignore_backoff=True)  # alerts send
    finally:
        store.close()
    first, second = smtp.inbox.messages
    assert first["Message-ID"] != second["Message-ID"]
    assert second["Subject"] == "【年报监测】每日汇总：1条提醒"


async def test_digests_waiting_for_their_hour_take_no_webhooks_place(tmp_path, portal, smtp, receiver, monkeypatch):
    """A pass reads at most so many due alerts, oldest first. The e-mails waiting for 08:00's digest took those
    places, so past that many of them a webhook's alerts waited for the digest's hour too (1 February: a province's
    missing reports at once). Now those e-mails are not read until their digest is due."""
    from monitor.alerts import outbox  # noqa: PLC0415

    monkeypatch.setattr(outbox, "PASS_ROWS", 3)
    cfg = digest_config(tmp_path, portal, smtp, webhooks=(Webhook("ops", f"{receiver.base}/hook", "json"),))
    source = replace(cfg.sources[0], alert_to=("a@example.gov.cn", "b@example.gov.cn", "c@example.gov.cn"))
    cfg = replace(cfg, sources=(source,))
    morning = digest_hour()
    sent = await poll_and_deliver(cfg, now=morning - timedelta(hours=2))
    assert sent.channels == {"webhook:ops": [2, 0]}
    assert smtp.inbox.messages == []
    sent = await poll_and_deliver(cfg, now=morning + timedelta(minutes=5))
    assert sent.channels == {"email": [6, 0]}  # the three digests, each with the two alerts
    assert sorted(m["To"] for m in smtp.inbox.messages) == ["a@example.gov.cn", "b@example.gov.cn", "c@example.gov.cn"]


@pytest.mark.parametrize(
    ("where", "answer"),
    [("mail_from", "530 5.7.0 Authentication required"), ("rcpt", "554 5.7.1 Relay access denied")],
)
async def test_a_mail_server_refusing_govmon_itself_keeps_every_alert_for_when_it_is_set_right(
    tmp_path, portal, smtp, where, answer
):
    """A refusal of the server's rules for govmon (its login, relaying) is the same for every message: each alert
    was dead at its first try, and once the admin had set the server right nothing went out. Now the alerts wait
    and are retried, as when the server is down; a recipient's own 5xx (no such user) stays dead at once."""
    if where == "mail_from":
        smtp.inbox.mail_from = answer
    else:
        smtp.inbox.rcpt = {"oversight@example.gov.cn": answer}
    cfg = config(tmp_path, portal, smtp)
    sent = await poll_and_deliver(cfg)
    assert sent.delivered == 0
    assert sent.failed >= 1
    store = open_store(cfg)
    try:
        assert {d.status for d in store.deliveries()} == {"pending"}
        assert all(answer.split()[0] in (d.last_error or "") for d in store.deliveries() if d.attempts)
    finally:
        store.close()
    smtp.inbox.mail_from, smtp.inbox.rcpt = None, {}
    make_due(cfg)
    assert (await poll_and_deliver(cfg)).channels == {"email": [2, 0]}
    assert len(smtp.inbox.messages) == 2


async def test_the_missing_reports_mail_names_the_listing_not_a_report(tmp_path, portal, smtp):
    """A report that was not found has no title and no address: the mail said 报告：（未识别标题） and called the
    listing's address 原文."""
    await poll_and_deliver(config(tmp_path, portal, smtp))
    (mail,) = [m for m in smtp.inbox.messages if "逾期未发布" in m["Subject"]]
    text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    for told in (text, html):
        assert "未识别标题" not in told
        assert "原文" not in told
        assert "栏目地址" in told
        assert "未找到此年度的报告" in told
    told = RENDERER.render("missing", sample_payload("missing")).markdown
    assert "[年报栏目]" in told
    assert "未找到此年度的报告" in told


async def test_one_recipient_refused_by_the_servers_rules_holds_back_no_other(tmp_path, portal, smtp):
    """A 5.7.1 for one mailbox (a policy of that mailbox's, not govmon's login or sender) is retried for that
    recipient, and every other recipient's mail goes in the same pass."""
    smtp.inbox.rcpt = {"guarded@example.gov.cn": "554 5.7.1 Recipient address rejected: Access denied"}
    cfg = config(tmp_path, portal, smtp)
    source = replace(cfg.sources[0], alert_to=("guarded@example.gov.cn", "a@example.gov.cn", "b@example.gov.cn"))
    cfg = replace(cfg, sources=(source,))
    sent = await poll_and_deliver(cfg)
    assert sent.channels == {"email": [4, 2]}
    assert sorted(m["To"] for m in smtp.inbox.messages) == ["a@example.gov.cn"] * 2 + ["b@example.gov.cn"] * 2
    store = open_store(cfg)
    try:
        guarded = {(d.status, d.attempts) for d in store.deliveries() if d.recipient == "guarded@example.gov.cn"}
    finally:
        store.close()
    assert guarded == {("pending", 1)}


async def test_a_digest_of_more_alerts_than_a_mail_carries_is_several_mails_in_the_same_pass(
    tmp_path, portal, smtp, monkeypatch
):
    """One digest carried every alert due (5,000 on 1 February: over a mail server's 10 MiB limit, refused every
    pass, then dead). A digest carries DIGEST_PAGE alerts; the rest go in further digests of the same pass."""
    from monitor.alerts import outbox  # noqa: PLC0415

    monkeypatch.setattr(outbox, "DIGEST_PAGE", 1)
    cfg = digest_config(tmp_path, portal, smtp)
    morning = digest_hour()
    sent = await poll_and_deliver(cfg, now=morning + timedelta(minutes=5))
    assert sent.channels == {"email": [2, 0]}
    first, second = smtp.inbox.messages
    assert first["Subject"] == second["Subject"] == "【年报监测】每日汇总：1条提醒"
    assert first["Message-ID"] != second["Message-ID"]
    assert (await poll_and_deliver(cfg, now=morning + timedelta(hours=2))).channels == {}


async def test_alerts_a_days_digests_could_not_carry_go_in_the_next_pass_not_tomorrow(
    tmp_path, portal, smtp, monkeypatch
):
    """A pass sends a recipient at most DIGEST_PAGES digests (or stops at a failed one, or at its time): the alerts
    queued before the day's digest went that it did not carry go at the next pass; they waited for tomorrow's."""
    from monitor.alerts import outbox  # noqa: PLC0415

    monkeypatch.setattr(outbox, "DIGEST_PAGE", 1)
    monkeypatch.setattr(outbox, "DIGEST_PAGES", 1)
    cfg = digest_config(tmp_path, portal, smtp)
    morning = digest_hour()
    assert (await poll_and_deliver(cfg, now=morning + timedelta(minutes=5))).channels == {"email": [1, 0]}
    assert (await poll_and_deliver(cfg, now=morning + timedelta(minutes=6))).channels == {"email": [1, 0]}
    assert (await poll_and_deliver(cfg, now=morning + timedelta(minutes=7))).channels == {}
    assert len(smtp.inbox.messages) == 2


async def test_a_digest_larger_than_the_mail_server_takes_goes_in_halves(tmp_path, portal, smtp):
    """A digest past the server's size limit (552 5.3.4) was taken for the sender refused: the channel down, every
    recipient's mail held back pass after pass, then dead. It is sent again in halves, in the same pass."""
    smtp.inbox.too_big = lambda message: "2条提醒" in message["Subject"]
    cfg = digest_config(tmp_path, portal, smtp)
    morning = digest_hour()
    sent = await poll_and_deliver(cfg, now=morning + timedelta(minutes=5))
    assert sent.channels == {"email": [2, 0]}
    assert [m["Subject"] for m in smtp.inbox.messages] == ["【年报监测】每日汇总：1条提醒"] * 2


async def test_a_digests_pages_stop_at_the_pass_time_and_the_rest_go_at_the_next_pass(
    tmp_path, portal, smtp, monkeypatch
):
    """A recipient's digest pages went on past the pass's time (25 minutes at a slow server), holding back the other
    channels' alerts meanwhile; the rest now go at the next pass."""
    from monitor.alerts import outbox  # noqa: PLC0415

    monkeypatch.setattr(outbox, "DIGEST_PAGE", 1)
    monkeypatch.setattr(outbox, "PASS_BUDGET", 0.0)
    cfg = digest_config(tmp_path, portal, smtp)
    morning = digest_hour()
    assert (await poll_and_deliver(cfg, now=morning + timedelta(minutes=5))).channels == {"email": [1, 0]}
    assert (await poll_and_deliver(cfg, now=morning + timedelta(minutes=6))).channels == {"email": [1, 0]}


async def test_a_robot_address_answered_by_a_web_page_keeps_its_alerts(tmp_path, portal, smtp, receiver):
    """A robot's address answered 200 with an HTML page (a proxy's, a wrong path on a relay): the robot never saw the
    message, which stays in the outbox with why."""
    receiver.answer = "<!DOCTYPE html><html><body>统一身份认证</body></html>"
    cfg = config(tmp_path, portal, smtp, webhooks=(Webhook("ding", f"{receiver.base}/robot/send", "dingtalk"),))
    sent = await poll_and_deliver(cfg)
    assert sent.channels == {"email": [2, 0], "webhook:ding": [0, 2]}
    store = open_store(cfg)
    try:
        kept = [d for d in store.deliveries() if d.channel == "webhook:ding"]
    finally:
        store.close()
    assert [d.status for d in kept] == ["pending", "pending"]
    assert all("not a robot's answer: is its url right?" in (d.last_error or "") for d in kept)


def test_a_failing_sources_mail_says_why_in_chinese_and_its_webhook_body_keeps_the_fetchers_words():
    """The source-failing mail quoted the fetcher's English (cannot connect: [Errno 111] Connect call failed…)."""
    error = "http://www.example.gov.cn/nb/: cannot connect: [Errno 111] Connect call failed (gave up after 4 attempts)"
    payload = replace(sample_payload("source_failing"), health=SourceHealth(error, 3))
    told = RENDERER.render("source_failing", payload)
    for text in (told.text, told.html, told.markdown):
        assert "无法连接到网站（重试4次后放弃）" in text
        assert "Errno" not in text
    assert payload.to_json()["error"] == error  # the JSON body's field, for machines: as the journal has it


async def test_one_alert_of_two_databases_has_two_message_ids(tmp_path, portal, smtp, store_kind, request):
    """Review 112's M4: the Message-ID was the event's key and the recipient's only, so a database rebuilt from
    scratch (or a second installation with the same source ids, mailing the same mailbox) mailed its alerts under
    the Message-IDs the first one had used, and a mail system that drops copies by Message-ID dropped them."""
    first_db, second_db = tmp_path / "a", tmp_path / "b"
    first_db.mkdir()
    second_db.mkdir()
    await poll_and_deliver(config(first_db, portal, smtp))
    rebuilt = config(second_db, portal, smtp)
    if store_kind == "postgresql":  # (the test's one database is the first's)
        rebuilt = replace(rebuilt, database_url=fresh_database(request.getfixturevalue("pg_server"), "t_rebuilt"))
    store = open_store(rebuilt)
    try:
        async with Fetcher(rebuilt.user_agent, 4, 2, retries=0, backoff=0.01) as f:
            await Watcher(rebuilt, store, f, today=lambda: TODAY).poll()
    finally:
        store.close()
    made_later = "UPDATE events SET created = '2030-01-02T00:00:00+00:00'"  # as a database rebuilt the next day
    if rebuilt.database_url:
        with psycopg.connect(rebuilt.database_url, autocommit=True) as pg:
            pg.execute(made_later)
    else:
        with sqlite3.connect(rebuilt.database) as con:
            con.execute(made_later)
    store = open_store(rebuilt)
    try:
        await deliver_due(rebuilt, store, RENDERER)
    finally:
        store.close()
    by_subject: dict[str, list[str]] = {}
    for m in smtp.inbox.messages:
        by_subject.setdefault(str(m["Subject"]), []).append(m["Message-ID"])
    assert len(by_subject) == 2  # the report's errors, the year after missing: each mailed by both databases
    assert all(len(set(ids)) == 2 for ids in by_subject.values())


def test_a_digest_heads_each_alert_with_its_subject_once():
    """Review 112's L4: each alert in a digest's text said its subject twice (the digest's heading, then the
    alert's own first line)."""
    items = [RENDERER.render(kind, sample_payload(kind)) for kind in ("revision", "missing", "report_unreadable")]
    text = RENDERER.digest(items).text
    assert [text.count(i.subject) for i in items] == [1, 1, 1]


async def test_a_correction_published_under_a_new_address_says_what_it_resolved(tmp_path, portal, smtp):
    """Review 112's M1: the body's report with an error, mailed; two days later a corrected copy at a new address
    (the old one taken down): mailed as an unrelated new report, nothing said of the error it corrected."""
    cfg = config(tmp_path, portal, smtp)
    data = read_report(SEEDS["tianmen"].read_bytes(), "x").to_json()
    data["title"] = "天门市2021年政府信息公开工作年度报告"
    planted = json.loads(json.dumps(data))
    planted["tables"]["appeals"]["review"]["total"] = 2
    portal.add("/nb/t.html", report_page(planted))
    await poll_and_deliver(cfg)
    portal.add("/nb/", listing([("t2.html", "天门市2021年政府信息公开工作年度报告（更正）")]))
    portal.add("/nb/t2.html", report_page({**data, "title": "天门市2021年政府信息公开工作年度报告（更正）"}))
    del portal.pages["/nb/t.html"]
    await poll_and_deliver(cfg)
    mails = reports_mail(smtp)
    assert len(mails) == 2
    body = mails[1].get_body(("plain",)).get_content()
    assert mails[1]["Subject"].endswith("2021年度报告（重新发布）：未发现问题，1个问题已解决")
    assert "本报告为重新发布的版本" in body
    assert "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2" in body.split("已解决的问题")[1]
