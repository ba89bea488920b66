"""Stage: discover. A portal's 年报 listing page -> the report links on it, and the next page.

A link is a report when its text (or title attribute) names a 政府信息公开(工作)年度报告
(the source's ``link_pattern``). The year it covers is read from the text, in Arabic or
Chinese numerals. URLs are resolved against the page and canonicalised so the same
report reached by two spellings of its URL is kept once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from monitor.reading.facts import title_body
from monitor.watch import column, frames, link_words, pagers
from monitor.watch.markup import OPENS, Page, called, parsed, target
from monitor.watch.pagers import canonical, resolved

CUT, NOTICE, COLUMN, SCRIPTED, YEAR_ONLY = "cut", "notice", "column", "scripted", "year"  # why a link may
# not be the report; and a report's link that cannot be followed (a site function in a script file opens it)
UNOPENED = "unopened"
# the way links are found, kept with a listing page's links: one kept by an earlier way is read again, not answered
# from them (2: doubts, links a script opens, <base href>, hidden rows, 下一页 as pagers write it; 3: rows a click
# opens, a picture's alt, a next page a button or a form goes to, review 102's words; 4: a year's cell in a table of
# reports, a site function's address, a link that cannot be followed)
FOUND_BY = 4


@dataclass(frozen=True)
class Link:
    """A report link of a listing. ``doubt``: why its words do not say for certain that it is the report: they are
    cut short (CUT, "…2023年政府信息公开工作..."), or name a notice about it (NOTICE, 关于报送…年度报告的通知, …的更正
    说明) or the column itself (COLUMN, a breadcrumb's 政府信息公开年报), or only a year (YEAR_ONLY, ``2025年度报告`` in
    a 部门年报 table's row, its body in the row's first cell). Such a link is the report only if what it
    opens reads as one (its statutory tables; a cut title's attachment too), and until then its year lists nothing."""

    url: str
    title: str
    year: int | None
    doubt: str = ""


def discover(html: str, page_url: str, pattern: re.Pattern[str]) -> tuple[list[Link], str | None]:
    """The report links on a listing page (in page order, no duplicates) and the next page's URL. The page may
    be HTML, a Hanweb (大汉) list whose records sit in a ``<datastore>`` script, or the JSON a list API answers."""
    data = pagers.as_json(html)
    if data is not None:  # a list API's answer: its links, the next page by the page number in the URL
        links = _links(parsed(pagers.json_html(data)), page_url, pattern, {})[0]
        return links, pagers.next_api_page(page_url) if links else None
    records = pagers.datastore_records(html)
    if records is not None and html.lstrip().startswith(("<?xml", "<datastore")):  # a Hanweb API's answer
        links = _links(parsed(records), page_url, pattern, {})[0]
        return links, pagers.next_datastore_page(html, page_url)
    page = parsed(html)
    links, next_page = _links(page, page_url, pattern, {})
    if page is not None and (written := _written(page)):  # rows a script writes as the page loads (TRS's older
        # templates: document.write('<li><a href=…>…</a></li>'), review 97): doubtful, a script may never write one
        urls = {x.url for x in links}
        found = _links(parsed(written), pagers.base_of(page, page_url), pattern, {})[0]
        links += [replace(x, doubt=x.doubt or SCRIPTED) for x in found if x.url not in urls]
    if records is not None:  # a Hanweb list: the records its pager script draws, the next group from its API
        links += [x for x in _links(parsed(records), page_url, pattern, {})[0] if x not in links]
        return links, next_page or pagers.next_datastore_page(html, page_url)
    if page is None:
        return links, None
    next_page = next_page or pagers.numbered_next(page, html, page_url)
    if next_page is None:  # a column page that only sends its reader on to its list (beside a breadcrumb's link to
        # the column, maybe, or a 热点 box's report: review 102's H2); a table of years' reports lists them
        next_page = frames.sent_on(page, page_url, sum(x.doubt in ("", YEAR_ONLY) for x in links))
        if (
            next_page is not None and all(x.doubt == COLUMN for x in links) and column.says_empty(html)
        ):  # a column saying 暂无信息 beside a
            next_page = None  # 最新年报 widget's frame: the widget lists other bodies' reports (review 106)
    if next_page is None:
        next_page = pagers.next_otherwise(page, page_url, html)
    return links, next_page


# a string a script gives document.write, and one it holds (a title it writes into its link): on one line, each
# backslash one way only (review 98: "(?:\\.|(?!\1).)*" matched a backslash two ways, and a page of 709 bytes with
# an unclosed string took minutes)
_STRING = r"'((?:\\.|[^'\\\n])*)'|\"((?:\\.|[^\"\\\n])*)\""
_WRITES = re.compile(r"document\.write(?:ln)?\(\s*(?:" + _STRING + ")")
_LITERAL = re.compile(_STRING)
_ESCAPED = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))")


