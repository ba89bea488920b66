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
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from monitor.model import year_of

_NEXT = re.compile(r"^(下一页|下页|后一页|next|>|›|»|>>)$", re.I)
# every format a report is published in (extract.READERS reads each by its bytes, whatever the name says)
_ATTACHMENT = re.compile(r"\.(pdf|ofd|docx?|wps|xlsx?|et|zip|png|jpe?g|tiff?)$", re.I)
_ORDER = ("pdf", "ofd", "docx", "doc", "wps", "zip", "xlsx", "xls", "et")  # published forms first; images last


@dataclass(frozen=True)
class Link:
    url: str
    title: str
    year: int | None


def canonical(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped. Raises ValueError for a URL that
    cannot be one (``http://[::1/x``, a port out of range)."""
    p = urlsplit(url.strip())
    host = (p.hostname or "").lower()
    port = p.port
    netloc = host if port is None or (p.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((p.scheme.lower(), netloc, p.path or "/", p.query, ""))


def _resolved(page_url: str, href: str) -> str | None:
    """The link's canonical URL, or None for a malformed one: one bad link is one bad link, the links beside
    it are still read (a `Port out of range` once failed the whole source)."""
    try:
        return canonical(urljoin(page_url, href))
    except ValueError:
        return None


def discover(html: str, page_url: str, pattern: re.Pattern[str]) -> tuple[list[Link], str | None]:
    """The report links on a listing page (in page order, no duplicates) and the next page's URL."""
    soup = BeautifulSoup(html, "lxml")
    links: dict[str, Link] = {}
    next_page = None
    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = unicodedata.normalize("NFKC", " ".join(a.get_text(" ").split()))
        title = unicodedata.normalize("NFKC", str(a.get("title") or ""))
        url = _resolved(page_url, href)
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            continue
        if _NEXT.match(text) and next_page is None and url != canonical(page_url):
            next_page = url
            continue
        name = title or text  # link text is often cut short ("…年度..."), the title attribute is not
        if (pattern.search(text) or pattern.search(title)) and url not in links:
            links[url] = Link(url, name, year_of(name))
    return list(links.values()), next_page or _numbered_next(soup, html, page_url)


_TRS_PAGER = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w\-]+)[\"']\s*,\s*[\"'](\w+)[\"']")


def _shown_number(page_url: str) -> int:
    """The number a pager shows for this page: index_2.html is page 3 (index.html page 1), ?page=2 page 2."""
    p = urlsplit(page_url)
    if m := re.search(r"_(\d+)\.\w+$", p.path):
        return int(m.group(1)) + 1
    m = re.search(r"(?:^|&)(?:page|pageNo|pageIndex|p)=(\d+)", p.query)
    return int(m.group(1)) if m else 1


def _numbered_next(soup: BeautifulSoup, html: str, page_url: str) -> str | None:
    """A listing without a 下一页 link: the pager link numbered one more than this page (``index_1.html``,
    ``?page=2``), or the page a TRS CMS pager script writes (``createPageHTML(total, current, "index", "html")``,
    whose pages are index.html, index_1.html, …)."""
    want = str(_shown_number(page_url) + 1)
    for a in soup.find_all("a", href=True):
        if " ".join(a.get_text(" ").split()) in (want, f"[{want}]", f"第{want}页"):
            url = _resolved(page_url, str(a["href"]).strip())
            if url and url != canonical(page_url) and urlsplit(url).scheme in ("http", "https"):
                return url
    m = _TRS_PAGER.search(html)
    if m and int(m.group(2)) + 1 < int(m.group(1)):
        return _resolved(page_url, f"{m.group(3)}_{int(m.group(2)) + 1}.{m.group(4)}")
    return None


def is_attachment(url: str) -> bool:
    return bool(_ATTACHMENT.search(urlsplit(url).path))


def attachments(html: str, page_url: str) -> list[str]:
    """Links to attachments on a report page in any format a report is published in: PDF and OFD first
    (the published forms), then Word/WPS, a zip of attachments, workbooks, images.
    The kind comes from the URL's extension, else from the link text ("…年度报告.pdf" on a download URL)."""
    soup = BeautifulSoup(html, "lxml")
    found: dict[str, str] = {}
    for a in soup.find_all("a", href=True):
        url = _resolved(page_url, str(a["href"]).strip())
        if url is None:
            continue
        text = " ".join(a.get_text(" ").split())
        m = _ATTACHMENT.search(urlsplit(url).path) or _ATTACHMENT.search(text)
        if m and url not in found:
            found[url] = m.group(1).lower()
    return sorted(found, key=lambda u: _ORDER.index(found[u]) if found[u] in _ORDER else len(_ORDER))
