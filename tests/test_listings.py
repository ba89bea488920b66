"""Listing pages as portals' CMSs write them (tests/fixtures/listings): what a careful reader takes as each body's
report and its year, what only looks like one, and where the listing goes on; then the alerts that follow, polled
from a real portal on 127.0.0.1 with real reports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import SEEDS, per_store
from portal import listing, settings
from test_watcher import db, event_kinds, poll

from monitor.model import DEFAULT_LINK_PATTERN
from monitor.model.bodies import Body
from monitor.store.encoding import listing_json, listing_of
from monitor.store.records import Listing
from monitor.watch import link_words
from monitor.watch.behind import NOT_A_REPORT
from monitor.watch.discover import COLUMN, CUT, FOUND_BY, NOTICE, SCRIPTED, UNOPENED, YEAR_ONLY, discover
from monitor.watch.pagers import UNFOLLOWED

LISTINGS = Path(__file__).parent / "fixtures" / "listings"
PAGE = "http://www.pingtan.gov.cn/c/nb/index.html"
PATTERN = re.compile(DEFAULT_LINK_PATTERN)
ART = "http://www.pingtan.gov.cn/c/art/"
Y2019 = (ART + "2020/t20200120_1.html", 2019, "")  # the body's 2019 report, on most of the pages

store_kind = per_store(__name__)

# file -> the links a careful reader takes (URL, year, why it may not be the report) and the next page
EXPECTED = {
    # the breadcrumb's 政府信息公开年报 is the column: opened only to see that it is not a report
    "breadcrumb_column_link.html": ([("http://www.pingtan.gov.cn/zwgk/nb/", None, COLUMN), Y2019], None),
    # a notice and a correction about the 2023 report are not it unless what they open is one; a 图解 never is
    "notices_about_the_report.html": (
        [
            (ART + "2024/t20240105_1.html", 2023, NOTICE),
            (ART + "2024/t20240301_1.html", 2023, NOTICE),
            (ART + "2024/t20240106_1.html", 2023, NOTICE),  # its issuer before 关于
            Y2019,
        ],
        None,
    ),
    "jiedu_beside_report.html": ([(ART + "2024/t20240126_1.html", 2023, ""), Y2019], None),
    "truncated_title.html": ([(ART + "2024/t20240126_1.html", 2023, CUT), Y2019], None),
    "title_split_by_markup.html": (
        [
            (ART + "2024/t20240126_1.html", 2023, ""),
            (ART + "2023/t20230128_1.html", 2022, ""),
            (ART + "2022/t20220125_1.html", 2021, ""),
            Y2019,
        ],
        None,
    ),
    "scripted_links.html": (
        [
            (ART + "2024/t20240126_1.html", 2023, ""),
            (ART + "2023/t20230128_1.html", 2022, ""),
            (ART + "2022/t20220125_1.html", 2021, ""),
            Y2019,
        ],
        None,
    ),
    "base_href.html": ([("http://www.pingtan.gov.cn/col/art/2024/t20240126_1.html", 2023, "")], None),
    "hidden_template_row.html": ([Y2019], None),
    "publication_month_in_title.html": ([(ART + "2024/t20240126_1.html", None, ""), Y2019], None),
    "year_spellings.html": (
        [(ART + "2023/t1.html", 2022, ""), (ART + "2024/t2.html", 2023, ""), (ART + "2025/t3.html", 2024, "")],
        None,
    ),
    "next_page_words.html": ([Y2019], "http://www.pingtan.gov.cn/c/nb/index_1.html"),
    "trs_pager_variables.html": ([Y2019], "http://www.pingtan.gov.cn/c/nb/index_1.html"),
    "sidebar_more_link.html": ([Y2019], "http://www.pingtan.gov.cn/c/nb/index_1.html"),
    "meta_refresh.html": ([], "http://www.pingtan.gov.cn/zwgk/nb/list.html"),
}


def test_every_listing_fixture_is_read():
    assert sorted(EXPECTED) == sorted(p.name for p in LISTINGS.glob("*.html"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_listing_as_a_careful_reader_reads_it(name):
    links, next_page = discover((LISTINGS / name).read_text(encoding="utf-8"), PAGE, PATTERN)
    want, want_next = EXPECTED[name]
    assert [(x.url, x.year, x.doubt) for x in links] == want
    assert next_page == want_next


def test_titles_as_a_reader_reads_them():
    links, _ = discover((LISTINGS / "title_split_by_markup.html").read_text(encoding="utf-8"), PAGE, PATTERN)
    assert links[0].title == "平潭综合实验区社会事业局 2023年政府信息公开工作年度报告"
    links, _ = discover((LISTINGS / "publication_month_in_title.html").read_text(encoding="utf-8"), PAGE, PATTERN)
    assert links[0].title == "平潭综合实验区社会事业局政府信息公开工作年度报告"  # the month it was published is no year


@pytest.mark.parametrize(
    "pager",
    [
        '<a href="index_1.html">下一页 <i class="fa fa-angle-right"></i></a>',
        '<a href="index_1.html"><img src="/images/next.gif" alt="下一页"></a>',
        '<a href="index_1.html" title="下一页"><i class="icon-next"></i></a>',
        '<a href="index_1.html">[下一页]</a>',
        '<a href="index_1.html">下一页&gt;&gt;</a>',
        # a pager's >, before its >> (the last page on many pagers)
        '<a href="index_5.html">&gt;&gt;</a><a href="index_1.html">&gt;</a>',
        "<script>createPageHTML('page_div', 6, 1, 'index', 'html', 80);</script>",  # counting from 1
    ],
)
def test_the_next_page_as_pagers_write_it(pager):
    html = f'<ul><li><a href="t.html">2019年政府信息公开工作年度报告</a></li></ul><div class="page">{pager}</div>'
    assert discover(html, PAGE, PATTERN)[1] == "http://www.pingtan.gov.cn/c/nb/index_1.html"


@pytest.mark.parametrize(
    "text",
    [
        "2023年政务公开工作要点...",  # not a report's phrase however it goes on
        "政府信息...",  # no year, and too little of the phrase
        "2023年...",  # nothing of the phrase
        "XX县政府信息公开",  # no cut mark, no year: a menu's link
        "2023年政府信息公开",  # no cut mark, and the phrase not cut within its last words: a year's tab
        "关于进一步做好政府信息公开...",  # review 98: no year, and not into the phrase's last words (a headline)
        "XX县扎实推进2023年政府信息公开工作",  # a headline's full words, no cut mark
    ],
)
def test_a_title_cut_short_is_a_report_only_where_its_words_lead_to_one(text):
    assert discover(f'<a href="t.html">{text}</a>', PAGE, PATTERN)[0] == []


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("XX县住房和城乡建设局2023年政...", 2023),  # review 97: one character of the phrase, right after its year
        ("XX县住房和城乡建设局2023年政府...", 2023),  # (政府工作报告 as well: opened, the report only if it is one)
        ("XX县自然资源和规划局政府信息公开工作年...", None),  # no year, but six characters of the phrase and more
        ("XX县卫生健康委员会2023年政府信息公开工作年度报", 2023),  # a template cutting at a fixed length, no mark
        ("XX县卫生健康委员会2023年政府信息公开年", 2023),
    ],
)
def test_a_title_cut_short_at_any_length_is_opened(text, year):
    """Review 97: a county column's template cuts long departments' titles at a fixed length, "…2023年政..." or with
    no mark at all; each missed title was a false late alarm. It is read, and is the report only if it opens one."""
    (link,) = discover(f'<ul><li><a href="t.html">{text}</a></li></ul>', PAGE, PATTERN)[0]
    assert (link.year, link.doubt) == (year, CUT)


@pytest.mark.parametrize("cut", ["...", "…", "……", "．．．", "⋯", "・・・"])
def test_a_title_cut_short_however_the_list_marks_the_cut(cut):
    (link,) = discover(f'<a href="t.html">XX县2023年政府信息公开工作年度{cut}</a>', PAGE, PATTERN)[0]
    assert (link.year, link.doubt) == (2023, CUT)  # opened: the report only if what it opens is one


def test_a_tab_a_script_shows_is_read_with_its_links():
    # a panel of tabs hidden until clicked holds real reports; only a row hidden among seen ones is a template
    html = (
        '<div class="tab" style="display:none"><ul><li><a href="t.html">2021年政府信息公开工作年度报告</a></li>'
        '<li style="display:none"><a href="x.html">XXXX年政府信息公开工作年度报告</a></li></ul></div>'
    )
    assert [x.year for x in discover(html, PAGE, PATTERN)[0]] == [2021]


# ---------------------------------------------------------------- the alerts that follow, polled end to end
TONGLIAO = SEEDS["tongliao"].read_bytes()  # 通辽市2021年政府信息公开工作年度报告
LAIXI = SEEDS["laixi"].read_bytes()  # 2020年莱西市政府信息公开工作年度报告
NOTICE_PAGE = (
    "<html><body><h1>关于报送2022年度政府信息公开工作年度报告的通知</h1><p>各旗县区人民政府、市直各部门：</p>"
    "<p>请于2023年1月31日前报送本单位2022年度政府信息公开工作年度报告。报告应包括：一、总体情况；二、主动公开政府信息"
    "情况；三、收到和处理政府信息公开申请情况；四、政府信息公开行政复议、行政诉讼情况；五、存在的主要问题及改进情况；"
    "六、其他需要报告的事项。</p></body></html>"
)
JIEDU_PAGE = (
    "<html><body><h1>《通辽市2022年政府信息公开工作年度报告》解读</h1><p>一、总体情况</p><p>2022年，通辽市坚持以公开为"
    "常态、不公开为例外，全年主动公开政府信息12000余条。</p><p>二、主动公开政府信息情况</p><p>制发规章0件。</p>"
    "<p>三、收到和处理政府信息公开申请情况</p><p>全年新收申请120件，均按期答复。</p></body></html>"
)


@pytest.mark.parametrize(
    "lookalike",
    [
        ("../nb/", "政府信息公开年报"),  # the breadcrumb's link to the column (the listing itself)
        ("n.html", "关于报送2022年度政府信息公开工作年度报告的通知"),
        ("n.html", "关于通辽市2022年政府信息公开工作年度报告的更正说明"),
        ("j.html", "《通辽市2022年政府信息公开工作年度报告》解读"),
        ("gone.html", "政府信息公开年报 &gt;&gt;"),  # a menu's link to a column that answers 404
    ],
)
async def test_what_only_looks_like_a_report_neither_hides_a_missing_one_nor_reads_as_one(portal, tmp_path, lookalike):
    # The 2022 report of 通辽 is not on its listing after the deadline: 逾期未发布, whatever else the page links
    # to. A link that held it back (a column's name without a year, failing; a notice's year) mailed nothing.
    portal.add("/nb/", listing([lookalike, ("t2021.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/t2021.html", TONGLIAO, content_type="text/plain")
    portal.add("/nb/n.html", NOTICE_PAGE)
    portal.add("/nb/j.html", JIEDU_PAGE)
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg, today=date(2023, 4, 1))  # 2022's deadline (31 March) has passed
    store = db(cfg)
    kinds, missing = (
        event_kinds(store),
        [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"],
    )
    years = sorted(doc.year or 0 for doc in store.reports("city"))
    store.close()
    assert (r.error, r.problems) == (None, [])  # nothing it could not read: a notice is no unreadable report
    assert missing == [2022]
    assert kinds.count("new_report") == 1
    assert years == [2021]  # the 解读 is not stored as 2022's report (its missing parts were mailed as errors)


@pytest.mark.parametrize("etag", [True, False])
async def test_a_notice_that_opened_no_report_is_read_again_only_when_it_changes(portal, tmp_path, etag):
    """The service polls a listing with a notice about the report every interval: the notice is asked for with its
    ETag (or its bytes compared) and not read again while it stays the same; once it holds the report, it is read."""
    from monitor.store import open_store  # noqa: PLC0415
    from monitor.watch.fetch import Fetcher  # noqa: PLC0415
    from monitor.watch.poll import Watcher  # noqa: PLC0415

    portal.add("/nb/", listing([("n.html", "关于报送2022年度政府信息公开工作年度报告的通知")]))
    portal.add("/nb/n.html", NOTICE_PAGE, etag=etag)
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    store = open_store(cfg)
    try:
        async with Fetcher(cfg.user_agent, 4, 2, retries=0) as f:
            watcher = Watcher(cfg, store, f, today=lambda: date(2023, 1, 10))
            reads = [(await watcher.poll())[0].read for _ in range(3)]
            portal.add("/nb/n.html", TONGLIAO, content_type="text/plain", etag=etag)  # now the report itself
            (r,) = await watcher.poll()
    finally:
        store.close()
    assert reads == [1, 0, 0]
    assert portal.not_modified["/nb/n.html"] == (2 if etag else 0)
    assert (r.read, r.new_versions, r.error, r.problems) == (1, 1, None, [])


async def test_reports_behind_cut_titles_scripts_and_pagers_are_read(portal, tmp_path):
    # Page one: a breadcrumb to the column, a title cut short, and 下一页> to page two, whose TRS pager script is
    # written with variables and whose report opens by script. Both reports are read; neither is said missing.
    page1 = listing([("/nb/", "政府信息公开年报"), ("t2021.html", "通辽市2021年政府信息公开工作...")])
    page1 = page1.replace("</ul>", '</ul><div class="page"><a href="index_1.html">下一页&gt;</a></div>')
    page2 = (
        '<html><body><ul><li><a href="javascript:void(0)" onclick="window.open(\'t2020.html\')">'
        "2020年莱西市政府信息公开工作年度报告</a></li></ul><script>var currentPage = 1;var countPage = 3;"
        'createPageHTML(countPage, currentPage, "index", "html");</script></body></html>'
    )
    page3 = listing([("t2019.html", "2019年莱西市政府信息公开工作年度报告")])
    portal.add("/nb/", page1)
    portal.add("/nb/index_1.html", page2)
    portal.add("/nb/index_2.html", page3)
    portal.add("/nb/t2021.html", TONGLIAO, content_type="text/plain")
    portal.add("/nb/t2020.html", LAIXI, content_type="text/plain")
    portal.add(
        "/nb/t2019.html", LAIXI.replace("2020年莱西市".encode(), "2019年莱西市".encode()), content_type="text/plain"
    )
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    (r,) = await poll(cfg)
    store = db(cfg)
    kinds = event_kinds(store)
    titles = sorted((doc.year, doc.title) for doc in store.reports("city"))
    store.close()
    assert (r.error, r.problems, r.new_versions) == (None, [], 3)
    assert portal.hits["/nb/index_2.html"] == 1
    assert [year for year, _ in titles] == [2019, 2020, 2021]
    assert titles[2][1] == "通辽市2021年政府信息公开工作年度报告"  # the report's own title, not the cut one
    assert "missing" not in kinds


async def test_a_catalogue_whose_titles_name_no_body_lists_each_report_for_its_own_body(portal, tmp_path):
    # A 信息公开目录 of two bodies: its titles name none (the 发布机构 stands in a column of its own). Each report
    # listed there is its own body's, read or not read again: 通辽 has not published its 2020 report nor 莱西 its
    # 2021 one, and each is told so once its deadline is past (a title without a body had counted for every body).
    rows = [
        ("t2021.html", "2021年政府信息公开工作年度报告", "通辽市人民政府", "2022-01-20"),
        ("t2020.html", "2020年政府信息公开工作年度报告", "莱西市人民政府", "2021-01-29"),
    ]
    grid = "".join(
        f'<tr><td>1115-{i}</td><td><a href="{href}">{title}</a></td><td>{body}</td><td>{day}</td></tr>'
        for i, (href, title, body, day) in enumerate(rows)
    )
    portal.add(
        "/ml/",
        f"<html><body><table><tr><th>索引号</th><th>标题</th><th>发布机构</th><th>生成日期</th></tr>{grid}</table>"
        "</body></html>",
    )
    portal.add("/ml/t2021.html", TONGLIAO, content_type="text/plain")
    portal.add("/ml/t2020.html", LAIXI, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/ml/")])
    roster = (Body("通辽市人民政府", "government"), Body("莱西市人民政府", "government"))
    cfg = dataclasses.replace(cfg, sources=(dataclasses.replace(cfg.sources[0], bodies=roster),))
    (first,) = await poll(cfg, today=date(2022, 3, 1))  # read: before 2021's deadline
    (again,) = await poll(cfg, today=date(2022, 4, 1))  # unchanged (304s): after it
    store = db(cfg)
    missing = [
        (f.message, e.event.payload.to_json()["year"])
        for e in store.events()
        if e.event.kind == "missing"
        for f in e.event.payload.findings
    ]
    store.close()
    assert (first.new_versions, again.new_versions, again.problems) == (2, 0, [])
    assert [(message[:7], year) for message, year in missing] == [("通辽市人民政府", 2020), ("莱西市人民政府", 2021)]


@pytest.mark.parametrize(
    ("frame", "sent_to"),
    [
        ('<iframe src="list.html" width="100%"></iframe>', "http://www.pingtan.gov.cn/c/nb/list.html"),
        ('<iframe src="https://map.example.com/embed"></iframe>', None),  # another site's: no list of this column
    ],
)
def test_a_column_page_that_holds_its_list_in_a_frame(frame, sent_to):
    html = f"<html><body><h1>政府信息公开年报</h1>{frame}</body></html>"
    assert discover(html, PAGE, PATTERN) == ([], sent_to)


LIST_FRAME = '<iframe src="list.html" width="100%" height="800" frameborder="0" scrolling="no"></iframe>'
HOT = "<h3>热点信息</h3><a href='/x/t{}.html'>XX县公安局202{}年政府信息公开工作年度报告</a>"


@pytest.mark.parametrize(
    ("beside", "followed"),
    [
        ('<iframe src="count.html" width="0" height="0"></iframe>', True),  # review 102's M2: a counter's frame
        ('<iframe src="/stat/pv.html" style="display:none"></iframe>', True),
        ('<iframe src="/ad.html" width="300" height="250"></iframe>', False),  # two frames a reader sees: which?
        (HOT.format(1, 3), True),  # review 102's H2: a 热点 box's report beside the list's frame
        (HOT.format(1, 3) + HOT.format(2, 2), False),  # review 104: a list of reports of its own (beside a map's)
        ('<noscript><iframe src="/stat/count.jsp"></iframe></noscript>', True),  # a counter for no-script browsers
        ('<div class="pop" style="display:none"><iframe src="/login.html" height="500"></iframe></div>', True),
        ('<iframe src="/files/nb2024.pdf" height="800"></iframe>', True),  # review 107: a report's preview
        ('<iframe src="/pdfjs/web/viewer.html?file=/files/nb2024.pdf" height="800"></iframe>', True),
    ],
)
def test_a_frame_holding_the_list_beside_a_counter_s_frame_or_a_box_s_report(beside, followed):
    html = f"<html><body><h1>政府信息公开年报</h1>{LIST_FRAME}{beside}</body></html>"
    assert discover(html, PAGE, PATTERN)[1] == ("http://www.pingtan.gov.cn/c/nb/list.html" if followed else None)


def test_a_short_frame_beside_a_report_link_is_a_header_s_not_the_list():
    html = f"<iframe src='/top.html' height='120'></iframe>{HOT.format(1, 3)}"
    assert discover(html, PAGE, PATTERN)[1] is None


# what the review of the first version of these rules found missed or taken wrongly (each a false 逾期未发布)
@pytest.mark.parametrize(
    ("title", "year", "doubt"),
    [
        ("平潭综合实验区2023年政府信息公开工作年度报告（更正版）", 2023, ""),  # the corrected report itself
        ("平潭综合实验区2023年政府信息公开工作年度报告（修订）", 2023, ""),
        ("平潭综合实验区社会事业局2023年政府信息公开工作年度报告（含解读）", 2023, ""),  # a report with its 解读
        ("2023年政府信息公开工作年度报告及解读", 2023, ""),
        ("平潭综合实验区2023年政府信息公开工作年度报告（附图解）", 2023, ""),
        ("关于公布平潭综合实验区2023年政府信息公开工作年度报告的公告", 2023, NOTICE),  # opened: its attachment read
        ("关于平潭综合实验区2023年政府信息公开工作年度报告的更正说明", 2023, NOTICE),
        ("平潭综合实验区管委会办公室关于报送2023年政府信息公开工作年度报告的通知", 2023, NOTICE),  # its issuer first
        ("平潭综合实验区管委会办公室印发《2023年政府信息公开工作年度报告》的通知", 2023, NOTICE),
        ("平潭综合实验区2023年政府信息公开工作年度报告（图文版）", 2023, ""),  # the report, told in pictures
        ("政府信息公开工作年度报告", None, COLUMN),  # opened: a body's column titles its reports so too
        # review 97: wordings a body titles its report in, each missed (a false late alarm)
        ("XX县交通运输局2023年政府信息公开年度工作报告", 2023, ""),
        ("XX县司法局政府信息公开工作2023年度报告", 2023, ""),
        ("XX县政务服务中心政府信息\u200b公开工作年度报告（2023年）", 2023, ""),  # a zero-width space in its words
        ("XX县人社局政府信息公\u00ad开工作年度报告（2023年）", 2023, ""),  # a soft hyphen
        ("XX县教育局政府信息公开工作年度报告-2023", 2023, ""),  # its year after a dash, or before one, or before .pdf
        ("2023-某县民政局政府信息公开工作年度报告", 2023, ""),
        ("XX县卫健委政府信息公开工作年度报告2023.pdf", 2023, ""),
        # review 97: about writing reports, or news of it: read, the report only if it opens one (its year held
        # back every body's late alarm, naming none)
        ("2023年政府信息公开工作年度报告编制要求", 2023, NOTICE),
        ("XX县召开2023年度政府信息公开工作年度报告编制培训会", 2023, NOTICE),
        ("关于XX县2023年政府信息公开工作年度报告部分数据的更正", 2023, NOTICE),
        ("XX县2023年政府信息公开工作年度报告勘误", 2023, NOTICE),
        # review 98: those words inside a body's name are no notice, and a report "…更正" is the report
        ("XX市推进会展业发展办公室2023年政府信息公开工作年度报告", 2023, ""),
        ("XX市推进会展业发展办公室2023年政府信息公开工作...", 2023, CUT),
        ("XX县2023年政府信息公开工作年度报告更正", 2023, ""),
        # review 102: a year's 工作情况报告 is the report (each missed: a false late alarm); news of the report, a
        # 通报 on who published, a draft or a template are read, the report only if they open one
        ("平潭综合实验区2025年政府信息公开工作情况报告", 2025, ""),
        ("平潭综合实验区2023年度政府信息公开工作情况的报告", 2023, ""),
        ("平潭综合实验区2022年度政务公开工作情况报告", 2022, ""),
        ("平潭综合实验区2025年政府信息公开工作情...", 2025, CUT),
        ("关于2025年度各单位政府信息公开工作年度报告发布情况的通报", 2025, NOTICE),
        ("平潭综合实验区2025年政府信息公开工作年度报告征求意见稿", 2025, NOTICE),
        ("2025年政府信息公开工作年度报告格式模板", 2025, NOTICE),
        ("我区发布2025年政府信息公开工作年度报告", 2025, NOTICE),
        ("平潭综合实验区2025年政府信息公开工作年度报告新闻发布会", 2025, NOTICE),
    ],
)
def test_report_titles_that_name_a_correction_or_an_explainer(title, year, doubt):
    (link,) = discover(f'<ul><li><a href="t.html">{title}</a></li></ul>', PAGE, PATTERN)[0]
    assert (link.year, link.doubt) == (year, doubt)


@pytest.mark.parametrize(
    "title",
    [
        "《平潭综合实验区2023年政府信息公开工作年度报告》解读",
        "图解：平潭综合实验区2023年政府信息公开工作年度报告",
        # review 97: as other portals title them (each was taken for the report, and held back its late alarm)
        "（图解）XX县2023年政府信息公开工作年度报告",
        "漫画解读：XX县2023年政府信息公开工作年度报告",
        "图表解读：XX县2023年政府信息公开工作年度报告",
        "一图速览｜XX县2023年政府信息公开工作年度报告",
        "XX县2023年政府信息公开工作年度报告（图解版）",
        "XX县2023年政府信息公开工作年度报告（解读版）",
        "XX县2023年政府信息公开工作年度报告解读稿",
        # review 102: each was taken for the report (and, opening none, held back the late alarm)
        "平潭综合实验区2025年政府信息公开工作年度报告答记者问",
        "图读｜平潭综合实验区2025年政府信息公开工作年度报告",
        "H5｜平潭综合实验区2025年政府信息公开工作年度报告",
        "【视频】平潭综合实验区2025年政府信息公开工作年度报告",
        "数读平潭综合实验区2025年政府信息公开工作年度报告",
        "平潭综合实验区2025年政府信息公开工作年度报告（英文版）",
        "平潭综合实验区2025年政府信息公开工作年度报告（摘要）",
    ],
)
def test_an_explainer_of_a_report_is_not_it(title):
    assert discover(f'<a href="t.html">{title}</a>', PAGE, PATTERN)[0] == []


@pytest.mark.parametrize("words", ["[解读]", "图解", "【政策解读】"])
def test_an_explainer_s_button_titled_with_the_report_s_name_is_not_it(words):
    """Review 97: a 解读 button beside the report whose title attribute repeats the report's name was taken for it."""
    title = "XX县2023年政府信息公开工作年度报告"
    row = f'<li><a href="r.html">{title}</a> <a href="j.html" title="{title}">{words}</a></li>'
    assert [x.url.rsplit("/", 1)[1] for x in discover(f"<ul>{row}</ul>", PAGE, PATTERN)[0]] == ["r.html"]