def _unescaped(js: str) -> str:
    """A script's string as it runs: \\uXXXX and \\xXX are their characters, \\' its quote, \\/ a slash."""
    return _ESCAPED.sub(lambda m: chr(int(m[1] or m[2], 16)) if m[1] or m[2] else m[3], js)


def _written(page: Page) -> str:
    """The markup of links a page's scripts write as it loads (``document.write('<li><a href=…>…</a></li>')``): in
    its scripts, not its comments."""
    texts = [script.text for script in page.all("script") if script.text and "document.write" in script.text]
    return "".join(
        _unescaped(m[1] or m[2] or "") for text in texts for m in _WRITES.finditer(text) if "<a" in (m[1] or m[2] or "")
    )


def _scripted_words(a: Any, pattern: re.Pattern[str]) -> str:
    """The words a link's own script writes into it (``document.write(cutStr("…年度报告", 24))``, a title held in a
    variable and cut as it is written): the one string in it that names a report, whole (two: none is known)."""
    named = {
        words
        for script in a.iter("script")
        for m in _LITERAL.finditer(script.text or "")
        if pattern.search(words := link_words.words(_unescaped(m[1] or m[2] or "")))
    }
    return named.pop() if len(named) == 1 else ""


_INDEX = re.compile(r"/(?:index|default)\.(?:s?html?|jhtml|jsp|php|aspx?)$", re.I)


def same_page(a: str, b: str) -> bool:
    """Whether two URLs are one column page: /col/nb/, /col/nb and /col/nb/index.html are."""

    def key(url: str) -> tuple[str, str, str]:
        p = urlsplit(url)
        return p.netloc.lower(), _INDEX.sub("/", p.path).rstrip("/"), p.query

    return key(a) == key(b)


def _links(
    page: Page | None, page_url: str, pattern: re.Pattern[str], links: dict[str, Link]
) -> tuple[list[Link], str | None]:
    if page is None:  # (nothing in it: an empty answer)
        return list(links.values()), None
    base = pagers.base_of(page, page_url)
    here = canonical(page_url)
    nexts: list[tuple[int, str]] = []  # (rank, url): 下一页 first, then a pager's > and last its >>
    rows = dict.fromkeys((*_clicked_rows(page), *_chosen(page)), True)  # (in page order, and asked of at once)
    of_reports: bool | None = None  # whether the page says it lists reports, once a link of only a year asks
    unopened: list[tuple[Any, str, str]] = []  # links with no address found: a link, its words, its title
    boxes: dict[str, Any] = {}  # the list each link naming a report in full, or only a year, stands in
    for a in [*page.all("a"), *rows]:
        text, pictured = _link_text(page, a, pattern)
        title = link_words.words(str(a.get("title") or ""))
        maybe_next = pagers.next_words(a, text, title)
        if bare := link_words.only_a_year(text):  # a year's cell, on a page that lists reports (asked once)
            bare = of_reports = column.of_reports(page, pattern) if of_reports is None else of_reports
        if not (maybe_next or bare or pattern.search(text) or pattern.search(title) or link_words.maybe_cut(text)):
            continue  # (most of a page's links: nothing below would keep it, so its URL is not worked out)
        href = target(a) or called(a, page.functions)
        if href is None:
            unopened.append((a, text, title))
            continue
        url = resolved(base, href)
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            continue
        if url != here and maybe_next and (rank := pagers.next_rank(page, a, maybe_next, url, here)):
            nexts.append((rank, url))
            continue
        if url not in links and (
            link := _link(
                page, a, url, said=(text, title), pattern=pattern, here=here, opened=pictured or a in rows, bare=bare
            )
        ):
            links[url] = link
            if not link.doubt or (link.doubt == YEAR_ONLY and link_words.only_a_year(link.title) and not _own_box(a)):
                boxes[url] = _box(a)
    named = {boxes[u] for u, x in links.items() if not x.doubt}
    if named:  # a page listing reports by name: a year's link naming no body, out of their list, is a box's (review
        # 104: a sidebar's 2021年, 2019年 opened another body's reports, made it expected); not one in their list (the
        # newest row's 2025年度报告: review 105), nor the page's 年度 select, nor a cover picture (review 102's H4)
        links = {u: x for u, x in links.items() if u not in boxes or not x.doubt or boxes[u] in named}
    _add_unopened(links, unopened, here, pattern)
    nexts = [(rank, url) for rank, url in nexts if rank == 1 or url not in links]  # a row's ">" to its own report
    return list(links.values()), min(nexts)[1] if nexts else None


