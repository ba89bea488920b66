"""Real report pages in the shapes other portals' editors, CMSs and reader tools give them (reviews 116 and 117):
each is corpus 010 (平潭综合实验区公安局 2024, a real portal page, every identity holding) or 006 (the same portal's
2021 report as a crawler saved it), changed the way that shape changes a page, and what a careful reader sees in
it: the same report, its planted error an error, no number the page does not show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, NavigableString

from monitor.checks.pipeline import run_rules
from monitor.errors import InputError
from monitor.model import Finding, Report
from monitor.reading.report import read_report

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAGE = (CORPUS / "010_pingtan_public_security_bureau_2024.html").read_bytes()
CRAWLED = (CORPUS / "006_pingtan_zone_2021_crawler.txt").read_text(encoding="utf-8")


def check(data: bytes | str, name: str = "page.html") -> tuple[Report, list[Finding]]:
    report = read_report(data.encode() if isinstance(data, str) else data, name)
    return report, run_rules(report)


def rules(findings: list[Finding], severity: str = "error") -> list[str]:
    return sorted(f.rule for f in findings if f.severity == severity)


def _soup() -> BeautifulSoup:
    return BeautifulSoup(PAGE.decode("utf-8"), "lxml")


def _granted_cell(soup: BeautifulSoup):
    """The <td> of table 三's 予以公开 · 自然人 (3 on the page)."""
    report, _ = check(PAGE)
    table, row, col = report.tables["applications"].rows["granted"]["natural_person"].origin
    return soup.find_all("table")[table].find_all("tr")[row].find_all("td")[col]


def _in_cell(markup: str) -> bytes:
    """The page with 予以公开 · 自然人's cell holding ``markup`` (``{n}`` the number in it)."""
    soup = _soup()
    td = _granted_cell(soup)
    td.clear()
    td.append(BeautifulSoup(markup, "html.parser"))
    return str(soup).encode()


PLANTED = ["applications.handled_sum", "applications.row_total"]  # 予以公开 · 自然人 3 -> 4: its row and its column


def test_the_page_as_served_holds_and_its_plant_is_two_errors():
    assert rules(check(PAGE)[1]) == []
    assert rules(check(_in_cell("4"))[1]) == PLANTED


@pytest.mark.parametrize(
    "markup",
    [
        # UEditor's selection bookmarks, saved with the content (each a hidden span holding a zero-width joiner)
        '<span style="display:none;line-height:0px;" id="_baidu_bookmark_start_4">\u200d</span>4'
        '<span style="display:none;line-height:0px;" id="_baidu_bookmark_end_5">\u200d</span>',
        '<span style="display:none"></span>4',  # an empty hidden span
        '4<span style="color:#ffffff">&nbsp;</span>',  # a white space
        "4<sup></sup>",  # an empty footnote mark
        "<s> </s>4",  # a struck-through nothing
    ],
)
def test_an_editor_s_empty_hidden_element_beside_a_number_leaves_it_certain(markup):
    """Review 116's H1: an aside holding no character a reader sees was marked as debris: the number read, not for
    certain, and both planted errors only warnings ("单元格带有乱码…")."""
    report, findings = check(_in_cell(markup))
    value = report.tables["applications"].rows["granted"]["natural_person"]
    assert (value.number, value.doubt) == (4, "")
    assert rules(findings) == PLANTED
    assert "cell.unreadable" not in rules(findings, "warning")


@pytest.mark.parametrize(
    "markup",
    [
        '<span style="position:absolute;left:-9999px">9</span>3',  # screen-reader text moved off the page
        '<span style="position:absolute;clip:rect(0 0 0 0);width:1px">9</span>3',  # or clipped to nothing
        "<template>9</template>3",  # inert content, never drawn
    ],
)
def test_a_digit_a_browser_never_draws_is_not_read_into_the_number(markup):
    """Review 116's H8: a "9" off the screen or in a <template> before 239 was read 9239, for certain: three errors."""
    report, findings = check(_in_cell(markup))
    value = report.tables["applications"].rows["granted"]["natural_person"]
    assert value.number in (3, None)
    assert rules(findings) == []