def test_a_date_card_s_year_and_month_before_its_day_are_no_report_year():
    """Review 97: a card "2024年01月 26" (its day after a space, no 日) gave the 2023 report the year 2024."""
    card = '<li><a href="t.html"><span>2024年01月 26</span> XX县教育局政府信息公开工作年度报告</a></li>'
    assert [x.year for x in discover(f"<ul>{card}</ul>", PAGE, PATTERN)[0]] == [None]


def test_a_date_card_beside_a_title_without_a_year_gives_it_none():
    card = '<li><a href="t.pdf"><div class="date"><b>2025</b><i>01-20</i></div><p>政府信息公开工作年度报告</p></a></li>'
    assert [x.year for x in discover(f"<ul>{card}</ul>", PAGE, PATTERN)[0]] == [None]


def test_rows_a_more_button_shows_are_read():
    html = (
        '<ul><li><a href="a.html">平潭综合实验区公安局2024年政府信息公开工作年度报告</a></li>'
        '<li class="more" style="display:none"><a href="b.pdf">淮安市洪泽区2024年政府信息公开工作年度报告</a></li>'
        '</ul><a href="javascript:void(0)" onclick="$(\'.more\').show()">展开更多</a>'
    )
    assert len(discover(html, PAGE, PATTERN)[0]) == 2


