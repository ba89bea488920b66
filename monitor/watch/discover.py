"""Stage: discover. A portal's 年报 listing page -> the report links on it, and the next page.

A link is a report when its text (or title attribute) names a 政府信息公开(工作)年度报告
(the source's ``link_pattern``). The year it covers is read from the text, in Arabic or
Chinese numerals. URLs are resolved against the page and canonicalised so the same
report reached by two spellings of its URL is kept once.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from monitor.watch import link_words, pagers
from monitor.watch.markup import Page, parsed
from monitor.watch.pagers import canonical, resolved

# a 下一页 link as pagers write it: 下一页, [下一页], 下一页>, 下一页 », next page (the arrows alone: see _ARROWS)
_NEXT = re.compile(
    r"^[\[【(（]?\s*(下一页|下页|后一页|后页|下一頁|下頁|next(\s*page)?)\s*[>›»＞→]*\s*[\]】)）]?$", re.I
)
_ARROWS = {">": 1, "›": 1, "＞": 1, "→": 1, ">>": 2, "»": 2, "›»": 2}  # a pager's next (its last page: >>, »)
# every format a report is published in (extract.READERS reads each by its bytes, whatever the name says)
_ATTACHMENT = re.compile(r"\.(pdf|ofd|docx?|wps|xlsx?|et|zip|png|jpe?g|tiff?)$", re.I)
_ORDER = ("pdf", "ofd", "docx", "doc", "wps", "zip", "xlsx", "xls", "et")  # published forms first; images last


CUT, NOTICE, COLUMN, SCRIPTED = "cut", "notice", "column", "scripted"  # why a link may not be the report
# the way links are found, kept with a listing page's links: one kept by an earlier way is read again, not answered
# from them (2: doubts, links a script opens, <base href>, hidden rows, 下一页 as pagers write it; 3: rows a click
# opens, a picture's alt, a next page a button or a form goes to, review 102's words)
FOUND_BY = 3


@dataclass(frozen=True)
class Link:
    """A report link of a listing. ``doubt``: why its words do not say for certain that it is the report: they are
    cut short (CUT, "…2023年政府信息公开工作..."), or name a notice about it (NOTICE, 关于报送…年度报告的通知, …的更正
    说明) or the column itself (COLUMN, a breadcrumb's 政府信息公开年报). Such a link is the report only if what it
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
        found = _links(parsed(written), _base(page, page_url), pattern, {})[0]
        links += [replace(x, doubt=x.doubt or SCRIPTED) for x in found if x.url not in urls]
    if records is not None:  # a Hanweb list: the records its pager script draws, the next group from its API
        links += [x for x in _links(parsed(records), page_url, pattern, {})[0] if x not in links]
        return links, next_page or pagers.next_datastore_page(html, page_url)
    if page is None:
        return links, None
    next_page = next_page or pagers.numbered_next(page, html, page_url)
    if next_page is None and all(x.doubt for x in links):  # a column page that only sends its reader on to its
        next_page = _sent_on(page, page_url)  # list (beside a breadcrumb's link to the column, maybe)
    if next_page is None:
        next_page = _next_otherwise(page, page_url, html)
    return links, next_page


def _next_otherwise(page: Page, page_url: str, html: str) -> str | None:
    """A next page no link of the page's goes to: a 下一页 button or span whose script goes to it
    (``<input type=button value=下一页 onclick="location.href='index_1.html'">``), or, where it is there and leads
    nowhere this reads (a form posted by ``goPage(2)``, ``turnPage(2)``) or the pager says more pages follow (共3页
    当前第1页, 1/3页), ``UNFOLLOWED``: the listing is not read whole (review 102: each was taken for a listing's last
    page, and the bodies on its next pages called late)."""
    for el in page.all("a", "span", "input", "button", "div", "li", "td") if _NEXT_WORDS.search(html) else ():
        words = str(el.get("value") or "") if el.tag == "input" else el.text or "" if el.tag != "a" else page.words(el)
        if len(words) > 12 or not _NEXT.match(words.strip()):
            continue
        if el.tag != "a" and (url := _target(el)) is not None and (url := resolved(_base(page, page_url), url)):
            return url
        # where the pager the control stands in (not another box of the page: review 103) says this is not its last
        # page (a button that does nothing, javascript:void(0), or a last page's own goPage(3), says nothing)
        for box in itertools.islice(el.iterancestors(), 2):
            if box.tag in ("body", "html") or len(text := " ".join(page.strings(box))) > _PAGER_SIZE:
                break  # (past the pager: the page's list, its other boxes)
            if (said := pagers.pages_said(text)) is not None:
                if said[0] < said[1]:
                    return pagers.UNFOLLOWED
                break
    return None


_NEXT_WORDS = re.compile(r"下一?[页頁]|后一?页|next", re.I)
_PAGER_SIZE = 300  # characters: a pager's box says its pages and numbers them in fewer


_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)
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


