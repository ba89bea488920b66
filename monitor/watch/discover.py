"""Stage: discover. A portal's 年报 listing page -> the report links on it, and the next page.

A link is a report when its text (or title attribute) names a 政府信息公开(工作)年度报告
(the source's ``link_pattern``). The year it covers is read from the text, in Arabic or
Chinese numerals. URLs are resolved against the page and canonicalised so the same
report reached by two spellings of its URL is kept once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monitor.model import year_of
from monitor.watch import pagers
from monitor.watch.pagers import canonical, resolved

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

_NEXT = re.compile(r"^(下一页|下页|后一页|next|>|›|»|>>)$", re.I)
# every format a report is published in (extract.READERS reads each by its bytes, whatever the name says)
_ATTACHMENT = re.compile(r"\.(pdf|ofd|docx?|wps|xlsx?|et|zip|png|jpe?g|tiff?)$", re.I)
_ORDER = ("pdf", "ofd", "docx", "doc", "wps", "zip", "xlsx", "xls", "et")  # published forms first; images last


@dataclass(frozen=True)
class Link:
    url: str
    title: str
    year: int | None


def _soup(markup: str) -> BeautifulSoup:
    """The page as bs4 reads it with lxml. bs4 is imported with the first page read, not with the watcher: with
    soupsieve it is ~55 ms that `run`'s first request waited for (issue #28)."""
    from bs4 import BeautifulSoup  # noqa: PLC0415

    return BeautifulSoup(markup, "lxml")


def discover(html: str, page_url: str, pattern: re.Pattern[str]) -> tuple[list[Link], str | None]:
    """The report links on a listing page (in page order, no duplicates) and the next page's URL. The page may
    be HTML, a Hanweb (大汉) list whose records sit in a ``<datastore>`` script, or the JSON a list API answers."""
    data = pagers.as_json(html)
    if data is not None:  # a list API's answer: its links, the next page by the page number in the URL
        links = _links(_soup(pagers.json_html(data)), page_url, pattern, {})[0]
        return links, pagers.next_api_page(page_url) if links else None
    records = pagers.datastore_records(html)
    if records is not None and html.lstrip().startswith(("<?xml", "<datastore")):  # a Hanweb API's answer
        links = _links(_soup(records), page_url, pattern, {})[0]
        return links, pagers.next_datastore_page(html, page_url)
    soup = _soup(html)
    links, next_page = _links(soup, page_url, pattern, {})
    if records is not None:  # a Hanweb list: the records its pager script draws, the next group from its API
        links += [x for x in _links(_soup(records), page_url, pattern, {})[0] if x not in links]
        return links, next_page or pagers.next_datastore_page(html, page_url)
    return links, next_page or pagers.numbered_next(soup, html, page_url)


# a day (2025-01-26, 2025/1/26, 2025年01月26日), not a year's span ("2023年1-12月")
_DATED = re.compile(r"(?:19|20)\d{2}(?:\s*([-/.])\s*\d{1,2}\s*\1\s*\d{1,2}(?!\d)|\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")


def _links(
    soup: BeautifulSoup, page_url: str, pattern: re.Pattern[str], links: dict[str, Link]
) -> tuple[list[Link], str | None]:
    next_page = None
    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = unicodedata.normalize("NFKC", " ".join(a.get_text(" ").split()))
        title = unicodedata.normalize("NFKC", str(a.get("title") or ""))
        url = resolved(page_url, href)
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            continue
        if _NEXT.match(text) and next_page is None and url != canonical(page_url):
            next_page = url
            continue
        # the title attribute where it names the report (link text is often cut short, "…年度..."), not where it is a
        # tooltip of the date ("发布时间：2025年01月26日"); a date in the text is the day it was published, not its year
        name = " ".join(_DATED.sub(" ", title if pattern.search(title) else text).split())
        if (pattern.search(text) or pattern.search(title)) and url not in links:
            links[url] = Link(url, name, year_of(name))
    return list(links.values()), next_page


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


def says_empty(html: str) -> bool:
    """Whether a listing page says in its own words, where a reader sees them, that it lists nothing: not in a
    template or a page whose list a script fills (its 暂无数据 stands whatever the list will hold), nor hidden."""
    if _TEMPLATE.search(html):
        return False
    soup = _soup(html)
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
    (the published forms), then Word/WPS, a zip of attachments, workbooks, images.
    The kind comes from the URL's extension, else from the link text ("…年度报告.pdf" on a download URL)."""
    soup = _soup(html)
    found: dict[str, str] = {}
    for a in soup.find_all("a", href=True):
        url = resolved(page_url, str(a["href"]).strip())
        if url is None:
            continue
        text = " ".join(a.get_text(" ").split())
        m = _ATTACHMENT.search(urlsplit(url).path) or _ATTACHMENT.search(text)
        if m and url not in found:
            found[url] = m.group(1).lower()
    return sorted(found, key=lambda u: _ORDER.index(found[u]) if found[u] in _ORDER else len(_ORDER))