@pytest.mark.parametrize(
    ("html", "page", "want"),
    [  # a pager's arrow to a page in another folder; TRS's pages named after the listing's own file
        ('<div class="pages"><a href="/ml/page/2/">&gt;</a></div>', "http://a.cn/ml/", "http://a.cn/ml/page/2/"),
        (
            '<div>共3页 <a href="/list/nb_2.html">&gt;</a></div>',
            "http://a.cn/list/nb.html",
            "http://a.cn/list/nb_2.html",
        ),
        (
            '<script>createPageHTML(2, 0, "list_5046", "html");</script>',
            "http://a.cn/nb/list_5046.html",
            "http://a.cn/nb/list_5046_1.html",
        ),
        ('<div class="box"><h3>通知公告</h3><a href="/tzgg/">&gt;&gt;</a></div>', "http://a.cn/nb/index.html", None),
    ],
)
def test_pagers_in_other_folders_and_files(html, page, want):
    assert discover(html, page, PATTERN)[1] == want


_ROW = '<ul><li><a href="t1.html">XX县2025年政府信息公开工作年度报告</a></li></ul>'


@pytest.mark.parametrize(
    ("pager", "want"),
    [
        # review 102: each was taken for the listing's last page, and a body on its next page called late
        ('<a href="index_1.html">后页</a>', "index_1.html"),
        ('<a href="index_1.html">下一頁</a>', "index_1.html"),
        ("<input type=button value=下一页 onclick=\"location.href='index_1.html'\">", "index_1.html"),
        ("<span class=next onclick=\"location.href='index_1.html'\">下一页</span>", "index_1.html"),
        ('共2页 当前第1页 <a href="javascript:void(0)" onclick="goPage(2)">下一页</a>', UNFOLLOWED),  # a form posted
        ('1/3页 <a href="javascript:void(0)" onclick="turnPage(2)">下页</a>', UNFOLLOWED),
        ('当前第1页/共2页 <a href="javascript:goPage(2)">下一页</a>', UNFOLLOWED),
        # the counter-cases: a last page's pager, a button that does nothing, a pager that says nothing of more
        # pages (review 103: each silenced the true late alarms of a listing read whole)
        ('共3页 当前第3页 <a href="javascript:void(0)" onclick="goPage(3)">下一页</a>', None),
        ('<a href="javascript:void(0)" class="disabled">下一页</a>', None),
        ('<a href="javascript:void(0)">下一页</a>', None),
        ('<a href="javascript:goPage(2)">下一页</a>', None),
        ("<a href=\"javascript:void(0)\" onclick=\"location.href='index_'+(1)+'.html'\">下一页</a>", None),  # built
        ("<span>下一页</span>", None),
        ('<a href="javascript:void(0)">下一页</a> <select><option>第1页</option><option>第2页</option></select>', None),
    ],
)
def test_a_next_page_a_button_or_a_form_goes_to(pager, want):
    other = '<div class="news">共5页 当前第1页</div>'  # another box's pager says nothing of this list (review 103)
    links, next_page = discover(f'{_ROW}<div class="pg">{pager}</div>{other}', PAGE, PATTERN)
    assert len(links) == 1
    assert next_page == (want if want in (None, UNFOLLOWED) else urljoin(PAGE, want))