def _link(
    page: Page,
    a: Any,
    url: str,
    *,
    said: tuple[str, str],
    pattern: re.Pattern[str],
    here: str,
    opened: bool,
    bare: bool,
) -> Link | None:
    """The report link ``a`` is, by its words and title (``said``), or None. ``opened``: a row a click opens, or a
    picture's alt; ``bare``: its words only a year, on a page that lists reports."""
    text, title = said
    # the title attribute where it names the report (link text is often cut short, "…年度..."), not where it is a
    # tooltip of the date ("发布时间：2025年01月26日"); a date in the text is the day it was published, not its year
    name = link_words.undated(title if pattern.search(title) else text)
    if link_words.skipped(name, text):
        return None  # a 解读 or 图解 of a report; a CMS's template row (hidden or not: rows a 展开更多 shows are too)
    if pattern.search(text) or pattern.search(title):
        year = link_words.year(name)
        column = year is None and link_words.names_only_the_column(name, pattern)
        if year is None and same_page(url, here):  # the breadcrumb's link to this very listing, whatever its words
            return None  # (区政府信息公开年报 → ./: review 106, read as a report not read, it held back every alarm)
        doubt = NOTICE if link_words.notice(name) else COLUMN if column else ""
        # a row a click opens, a picture's alt (a banner's to a 专题 page: review 103): the report if it opens one
        return Link(url, name, year, doubt or (SCRIPTED if opened else ""))
    if link_words.cut_short(text, pattern) and not link_words.notice(name):
        return Link(url, name, link_words.year(name), CUT)
    if bare:  # a year's cell of a table of reports: its body is the row's (平潭综合实验区公安局 | 2025年度报告)
        name = _row_label(page, a) + name
        return Link(url, name, link_words.year(name), YEAR_ONLY)
    return None


def _add_unopened(
    links: dict[str, Link], unopened: list[tuple[Any, str, str]], here: str, pattern: re.Pattern[str]
) -> None:
    """Add a report's link a script opens where govmon cannot follow it (``openDoc('8a8b…')`` of a function in a
    script file: review 102's H3, the year it names then called missing): listed under the listing's address and
    the call (``unopened``), never fetched, its report told as not read (its year holds back its body's late alarm).
    Only a link given a document's id (a tab's ``showTab(0)`` opens no document: review 104), naming a report, not
    a notice; and not where a link followed names the same body's report of that year (a 收藏 or （PDF版） button
    beside the row's title)."""
    followed = {(x.year, title_body(x.title)) for x in links.values() if x.year}
    for a, text, title in unopened:
        call = str(a.get("onclick") or "").strip() or str(a.get("href") or "").strip().removeprefix("javascript:")
        name = link_words.undated(title if pattern.search(title) else text)
        year = link_words.year(name)
        given = _given_an_id(a, call)
        if not (given and year and pattern.search(name)) or link_words.skipped(name, text) or link_words.notice(name):
            continue
        body = title_body(name)
        if any(y == year and (body is None or b is None or b == body) for y, b in followed):
            continue
        url = f"{here}#{''.join((call if _ID.search(call) else name).split())[:300]}"  # (as a reader reads it)
        links.setdefault(url, Link(url, name, year, UNOPENED))


def _given_an_id(a: Any, call: str) -> bool:
    """Whether a link's script is given a document's id: a call with a string of 3 characters or more, or a number
    of 4 digits or more, not a year (a tab's ``showTab(0)``, ``showTab(2025)``: reviews 104, 107), to a function
    not a page's tab or menu; or a ``data-id``/``data-url`` a listener reads. Not a tab or a section the page shows
    (``href="#nb2025" data-toggle="tab"``: review 107)."""
    if a.get("data-toggle") or a.get("data-bs-toggle") or a.get("role") == "tab" or a.get("aria-controls"):
        return False
    if any(_ID_KEY.match(str(k)) and a.get(k) for k in a.attrib):
        return True
    return any(not _UI.search(m[1]) and not _YEAR_ONLY.match(m[2]) for m in _ID.finditer(call))


# a call and its first argument that may be a document's id: a string of 3 characters or more, or a number of 4
# digits or more
_ID = re.compile(r"([\w$.]+)\s*\(\s*(?:[^()]*?,\s*)?['\"]?((?<=['\"])[^'\"]{3,}(?=['\"])|\d{4,})")
_UI = re.compile(r"(?i)tab|toggle|switch|collapse|expand|fold|menu|nav|slide|hover|scroll")  # a page's own parts
_YEAR_ONLY = re.compile(r"^(?:19|20)\d{2}$")
_ID_KEY = re.compile(r"data-(?:id|doc[-_]?id|info[-_]?id|article[-_]?id|guid|uuid|url|href|link)$", re.I)