def _sent_on(page: Page, page_url: str) -> str | None:
    """Where a page with no report link sends its reader: a ``<meta http-equiv="refresh">``'s URL, else the one
    ``<iframe>`` that holds its list (on the same site)."""
    for meta in page.all("meta"):
        if str(meta.get("http-equiv") or "").lower() == "refresh" and (m := _REFRESH.search(str(meta.get("content")))):
            return resolved(_base(page, page_url), m.group(1).strip())
    frames = [str(f.get("src")) for f in page.all("iframe") if str(f.get("src") or "").strip()]
    if len(frames) == 1 and (url := resolved(_base(page, page_url), frames[0].strip())) is not None:
        return url if urlsplit(url).netloc == urlsplit(canonical(page_url)).netloc else None
    return None


_SCRIPTED = re.compile(
    r"(?:window\.open|location\.(?:assign|replace)|(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=)"
    r"\s*\(?\s*['\"]([^'\"]+)['\"](?!\s*\+)"  # (not an address a script builds: 'index_'+(1)+'.html')
    # a function of the site's own (openWin('…'), goUrl("…")) given a page's address
    r"|\b\w+\(\s*['\"]((?:https?://|/|\.\.?/)[^'\"]*|[^'\"]+\.(?:s?html?|jsp|php|aspx?|do|pdf|docx?|wps|ofd)(?:\?[^'\"]*)?)['\"]"
)


def _target(a: Any) -> str | None:
    """Where a link goes: its href, or where its script opens (``window.open('…')``, ``location.href='…'``, in the
    href or onclick), or its ``data-url``/``data-href`` when the href is only ``#``."""
    href = str(a.get("href") or "").strip()
    if href and not href.startswith(("javascript:", "#", "mailto:", "tel:")):
        return href
    for script in (href, str(a.get("onclick") or "")):
        if m := _SCRIPTED.search(script):
            return (m.group(1) or m.group(2)).strip()
    for key in ("data-url", "data-href", "data-link"):
        if value := str(a.get(key) or "").strip():
            return value
    return None


_INDEX = re.compile(r"/(?:index|default)\.(?:s?html?|jhtml|jsp|php|aspx?)$", re.I)


def same_page(a: str, b: str) -> bool:
    """Whether two URLs are one column page: /col/nb/, /col/nb and /col/nb/index.html are."""

    def key(url: str) -> tuple[str, str, str]:
        p = urlsplit(url)
        return p.netloc.lower(), _INDEX.sub("/", p.path).rstrip("/"), p.query

    return key(a) == key(b)


def _base(page: Page, page_url: str) -> str:
    """What the page's links are relative to: its ``<base href>``, else its own URL."""
    base = next((b for b in page.all("base") if b.get("href") is not None), None)
    url = resolved(page_url, str(base.get("href"))) if base is not None else None
    # (one that is not a web address, <base href="javascript:void(0)">, is none: review 102 lost every link to it)
    return url if url and urlsplit(url).scheme in ("http", "https") else page_url