@pytest.mark.parametrize(
    "row",
    [
        # review 102: rows a click opens, and a cover picture, each missed (its year then called missing)
        "<table><tr onclick=\"location.href='/art/2025/t1.html'\"><td>XX县2025年政府信息公开工作年度报告</td>"
        "<td>2026-01-20</td></tr></table>",
        "<ul><li onclick=\"window.open('/art/2025/t1.html')\">XX县2025年政府信息公开工作年度报告</li></ul>",
        '<a href="/art/2025/t1.html"><img src="cover.jpg" alt="XX县2025年政府信息公开工作年度报告"></a>',
    ],
)
def test_a_report_a_row_s_click_or_a_cover_picture_opens(row):
    # (doubtful: read, and the report only if it opens one: a banner's picture, a 专题's row, review 103)
    (link,) = discover(row, PAGE, PATTERN)[0]
    assert (link.url, link.year, link.doubt) == (urljoin(PAGE, "/art/2025/t1.html"), 2025, SCRIPTED)


def test_a_box_s_years_beside_reports_named_in_full_are_not_the_page_s():
    """Review 104's H5: 公安局's column, its reports named in full, beside a box of the zone's 年报 by year only
    (2021年, 2019年): opened, they made the zone expected on 公安局's column and called it late. A year's link in a
    row naming its body is still read, and one in the list of reports named in full (its newest row's words cut to
    2025年度报告: review 105, dropped and called late)."""
    html = (
        "<title>政府信息公开年报</title><ul><li><a href='/a/2.html'>2025年度报告</a></li>"  # (review 105: in the list)
        "<li><a href='/a/1.html'>XX县公安局2024年政府信息公开工作年度报告</a></li></ul>"
        "<div class='side'><h3>管委会政府信息公开年报</h3><a href='/z/2021.html'>2021年</a><a href='/z/2019.html'>2019年</a>"
        "</div><table><tr><td>XX县财政局</td><td><a href='/c/2024.html'>2024年度报告</a></td></tr></table>"
    )
    assert [x.title for x in discover(html, PAGE, PATTERN)[0]] == [
        "2025年度报告",
        "XX县公安局2024年政府信息公开工作年度报告",
        "XX县财政局2024年度报告",
    ]


