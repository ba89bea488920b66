"""Stage: discover, the pages of a listing. A 年报 column of dozens of bodies runs to several pages, and CMSs
page it in their own ways: a 下一页 link, or a button, a span or a form that goes to the next page, a pager of
numbered links (``index_1.html``, ``?page=2``), a TRS pager script (``createPageHTML(total, current, "index",
"html")``), a Hanweb (大汉) list whose first records sit in a ``<datastore>`` script and the rest come from its
``dataproxy.jsp`` API by record range, and a list API answering JSON (a page number in its URL). Here: each one's
next page (or that there is one this cannot follow: ``UNFOLLOWED``), and the URLs they name (``base_of``)."""

from __future__ import annotations

import html as htmllib
import itertools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from monitor.reading.paged import trs_pager
from monitor.watch.markup import Page, target

# a next page the listing says there is and no URL of it this reads (a form posted by a script): the listing is not read
# whole; never fetched
UNFOLLOWED = "govmon:unfollowed-next-page"
# 共3页 当前第1页, 当前第1页/共3页, 第1页 共3页, 1/3页: each said together (a jump menu's 第1页 第2页 第3页 is not)
_PAGES_SAID = re.compile(
    r"共\s*(?P<t1>\d{1,4})\s*页[^\d]{0,12}?(?:当前|第)\s*第?\s*(?P<h1>\d{1,4})\s*页"
    r"|(?:当前|第)\s*第?\s*(?P<h2>\d{1,4})\s*页[^\d]{0,12}?共\s*(?P<t2>\d{1,4})\s*页"
    r"|(?<![\d/.\-])(?P<h3>\d{1,4})\s*/\s*(?P<t3>\d{1,4})\s*页"
)


def pages_said(text: str) -> tuple[int, int] | None:
    """The page a pager says this is and how many there are (共3页 当前第1页, 第1页/共3页, 1/3页), or None."""
    if (m := _PAGES_SAID.search(text)) is None:
        return None
    n = next(i for i in "123" if m.group("h" + i))
    return int(m.group("h" + n)), int(m.group("t" + n))