def unopened(url: str) -> bool:
    """Whether a link's URL is an ``UNOPENED`` one's (a followed link's has no fragment: ``pagers.canonical``)."""
    return "#" in url


def _own_box(a: Any) -> bool:
    """Whether a link is its own box: an ``<option>`` of the page's 年度 select, a cover picture."""
    return bool(a.tag == "option" or a.find(".//img") is not None)


def _box(a: Any) -> Any:
    """The list a link stands in (its ``ul``, ``ol``, ``table`` or ``dl``), else its parent."""
    box = next(a.iterancestors("ul", "ol", "table", "dl"), None)
    return a.getparent() if box is None else box


def _row_label(page: Page, a: Any) -> str:
    """The body a table's row names in a cell before a year's link (``平潭综合实验区公安局 | 2025年度报告``): the first
    such cell that reads as a name, not a 序号, a date or a year, nor a layout table's column of links; or ""."""
    row = next(a.iterancestors("tr"), None)
    for cell in [] if row is None else [c for c in row if c.tag in ("td", "th")]:
        if any(x is a for x in cell.iter("a")) or len(list(islice(cell.iter(), _CELL_ELEMENTS))) == _CELL_ELEMENTS:
            return ""  # (the link's own cell: none before it names a body; a cell of a layout table: not a label)
        label = link_words.words(page.words(cell))
        if (
            2 <= len(label) <= 40
            and _NAMED.search(label)
            and link_words.year(label) is None
            and not _DATED.search(label)
        ):
            return label
    return ""


_CELL_ELEMENTS = 12  # elements in a cell past which it is a layout's, not a body's name (review 104: 11 s a page)
_NAMED = re.compile(r"[\u4e00-\u9fff]{2}")
_DATED = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}")


def _link_text(page: Page, a: Any, pattern: re.Pattern[str]) -> tuple[str, bool]:
    """A link's words: its own, or those its script writes into it (review 97), or its picture's alt (a cover's:
    review 102, ``<a><img alt="…年度报告"></a>``; True: the alt's)."""
    text = link_words.words(page.words(a))
    if not text and a.find(".//script") is not None:
        text = _scripted_words(a, pattern)
    if text:
        return text, False
    return link_words.words(" ".join(str(i.get("alt") or i.get("title") or "") for i in a.iter("img"))), True


def _clicked_rows(page: Page) -> list[Any]:
    """Rows a click on opens a report by their script, with no link inside (review 102: ``<tr onclick="location.href=
    '…'">``, ``<li onclick="window.open('…')">``): read as links are, their words a row's."""
    if not page.root.xpath("boolean(//*[@onclick])"):
        return []
    rows, inside = [], [False]  # per open element: whether a link or a clicked element is inside it
    for event, el in etree.iterwalk(page.root, events=("start", "end")):
        if event == "start":
            inside.append(False)
            continue
        within = inside.pop()  # (one walk: rows nested 8,000 deep are read once, the innermost, not each again)
        clicked = el.get("onclick") is not None
        if clicked and not within and el.tag in _ROWS and OPENS.search(str(el.get("onclick"))):
            rows.append(el)
        inside[-1] = inside[-1] or within or clicked or el.tag == "a"
    return rows


_ROWS = frozenset({"tr", "li", "div", "td", "span", "p", "dd"})
# a <select>'s script going where its option's value says, as it is (not "'?year='+this.value": review 104)
_CHOSEN = re.compile(
    r"(?:location(?:\.href)?\s*=|\.open\(|\.assign\(|\.replace\()\s*"
    r"(?:this\.(?:value|options\[[^\]]*\]\.value)|\$\(this\)\.val\(\))(?!\s*[+\w.\[])"
)


def _chosen(page: Page) -> list[Any]:
    """The options of a ``<select>`` whose choice a script opens (review 102's H4: 年度 <select onchange="location.href=
    this.value"><option value="/nb/2025.html">2025年</option>…): read as links are, their address their value."""
    chosen = [select for select in page.all("select") if _CHOSEN.search(str(select.get("onchange") or ""))]
    return [
        option
        for select in chosen
        if len(options := [o for o in select.iter("option") if str(o.get("value") or "").strip()]) <= _YEARS_CHOSEN
        for option in options
    ]


_YEARS_CHOSEN = 60  # options a select of years has at most (one of 20,000 is a site map's: review 107, 1.5 s)