@pytest.mark.parametrize(
    ("head", "found"),
    [
        ("<title>部门政府信息公开工作年度报告</title>", True),  # review 102's 部门年报 table: its title says so
        ("<title>首页</title><h3>政府信息公开年报</h3>", True),  # …or a heading
        ("<title>首页</title><table><tr><th>单位</th><th>年度报告</th></tr></table>", True),  # …or its header
        ("<title>工作动态</title><h3>新闻归档</h3>", False),  # a news archive's years are no reports
    ],
)
def test_a_table_of_bodies_by_year_whose_links_are_only_years(head, found):
    """Review 102's H5: a link whose words are only a year (2025年度报告, 2025年, 2024年报) is a report where the page
    says it lists reports, doubtful (the page it opens decides), named by its row's first cell."""
    html = (
        f"<html><head>{head if head.startswith('<title>') else ''}</head><body>{head.partition('</title>')[2]}"
        "<table><tr><td>XX县公安局</td><td><a href='/a/1.html'>2025年度报告</a></td><td><a href='/a/2.html'>2024年</a>"
        "</td></tr><tr><td><a href='/a/3.html'>2024年报</a></td></tr></table></body></html>"
    )
    links = discover(html, PAGE, PATTERN)[0]
    expected = [("XX县公安局2025年度报告", 2025), ("XX县公安局2024年", 2024), ("2024年报", 2024)]
    assert [(x.title, x.year) for x in links] == (expected if found else [])
    assert all(x.doubt == YEAR_ONLY for x in links)


@pytest.mark.parametrize(
    ("script", "link", "url"),
    [  # review 102's H3: a site's function given an id or two, written in the page: its address built
        (
            "function openDoc(id){ window.open('/s3/detail.html?id=' + id); }",
            "openDoc('8a8b')",
            "/s3/detail.html?id=8a8b",
        ),
        ("function openDetail(id,c){location.href='/'+c+'/'+id+'.html'}", "openDetail(2019,'nb')", "/nb/2019.html"),
        # …one building it of more than its strings and arguments, or in a script file: not followed, told
        ("function openDoc(id){window.open(base()+id)}", "openDoc('8a8b')", None),
        ("", "showInfo('9f3c')", None),
    ],
)
def test_a_report_a_site_function_opens(script, link, url):
    html = (
        f"<html><head><script>{script}</script></head><body><a href='javascript:void(0)' onclick=\"{link}\">"
        "XX县2025年政府信息公开工作年度报告</a></body></html>"
    )
    (found,) = discover(html, PAGE, PATTERN)[0]
    assert found.year == 2025
    if url is not None:
        assert (found.url, found.doubt) == (urljoin(PAGE, url), "")
    else:  # listed under the listing's address and the call: never fetched, its report told as not read
        assert (found.url, found.doubt) == (f"{PAGE}#{link}", UNOPENED)


