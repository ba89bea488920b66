"""A stored report whose page changes on the portal, polled from a real portal on 127.0.0.1 with the corpus's real
pages (as a hostile audit of revisions found them, 2026-12-06): what changes with the site (its footer's year, a
sidebar after the article, a counter, an attachment box, a new template around the same article) is no revision;
what changes in the report is, as often as it changes; a page read otherwise by a newer govmon is no revision."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import per_store
from portal import listing, settings
from test_watcher import db, poll

from monitor.checks.revision import snapshot
from monitor.reading.report import read_report

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAGES = sorted(p.name for p in CORPUS.glob("*.html"))  # the corpus's portal pages as served
TODAY = date(2025, 3, 1)

store_kind = per_store(__name__)


def _soup(name: str) -> BeautifulSoup:
    return BeautifulSoup((CORPUS / name).read_bytes(), "lxml")


def _footer_year(soup: BeautifulSoup) -> None:  # 版权所有…  → 版权所有… 2025
    node = soup.find(string=re.compile("版权所有"))
    node.replace_with(str(node) + " 2025")


def _sidebar(soup: BeautifulSoup) -> None:  # a 最新动态 box after the article
    box = BeautifulSoup(
        '<div class="latest"><h3>最新动态</h3><ul><li><a href="/a/1.html">实验区召开2025年政务公开工作会议</a></li>'
        '<li><a href="/a/2.html">关于开展政务公开专项检查的通知</a></li></ul></div>',
        "html.parser",
    )
    soup.body.append(box)


def _counter(soup: BeautifulSoup) -> None:  # a counter below the article, its number ticking
    soup.body.append(BeautifulSoup('<div class="visits">访问量：98765</div>', "html.parser"))


def _attachment(soup: BeautifulSoup) -> None:  # the report's PDF linked in the 附件下载 box
    label = soup.find(string=re.compile("附件下载")) or soup.body
    parent = label.parent if label is not soup.body else soup.body
    parent.append(BeautifulSoup('<p><a href="/att/report.pdf">年度报告.pdf</a></p>', "html.parser"))


def _template(soup: BeautifulSoup) -> None:  # the same article, title and date in another CMS's template
    article = soup.find(class_=re.compile("TRS_Editor|article_content"))
    dated = soup.find(string=re.compile(r"发布(时间|日期)|时间[:：]"))
    new = BeautifulSoup(
        "<html><body><div class='header'>政务公开</div><h1 class='bt'></h1><div class='info'></div><div id='zoom'>"
        "</div><div class='share'>分享到：微信 微博</div><div class='foot'>网站地图 | 联系我们 主办单位：平潭综合实验区管理"
        "委员会 2025</div></body></html>",
        "lxml",
    )
    new.html.insert(0, copy.copy(soup.head))  # its <meta> fields and <title>
    new.find(class_="bt").string = soup.title.string if soup.title else ""
    new.find(class_="info").string = " ".join(dated.parent.get_text(" ").split()) if dated else ""
    new.find(id="zoom").append(copy.copy(article))
    soup.clear()
    soup.append(new.html)


def _notice_box(soup: BeautifulSoup) -> None:  # a site notice in a box of its own right after the article
    article = soup.find(class_=re.compile("TRS_Editor|article_content"))
    box = soup.find(class_="site-notice")
    if box is None:
        box = soup.new_tag("div", attrs={"class": "site-notice"})
        article.insert_after(box)
    box.string = "网站将于2025年3月2日凌晨进行系统维护，届时将暂停访问，敬请谅解。"


def _notice_changed(soup: BeautifulSoup) -> None:
    soup.find(class_="site-notice").string = "网站将于2025年3月9日凌晨进行系统维护，届时将暂停访问，敬请谅解。"


CHROME = [_footer_year, _sidebar, _counter, _attachment, _notice_box, _notice_changed, _template]


def _serve(portal, soup: BeautifulSoup) -> None:
    portal.add("/nb/t.html", str(soup))


def _edit(soup: BeautifulSoup, old: str, new: str) -> None:
    """The page's words ``old`` (in one of its text nodes) made ``new``."""
    node = soup.find(string=re.compile(re.escape(old)))
    node.replace_with(str(node).replace(old, new))