def _spans_a_line_apart(soup: BeautifulSoup, said: str = "共计8件") -> BeautifulSoup:
    """Every paragraph's text one <span> a character, a line apart, as a WeChat article re-serialised is; the prose's
    "共计8件" (table 三's 8 new applications) written as ``said``."""
    for p in soup.find_all("p"):
        if p.find_parent("table") is not None:
            continue
        text = p.get_text().replace("共计8件", said)
        p.clear()
        for k, char in enumerate(text):
            if k:
                p.append(NavigableString("\n"))
            span = soup.new_tag("span")
            span.string = char
            p.append(span)
    return soup


def test_a_page_of_one_span_a_character_a_line_apart_keeps_its_parts_and_its_prose():
    """Review 116's H6 and M1: a browser shows the spans' line breaks as spaces ("一 、 总 体 情 况"); they were read as
    line breaks, a character a line: parts 一, 五 and 六 "missing", and the prose's counts lost (a sentence saying 9
    applications where the table counts 8 not told)."""
    report, findings = check(str(_spans_a_line_apart(_soup())).encode())
    assert findings == []
    assert sorted(report.sections) == [1, 2, 3, 4, 5, 6]
    _, findings = check(str(_spans_a_line_apart(_soup(), "共计9件")).encode())
    assert rules(findings, "warning") == ["narrative.mismatch"]


def _parts_numbered(soup: BeautifulSoup, swap: bool) -> BeautifulSoup:
    """Part headings written 第一部分 … 第六部分; with ``swap``, parts 五 and 六 in the other order."""
    for old in soup.find_all(string=re.compile(r"^[一二三四五六]、")):
        numeral, _, words = str(old).partition("、")
        old.replace_with(f"第{numeral}部分 {words}")
    if swap:
        five = soup.find(string=re.compile("^第五部分")).find_parent("p")
        six = soup.find(string=re.compile("^第六部分")).find_parent("p")
        moved = [five, *five.find_next_siblings()]
        moved = moved[: moved.index(six)]
        for el in moved:
            el.extract()
        after = six.find_next_sibling() or six
        for el in reversed(moved):
            after.insert_after(el)
    return soup


@pytest.mark.parametrize("swap", [False, True])
def test_parts_headed_di_n_bufen_are_found_in_whatever_order_the_report_has_them(swap):
    """Review 116's H7: 第X部分 headings with 五 and 六 swapped were rejected as a numbering: 一, 五 and 六 "missing"."""
    report, findings = check(str(_parts_numbered(_soup(), swap)).encode())
    assert rules(findings) == []
    assert sorted(report.sections) == [1, 2, 3, 4, 5, 6]


def test_a_crawler_s_own_time_is_not_the_report_s_publication():
    """Review 117's M2: "采集时间：2026-02-01" (when a crawler saved the page) was read as the 发布日期: a punctual
    report called two years late. The page's own 发布时间, in the body the crawler kept, is its date."""
    text = CRAWLED.replace("发布时间: 2022-02-08 16:34", "采集时间: 2026-02-01 08:00:03")
    assert "采集时间: 2026-02-01" in text
    report, findings = check(text, "page.txt")
    assert str(report.published) == "2022-02-08"
    assert "timeliness.late" not in rules(findings, "warning")


def test_a_reader_service_s_header_gives_the_title_and_the_publication():
    """Review 117's M3: r.jina.ai's "Title: …" was kept in the title and the body's name ("Title:平潭…"), and its
    "Published Time:" not read (a late report not told)."""
    title = "平潭综合实验区2021年度政府信息公开工作年度报告"
    body = CRAWLED.split("==================== 正文 ====================", 1)[1]
    text = f"Title: {title}\n\nURL Source: https://www.pingtan.gov.cn/t.htm\n\nPublished Time: 2022-04-02T16:02:00+08:00\n\n"
    report, findings = check(text + "Markdown Content:\n" + body, "page.md")
    assert (report.title, str(report.published)) == (title, "2022-04-02")
    assert not (report.agency or "").lower().startswith("title")
    assert "timeliness.late" in rules(findings, "warning")


def errors_or_warnings_about_tables(findings: list[Finding]) -> bool:
    return any(f.rule.startswith("table.") for f in findings)


def _statutory_tables(soup: BeautifulSoup) -> list:
    """The page's tables of parts 二, 三 and 四, in order."""
    words = ("本年制发件数", "本年新收", "行政复议")
    return [t for t in soup.find_all("table") if any(w in t.get_text() for w in words)]