def test_words_without_an_address_are_no_link_and_a_followed_twin_is_the_only_one():
    html = (
        "<a>XX县2024年政府信息公开工作年度报告</a>"  # no address and no script: a heading's words, no link
        "<a onclick=\"showInfo('1')\">XX县2023年政府信息公开工作年度报告</a>"  # a row's title a script opens…
        "<a href='/nb/2023.html'>XX县2023年政府信息公开工作年度报告</a>"  # …beside its 查看 link, followed
        "<a href='#' data-id='8a8b77'>XX县2022年政府信息公开工作年度报告</a>"  # a listener on its class opens its id
        "<a href='#'>XX县2021年政府信息公开工作年度报告</a>"  # …given none: a heading's, a tab's (review 104)
        "<a href='javascript:void(0)' onclick='showTab(1)'>2020年度政府信息公开工作年度报告</a>"  # a tab
        "<a onclick=\"openDoc('77aa')\">关于做好2019年度政府信息公开工作年度报告编制和发布工作的通知</a>"  # a notice
        "<a href='javascript:void(0)' onclick='showTab(2017)'>2017年度政府信息公开工作年度报告</a>"  # a year's tab
        "<a href='#nb2016' data-toggle='tab' data-id='nb2016'>XX县2016年政府信息公开年报</a>"  # (review 107)
        "<a href='/nb/2018.html'>XX县2018年政府信息公开工作年...</a>"  # a title cut short, followed, and…
        "<a onclick=\"fav('XX县2018年政府信息公开工作年度报告')\">XX县2018年政府信息公开工作年度报告（PDF版）</a>"  # …a button
    )
    links = discover(html, PAGE, PATTERN)[0]
    assert [(x.year, x.doubt) for x in links] == [(2023, ""), (2018, CUT), (2022, UNOPENED)]


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ("if(this.value) window.location.href=this.value", True),  # review 102's H4: a 年度 select, no link beside
        ("window.open(this.options[this.selectedIndex].value)", True),
        ("filterList(this.value)", False),  # a select filtering the list a script draws: no address
        ("location.href='?year='+this.value", False),  # review 104: an address built of the value, not the value
    ],
)
def test_a_select_of_years_whose_choice_opens_a_report(change, found):
    html = (
        f"<title>XX县政府信息公开年报</title><select onchange=\"{change}\"><option value=''>请选择</option>"
        "<option value='/nb/2025.html'>2025年</option><option value='/nb/2024.html'>XX县2024年政府信息公开工作年度报告"
        "</option></select>"
    )
    links = discover(html, PAGE, PATTERN)[0]
    expected = [(urljoin(PAGE, "/nb/2025.html"), 2025, YEAR_ONLY), (urljoin(PAGE, "/nb/2024.html"), 2024, SCRIPTED)]
    assert [(x.url, x.year, x.doubt) for x in links] == (expected if found else [])


@pytest.mark.parametrize(
    "text",
    [
        "XX县2023年政府信息公开工作...",
        "XX县2023年政…",
        "XX.…",
        "a..  ",
        "a.",
        "a。。",
        "a。。。",
        "・",
        "a・・x",
        "…",
        "",
    ],
)
def test_a_cut_mark_is_found_from_the_end_as_a_search_found_it(text):
    # review 102: the search for a mark at the end, from every start of a run of 40,000 dots, took 14 s a link
    searched = re.search(r"(\.{2,}|…+|⋯+|・{2,}|。{3,})\s*$", text)
    assert link_words._cut_at(text) == (searched.start() if searched else None)


def test_a_link_of_dot_leaders_is_read_once_from_its_end():
    leaders = "XX县2023年政府信息公开工作" + "." * 40_000
    (link,) = discover(f"<a href='t.html'>{leaders}</a><a href='u.html'>{'.' * 40_000}x</a>", PAGE, PATTERN)[0]
    assert (link.year, link.doubt) == (2023, CUT)


@pytest.mark.parametrize("words", ["区政府信息公开年报", "市政府信息公开年度报告", "社会事业局政府信息公开年报"])
def test_a_breadcrumb_s_link_to_this_very_listing_is_none_whatever_its_words(words):
    # review 106: read as a report with no year, not a report when opened, it held back every body's alarm for good
    html = f"<div class='crumb'><a href='./'>{words}</a></div><ul><li><a href='t.html'>XX县2024年政府信息公开工作年度报告</a></li></ul>"
    assert [x.year for x in discover(html, "http://www.pingtan.gov.cn/c/nb/", PATTERN)[0]] == [2024]


def test_a_column_saying_it_lists_nothing_beside_a_widget_s_frame_is_not_sent_to_it():
    # review 106: an empty column's 最新年报 widget frame, followed as its list, made other bodies' reports its own
    html = (
        "<h1>政府信息公开年报</h1><div class='list'>暂无信息</div>"
        "<iframe src='/widget/newest.html' width='100%' height='420'></iframe>"
    )
    assert discover(html, PAGE, PATTERN) == ([], None)


def test_rows_clicked_inside_rows_are_read_once():
    # A hostile page: 8,000 clicked blocks nested in one another were each read whole (30 s); the innermost is read.
    html = "".join("<div onclick=\"location.href='a.html'\">x" for _ in range(8000)) + "</div>" * 8000
    assert discover(html, PAGE, PATTERN) == ([], None)


@pytest.mark.parametrize(
    ("title", "year"),
    [
        (
            "2026年平潭综合实验区2025年度政府信息公开工作年度报告",
            2025,
        ),  # review 102: the year published, then the report's
        ("二〇二六年XX县二〇二五年政府信息公开工作年度报告", 2025),
        ("XX县2023年政府信息公开工作年度报告（2024年1月发布）", 2023),
    ],
)
def test_a_title_naming_two_years_is_the_report_s_year(title, year):
    (link,) = discover(f'<a href="t.html">{title}</a>', PAGE, PATTERN)[0]
    assert link.year == year


def test_a_base_that_is_no_web_address_is_none():
    # review 102: <base href="javascript:void(0)"> lost every relative link of the listing
    html = '<head><base href="javascript:void(0)"></head><a href="t.html">XX县2025年政府信息公开工作年度报告</a>'
    (link,) = discover(html, PAGE, PATTERN)[0]
    assert link.url == urljoin(PAGE, "t.html")


def test_a_framed_list_beside_a_breadcrumb_to_the_column():
    html = '<div class="crumb"><a href="/zwgk/nb/">政府信息公开年报</a></div><iframe src="list.html"></iframe>'
    links, sent_to = discover(html, PAGE, PATTERN)
    assert [x.doubt for x in links] == [COLUMN]
    assert sent_to == "http://www.pingtan.gov.cn/c/nb/list.html"


def test_a_site_function_opening_a_page():
    html = "<a href=\"javascript:openWin('../art/t1.html')\">2023年政府信息公开工作年度报告</a>"
    assert [x.url for x in discover(html, PAGE, PATTERN)[0]] == [ART + "t1.html"]


def test_a_listing_is_kept_so_an_older_govmon_reads_it():
    # links three wide as ever (a worker not yet upgraded on a shared database, a rollback), their doubts apart
    kept = Listing((("u", "政府信息公开年报", None, COLUMN), ("v", "2023年…年度报告", 2023, "")), None, "p", FOUND_BY)
    text = listing_json(kept)
    assert [len(x) for x in json.loads(text)["links"]] == [3, 3]
    assert listing_of(text) == kept


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
HONGZE_2024 = (CORPUS / "002_huaian_hongze_district_2024.pdf").read_bytes()