def _report(cfg):
    """The one report stored."""
    store = db(cfg)
    try:
        (doc,) = store.reports()
    finally:
        store.close()
    return doc


def _as_an_older_govmon_hashed_it(cfg) -> None:
    """The one report stored as an older govmon stored it: under a content hash of its own way of reading."""
    store = db(cfg)
    try:
        (doc,) = store.reports()
        store.rehash(doc.latest.id, "hashed-by-an-older-govmon")
    finally:
        store.close()


@pytest.mark.parametrize("name", PAGES)
async def test_what_changes_with_the_site_is_no_revision(portal, tmp_path, name):
    """Each change of the page around the report, one after another, on each real page: no version, no alert.
    Part 六 ran to the end of the page and took in all of it: every one was mailed as 报告发布后被修改."""
    soup = _soup(name)
    portal.add("/nb/", listing([("t.html", soup.title.string if soup.title else "年度报告")]))
    _serve(portal, soup)
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    await poll(cfg, today=TODAY)
    for change in CHROME:
        change(soup)
        _serve(portal, soup)
        (r,) = await poll(cfg, today=TODAY)
        assert (r.error, r.new_versions, r.read) == (None, 0, 1), change.__name__
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    store.close()
    assert "revision" not in kinds


async def test_a_report_changed_back_and_forth_is_told_each_day(portal, tmp_path):
    """A→B→A→B (an edit undone and made again, two servers behind one address): the second A→B was stored and never
    told, its event's key the first one's. A change back to a content seen before is told again on another day; a
    page flapping between two contents at every poll is told at most once a day each way, not at every poll."""
    soup = _soup("009_pingtan_social_affairs_bureau_2023.html")
    a = str(soup)
    title = "平潭综合实验区社会事业局2023年政府信息公开工作年度报告"
    b = a.replace(title, title + "（修订）", 1)
    assert a != b
    portal.add("/nb/", listing([("t.html", title)]))
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    told = []
    for day, pages in ((TODAY, (a, b, a, b, a, b)), (date(2025, 3, 2), (a, b))):
        for page in pages:
            portal.add("/nb/t.html", page)
            await poll(cfg, today=day)
        store = db(cfg)
        told.append([e.event.kind for e in store.events()].count("revision"))
        store.close()
    assert told == [2, 4]  # A→B and B→A on the first day; again both on the next


async def test_a_report_stored_as_an_older_govmon_read_it_is_no_revision(portal, tmp_path):
    """A page stored by an older govmon, which read it otherwise (part 六 to the end of the page, other lines left
    out of its content hash): its footer changes, and the report is read again from the stored bytes, not told as
    revised; a real change after it is told with only what changed."""
    soup = _soup("010_pingtan_public_security_bureau_2024.html")
    portal.add("/nb/", listing([("t.html", "平潭综合实验区公安局2024年政府信息公开工作年度报告")]))
    _serve(portal, soup)
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    await poll(cfg, today=TODAY)
    _as_an_older_govmon_hashed_it(cfg)
    _footer_year(soup)
    _serve(portal, soup)
    (r,) = await poll(cfg, today=TODAY)
    assert (r.error, r.new_versions) == (None, 0)
    _edit(soup, "无收取信息处理费", "收取信息处理费0元")  # part 六's one sentence
    _serve(portal, soup)
    (r,) = await poll(cfg, today=TODAY)
    assert r.new_versions == 1
    assert _report(cfg).latest.diff == {"sections": ["6"], "cells": [], "fields": {}}


