"""Report links and titles by every real name they go by, and nothing that only looks like one."""

from __future__ import annotations

import json
import re

import pytest

from monitor.model import DEFAULT_LINK_PATTERN
from monitor.reading.facts import find_agency, find_title, find_year, title_body
from monitor.watch.attachments import attachments
from monitor.watch.column import says_empty
from monitor.watch.discover import discover

PATTERN = re.compile(DEFAULT_LINK_PATTERN)
REPORTS = [
    ("通辽市2021年政府信息公开工作年度报告", 2021),
    ("2021年度政府信息公开工作报告", 2021),
    ("XX局政府信息公开年报（2022年）", 2022),
    ("二〇二〇年政府信息公开年度报告", 2020),
]
NOT_REPORTS = [
    "关于政府信息公开第三方评估报告",
    "2022年政务公开工作要点",
    "2021年政府信息公开工作要点落实情况报告",
    "通辽市召开常务会议",
]


def test_listing_links_years_pagination_and_duplicates():
    items = [f'<li><a href="t{i}.html">{t}</a></li>' for i, (t, _) in enumerate(REPORTS)]
    items += [f'<li><a href="n{i}.html">{t}</a></li>' for i, t in enumerate(NOT_REPORTS)]
    items.append('<li><a href="./t0.html#top" title="通辽市2021年政府信息公开工作年度报告">通辽市2021年…</a></li>')
    html = "<ul>" + "".join(items) + '</ul><a href="index_1.html">下一页</a><a href="javascript:void(0)">打印</a>'
    links, next_page = discover(html, "http://Gov.CN:80/nb/index.html", PATTERN)
    assert [(link.url, link.year) for link in links] == [
        (f"http://gov.cn/nb/t{i}.html", y) for i, (_, y) in enumerate(REPORTS)
    ]
    assert next_page == "http://gov.cn/nb/index_1.html"


@pytest.mark.parametrize(
    ("title", "agency", "year"),
    [
        ("天门市政务服务和大数据管理局2021年度政府信息公开工作报告", "天门市政务服务和大数据管理局", 2021),
        ("XX县人民政府办公室政府信息公开年报（2022年）", "XX县人民政府办公室", 2022),
        ("通辽市2021年政府信息公开工作年度报告", "通辽市人民政府", 2021),
    ],
)
def test_titles_by_every_name(title, agency, year):
    found = find_title(["首页 > 政务公开", title, "发布时间:2022-01-12"], None)
    assert found == title
    assert find_agency([title], found, 1) == agency
    assert find_year(found, "", None, "") == year


def test_attachments_pdf_first_by_url_or_link_text():
    html = (
        '<a href="/a/x.docx">Word版</a><a href="/download?id=7">2021年度报告.pdf</a>'
        '<a href="/a/y.doc">旧版</a><a href="/news/1.html">新闻</a>'
    )
    assert attachments(html, "http://gov.cn/nb/t1.html") == [
        "http://gov.cn/download?id=7",
        "http://gov.cn/a/x.docx",
        "http://gov.cn/a/y.doc",
    ]


@pytest.mark.parametrize(
    ("url_key", "title_key"),
    [
        ("articleUrl", "articleTitle"),
        ("lianjie", "biaoti"),
        ("path", "infoTitle"),
        ("fileUrl", "docTitle"),
        ("viewUrl", "name"),
        ("jumpUrl", "title"),
        ("art_url", "title_cn"),
    ],
)
def test_a_list_api_s_record_is_read_by_the_keys_that_say_what_they_hold(url_key, title_key):
    """Review 102's H10: records whose keys were not the known ones (articleUrl/articleTitle, lianjie/biaoti…) were
    not read, and a year a system migrated to them was called missing (a false late alarm)."""
    from monitor.watch.pagers import as_json, json_html  # noqa: PLC0415

    record = {
        url_key: "/art/2025/3/20/art_101.html",
        title_key: "XX县2025年政府信息公开工作年度报告",
        "publisher": "XX县",
    }
    html = json_html(as_json(json.dumps({"data": {"list": [record]}}, ensure_ascii=False)))
    assert html == '<a href="/art/2025/3/20/art_101.html">XX县2025年政府信息公开工作年度报告</a>'