def _article(title: str, attachment: str) -> str:
    return (
        f'<html><body><h1>{title}</h1><div class="TRS_Editor"><p>根据《中华人民共和国政府信息公开条例》规定，现予公布。'
        f'</p><p>附件：<a href="{attachment}">淮安市洪泽区2024年政府信息公开工作年度报告.pdf</a></p></div></body></html>'
    )


@pytest.mark.parametrize(
    ("title", "status"),
    [
        ("关于公布淮安市洪泽区2024年政府信息公开工作年度报告的公告", None),  # its attachment is the report
        ("政府信息公开工作年度报告", None),  # a body's column titling its reports so, the date beside
        ("关于淮安市洪泽区2024年政府信息公开工作年度报告的更正说明", 503),  # its page down: it may be the report
    ],
)
async def test_a_doubtful_link_that_is_the_report_or_may_be_hides_no_report(portal, tmp_path, title, status):
    portal.add("/nb/", listing([("a.html", title)]).replace("</li>", "<span>2025-01-20</span></li>"))
    portal.add("/nb/a.html", _article(title, "/files/2024.pdf"), status=[status] * 9 if status else [])
    portal.add("/files/2024.pdf", HONGZE_2024, content_type="application/pdf", charset=None)
    cfg = settings(tmp_path, [("hongze", "government", f"{portal.base}/nb/")])
    cfg = dataclasses.replace(cfg, sources=(dataclasses.replace(cfg.sources[0], agency="淮安市洪泽区人民政府"),))
    (r,) = await poll(cfg, today=date(2025, 6, 1))  # 2024's deadline (31 March) has passed
    store = db(cfg)
    kinds, years = event_kinds(store), [doc.year for doc in store.reports("hongze")]
    store.close()
    assert "missing" not in kinds
    if status:
        assert len(r.problems) == 1  # said: 无法读取, not silently dropped
    else:
        assert (r.problems, years) == ([], [2024])


async def test_a_notice_an_older_govmon_remembered_as_unreadable_is_let_go(portal, tmp_path):
    # Before doubtful links, a notice under a report's words failed as "页面不是报告" and was remembered by its bytes'
    # hash: told "could not read … not read again" at every poll. It is read again once, found no report, let go.
    title = "关于报送2022年度政府信息公开工作年度报告的通知"
    portal.add("/nb/", listing([("n.html", title), ("t2021.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/nb/n.html", NOTICE_PAGE)
    portal.add("/nb/t2021.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/")])
    store = db(cfg)
    store.sync_sources(cfg.sources)
    sha = hashlib.sha256(NOTICE_PAGE.encode()).hexdigest()
    store.mark_unreadable("city", f"{portal.base}/nb/n.html", NOT_A_REPORT, title=title, year=2022, sha256=sha)
    store.close()
    (r,) = await poll(cfg, today=date(2023, 4, 1))
    (again,) = await poll(cfg, today=date(2023, 4, 1))
    store = db(cfg)
    missing = [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"]
    unreadable = store.unreadable_reports("city")
    store.close()
    assert (r.problems, again.problems, unreadable) == ([], [], [])
    assert missing == [2022]


async def test_a_breadcrumb_to_the_listing_itself_is_not_opened(portal, tmp_path):
    # Every page of a real portal's column links the column by its name (the corpus's Pingtan pages do): a link to
    # the listing itself is not a report to open at every poll (a whole page fetched and read for nothing).
    page = listing([("/nb/", "政府信息公开年报"), ("t2021.html", "通辽市2021年政府信息公开工作年度报告")])
    portal.add("/nb/index.html", page)
    portal.add("/nb/", page)
    portal.add("/nb/t2021.html", TONGLIAO, content_type="text/plain")
    cfg = settings(tmp_path, [("city", "government", f"{portal.base}/nb/index.html")])
    (r,) = await poll(cfg)
    assert (r.error, r.problems, r.reports, portal.hits["/nb/"]) == (None, [], 1, 0)


# what the review of the second version found (each a false 逾期未发布 or one held back)
@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("淮安市洪泽区2024年政府信息公开工作年度报告及政策解读", True),  # the report, carrying its 解读
        ("淮安市洪泽区2024年政府信息公开工作年度报告暨图文解读", True),
        ("淮安市洪泽区2024年政府信息公开工作年度报告附：图解", True),
        ("【图解】淮安市洪泽区2024年政府信息公开工作年度报告", False),
        ("政策解读：淮安市洪泽区2024年政府信息公开工作年度报告", False),
        ("淮安市洪泽区2024年政府信息公开工作年度报告一图读懂", False),
        ("淮安市洪泽区2024年政府信息公开工作年度报告（图解）", False),  # the explainer, named in brackets
        ("淮安市洪泽区2024年政府信息公开工作年度报告【政策解读】", False),
        ("淮安市洪泽区2024年政府信息公开工作年度报告[解读]", False),
        ("淮安市洪泽区2024年政府信息公开工作年度报告（含图解）", True),
    ],
)
def test_a_report_that_carries_its_explainer_is_the_report(title, kept):
    assert len(discover(f'<a href="t.html">{title}</a>', PAGE, PATTERN)[0]) == int(kept)


def test_a_rows_arrow_to_its_own_report_is_not_the_next_page():
    """Each row of the list ends in a "&gt;" to its report, beside the listing, and the pager's own "&gt;" comes last:
    the next page is the pager's (the first row's arrow, first in the URLs' order, was taken)."""
    html = (
        '<ul><li><a href="a2024.html">平潭综合实验区2023年政府信息公开工作年度报告</a><a href="a2024.html">&gt;</a></li>'
        '<li><a href="a2023.html">平潭综合实验区2022年政府信息公开工作年度报告</a><a href="a2023.html">&gt;</a></li></ul>'
        '<div class="page"><a href="index_1.html">&gt;</a> <a href="index_3.html">&gt;&gt;</a></div>'
    )
    links, next_page = discover(html, "http://www.pingtan.gov.cn/c/nb/index.html", PATTERN)
    assert [x.year for x in links] == [2023, 2022]
    assert next_page == "http://www.pingtan.gov.cn/c/nb/index_1.html"


def test_a_pager_box_is_not_a_box_of_dates():
    html = '<div class="news"><span>2024/5/1</span><a href="/jd/">&gt;&gt;</a></div>'
    assert discover(html, "http://a.cn/nb/index.html", PATTERN)[1] is None