def canonical(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped. Raises ValueError for a URL that
    cannot be one (``http://[::1/x``, a port out of range)."""
    p = urlsplit(url.strip())
    host = (p.hostname or "").lower()
    port = p.port
    netloc = host if port is None or (p.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((p.scheme.lower(), netloc, p.path or "/", p.query, ""))


def resolved(page_url: str, href: str) -> str | None:
    """The link's canonical URL, or None for a malformed one: one bad link is one bad link, the links beside
    it are still read (a `Port out of range` once failed the whole source)."""
    try:
        return canonical(urljoin(page_url, href))
    except ValueError:
        return None


# ---------------------------------------------------------------- numbered pagers and TRS's pager script
_PAGE_PARAM = re.compile(r"(?:^|&)(?:page|pageNo|pageIndex|pageNum|currentPage|p)=(\d+)")


def _shown_number(page_url: str) -> int:
    """The number a pager shows for this page: index_2.html is page 3 (index.html page 1), ?page=2 page 2."""
    p = urlsplit(page_url)
    if m := re.search(r"_(\d+)\.\w+$", p.path):
        return int(m.group(1)) + 1
    m = _PAGE_PARAM.search(p.query)
    return int(m.group(1)) if m else 1


def numbered_next(page: Page, html: str, page_url: str) -> str | None:
    """A listing without a 下一页 link: the pager link numbered one more than this page (``index_1.html``,
    ``?page=2``), or the page a TRS CMS pager script writes (``createPageHTML(total, current, "index", "html")``,
    whose pages are index.html, index_1.html, …)."""
    want = str(_shown_number(page_url) + 1)
    for a in page.all("a"):
        if a.get("href") is not None and page.words(a) in (want, f"[{want}]", f"第{want}页"):
            url = resolved(page_url, str(a.get("href")).strip())
            if url and url != canonical(page_url) and urlsplit(url).scheme in ("http", "https"):
                return url
    pager = trs_pager(html)
    if pager is None:
        return None
    # this page's index: its address where the script names its pages (index.html 0, index_2.html 2), else the
    # script's own (counting from 1 where it names its element first: 'page_div', 6, 1, …)
    last = urlsplit(page_url).path.rsplit("/", 1)[-1]
    if last in ("", f"{pager.name}.{pager.ext}"):
        current = 0
    elif m := re.fullmatch(rf"{re.escape(pager.name)}_(\d+)\.{re.escape(pager.ext)}", last):
        current = int(m.group(1))
    else:
        current = pager.current - 1 if pager.into else pager.current
    if current >= 0 and current + 1 < pager.total:
        return resolved(page_url, f"{pager.name}_{current + 1}.{pager.ext}")
    return None


# ---------------------------------------------------------------- Hanweb (大汉) jpage lists
_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[\s*<a\s+href=[\"']([^\"']+)[\"']", re.S | re.I)
_TOTAL = re.compile(r"(?:<totalrecord>\s*|totalRecord\s*[:=]\s*['\"]?)(\d+)", re.I)
_PER_PAGE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.I)
_GROUP = re.compile(r"groupSize\s*[:=]\s*['\"]?(\d+)", re.I)


def datastore_records(html: str) -> str | None:
    """The records of a Hanweb list's ``<datastore>`` (the HTML of each, joined), or None for another page."""
    stores = _DATASTORE.findall(html)
    return "\n".join(r for store in stores for r in _RECORD.findall(store)) if stores else None


def _number(pattern: re.Pattern[str], text: str, default: int | None) -> int | None:
    m = pattern.search(text)
    return int(m.group(1)) if m else default


def next_datastore_page(html: str, page_url: str) -> str | None:
    """The next group of a Hanweb list: its ``dataproxy.jsp`` (the ``<nextgroup>`` link of the first page, else
    this page's own URL) asked for the records after those read (``startrecord``/``endrecord``), until its
    total (``totalRecord`` of the pager script, ``<totalrecord>`` of an answer) is read."""
    m = _NEXTGROUP.search(html)
    query = dict(parse_qsl(urlsplit(page_url).query))
    base = resolved(page_url, htmllib.unescape(m.group(1))) if m else page_url if "endrecord" in query else None
    if base is None:
        return None
    asked = query.get("perpage", "")
    per = _number(_PER_PAGE, html, None) or (int(asked) if asked.isdigit() and int(asked) else 15)
    group = per * (_number(_GROUP, html, 3) or 3)
    records = sum(len(_RECORD.findall(s)) for s in _DATASTORE.findall(html))
    end = int(query["endrecord"]) if query.get("endrecord", "").isdigit() else records
    total = _number(_TOTAL, html, None)
    if not records or (total is not None and end >= total) or (total is None and records < group):
        return None
    p = urlsplit(base)
    params = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k not in ("startrecord", "endrecord")]
    last = end + group if total is None else min(end + group, total)
    params += [("startrecord", str(end + 1)), ("endrecord", str(last))]
    if not any(k == "perpage" for k, _ in params):
        params.append(("perpage", str(per)))
    return urlunsplit((p.scheme, p.netloc, p.path, urlencode(params), ""))


# ---------------------------------------------------------------- list APIs answering JSON
_JSONP = re.compile(r"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.S)
_URL_KEYS = ("url", "link", "href", "docpuburl", "puburl", "linkurl", "visiturl", "detailurl")
_TITLE_KEYS = ("title", "doctitle", "name", "subject", "linktitle", "showtitle")
# where none of those is there, a key that says it (review 102: articleUrl/articleTitle, lianjie/biaoti, path/infoTitle,
# fileUrl, viewUrl, jumpUrl, title_cn, …)
_URL_KEY = re.compile(r"url|link|href|path|lianjie|dizhi")
_TITLE_KEY = re.compile(r"title|biaoti|name|subject|mingcheng")


def as_json(text: str) -> Any | None:
    """The page as JSON (or JSONP) when a list API answered, else None."""
    body = text.strip()
    if m := _JSONP.match(body):
        body = m.group(1)
    if body[:1] not in ("{", "["):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def json_html(data: Any) -> str:
    """A list API's answer as HTML links: each HTML fragment it carries (``{"html": "<li><a …"}``) and each
    record naming a URL and a title (``{"url": …, "title": …}``, whatever the case of the keys)."""
    out: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, str):
            if "<a " in x:
                out.append(x)
        elif isinstance(x, list):
            for item in x:
                walk(item)
        elif isinstance(x, dict):
            keys = {str(k).lower().replace("_", ""): v for k, v in x.items()}
            url = next((keys[k] for k in _URL_KEYS if isinstance(keys.get(k), str)), None) or _said(keys, _URL_KEY)
            title = next((keys[k] for k in _TITLE_KEYS if isinstance(keys.get(k), str)), None) or _said(
                keys, _TITLE_KEY
            )
            if url and title:
                out.append(f'<a href="{htmllib.escape(url)}">{htmllib.escape(title)}</a>')
            for v in x.values():
                walk(v)

    walk(data)
    return "\n".join(out)


def _said(keys: dict[str, Any], named: re.Pattern[str]) -> str | None:
    """The one string a record's keys say is its URL (or its title), where no known key names it (None: none, or
    two that disagree)."""
    found = {v for k, v in keys.items() if isinstance(v, str) and v.strip() and named.search(k)}
    return found.pop() if len(found) == 1 else None


_PAGE_KEYS = ("page", "pageNo", "pageIndex", "pageNum", "currentPage")
_IN_JSON = re.compile(r"(\"(?:page|pageNo|pageIndex|pageNum|currentPage)\"\s*:\s*)(\d+)")


def next_api_page(page_url: str) -> str | None:
    """The list API's next page: the page number in its URL, one more (``?pageNo=2``, or inside a JSON
    parameter as TRS's ``paramJson={"pageNo":2}``); None when the URL carries none."""
    p = urlsplit(page_url)
    params = parse_qsl(p.query, keep_blank_values=True)
    for i, (k, v) in enumerate(params):
        if k in _PAGE_KEYS and v.isdigit():
            params[i] = (k, str(int(v) + 1))
        elif _IN_JSON.search(v):
            params[i] = (k, _IN_JSON.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", v, count=1))
        else:
            continue
        return urlunsplit((p.scheme, p.netloc, p.path, urlencode(params), ""))
    return None


# ---------------------------------------------------------------- the next page as a link or a control says it
# a 下一页 link as pagers write it: 下一页, [下一页], 下一页>, 下一页 », next page (the arrows alone: see _ARROWS)
_NEXT = re.compile(
    r"^[\[【(（]?\s*(下一页|下页|后一页|后页|下一頁|下頁|next(\s*page)?)\s*[>›»＞→]*\s*[\]】)）]?$", re.I
)
_ARROWS = {">": 1, "›": 1, "＞": 1, "→": 1, ">>": 2, "»": 2, "›»": 2}  # a pager's next (its last page: >>, »)


def base_of(page: Page, page_url: str) -> str:
    """What the page's links are relative to: its ``<base href>``, else its own URL."""
    base = next((b for b in page.all("base") if b.get("href") is not None), None)
    url = resolved(page_url, str(base.get("href"))) if base is not None else None
    # (one that is not a web address, <base href="javascript:void(0)">, is none: review 102 lost every link to it)
    return url if url and urlsplit(url).scheme in ("http", "https") else page_url


def next_otherwise(page: Page, page_url: str, html: str) -> str | None:
    """A next page no link of the page's goes to: a 下一页 button or span whose script goes to it
    (``<input type=button value=下一页 onclick="location.href='index_1.html'">``), or, where it is there and leads
    nowhere this reads (a form posted by ``goPage(2)``, ``turnPage(2)``) or the pager says more pages follow (共3页
    当前第1页, 1/3页), ``UNFOLLOWED``: the listing is not read whole (review 102: each was taken for a listing's last
    page, and the bodies on its next pages called late)."""
    for el in page.all("a", "span", "input", "button", "div", "li", "td") if _NEXT_WORDS.search(html) else ():
        words = str(el.get("value") or "") if el.tag == "input" else el.text or "" if el.tag != "a" else page.words(el)
        if len(words) > 12 or not _NEXT.match(words.strip()):
            continue
        if el.tag != "a" and (url := target(el)) is not None and (url := resolved(base_of(page, page_url), url)):
            return url
        # where the pager the control stands in (not another box of the page: review 103) says this is not its last
        # page (a button that does nothing, javascript:void(0), or a last page's own goPage(3), says nothing)
        for box in itertools.islice(el.iterancestors(), 2):
            if box.tag in ("body", "html") or len(text := " ".join(page.strings(box))) > _PAGER_SIZE:
                break  # (past the pager: the page's list, its other boxes)
            if (said := pages_said(text)) is not None:
                if said[0] < said[1]:
                    return UNFOLLOWED
                break
    return None


_NEXT_WORDS = re.compile(r"下一?[页頁]|后一?页|next", re.I)
_PAGER_SIZE = 300  # characters: a pager's box says its pages and numbers them in fewer


def next_words(a: Any, text: str, title: str) -> int:
    """What a link's words say of a next page: 下一页 in its words, its title or its image's alt (1), a bare arrow
    (2 for >, 3 for >>), nothing (0)."""
    alt = " ".join(str(img.get("alt") or "") for img in a.iter("img"))
    if any(_NEXT.match(words.strip()) for words in (text, title, alt) if words.strip()):
        return 1
    arrows = _ARROWS.get(text.replace(" ", ""))
    return 1 + arrows if arrows else 0


def next_rank(page: Page, a: Any, said: int, url: str, here: str) -> int:
    """Whether a link is the listing's next page, and how surely (``next_words``): a 下一页 is; a pager's bare
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