def test_a_list_apis_next_page_is_its_page_number_plus_one():
    from monitor.watch.pagers import as_json, json_html, next_api_page  # noqa: PLC0415

    assert (
        next_api_page("http://gov.cn/api/list?channelId=12&pageNo=2") == "http://gov.cn/api/list?channelId=12&pageNo=3"
    )
    trs = 'http://gov.cn/front/page/build/unit?webId=1&paramJson={"pageNo":1,"pageSize":15}'
    assert next_api_page(trs) == (
        "http://gov.cn/front/page/build/unit?webId=1&paramJson=%7B%22pageNo%22%3A2%2C%22pageSize%22%3A15%7D"
    )
    assert next_api_page("http://gov.cn/api/list?channelId=12") is None  # no page number: no next page guessed
    jsonp = 'cb({"data": {"html": "<li><a href=\\"/a.html\\">2021年政府信息公开工作年度报告</a></li>"}});'
    links, next_page = discover(jsonp, "http://gov.cn/api/list?page=1", PATTERN)  # a JSONP answer's HTML
    assert ([link.url for link in links], next_page) == (["http://gov.cn/a.html"], "http://gov.cn/api/list?page=2")
    assert "2021年" in json_html(as_json(jsonp))
    assert as_json("<html></html>") is None


@pytest.mark.parametrize(
    "item",
    [
        '<a href="/a/{y}.html" title="发布时间：{p}年01月26日">平潭综合实验区社会事业局{y}年政府信息公开工作年度报告</a>',
        '<a href="/a/{y}.html"><span class="date">{p}年01月26日</span><span>平潭综合实验区社会事业局{y}年'
        "政府信息公开工作年度报告</span></a>",
        '<a href="/a/{y}.html"><span>{p}-01-26</span> 平潭综合实验区社会事业局{y}年政府信息公开工作年度报告</a>',
    ],
)
def test_a_listing_link_dated_by_its_publication_is_of_the_year_its_title_names(item):
    # A reader of a listing whose links carry the day each report was published (a tooltip, a date before the
    # title) sees each report's year in its title: the 2024 report published in 2025 is 2024's.
    page = "<html><body><ul>" + "".join(f"<li>{item.format(y=y, p=y + 1)}</li>" for y in (2024, 2023)) + "</ul>"
    found, _ = discover(page, "https://www.pingtan.gov.cn/a/", re.compile(DEFAULT_LINK_PATTERN))
    assert [(link.title, link.year) for link in found] == [
        (f"平潭综合实验区社会事业局{y}年政府信息公开工作年度报告", y) for y in (2024, 2023)
    ]


def test_a_listing_link_naming_its_year_s_months_keeps_its_year():
    page = '<ul><li><a href="/a/1.html">某局2023年1-12月政府信息公开工作年度报告</a></li></ul>'
    found, _ = discover(page, "https://www.example.gov.cn/a/", re.compile(DEFAULT_LINK_PATTERN))
    assert [(link.title, link.year) for link in found] == [("某局2023年1-12月政府信息公开工作年度报告", 2023)]


@pytest.mark.parametrize(
    ("page", "empty"),
    [
        ("<ul></ul><p class='empty'>暂无信息</p>", True),
        ("<ul></ul><div style='display: none;'><p>暂无信息</p></div>", False),  # a placeholder a script shows or not
        ("<ul id='list'></ul><script>$.getJSON('/api/nb', fill)</script><p>暂无数据</p>", False),
        ("<ul id='list'></ul><script src='/js/list.js'></script><aside>热点：暂无数据</aside>", False),
        ("<ul><li v-for='x in list'>{{ x.title }}</li></ul><p v-if='!list.length'>暂无信息</p>", False),
        (  # review 97's H: rows a script writes from data it holds, a sidebar saying it has nothing related
            "<ul id='list'></ul><script>var d=[{u:'/nb/t.html'}],h='';for(var i=0;i<d.length;i++)"
            "{h+='<li><a href=\"'+d[i].u+'\">报告</a></li>';}list.innerHTML=h;</script><aside>暂无相关信息</aside>",
            False,
        ),
        ("<ul></ul><script>document.write(unescape('%3Cspan%3E'))</script><p>暂无信息</p>", True),  # an analytics badge
    ],
)
def test_a_listing_says_it_lists_nothing_only_in_words_a_reader_sees_and_no_script_fills(page, empty):
    assert says_empty(f"<html><body>{page}</body></html>") is empty


@pytest.mark.parametrize(
    "title",
    [
        "平潭综合实验区公安局2024年度报告",
        "平潭综合实验区公安局2024年报",
        "平潭综合实验区公安局2024",
        "平潭综合实验区公安局2024年",
    ],
)
def test_a_table_cell_s_title_names_its_row_s_body(title):
    # review 104's H3: a 部门年报 cell read with its row's body named none, and its failure held back every body
    assert title_body(title) == "平潭综合实验区公安局"
    assert title_body(title.removeprefix("平潭综合实验区公安局")) is None
