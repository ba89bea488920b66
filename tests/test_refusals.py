"""Portals answering something else than the page asked for, and pages that change under a report's address, as
review 111 and 112 replayed them (a real portal on 127.0.0.1, the real report of corpus 010: 平潭综合实验区公安局's
2024 report, a department's, due 2025-01-31): a careful reader raises no 逾期未发布 and no revision for them, and
is told what the portal did.

- a column's address answering a "page not found" page with status 200, or sent to the site's home page;
- a column that listed reports and lists none now;
- block pages and anti-bot checks in place of a report, an attachment that is damaged;
- a page cut short in its transfer;
- an address kept for "the latest report" that holds next year's report now, and a correction dated the day it was
  made, after the deadline."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from portal import listing, settings
from test_watcher import db, poll

from monitor.present.cli import main
from monitor.reading.html import cut_short
from monitor.watch.listing import HOME, LISTED_BEFORE, REFUSED
from monitor.watch.refused import refusal

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAGE = (CORPUS / "010_pingtan_public_security_bureau_2024.html").read_bytes()
TITLE = "平潭综合实验区公安局2024年政府信息公开工作年度报告"
BODY = "平潭综合实验区公安局"
AFTER_2025_DUE = date(2026, 4, 5)  # the 2025 report's deadline (2026-01-31) has passed

# pages portals answer in place of the one asked for, as review 111 copied them from real portals (瑞数's check,
# 安全狗's and 云锁's block pages, a maintenance notice, a CMS's "not found" page), and what staff are told each is
RIVERS = (
    '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<meta id="9DhefwqGPrzGxEp9hPaoag" content="_7Ix0ZVHaF.Gk0hO4ZQ7qMKv1aGfUW4" r="m">'
    '<script type="text/javascript" r="m">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=38217;</script>'
    '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js" r="m"></script>'
    '</head><body><script type="text/javascript" r="m">$_ts._$Uo();</script></body></html>'
)
SAFEDOG = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>网站防火墙</title></head><body><div id="main">'
    "<h2>您的访问被拦截</h2><p>您的请求带有不合法参数，已被网站管理员设置拦截！</p>"
    '<div class="footer">安全狗 SafeDog · 服务器安全狗</div></div></body></html>'
)
YUNSUO = (
    "<html><head><title>访问被拒绝</title></head><body><h1>当前访问疑似黑客攻击，已被网站管理员设置为拦截</h1>"
    "<p>云锁 - 服务器安全防护</p></body></html>"
)
MAINTENANCE = (
    '<html><head><meta charset="utf-8"><title>网站维护中</title></head><body><h1>网站维护中</h1>'
    "<p>为了给您提供更好的服务，本网站正在进行系统升级维护，暂停访问。</p><p>平潭综合实验区公安局</p></body></html>"
)
NOT_FOUND = (
    '<html><head><meta charset="utf-8"><title>404-页面不存在</title></head><body><div class="err">'
    '<img src="/images/404.png"><p>抱歉！您访问的页面不存在或已被删除。</p><p>没有找到相关信息，<span id="sec">5'
    '</span>秒后自动返回<a href="/">网站首页</a></p></div></body></html>'
)
# a real column page's footer names who keeps the site (网站维护：…): no maintenance notice; nor are review 113's
# empty columns whose chrome holds such words (a footer's company, a banner's notice of next week's upkeep, a
# script's message, a sidebar's note) refusals: their 暂无信息 is said, and their reports are late
FOOTER = (
    '<html><body><div class="list"><p>暂无信息</p></div><div class="footer">主办单位：平潭综合实验区公安局 '
    "网站维护：平潭综合实验区信息中心</div></body></html>"
)
EMPTY_COLUMNS = [
    FOOTER.replace("网站维护：平潭综合实验区信息中心", "技术支持及系统维护：福建某某信息技术有限公司"),
    FOOTER.replace(
        '<div class="list">',
        '<div class="banner">本网站将于12月20日进行系统升级维护，届时暂停访问</div><div class="list">',
    ),
    FOOTER.replace("</body>", "<script>function nf(){alert('页面不存在或已删除');}</script></body>"),
    FOOTER.replace('<div class="list">', '<div class="side">部分文件已失效，以最新发布为准</div><div class="list">'),
]


@pytest.mark.parametrize(
    ("page", "said"),
    [
        (RIVERS, "网站的反爬虫验证页面（需运行脚本）"),
        (SAFEDOG, "网站防火墙的拦截页面"),
        (YUNSUO, "网站防火墙的拦截页面"),
        (MAINTENANCE, "网站维护通知页面"),
        (NOT_FOUND, "“页面不存在”页面"),
        (FOOTER, None),
        *((page, None) for page in EMPTY_COLUMNS),
        (PAGE.decode(), None),  # the report itself (it speaks of 网站 and its upkeep)
    ],
)
def test_what_a_page_a_portal_answers_in_place_of_another_is(page, said):
    assert refusal(page) == said


def _column(*reports: tuple[str, str]) -> str:
    return listing(list(reports))


def _pt(portal, tmp_path, **kw: object):
    """The settings of 平潭综合实验区公安局's column on the test portal (a department's: 2024's report due 2025-01-31)."""
    return settings(tmp_path, [("pt", "department", f"{portal.base}/nb/")], **{"first_poll": "each", **kw})