@pytest.mark.parametrize(("referred", "tab"), [(True, True), (True, False), (False, True)])
def test_tables_appended_in_a_tab_not_drawn_are_read_where_the_parts_refer_to_them(referred, tab):
    """Review 116's H2: 报告正文 | 统计附表 tabs, the parts saying 详见附表一/二/三 and the tables in the second tab,
    not drawn until clicked: three false 未找到…表 errors. Where no part refers to an appended table, or no control
    on the page shows tables (review 118: a copy an editor hid, the real 附表 an attachment), a block a browser does
    not draw is not read, as before."""
    soup = _soup()
    tables = _statutory_tables(soup)
    assert len(tables) == 3
    pane = soup.new_tag("div", style="display:none", attrs={"class": "tab-con"})
    for k, table in enumerate(tables, start=1):
        note = soup.new_tag("p")
        note.string = f"详见附表{'一二三'[k - 1]}。" if referred else "（略）"
        table.replace_with(note)
        caption = soup.new_tag("p")
        caption.string = f"附表{'一二三'[k - 1]}"
        pane.append(caption)
        pane.append(table)
    if tab:
        bar = '<ul class="tab-nav"><li onclick="showTab(0)">报告正文</li><li onclick="showTab(1)">统计附表</li></ul>'
        soup.body.append(BeautifulSoup(bar, "html.parser"))
    soup.body.append(pane)  # (after the page's layout table: one hidden inside it is read as any of its cells)
    report, findings = check(str(soup).encode())
    read = referred and tab
    assert all((t.status == "parsed") == read for t in report.tables.values())
    assert rules(findings) == [] if read else errors_or_warnings_about_tables(findings)


def test_a_part_s_table_in_a_table_tab_not_drawn_is_read():
    """Review 116's H2: part 三 draws 文字版 | 表格版 tabs, （见表格版） in the one drawn, its table in the other."""
    soup = _soup()
    table = _statutory_tables(soup)[1]
    tabs = BeautifulSoup(
        '<div class="tab-nav"><span onclick="tab(0)">文字版</span><span onclick="tab(1)">表格版</span></div>'
        '<div class="tab-pane" style="display:block"><p>（见表格版）</p></div>',
        "html.parser",
    )
    pane = soup.new_tag("div", style="display:none", attrs={"class": "tab-pane"})
    table.replace_with(pane)
    pane.insert_before(tabs)
    pane.append(table)
    report, findings = check(str(soup).encode())
    assert rules(findings) == []
    assert report.tables["applications"].status == "parsed"


@pytest.mark.parametrize("plant", [False, True])
def test_a_label_cell_holding_group_and_item_is_the_item_s_row(plant):
    """Review 116's H5: one label cell a row for (六) (“（六）其他处理<br>1.申请人无正当理由…”): its first row was taken for
    the 2019 format's single (六) row, (六)1 lost, a planted error in it only a warning."""
    soup = _soup()
    table = _statutory_tables(soup)[1]
    group = table.find(string=re.compile("（六）其他处理")).find_parent("td")
    rows = [group.find_parent("tr"), *group.find_parent("tr").find_next_siblings("tr")[:2]]
    group.decompose()
    for tr in rows:
        label = tr.find("td")
        label["colspan"] = "2"
        label.insert(0, soup.new_tag("br"))
        label.insert(0, NavigableString("（六）其他处理"))
    if plant:  # 0 -> 1 申请人无正当理由逾期不补正 · 自然人
        rows[0].find_all("td")[1].string = "1"
    report, findings = check(str(soup).encode())
    value = report.tables["applications"].rows["other_no_correction"]["natural_person"]
    assert (value.number, value.doubt) == (int(plant), "")
    assert rules(findings) == (["applications.handled_sum", "applications.row_total"] if plant else [])


def test_a_wechat_article_s_date_beside_its_account_is_its_publication():
    """Review 116's L1: a WeChat article saved with its date in ``<em id="publish_time">`` (no 发布时间 field, no
    <meta>): 发布日期不明."""
    text = re.sub(r'<meta name="PubDate" content="[^"]*"\s*/?>', "", PAGE.decode()).replace("2025-01-20", "")
    assert check(text.encode())[0].published is None
    date = '<div id="meta_content"><em id="publish_time">2025-01-20 15:25</em></div>'
    text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + date, text, count=1)
    assert str(check(text.encode())[0].published) == "2025-01-20"