@pytest.mark.parametrize("stop", ["。", ""])
async def test_part_six_typed_after_the_pasted_report_is_still_the_reports(portal, tmp_path, stop):
    """A report pasted from Word into a section of its own (一 to 六's heading), part 六's sentence and the 落款 typed
    after it, in the article: they are the report's last lines, and a change there is a revision (it was cut off
    with the page's tail)."""
    soup = _soup("009_pingtan_social_affairs_bureau_2023.html")
    article = soup.find(class_="TRS_Editor")
    six = next(p for p in article.find_all("p") if p.get_text().strip().startswith("六、"))
    top = six
    while top.parent is not article:
        top = top.parent
    pasted = soup.new_tag("div", attrs={"class": "WordSection1"})
    for block in list(article.children):
        pasted.append(block.extract())
        if block is top:
            break
    article.insert(0, pasted)
    assert "处理费" in article.get_text()
    assert "处理费" not in pasted.get_text()
    portal.add("/nb/", listing([("t.html", "平潭综合实验区社会事业局2023年政府信息公开工作年度报告")]))
    _serve(portal, soup)
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    await poll(cfg, today=TODAY)
    _edit(soup, "未产生信息公开处理费。", "未产生信息公开处理费" + stop)
    _serve(portal, soup)
    await poll(cfg, today=TODAY)  # (the first version as typed, with or without its full stop)
    _edit(soup, "未产生信息公开处理费", "收取信息公开处理费120元")
    _serve(portal, soup)
    (r,) = await poll(cfg, today=TODAY)
    assert r.new_versions == 1
    assert _report(cfg).latest.diff == {"sections": ["6"], "cells": [], "fields": {}}


@pytest.mark.parametrize(
    "counter",
    [
        "浏览次数：{}",
        "浏览 {} 次",
        "您是第{}位访问者",
        "您是本站第{}位访问者。",
        "浏览次数：1,{}",
        "日期：2024-01-26 浏览：{}",
        "阅读量：{}万",
        "【字体：大 中 小】 【打印本页】 【关闭窗口】 浏览次数：{}",
        "本站访问量：{}",
        "浏览次数：{}次 分享到：",
        "文章来源：社会事业局 点击数：{}",
    ],
)
def test_a_counter_in_the_last_parts_text_is_no_revision(counter):
    """A counter after a report the page's element does not hold apart (a text, a page without blocks of its own):
    part 六 runs to the end and takes it in, so it is left out of the content hash, whatever it looks like."""
    text = (CORPUS / "008_shuyang_county_ndrc_2023.txt").read_text(encoding="utf-8")

    def digest(n: int) -> str:
        return snapshot(read_report((text + "\n" + counter.format(n) + "\n").encode(), "t.txt"))[1]

    assert digest(234) == digest(235)


async def test_a_title_whose_year_is_corrected_is_not_its_own_year_before(portal, tmp_path):
    """A report published with last year's year in its title (2022 for 2023), then corrected: the version before
    is this report as it was, not the body's report of 2022. It was compared with itself as last year's report: a
    history.in_force warning and three 与上一年度报告完全相同 warnings."""
    soup = _soup("009_pingtan_social_affairs_bureau_2023.html")
    title = "平潭综合实验区社会事业局2023年政府信息公开工作年度报告"
    right = str(soup)
    wrong = right.replace(title, title.replace("2023", "2022"))
    assert right != wrong
    portal.add("/nb/", listing([("t.html", title)]))
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    for page in (wrong, right):
        portal.add("/nb/t.html", page)
        await poll(cfg, today=TODAY)
    doc = _report(cfg)
    assert doc.year == 2023
    assert [f.rule for f in doc.latest.findings if f.rule.startswith("history.")] == []