def _links(
    page: Page | None, page_url: str, pattern: re.Pattern[str], links: dict[str, Link]
) -> tuple[list[Link], str | None]:
    if page is None:  # (nothing in it: an empty answer)
        return list(links.values()), None
    base = _base(page, page_url)
    here = canonical(page_url)
    nexts: list[tuple[int, str]] = []  # (rank, url): 下一页 first, then a pager's > and last its >>
    rows = _clicked_rows(page)
    for a in [*page.all("a"), *rows]:
        text, pictured = _link_text(page, a, pattern)
        title = link_words.words(str(a.get("title") or ""))
        maybe_next = _next_words(a, text, title)
        if not (maybe_next or pattern.search(text) or pattern.search(title) or link_words.maybe_cut(text)):
            continue  # (most of a page's links: nothing below would keep it, so its URL is not worked out)
        href = _target(a)
        if href is None:
            continue
        url = resolved(base, href)
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            continue
        if url != here and maybe_next and (rank := _next_rank(page, a, maybe_next, url, here)):
            nexts.append((rank, url))
            continue
        # the title attribute where it names the report (link text is often cut short, "…年度..."), not where it is a
        # tooltip of the date ("发布时间：2025年01月26日"); a date in the text is the day it was published, not its year
        named = title if pattern.search(title) else text
        name = link_words.undated(named)
        if url in links or link_words.skipped(name, text):
            continue  # a 解读 or 图解 of a report; a CMS's template row (hidden or not: rows a 展开更多 shows are too)
        if pattern.search(text) or pattern.search(title):
            year = link_words.year(name)
            column = year is None and link_words.names_only_the_column(name, pattern)
            if column and same_page(url, here):
                continue  # the breadcrumb's link to this very listing: opened at every poll, it would be read whole
            doubt = NOTICE if link_words.notice(name) else COLUMN if column else ""
            # a row a click opens, a picture's alt (a banner's to a 专题 page: review 103): the report if it opens one
            links[url] = Link(url, name, year, doubt or (SCRIPTED if pictured or a in rows else ""))
        elif link_words.cut_short(text, pattern) and not link_words.notice(name):
            links[url] = Link(url, name, link_words.year(name), CUT)
    nexts = [(rank, url) for rank, url in nexts if rank == 1 or url not in links]  # a row's ">" to its own report
    return list(links.values()), min(nexts)[1] if nexts else None


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
        if clicked and not within and el.tag in _ROWS and _SCRIPTED.search(str(el.get("onclick"))):
            rows.append(el)
        inside[-1] = inside[-1] or within or clicked or el.tag == "a"
    return rows


_ROWS = frozenset({"tr", "li", "div", "td", "span", "p", "dd"})


def _next_words(a: Any, text: str, title: str) -> int:
    """What a link's words say of a next page: 下一页 in its words, its title or its image's alt (1), a bare arrow
    (2 for >, 3 for >>), nothing (0)."""
    alt = " ".join(str(img.get("alt") or "") for img in a.iter("img"))
    if any(_NEXT.match(words.strip()) for words in (text, title, alt) if words.strip()):
        return 1
    arrows = _ARROWS.get(text.replace(" ", ""))
    return 1 + arrows if arrows else 0


def _next_rank(page: Page, a: Any, said: int, url: str, here: str) -> int:
    """Whether a link is the listing's next page, and how surely (``_next_words``): a 下一页 is; a pager's bare
    arrow only to a page beside this one (2 for >, 3 for >>: on many pagers the last page): a box's "more >>" goes
    to another column."""
    return said if said == 1 or _beside(url, here) or _in_pager(page, a) else 0


_PAGER_WORDS = re.compile(
    r"首页|尾页|末页|上一页|上页|共\s*\d+\s*页|第\s*\d+\s*页|(?<![\d/.\-])\d{1,3}\s*/\s*\d{1,3}(?![\d/.\-])"
)  # 2/5, not a date's 2024/5/1
_PAGER_NAMES = re.compile(r"pag|fenye|fanye|fy\b", re.I)  # class="pages", id="pagination", class="fenye"


def _in_pager(page: Page, a: Any) -> bool:
    """Whether a bare arrow stands in a pager: its box is named one (class="pages", "pagination", "fenye"), or
    says what pagers say (首页, 共5页, 2/5) or numbers its pages; not a box's "more" link."""
    if "more" in str(a.get("class") or "").lower():
        return False
    return any(_pager(page, box) for box in itertools.islice(a.iterancestors(), 3))


def _pager(page: Page, box: Any) -> bool:
    """Whether a box is a pager (``_in_pager``), worked out once a page: a list with an arrow in each of its 3,000
    rows asked it of the list as many times, each time reading the whole list (126 s)."""
    if (known := page.boxes.get(box)) is not None:
        return known
    names = f"{box.get('class') or ''} {box.get('id') or ''}"
    numbered = sum(1 for x in box.iter("a") if page.close_words(x).isdigit())
    page.boxes[box] = said = bool(
        _PAGER_NAMES.search(names) or _PAGER_WORDS.search(" ".join(page.strings(box))) or numbered >= 2
    )
    return said


def _beside(url: str, here: str) -> bool:
    """A page of the same listing: in the same folder (index_1.html beside index.html), or the same path asked
    for another page (``?page=2``)."""
    a, b = urlsplit(url), urlsplit(here)
    if a.netloc != b.netloc:
        return False
    return a.path == b.path or a.path.rsplit("/", 1)[0] == (
        b.path if b.path.endswith("/") else b.path.rsplit("/", 1)[0]
    ).rstrip("/")