def _served(portal, tmp_path, page: bytes | str = PAGE):
    """The column listing 2024's report, served as ``page``; its settings."""
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", page)
    return _pt(portal, tmp_path)


def _missing(cfg) -> list[int]:
    """The years the polls mailed 逾期未发布."""
    store = db(cfg)
    try:
        return [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"]
    finally:
        store.close()


async def test_a_column_answering_page_not_found_is_not_a_column_with_nothing_in_it(portal, tmp_path):
    """Review 111's H1: poll 1 reads the column and the 2024 report; the column's address then answers a CMS's
    404 page with status 200 ("没有找到相关信息" is also what an empty column says). It was read as a column
    listing nothing, and 公安局's 2025 report mailed 逾期未发布."""
    cfg = _served(portal, tmp_path)
    (first,) = await poll(cfg, today=date(2025, 12, 7))
    portal.add("/nb/", NOT_FOUND)
    (later,) = await poll(cfg, today=AFTER_2025_DUE)
    store = db(cfg)
    missing = [e for e in store.events() if e.event.kind == "missing"]
    store.close()
    assert (first.error, first.new_versions) == (None, 1)
    assert missing == []
    assert later.error == REFUSED.format("“页面不存在”页面")


async def test_a_column_sent_to_the_site_s_home_page_is_not_read_as_the_column(portal, tmp_path):
    """Review 111's H2: a portal rebuilt sends the column's old address to its home page, whose menu links the
    new column. The home page's menu was read as the column: no report on it, 2025's called 逾期未发布."""
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", PAGE)
    portal.add("/index.html", _column(("/zwgk/nb/", "政府信息公开年报"), ("/zwgk/", "政务公开")))
    cfg = _pt(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    portal.add("/nb/", "", location="/index.html")
    (later,) = await poll(cfg, today=AFTER_2025_DUE)
    assert _missing(cfg) == []
    assert later.error == HOME.format(f"{portal.base}/index.html")


async def test_a_column_that_listed_reports_and_lists_none_now_is_not_read(portal, tmp_path):
    """The same rebuilt portal answering the old address with a page of links to other columns (no redirect):
    a column that listed 2024's report and lists no report at all now has not emptied itself."""
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", PAGE)
    portal.add("/zwgk/nb/", _column())
    cfg = _pt(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    portal.add("/nb/", _column(("/zwgk/nb/", "政府信息公开年报")))
    (later,) = await poll(cfg, today=AFTER_2025_DUE)
    assert _missing(cfg) == []
    assert later.error == LISTED_BEFORE.format("2024")


@pytest.mark.parametrize(
    ("page", "said"),
    [
        (SAFEDOG, "网站防火墙的拦截页面"),
        (RIVERS, "网站的反爬虫验证页面（需运行脚本）"),
        (MAINTENANCE, "网站维护通知页面"),
    ],
)
async def test_a_report_answered_by_a_block_page_says_what_the_portal_did(portal, tmp_path, page, said):
    """Review 111's M2: "页面不是报告" sent the admin to the link; the portal blocked govmon, or was down."""
    cfg = _served(portal, tmp_path, page)
    (r,) = await poll(cfg, today=date(2025, 12, 7))
    assert len(r.problems) == 1
    assert f"网站返回的是{said}" in r.problems[0]


async def test_a_damaged_attachment_is_said_damaged_not_absent(portal, tmp_path):
    """Review 111's M3: a report page that is an intro and a link to its PDF, the PDF cut short. Staff were told
    the page linked no attachment that could be read ("也没有链接可读取的附件") and not why."""
    pdf = (CORPUS / "002_huaian_hongze_district_2024.pdf").read_bytes()
    portal.add("/nb/", _column(("2025/t1.html", "淮安市洪泽区2024年政府信息公开工作年度报告")))
    portal.add(
        "/nb/2025/t1.html",
        '<html><head><meta charset="utf-8"><title>淮安市洪泽区2024年政府信息公开工作年度报告</title></head><body>'
        '<h1>淮安市洪泽区2024年政府信息公开工作年度报告</h1><p>附件：<a href="P020250122.pdf">淮安市洪泽区2024年'
        "政府信息公开工作年度报告.pdf</a></p></body></html>",
    )
    portal.add("/nb/2025/P020250122.pdf", pdf[: len(pdf) * 6 // 10], content_type="application/pdf", charset=None)
    cfg = settings(tmp_path, [("hz", "government", f"{portal.base}/nb/")], first_poll="each")
    (r,) = await poll(cfg, today=date(2025, 12, 7))
    assert len(r.problems) == 1
    assert re.search(r"附件\S*P020250122\.pdf无法读取（PDF文件无法读取", r.problems[0]), r.problems[0]


def _cut(page: bytes) -> bytes:
    """The page as a transfer broken off in table 三 leaves it (review 111's t1: 100,000 bytes of 220,000)."""
    at = page.index("（七）总计".encode()) if "（七）总计".encode() in page else page.index("总计".encode())
    return page[:at]


def test_a_page_cut_short_is_said_so_and_not_read(tmp_path, capsys):
    """``govmon check`` on a page saved while its transfer broke off named parts 四, 五 and 六 missing (three
    errors) and table 四 a picture; a careful reader sees the page is cut short."""
    cut = tmp_path / "cut.html"
    cut.write_bytes(_cut(PAGE))
    assert main(["check", str(cut)]) == 2
    err = capsys.readouterr().err
    assert "页面不完整：在表格中途结束" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><p>正文</p></body></html>",
        "<html><body><table><tr><td>1</td></tr></table><p>正文</p></div>",  # no closing tags, but ends whole
        "<p>一段</p><table><tr><td>1",  # a fragment (a crawler's Markdown block), not a page
    ],
)
def test_a_page_that_only_leaves_out_its_closing_tags_is_whole(page):
    assert cut_short(page) is None


async def test_a_page_cut_short_in_transfer_is_no_revision(portal, tmp_path):
    """Review 111's H3: poll 2 got the report cut short (status 200, no length): stored as a new version with
    parts 四-六 missing and ~100 cells "8 → 空", mailed 发布后被修改; poll 3's whole page mailed it again."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    portal.add("/nb/2025/t1.html", _cut(PAGE))
    (cut,) = await poll(cfg, today=date(2025, 12, 8))
    portal.add("/nb/2025/t1.html", PAGE)
    (whole,) = await poll(cfg, today=date(2025, 12, 9))
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    (doc,) = store.reports("pt")
    store.close()
    assert len(cut.problems) == 1
    assert "页面不完整" in cut.problems[0]
    assert (cut.new_versions, whole.new_versions, whole.problems) == (0, 0, [])
    assert doc.versions == 1
    assert "revised" not in kinds


def _next_year(page: bytes) -> bytes:
    """Corpus 010 as its body's next report (the years in its title and text one on), as review 112 made it."""
    text = re.sub(r"(20[0-9])</span><span[^>]*>([0-9])", r"\1\2", page.decode())  # (a year Word wrote in two runs)
    for old, new in (("2025", "2026"), ("2024", "2025"), ("2023", "2024")):
        text = text.replace(old, new)
    return text.encode()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_an_address_kept_for_the_latest_report_holding_next_year_s(portal, tmp_path, request, store):
    """Review 112's H1: the address held 2024's report, read on time; on 2026-01-31 it holds 2025's. Mailed in
    one poll: 2024's report 逾期未发布, and 2025's as 2024's revision ("2024 → 2025"); 2024's left status. The new
    report's alert is its own (its event's key is not the one the address's first report's had: it was dropped)."""
    portal.add("/nb/", _column(("latest.html", "政府信息公开工作年度报告")))
    portal.add("/nb/latest.html", PAGE)
    url = {"database_url": request.getfixturevalue("pg_url")} if store == "postgresql" else {}
    cfg = _pt(portal, tmp_path, **url)
    await poll(cfg, today=date(2025, 1, 25))
    portal.add("/nb/latest.html", _next_year(PAGE))
    (r,) = await poll(cfg, today=date(2026, 2, 1))
    store = db(cfg)
    events = [(e.event.kind, e.event.payload.to_json().get("year")) for e in store.events()]
    years = sorted((d.year, d.versions) for d in store.reports("pt"))
    store.close()
    assert (r.error, r.new_versions, r.changed) == (None, 1, 0)
    assert years == [(2024, 1), (2025, 1)]
    assert ("missing", 2024) not in events
    assert ("revised", 2025) not in events
    assert events.count(("new_report", 2025)) == 1
    if store == "sqlite":  # the report set aside, under its address marked with its year
        with sqlite3.connect(cfg.database) as con:
            assert {u for (u,) in con.execute("SELECT url FROM documents")} == {
                f"{portal.base}/nb/latest.html",
                f"{portal.base}/nb/latest.html#2024",
            }


async def test_a_correction_dated_the_day_it_was_made_is_not_late(portal, tmp_path):
    """Review 112's H2: 2024's report read on 2025-01-20, on time; corrected in place on 2025-02-10, the page's
    发布日期 then that day. The revision's mail said it was published after the deadline (timeliness.late); once it
    no longer did, ``status`` still said 逾期发布 (review 113)."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 1, 20))
    with sqlite3.connect(cfg.database) as con:  # the poll's stamp, had it run that day (the store's own clock)
        con.execute("UPDATE documents SET first_seen = '2025-01-20T02:00:00+00:00'")
    corrected = PAGE.replace(b"2025-01-20", b"2025-02-10")
    assert corrected != PAGE
    portal.add("/nb/2025/t1.html", corrected.replace("严格执行".encode(), "认真执行".encode(), 1))
    (r,) = await poll(cfg, today=date(2025, 2, 10))
    store = db(cfg)
    (doc,) = store.reports("pt")
    rules = [f.rule for f in doc.latest.findings] if doc.latest else []
    store.close()
    assert (r.new_versions, r.changed) == (1, 1)
    assert "timeliness.late" not in rules
    assert _standings(cfg, 2024, date(2025, 2, 10))[BODY][1] == "on_time"


async def test_a_report_that_stays_unreadable_is_told_once(portal, tmp_path):
    """Review 111's M1: a listed report a firewall kept from govmon (HTTP 412, poll after poll) was said only in
    ``status``: staff, who read mails, never learnt that a published report went unchecked. Told once it failed at
    two polls in a row (a portal's bad minute is not worth a mail), once for as long as it stays so, and as a new
    report once it is read."""
    from monitor.alerts.render import Renderer  # noqa: PLC0415

    cfg = _served(portal, tmp_path, SAFEDOG)
    told = []
    for day in (7, 8, 9):
        await poll(cfg, today=date(2025, 12, day))
        store = db(cfg)
        told.append([e.event for e in store.events() if e.event.kind == "report_unreadable"])
        store.close()
    portal.add("/nb/2025/t1.html", PAGE)
    await poll(cfg, today=date(2025, 12, 10))
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    store.close()
    assert [len(t) for t in told] == [0, 1, 1]
    event = told[-1][0]
    assert (event.payload.agency, event.payload.report.year if event.payload.report else None) == (BODY, 2024)
    mail = Renderer().render(event.kind, event.payload)
    assert mail.subject == f"【年报监测】{BODY}2024年度报告无法读取，未能检查"
    assert "网站返回的是网站防火墙的拦截页面" in mail.text
    assert "未发现问题" not in mail.text
    assert kinds.count("new_report") == 1


@pytest.mark.parametrize(
    "stub",
    [
        '<html><head><meta http-equiv="refresh" content="0; url=/xxgk/2025/t1.html"></head><body></body></html>',
        '<html><head><script type="text/javascript">window.location.href="/xxgk/2025/t1.html";</script></head>'
        "<body></body></html>",
        "<html><body><script>location.replace('/xxgk/2025/t1.html')</script></body></html>",
    ],
)
async def test_a_report_s_old_address_sending_its_reader_on_is_followed(portal, tmp_path, stub):
    """Review 111's M4: a report moved, its old address a stub that sends the reader to the new one, was
    "页面不是报告" (a listing's meta refresh was followed, a report's not): the report went unchecked."""
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", stub)
    portal.add("/xxgk/2025/t1.html", PAGE)
    cfg = _pt(portal, tmp_path)
    (r,) = await poll(cfg, today=date(2025, 12, 7))
    assert (r.problems, r.new_versions) == ([], 1)


def _undated(page: bytes) -> bytes:
    """Corpus 010 with its 发布日期 taken off the page (its index box's and the CMS's <meta> field)."""
    text = page.decode()
    text = re.sub(r'<meta name="PubDate" content="[^"]*"\s*/?>', "", text)
    return text.replace("2025-01-20", "").encode()


@pytest.mark.parametrize(
    ("before", "first_read", "said"),
    [
        (date(2025, 1, 31), date(2025, 2, 1), "是否在法定期限2025-01-31前发布无法确定"),
        (date(2025, 2, 3), date(2025, 2, 4), "已晚于法定期限2025-01-31：应为逾期发布"),
        (date(2025, 1, 20), date(2025, 1, 21), None),
    ],
)
async def test_a_report_without_a_date_listed_first_after_the_deadline(portal, tmp_path, before, first_read, said):
    """Review 112's M2: a report whose page gives no 发布日期, listed first at a poll after the deadline (the poll
    before read the whole listing without it): its mail said nothing of when it was published."""
    portal.add("/nb/", _column(("2024/t0.html", "平潭综合实验区公安局2023年政府信息公开工作年度报告")))
    portal.add("/nb/2024/t0.html", PAGE.replace(b"2024", b"2023").replace(b"2025", b"2024"))
    cfg = _pt(portal, tmp_path)
    await poll(cfg, today=before)
    with sqlite3.connect(cfg.database) as con:  # the poll's stamp, had it run that day (the store's own clock)
        con.execute("UPDATE sources SET last_poll = ?", [f"{before.isoformat()}T04:00:00+00:00"])
    portal.add(
        "/nb/", _column(("2025/t1.html", TITLE), ("2024/t0.html", "平潭综合实验区公安局2023年政府信息公开工作年度报告"))
    )
    portal.add("/nb/2025/t1.html", _undated(PAGE))
    (r,) = await poll(cfg, today=first_read)
    store = db(cfg)
    (doc,) = [d for d in store.reports("pt") if d.year == 2024]
    messages = [f.message for f in doc.latest.findings if f.rule == "timeliness.undated"] if doc.latest else []
    store.close()
    assert r.new_versions == 1
    assert [said in m for m in messages] == ([True] if said else [])


async def test_a_report_a_portal_refuses_is_named_once_in_the_poll_s_line(portal, tmp_path):
    """Review 111's L: `govmon poll` printed "could not read URL: URL: HTTP 412 Precondition Failed"."""
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", PAGE, status=[412])
    cfg = _pt(portal, tmp_path)
    (r,) = await poll(cfg, today=date(2025, 12, 7))
    (problem,) = r.problems
    assert problem.count(f"{portal.base}/nb/2025/t1.html") == 1
    assert "HTTP 412" in problem


@pytest.mark.parametrize("dated", [True, False])
async def test_an_address_holding_each_year_s_report_in_turn_and_back(portal, tmp_path, dated):
    """Review 113's H2: the address's 2024 report undated (compared with the day govmon first saw it, 2025's looked
    like its year corrected: mailed as its revision, 2024 逾期未发布), and an address going back and forth (two
    servers behind it): 2025's report was taken for revised into 2024's, 2025 called 逾期未发布 while it was there."""
    pages = {2024: PAGE, 2025: _next_year(PAGE)}
    if not dated:
        pages = {year: _undated(page) for year, page in pages.items()}
    portal.add("/nb/", _column(("latest.html", "政府信息公开工作年度报告")))
    cfg = _pt(portal, tmp_path)
    for day, year in ((date(2025, 12, 10), 2024), (date(2026, 1, 30), 2025), (date(2026, 2, 2), 2024)):
        portal.add("/nb/latest.html", pages[year])
        await poll(cfg, today=day)
    portal.add("/nb/latest.html", pages[2025])
    await poll(cfg, today=date(2026, 2, 3))
    store = db(cfg)
    kinds = [(e.event.kind, e.event.payload.to_json().get("year")) for e in store.events()]
    years = {d.year for d in store.reports("pt") if d.versions}
    store.close()
    assert [k for k in kinds if k[0] in ("missing", "revision")] == []
    assert years == {2024, 2025}


async def test_a_report_listed_but_refused_and_read_later_is_not_said_listed_late(portal, tmp_path):
    """Review 113's H3: listed at three polls while the portal refused it (HTTP 412), read at the fourth: its
    发布日期 was said to be earlier than the day govmon first listed it (timeliness.backdated), though the polls
    before listed it. And once read, its page refused again is no report 无法读取，未能检查 (review 113's M3)."""
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", PAGE, status=[412, 412, 412])
    cfg = _pt(portal, tmp_path)
    for day in (7, 8, 9, 10):
        await poll(cfg, today=date(2025, 12, day))
        with sqlite3.connect(cfg.database) as con:  # each poll's stamp, had it run that day
            con.execute("UPDATE sources SET last_poll = ?", [f"2025-12-{day:02d}T04:00:00+00:00"])
    portal.add("/nb/2025/t1.html", PAGE, status=[412, 412])
    for day in (11, 12):
        await poll(cfg, today=date(2025, 12, day))
    store = db(cfg)
    (doc,) = store.reports("pt")
    rules = [f.rule for f in doc.latest.findings] if doc.latest else []
    unreadable = [e for e in store.events() if e.event.kind == "report_unreadable"]
    store.close()
    assert doc.versions == 1
    assert "timeliness.backdated" not in rules
    assert len(unreadable) == 1  # the first three polls' (12-08): none once it was read


@pytest.mark.parametrize("page", EMPTY_COLUMNS)
async def test_an_empty_column_whose_chrome_mentions_upkeep_or_loss_is_empty(portal, tmp_path, page):
    """Review 113's M1: a new column that says 暂无信息, with such words in its chrome, was taken for a refusal: the
    poll failed (未能检查) and the body's missing report was not mailed, as it was before."""
    portal.add("/nb/", page)
    cfg = _pt(portal, tmp_path)
    (r,) = await poll(cfg, today=AFTER_2025_DUE)
    assert r.error is None
    assert _missing(cfg) == [2025]


async def test_an_intro_page_linking_its_pdf_beside_a_dead_refresh_is_read_from_its_pdf(portal, tmp_path):
    """Review 113's L2: a report's intro page links its PDF and also refreshes to an address no longer served:
    where the page sends its reader was tried first, failed, and the PDF was never read."""
    pdf = (CORPUS / "002_huaian_hongze_district_2024.pdf").read_bytes()
    title = "淮安市洪泽区2024年政府信息公开工作年度报告"
    portal.add("/nb/", _column(("2025/t1.html", title)))
    portal.add(
        "/nb/2025/t1.html",
        f'<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="30;url=/old/gone.html">'
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f'<p>附件：<a href="P020250122.pdf">{title}.pdf</a></p></body></html>',
    )
    portal.add("/nb/2025/P020250122.pdf", pdf, content_type="application/pdf", charset=None)
    cfg = settings(tmp_path, [("hz", "government", f"{portal.base}/nb/")], first_poll="each")
    (r,) = await poll(cfg, today=date(2025, 12, 7))
    assert (r.problems, r.new_versions) == ([], 1)


def _standings(cfg, year: int, today: date) -> dict[str | None, tuple[str, str | None]]:
    """What ``govmon status`` shows of ``year``: each body's state and whether its report was on time."""
    from monitor.present import status  # noqa: PLC0415
    from monitor.store import open_store  # noqa: PLC0415

    store = open_store(cfg)
    try:
        return {s.body: (s.state, s.timely) for s in status.standings(cfg, store, [year], today)}
    finally:
        store.close()


def _status_text(cfg, year: int, today: date) -> str:
    """``govmon status``'s text of ``year``."""
    from monitor.present import admin, status  # noqa: PLC0415
    from monitor.store import open_store  # noqa: PLC0415

    store = open_store(cfg)
    try:
        items = status.worst_first(status.standings(cfg, store, [year], today))
        return admin.status_text(year, today.isoformat(), items, status.totals(items))
    finally:
        store.close()


async def test_status_of_a_column_failing_since_before_the_deadline_is_not_missing(portal, tmp_path):
    """Review 113's M2: the polls failed honestly (the column answers a 404 page) and mailed nothing, but ``status``
    said 逾期未发布 of 2025, judged on a listing last read before the deadline: whether it is there is not known. And
    review 114's M1: one failed fetch after a whole reading past the deadline (its 逾期未发布 mailed) leaves that."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    await poll(cfg, today=AFTER_2025_DUE)  # read whole: 2025's report is not there, and mailed so
    portal.add("/nb/", NOT_FOUND)
    states = []
    for _ in range(cfg.failure_threshold):  # the polls after it fail, until the source is told failing
        (r,) = await poll(cfg, today=AFTER_2025_DUE)
        assert r.error
        states.append(_standings(cfg, 2025, AFTER_2025_DUE)[BODY][0])
    assert states == ["missing"] * (cfg.failure_threshold - 1) + ["unchecked"]


@pytest.mark.parametrize("part", ["五、存在的主要问题", "六、其他需要报告的事项"])
async def test_a_page_cut_past_its_last_table_is_no_revision(portal, tmp_path, part):
    """Review 113's H1: a transfer broken off past the last table, on a tag's end, is a page its reader cannot tell
    from a whole one missing its last parts; the version stored ended as a page does, and this one does not. It was
    stored as a revision with parts 五/六 "missing", and mailed twice (cut, then whole again)."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    at = PAGE.index(part.encode())
    cut = PAGE[: PAGE.rindex(b">", 0, at) + 1]  # on the end of the tag before the part's heading
    assert cut_short(cut.decode()) is None  # (the reader alone cannot tell)
    portal.add("/nb/2025/t1.html", cut)
    (r,) = await poll(cfg, today=date(2025, 12, 8))
    portal.add("/nb/2025/t1.html", PAGE)
    await poll(cfg, today=date(2025, 12, 9))
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    (doc,) = store.reports("pt")
    store.close()
    assert (r.new_versions, len(r.problems)) == (0, 1)
    assert "页面不完整" in r.problems[0]
    assert doc.versions == 1
    assert "revision" not in kinds


async def test_an_attachment_the_portal_answers_with_a_block_page_says_so(portal, tmp_path):
    """Review 113's L1: the report page's PDF link answered 安全狗's block page: staff were told the attachment
    "看起来不是政府信息公开工作年度报告", not that the portal blocked it."""
    title = "淮安市洪泽区2024年政府信息公开工作年度报告"
    portal.add("/nb/", _column(("2025/t1.html", title)))
    portal.add(
        "/nb/2025/t1.html",
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
        f'<p>附件：<a href="P020250122.pdf">{title}.pdf</a></p></body></html>',
    )
    portal.add("/nb/2025/P020250122.pdf", SAFEDOG)
    cfg = settings(tmp_path, [("hz", "government", f"{portal.base}/nb/")], first_poll="each")
    (r,) = await poll(cfg, today=date(2025, 12, 7))
    (problem,) = r.problems
    assert "P020250122.pdf无法读取（网站返回的是网站防火墙的拦截页面）" in problem


def _one_cell_changed(page: bytes) -> bytes:
    """The page with table 四's last cell (a 0) made 1: a number corrected."""
    at = page.rindex(b">0</span></p></td></tr></tbody></table>")
    return page[:at] + b">1" + page[at + 2 :]


@pytest.mark.parametrize("edit", ["date", "number"])
async def test_a_title_s_year_corrected_with_its_date_is_the_report_revised(portal, tmp_path, edit):
    """Review 114's H1: the title mistyped 2023 (its parts say 2024), corrected with its 发布日期 re-stamped or a
    number in the same edit: split into a phantom 2023 report (it stood for the body's real 2023 one in status) and
    a new 2024 one with false warnings (尚未列出, 与上一年度报告相同 against itself); then (review 115's M1) its
    revision was compared with its own version as the 2023 report it seemed (100%的文字…相同)."""
    typo = PAGE.replace(TITLE.encode(), TITLE.replace("2024", "2023").encode())
    assert typo != PAGE
    portal.add("/nb/", _column(("2025/t1.html", "平潭综合实验区公安局政府信息公开工作年度报告")))
    portal.add("/nb/2025/t1.html", typo)
    cfg = _pt(portal, tmp_path)
    await poll(cfg, today=date(2025, 1, 20))
    corrected = PAGE.replace(b"2025-01-20", b"2025-01-22") if edit == "date" else _one_cell_changed(PAGE)
    portal.add("/nb/2025/t1.html", corrected)
    (r,) = await poll(cfg, today=date(2025, 1, 22))
    store = db(cfg)
    docs = [(d.url.rsplit("/", 1)[1], d.year, d.versions) for d in store.reports("pt")]
    (doc,) = store.reports("pt")
    rules = {f.rule for f in doc.latest.findings} if doc.latest else set()
    store.close()
    assert (r.new_versions, r.changed) == (1, 1)
    assert docs == [("t1.html", 2024, 2)]
    assert not rules & {"timeliness.backdated", "history.copied", "history.same_tables"}


async def test_a_new_column_answering_information_not_found_is_not_read(portal, tmp_path):
    """Review 114's H2: a new source whose column address answers a CMS's "对不起，您访问的信息不存在或已被删除！"
    with a menu link: taken for a read column with nothing in it, its body's report 逾期未发布."""
    portal.add(
        "/nb/",
        '<html><head><meta charset="utf-8"><title>平潭综合实验区公安局</title></head><body><div class="nav">'
        '<a href="/">首页</a><a href="/zwgk/nb/">政府信息公开年报</a></div><div class="err"><p>对不起，您访问的信息不存'
        '在或已被删除！</p></div><div class="footer">主办：平潭综合实验区公安局</div></body></html>',
    )
    portal.add("/zwgk/nb/", _column())
    cfg = _pt(portal, tmp_path)
    (r,) = await poll(cfg, today=AFTER_2025_DUE)
    assert _missing(cfg) == []
    assert r.error == REFUSED.format("“页面不存在”页面")


async def test_old_reports_that_cannot_be_read_are_not_mailed_one_by_one(portal, tmp_path):
    """Review 114's H3: the day after govmon began, a column of old scanned reports it cannot read gave one
    "无法读取，未能检查" mail a year (2017, 2018, 2019), though its first poll said earlier reports are not mailed."""
    old = [(f"{y}/t.html", TITLE.replace("2024", str(y))) for y in (2017, 2018, 2019)]
    portal.add("/nb/", _column(*old))
    for href, _ in old:
        portal.add(f"/nb/{href}", SAFEDOG)
    cfg = _pt(portal, tmp_path)
    for day in (7, 8, 9):
        await poll(cfg, today=date(2025, 12, day))
    store = db(cfg)
    unreadable = [e for e in store.events() if e.event.kind == "report_unreadable"]
    store.close()
    assert unreadable == []


async def test_a_revision_in_a_template_without_closing_tags_is_read_when_it_comes_again(portal, tmp_path):
    """Review 114's M2: a report revised into a template that writes no </body></html>, its stored version's did:
    taken for a page cut short, and its bytes remembered, it was never read again and its new errors never told. A
    transfer cut short does not bring the same bytes twice."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    unclosed = (
        PAGE.replace(b"</body>", b"").replace(b"</html>", b"").replace("严格执行".encode(), "认真执行".encode(), 1)
    )
    portal.add("/nb/2025/t1.html", unclosed)
    (first,) = await poll(cfg, today=date(2025, 12, 8))
    (again,) = await poll(cfg, today=date(2025, 12, 9))
    assert (first.new_versions, len(first.problems)) == (0, 1)
    assert (again.new_versions, again.problems) == (1, [])


async def test_a_current_report_listed_without_a_year_that_stays_unreadable_is_mailed(portal, tmp_path):
    """Review 115's H2: the filter keeping old years' unreadable reports unmailed dropped every link without a year:
    a current report listed as "平潭综合实验区公安局政府信息公开工作年度报告", its scan unreadable, was never told."""
    portal.add("/nb/", _column(("t1.html", f"{BODY}政府信息公开工作年度报告")))
    portal.add("/nb/t1.html", SAFEDOG)
    cfg = _pt(portal, tmp_path)
    for day in (7, 8):
        await poll(cfg, today=date(2025, 12, day))
    store = db(cfg)
    unreadable = [e for e in store.events() if e.event.kind == "report_unreadable"]
    store.close()
    assert len(unreadable) == 1


async def test_a_proxy_cutting_every_answer_at_one_size_is_still_cut(portal, tmp_path):
    """Review 115's M2: the same bytes at two polls are read (a new template without closing tags), but a proxy
    cutting every answer at one size brings the same cut page twice: read, parts 五 and 六 "missing", it was mailed as
    revised (缺少第六部分), and again when the page came back whole."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 12, 7))
    at = PAGE.index("六、其他需要报告的事项".encode())
    portal.add("/nb/2025/t1.html", PAGE[: PAGE.rindex(b">", 0, at) + 1])
    cut = [(await poll(cfg, today=date(2025, 12, day)))[0] for day in (8, 9)]
    portal.add("/nb/2025/t1.html", PAGE)
    await poll(cfg, today=date(2025, 12, 10))
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    (doc,) = store.reports("pt")
    store.close()
    assert [(r.new_versions, len(r.problems)) for r in cut] == [(0, 1), (0, 1)]
    assert doc.versions == 1
    assert "revision" not in kinds


async def test_a_first_poll_s_summary_names_the_reports_it_could_not_read(portal, tmp_path):
    """Review 114's H3: a source's first poll is told in one summary of the reports it found; those listed that it
    could not read were left out of it, and (before they were left unmailed) mailed one by one the day after."""
    from monitor.alerts.render import Renderer  # noqa: PLC0415

    portal.add("/nb/", _column(("2025/t1.html", TITLE), ("2020/t1.html", TITLE.replace("2024", "2019"))))
    portal.add("/nb/2025/t1.html", PAGE)
    portal.add("/nb/2020/t1.html", PAGE, status=[412])
    cfg = _pt(portal, tmp_path, first_poll="summary")
    await poll(cfg, today=date(2025, 12, 7))
    store = db(cfg)
    (summary,) = [e.event for e in store.events() if e.event.kind == "first_poll"]
    store.close()
    mail = Renderer().render(summary.kind, summary.payload)
    assert mail.subject.endswith("首次检查：发现2份年度报告，1份无法读取")
    assert f"{TITLE.replace('2024', '2019')}（2019）：无法读取，未能检查（网站返回HTTP 412" in mail.text


async def test_a_first_poll_in_january_of_a_column_listing_only_its_newest_report_calls_no_year_before_missing(
    portal, tmp_path
):
    """Reviews 114 and 115 (L2): a new source whose column lists only its newest report, 2024's, polled first on
    2025-01-25 (2024's deadline not yet passed, so 2023's is the one judged): 2023's report was mailed 逾期未发布. A
    column that shows only a newer report says nothing of the year before it; once 2024's deadline has passed,
    the newest year is judged, and a column without it is still told."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2025, 1, 25))
    assert _missing(cfg) == []
    await poll(cfg, today=AFTER_2025_DUE)  # the same column, 2025's deadline passed
    assert _missing(cfg) == [2025]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_an_undated_next_year_s_report_copied_with_only_its_title_and_period_new_is_not_a_correction(
    portal, tmp_path, request, store
):
    """Reviews 114 (M3) and 115 (H1): an address kept for the latest report holds 2024's, undated; then next year's,
    copied from it lazily: the same numbers, the text's years left as they were, only its title and its 统计期限
    (before part 一) moved on to 2025. It was taken for 2024's with its title's year corrected: mailed as its
    revision (2024 → 2025), and 2024's report gone from the store. Its 统计期限 says which year it reports."""
    lazy = _undated(PAGE).decode().replace(TITLE, TITLE.replace("2024", "2025"))
    lazy = lazy.replace('统计期限为</span><span style="font-family:仿宋_GB2312">2024年', "统计期限为2025年")
    assert "统计期限为2025年1月1日" in lazy
    portal.add("/nb/", _column(("latest.html", "政府信息公开工作年度报告")))
    portal.add("/nb/latest.html", _undated(PAGE))
    cfg = _pt(
        portal, tmp_path, **({"database_url": request.getfixturevalue("pg_url")} if store == "postgresql" else {})
    )
    await poll(cfg, today=date(2025, 12, 10))
    portal.add("/nb/latest.html", lazy)
    await poll(cfg, today=date(2026, 1, 30))
    store = db(cfg)
    kinds = [(e.event.kind, e.event.payload.to_json().get("year")) for e in store.events()]
    years = {d.year for d in store.reports("pt") if d.versions}
    store.close()
    assert [k for k in kinds if k[0] in ("revision", "new_report")] == [("new_report", 2024), ("new_report", 2025)]
    assert years == {2024, 2025}


async def test_status_calls_a_report_missing_only_once_its_listing_was_read_after_the_deadline(portal, tmp_path):
    """Its listing read whole the day before 2025's deadline (2026-01-31), and not since (the next poll not yet due,
    or failed once): ``status`` said 逾期未发布 of 2025, though nothing had looked for it after the deadline. It is
    未能检查 until a reading after the deadline, then 逾期未发布 (as mailed)."""
    cfg = _served(portal, tmp_path)
    await poll(cfg, today=date(2026, 1, 30))
    day = date(2026, 2, 2)
    states, said = [], []
    for read in ("2026-01-30T04:00:00+00:00", "2026-01-31T15:59:00+00:00", "2026-01-31T16:00:00+00:00"):
        with sqlite3.connect(cfg.database) as con:  # the listing last read then (the store's own clock)
            con.execute("UPDATE sources SET last_read = ?", [read])
        states.append(_standings(cfg, 2025, day)[BODY][0])
        said.append(_status_text(cfg, 2025, day))
    assert states == ["unchecked", "unchecked", "missing"]  # (16:00 UTC on the 31st: 1 February in China)
    assert "该栏目最近一次完整读取在2026-01-31，法定期限后尚未读取" in said[1]
    assert "完整读取" not in said[2]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_a_source_s_last_whole_reading_is_kept_through_a_failed_poll(portal, tmp_path, request, store):
    """What ``status`` judges a listing's reading by: the end of its last poll that ended without error."""
    url = {"database_url": request.getfixturevalue("pg_url")} if store == "postgresql" else {}
    portal.add("/nb/", _column(("2025/t1.html", TITLE)))
    portal.add("/nb/2025/t1.html", PAGE)
    cfg = _pt(portal, tmp_path, **url)
    await poll(cfg, today=date(2025, 12, 7))
    kept = db(cfg)
    try:
        (read,) = kept.sources_read().values()
    finally:
        kept.close()
    portal.add("/nb/", NOT_FOUND)
    (failed,) = await poll(cfg, today=date(2025, 12, 8))
    kept = db(cfg)
    try:
        assert failed.error
        assert kept.sources_read(["pt", "other"]) == {"pt": read}
        assert datetime.fromisoformat(read).tzinfo is not None
    finally:
        kept.close()