async def test_a_redesign_that_moves_the_report_is_not_a_new_report(portal, tmp_path):
    """The portal moves to another CMS: the same article in a new template at a new address, the old one gone. It
    is the report already stored, under its new address: no 新发现报告 mail, no second copy. The page's old tail
    was in its content hash, so the two never matched."""
    soup = _soup("005_pingtan_zone_2021.html")
    title = "平潭综合实验区2021年政府信息公开工作年度报告"
    portal.add("/nb/", listing([("t.html", title)]))
    _serve(portal, soup)
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    await poll(cfg, today=TODAY)
    _template(soup)
    portal.add("/nb/", listing([("new/t2.html", title)]))
    portal.add("/nb/new/t2.html", str(soup))
    del portal.pages["/nb/t.html"]
    (r,) = await poll(cfg, today=TODAY)
    assert (r.error, r.new_versions, r.problems) == (None, 0, [])
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    store.close()
    assert kinds.count("new_report") == 1
    assert "revision" not in kinds


def test_a_paged_articles_last_part_runs_onto_its_later_pages():
    """A TRS article cut into pages, the watcher's join of them: part 六 goes on on page 2, after page 1's own tail,
    so it is not ended with page 1's element (an edit on page 2 was cut off and never told)."""
    from monitor.reading.paged import JOINED  # noqa: PLC0415

    html = (CORPUS / "009_pingtan_social_affairs_bureau_2023.html").read_bytes().decode()
    more = '<div class="TRS_Editor"><p>（二）建议提案办理情况</p><p>全年办理人大代表建议3件、政协提案5件。</p></div>'
    end = html.lower().rfind("</body>")
    joined = html[:end] + more + JOINED + html[end:]
    assert "政协提案5件" in read_report(joined.encode(), "t.html").section_text(6)


async def test_a_fixed_address_holding_next_years_report_is_compared_with_last_years(portal, tmp_path):
    """One address holds the body's report of each year in turn; the 2023 report, published a year after the 2022
    one, repeats its tables: it is compared with the 2022 report it replaced (与上一年度报告完全相同), not taken for
    a title whose year was corrected. The 2022 report stays stored, as the report of 2022 it was (review 112: it
    was lost, and 2022 called 逾期未发布)."""
    page = (CORPUS / "009_pingtan_social_affairs_bureau_2023.html").read_bytes().decode()
    year_before = page.replace("2023", "2022").replace("2024", "2023")
    portal.add("/nb/", listing([("t.html", "平潭综合实验区社会事业局政府信息公开工作年度报告")]))
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    for html in (year_before, page):
        portal.add("/nb/t.html", html)
        await poll(cfg, today=TODAY)
    store = db(cfg)
    try:
        docs = {d.year: d for d in store.reports()}
    finally:
        store.close()
    assert sorted(docs) == [2022, 2023]
    assert "history.same_tables" in [f.rule for f in docs[2023].latest.findings]


async def test_a_report_stored_by_an_older_govmon_at_a_new_address_is_not_new(portal, tmp_path):
    """A report stored by an older govmon (which hashed it otherwise) that the portal moves to a new address, bytes
    unchanged (http to https, a new path): it is the report already stored, not a second 新发现报告."""
    soup = _soup("009_pingtan_social_affairs_bureau_2023.html")
    title = "平潭综合实验区社会事业局2023年政府信息公开工作年度报告"
    portal.add("/nb/", listing([("t.html", title)]))
    _serve(portal, soup)
    cfg = settings(tmp_path, [("pt", "government", f"{portal.base}/nb/")])
    await poll(cfg, today=TODAY)
    _as_an_older_govmon_hashed_it(cfg)
    portal.add("/nb/", listing([("new/t.html", title)]))
    portal.add("/nb/new/t.html", str(soup))
    del portal.pages["/nb/t.html"]
    (r,) = await poll(cfg, today=TODAY)
    assert (r.error, r.new_versions) == (None, 0)
    store = db(cfg)
    kinds = [e.event.kind for e in store.events()]
    store.close()
    assert kinds.count("new_report") == 1