# what a listing with nothing in it says (暂无信息, 暂无数据, 没有找到相关信息); a template a script fills (Vue's
# {{ }} and v-if, Angular's ng-repeat) says it whatever the list will hold, so it says nothing
_EMPTY = re.compile(
    r"暂无(相关)?(信息|数据|内容|记录|文章|结果)|没有(找到)?(相关|符合条件的)?(信息|数据|记录|内容|文章)"
)
_TEMPLATE = re.compile(
    r"\{\{|\bv-(if|for|show)\b|\bng-(repeat|if)\b|\bx-for\b"  # a template a script fills
    r"|\$\.(ajax|get|post|getJSON)\b|XMLHttpRequest|\bfetch\(|\baxios\b|jsonp|\.load\("  # a list a script asks for
    r"|<script[^>]+src=[\"'][^\"']*(list|data|page|info|article|column)[^\"']*\.js",  # …or one of its scripts does
    re.I,
)


# a script writing rows into the page from data it holds (review 97: var listData=[…]; h+="<li><a href=…"; …innerHTML=h):
# one that writes markup and holds a row's or a link's tag in a string (not an analytics snippet's document.write, nor
# a clock's innerHTML, on a column a body left empty: its reports are missing)
_SCRIPTS = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
_WRITES_MARKUP = re.compile(r"\.innerHTML\s*\+?=|document\.write|\.append\(|\.html\(")
_ROW_TAG = re.compile(r"['\"][^'\"\n]*<(?:li|a|tr|td)\b", re.I)


def drawn_by_script(html: str) -> bool:
    """Whether a script fills the page's list: a template, a list asked for, or rows it writes from data it holds."""
    if _TEMPLATE.search(html):
        return True
    return any(_WRITES_MARKUP.search(t) and _ROW_TAG.search(t) for t in (m[1] for m in _SCRIPTS.finditer(html)))


def says_empty(html: str) -> bool:
    """Whether a listing page says in its own words, where a reader sees them, that it lists nothing: not in a
    template or a page whose list a script fills (its 暂无数据 stands whatever the list will hold), nor hidden.
    Asked only of a listing in which no link was found, so bs4's tree, whose ``decompose`` reads as the rule."""
    if drawn_by_script(html):  # (review 97's H: a sidebar's 暂无相关信息 beside a list a script writes)
        return False
    from bs4 import BeautifulSoup  # noqa: PLC0415  (imported here: most polls never ask)

    soup = BeautifulSoup(html, "lxml")
    for hidden in soup.find_all(_unseen):
        hidden.decompose()
    for chrome in soup.find_all(("script", "style", "template", "noscript")):
        chrome.decompose()
    return _EMPTY.search(soup.get_text(" ")) is not None


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _unseen(tag: Any) -> bool:
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style") or "")))


def is_attachment(url: str) -> bool:
    return bool(_ATTACHMENT.search(urlsplit(url).path))


def attachments(html: str, page_url: str) -> list[str]:
    """Links to attachments on a report page in any format a report is published in: PDF and OFD first
    (the published forms), then Word/WPS, a zip of attachments, workbooks, images. Linked (<a>) or shown in the
    page (<iframe>, <embed>, <object>), directly or through a PDF viewer (``viewer.html?file=…pdf``).
    The kind comes from the URL's extension, else from the link text ("…年度报告.pdf" on a download URL)."""
    page = parsed(html)
    if page is None:
        return []
    found: dict[str, str] = {}
    base = _base(page, page_url)
    shown = [(el.get("src") or el.get("data"), "") for el in page.all("iframe", "embed", "object")]
    for href, text in [
        *((a.get("href"), page.words(a)) for a in page.all("a") if a.get("href") is not None),
        *shown,
    ]:
        url = resolved(base, str(href or "").strip())
        if url is None:
            continue
        url = _viewed(url) or url
        m = _ATTACHMENT.search(urlsplit(url).path) or _ATTACHMENT.search(text)
        if m and url not in found:
            found[url] = m.group(1).lower()
    return sorted(found, key=lambda u: _ORDER.index(found[u]) if found[u] in _ORDER else len(_ORDER))


def _viewed(url: str) -> str | None:
    """The document a PDF viewer's address shows (pdf.js: ``/pdfjs/web/viewer.html?file=/uploads/x.pdf``, taken
    from the viewer's address as pdf.js takes it), or None."""
    parts = urlsplit(url)
    if not parts.path.lower().endswith((".html", ".htm", ".jsp", ".aspx", ".php", "/")):
        return None
    for value in parse_qs(parts.query).get("file", []):
        if (inner := resolved(url, value.strip())) is not None and _ATTACHMENT.search(urlsplit(inner).path):
            return inner
    return None