def _merges_dropped(soup: BeautifulSoup) -> BeautifulSoup:
    """Table 三 as an export that drops colspan writes it: each spanning cell, then empty cells in its place."""
    for td in _statutory_tables(soup)[1].find_all("td"):
        span = int(td.get("colspan", 1))
        if span > 1:
            del td["colspan"]
            for _ in range(span - 1):
                td.insert_after(soup.new_tag("td"))
    return soup


@pytest.mark.parametrize("plant", [False, True])
def test_a_table_whose_merges_were_dropped_keeps_its_numbers_in_their_columns(plant):
    """Review 116's H3: empty cells left where a label's merge was ("一、本年新收", "", 8, 0, …): its rows' numbers
    were called unplaceable, and a planted error went untold (no warning named an identity)."""
    soup = _soup()
    if plant:
        _granted_cell(soup).string = "4"
    report, findings = check(str(_merges_dropped(soup)).encode())
    assert report.tables["applications"].status == "parsed"
    assert rules(findings) == (PLANTED if plant else [])
    assert rules(findings, "warning") == []


# ---------------------------------------------------------------- review 118: the fixes above, attacked
def test_a_bold_heading_run_in_with_its_prose_on_the_next_source_line_keeps_its_part():
    """Review 118's H4: "<p><strong>一、总体情况</strong>\\n<span>2024年，…</span></p>": read as one line once spaces
    between inline elements were spaces, parts 一 and 五 were lost."""
    soup = _soup()
    for heading in soup.find_all(string=re.compile(r"^[一二三四五六]、")):
        p = heading.find_parent("p")
        prose = p.find_next_sibling("p")
        if prose is None or prose.find("table") is not None or re.match(r"^[一二三四五六]、", prose.get_text()):
            continue
        strong = soup.new_tag("strong")
        strong.string = str(heading)
        span = soup.new_tag("span")
        span.string = prose.get_text()
        p.clear()
        p.extend([strong, NavigableString("\n"), span])
        prose.decompose()
    report, findings = check(str(soup).encode())
    assert sorted(report.sections) == [1, 2, 3, 4, 5, 6]
    assert rules(findings) == []


def test_the_six_parts_quoted_as_a_list_do_not_stand_for_a_missing_part():
    """Review 118's H2: part 五 deleted, and the format's six parts quoted as lines "第一部分 总体情况" … at the end
    of part 六: the list was taken for headings, part 五 for present."""
    soup = _soup()
    five = soup.find(string=re.compile("^五、")).find_parent("p")
    six = soup.find(string=re.compile("^六、")).find_parent("p")
    for el in [five, *five.find_next_siblings()][: [five, *five.find_next_siblings()].index(six)]:
        el.decompose()
    names = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况")
    names += ("政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况", "其他需要报告的事项")
    for k, name in enumerate(names):
        line = soup.new_tag("p")
        line.string = f"第{'一二三四五六'[k]}部分 {name}"
        six.find_parent().append(line)
    assert rules(check(str(soup).encode())[1]) == ["section.missing"]


@pytest.mark.parametrize(
    ("markup", "read"),
    [
        ('3<span style="color:#ffffff">&nbsp;</span>1', None),  # "3 1": a gap a reader sees, not 31
        ('<span style="text-indent:-9999px">4</span>', 4),  # a span's text-indent moves nothing
        ('<span style="clip:rect(0 0 0 0)">4</span>', 4),  # nor a clip where nothing is positioned
    ],
)
def test_what_a_browser_draws_in_a_cell_is_what_is_read(markup, read):
    """Review 118's M2 and M3."""
    report, findings = check(_in_cell(markup))
    value = report.tables["applications"].rows["granted"]["natural_person"]
    if read is None:
        assert value.doubt
        assert rules(findings) == []
    else:
        assert (value.number, value.doubt) == (read, "")
        assert rules(findings) == PLANTED


def test_a_date_beside_the_article_does_not_override_the_page_s_own():
    """Review 118's M1: a WeChat publish_time or Open Graph date (a later update's) over the page's 发布日期."""
    later = '<em id="publish_time">2025-03-01</em><meta property="article:published_time" content="2025-03-02">'
    text = re.sub(r'<meta name="PubDate" content="[^"]*"\s*/?>', "", PAGE.decode())  # (its 发布日期 field stays)
    text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + later, text, count=1)
    assert str(check(text.encode())[0].published) == "2025-01-20"