PINGTAN_2023 = (CORPUS / "009_pingtan_social_affairs_bureau_2023.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", ["pictured tables", "gone notice", "parent column"])
async def test_doubtful_links_a_second_review_found(portal, tmp_path, case):
    # pictured tables: a notice-titled report whose page gives its parts as text and its tables as pictures is the
    # report (it was dropped: no table's numbers). gone notice: a notice that answers 404 holds back no missing
    # report. parent column: a breadcrumb to the parent column, whose page lists other bodies' PDFs, is none.
    body = "平潭综合实验区社会事业局"
    if case == "pictured tables":
        title = f"关于公布{body}2023年政府信息公开工作年度报告的公告"
        pictured = re.sub(
            r"(?is)<table\b.*?</table>", '<p><img src="t.png" width="600" height="400"></p>', PINGTAN_2023
        )
        portal.add("/nb/a.html", pictured)
    elif case == "gone notice":
        title = "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"  # /nb/a.html answers 404
    else:
        title = "政府信息公开年报"
        reports = [
            ("/files/2023.pdf", "淮安市洪泽区2024年政府信息公开工作年度报告"),
            ("/files/x.pdf", "平潭综合实验区2019年政府信息公开工作年度报告"),
        ]
        portal.add("/nb/a.html", listing(reports))
        portal.add("/files/2023.pdf", HONGZE_2024, content_type="application/pdf", charset=None)
    portal.add("/nb/sub/", listing([("../a.html", title)]))
    cfg = settings(tmp_path, [("se", "department", f"{portal.base}/nb/sub/")])
    cfg = dataclasses.replace(cfg, sources=(dataclasses.replace(cfg.sources[0], agency=body),))
    (r,) = await poll(cfg, today=date(2024, 3, 1))  # 2023's deadline for a department (31 January) has passed
    store = db(cfg)
    missing = [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"]
    years = [doc.year for doc in store.reports("se")]
    store.close()
    assert r.problems == []
    assert (years, missing) == (([2023], []) if case == "pictured tables" else ([], [2023]))


@pytest.mark.parametrize("scripted", [True, False, "analytics"])
async def test_a_list_a_script_draws_beside_a_menu_link_to_the_column_calls_no_report_missing(
    portal, tmp_path, scripted
):
    """Review 97's G: a column whose list a script draws from data it holds (no link in the markup) and whose menu
    links the column itself: the menu's link stood for the list, and every year's report was called missing. Its
    poll now says the listing could not be read (未能检查). Without a script drawing it, such a page is an empty
    listing, and a year past its deadline is missing (a second review's "parent column")."""
    menu = '<div class="nav"><a href="/xxgk/nb/">政府信息公开年报</a></div><ul id="list"></ul>'  # (the site's own path)
    draws = (
        '<script>var d=[{"u":"/nb/t.html"}],h="";for(var i=0;i<d.length;i++){h+="<li><a href=\'"+d[i].u+"\'>"+'
        '"报告</a></li>";}document.getElementById("list").innerHTML=h;</script>'
    )
    stats = "<script>document.write(unescape(\"%3Cspan id='cnzz_stat_icon'%3E%3C/span%3E\"));</script>"  # no rows
    portal.add("/nb/", f"<html><body>{menu}{draws if scripted is True else stats if scripted else ''}</body></html>")
    portal.add("/xxgk/nb/", f"<html><body>{menu}</body></html>")
    cfg = settings(tmp_path, [("se", "department", f"{portal.base}/nb/")])
    (r,) = await poll(cfg, today=date(2024, 3, 1))
    store = db(cfg)
    missing = [e.event.payload.to_json()["year"] for e in store.events() if e.event.kind == "missing"]
    store.close()
    assert ("未能检查" in (r.error or ""), missing) == ((True, []) if scripted is True else (False, [2023]))


def test_a_listing_nested_deeper_than_libxml2_builds_lists_every_row():
    """A column whose rows each leave a ``<font>`` open (a list pasted from Word), in a real portal page's chrome: one
    level further in a row, and a browser shows every row. libxml2's tree stops 256 levels down, and the rows past
    it were lost, their bodies' reports never read (``reading.tree``)."""
    rows = "".join(
        f'<li><font color="#333333"><a href="/c/art/2024/t{n}.html">某某局2023年政府信息公开工作年度报告</a>'
        for n in range(300)
    )
    end = PINGTAN_2023.lower().rindex("</body>")
    links, _ = discover(f"{PINGTAN_2023[:end]}<ul>{rows}</ul>{PINGTAN_2023[end:]}", PAGE, PATTERN)
    rows_read = [(x.url, x.year) for x in links if x.url.startswith(ART + "2024/t")]
    assert rows_read == [(f"{ART}2024/t{n}.html", 2023) for n in range(300)]


def test_a_list_with_an_arrow_in_every_row_is_judged_once_not_once_a_row(monkeypatch):
    """Review 69: a row's › to its own article asks whether it stands in a pager (its row, its list, the list's
    box), and the whole list was read again for each row's arrow: 3,000 rows took 126 s. Each box is judged once."""
    from monitor.watch.markup import Page  # noqa: PLC0415

    rows = "".join(
        f'<li><a href="/art/{n}.html">某某局2023年政府信息公开工作年度报告</a> <a href="/art/{n}.html">›</a></li>'
        for n in range(300)
    )
    read: list[object] = []  # each link whose words were read to count a pager's numbers
    real = Page.close_words
    monkeypatch.setattr(Page, "close_words", lambda page, el: read.append(el) or real(page, el))
    links, next_page = discover(f'<div class="list"><ul>{rows}</ul></div>', PAGE, PATTERN)
    assert (len(links), next_page) == (300, None)
    assert len(read) <= 3 * 600  # every row, the list and its box, each once (not 300 × 600)


def test_links_and_titles_a_script_writes_as_the_page_loads_are_read():
    """Review 97: an older TRS template writes each title with a script inside its link (cut to fit, no title
    attribute), or a whole row with document.write; a reader's browser shows all four reports, govmon found one
    (a false late alarm for each other year)."""
    name = "XX县人力资源和社会保障局{}年政府信息公开工作年度报告"
    rows = [
        f'<li><a href="./2024/t1.html"><script>var str_title="{name.format(2023)}";'
        "document.write(str_title.substr(0,20)+'...');</script></a></li>",
        f'<li><a href="./2023/t2.html"><script>document.write(cutStr("{name.format(2022)}",24));</script></a></li>',
        f'<li><a href="./2022/t3.html">{name.format(2021)}</a></li>',
        f"<script>document.write('<li><a href=\"./2021/t4.html\">{name.format(2020)}<\\/a></li>');</script>",
    ]
    found, _ = discover(f"<ul>{''.join(rows)}</ul>", PAGE, PATTERN)
    assert sorted((x.url.rsplit("/", 2)[1], x.year, x.doubt) for x in found) == [
        ("2021", 2020, SCRIPTED),  # (a script may never write it: review 98)
        ("2022", 2021, ""),
        ("2023", 2022, ""),
        ("2024", 2023, ""),
    ]


def test_what_no_script_writes_is_no_link_and_a_script_s_unclosed_string_costs_nothing():
    """Review 98: document.write was looked for in the page's raw text, so a row inside an HTML comment was a report
    link without doubt (a dead one a false "unreadable" at every poll); and its string's pattern matched a backslash
    two ways, so a page of 709 bytes with an unclosed string and backslashes after it stalled the service for minutes.
    A link's script holding two reports' names gives it neither (the parent body's 2024 report was taken for the
    link's own 2021)."""
    name = "某县人社局{}年政府信息公开工作年度报告"
    commented = f"<!-- <script>document.write('<li><a href=\"t9.html\">{name.format(2019)}</a></li>');</script> -->"
    unclosed = "<script>document.write('<li>" + "\\\\x" * 40 + "</script>"
    two = (
        f'<li><a href="t3.html"><script>var p="{name.format(2024)}";'
        f'document.write(cutStr("{name.format(2021)}",20));</script></a></li>'
    )
    assert discover(f"<ul>{commented}{unclosed}{two}</ul>", PAGE, PATTERN)[0] == []