def test_a_row_blank_at_both_ends_is_not_shifted_into_certain_numbers():
    """Review 118's H6: merges dropped ("(一)予以公开", "", 3, 0, …) and the row's 总计 left blank: the row read in
    order, its trailing blank dropped, was shifted a column: 自然人 blank, 商业企业 3, 总计 0, for certain."""
    soup = _soup()
    report, _ = check(PAGE)
    table, row, col = report.tables["applications"].rows["granted"]["total"].origin
    soup.find_all("table")[table].find_all("tr")[row].find_all("td")[col].string = ""
    report, findings = check(str(_merges_dropped(soup)).encode())
    assert rules(findings) == []
    granted = report.tables["applications"].rows.get("granted") or {}
    assert [k for k, v in granted.items() if v.number == 3 and not v.doubt] in ([], ["natural_person"])


# ---------------------------------------------------------------- review 120: the mends, attacked again
def test_parts_headed_di_n_bufen_with_part_one_s_items_numbered_yi_er_are_found():
    """Review 120's H3: 第一部分 … 第六部分, in order, part 一's items numbered 一、二、三、四 as headings are: three
    false 缺少第…部分."""
    soup = _parts_numbered(_soup(), swap=False)
    one = soup.find(string=re.compile("^第一部分")).find_parent("p")
    for k, item in enumerate(
        ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "政府信息管理情况")
    ):
        line = soup.new_tag("p")
        line.string = f"{'一二三四'[k]}、{item}"
        one.insert_after(line)
        one = line
    report, findings = check(str(soup).encode())
    assert sorted(report.sections) == [1, 2, 3, 4, 5, 6]
    assert "section.missing" not in rules(findings)


def test_tables_hidden_after_the_report_are_not_read_for_a_menu_s_link_elsewhere():
    """Review 120's H2: a hidden copy of the tables after the report, the parts saying 详见附表, and a link naming
    tables in the page's menu (not a tab over the copy): two certain errors from numbers no reader sees."""
    soup = _soup()
    pane = soup.new_tag("div", style="display:none")
    for k, table in enumerate(_statutory_tables(soup), start=1):
        note = soup.new_tag("p")
        note.string = f"详见附表{'一二三'[k - 1]}。"
        table.replace_with(note)
        pane.append(table)
    menu = '<div class="menu"><a href="javascript:void(0)" onclick="go()">统计表</a></div>'
    soup.body.insert(0, BeautifulSoup(menu, "html.parser"))
    soup.body.append(pane)
    report, _ = check(str(soup).encode())
    assert all(t.status != "parsed" for t in report.tables.values())


@pytest.mark.parametrize(
    ("markup", "read"),
    [
        ('<span style="display:inline-block;text-indent:-9999px">9</span>3', None),  # an inline-block's moves
        ('<span style="position:relative;left:-9999px">9</span>3', None),  # moved off, relatively
        ('1<span style="display:none" id="_baidu_bookmark_start_2">\u200d</span>3', 13),  # no room taken: 13
    ],
)
def test_what_a_browser_draws_and_where_is_what_is_read(markup, read):
    """Review 120's H4, M5 and M1."""
    report, findings = check(_in_cell(markup))
    value = report.tables["applications"].rows["granted"]["natural_person"]
    if read is None:
        assert value.number in (3, None)
        assert rules(findings) == []
    else:
        assert (value.number, value.doubt) == (read, "")
        assert rules(findings) == PLANTED


def test_a_titled_page_whose_script_draws_the_article_is_said_so():
    """Review 116's L3: a single-page application's shell, the report's title in its <title> and <meta>, the article
    drawn by a script from data: "看起来不是…年度报告：既没有报告标题…", though its title is there."""
    head = PAGE.decode()[: PAGE.decode().index("</head>")]  # 010's own <title> and <meta>, then a shell's body
    shell = head + '</head><body><div id="app"></div><script src="/js/app.js"></script></body></html>'
    with pytest.raises(InputError, match="本页有报告标题，但没有报告正文和统计表（正文可能由网页脚本生成"):
        read_report(shell.encode(), "page.html")
