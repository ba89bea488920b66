"""A source's listing pages, as a poll reads them: fetched with the validators of their last reading (conditional
GET), followed page to page up to ``max_pages``, their report links found (``discover``) or taken from the store
when a page is unchanged; and what the store knows of them: whether the listing as last read ended within
``max_pages``, and the day it was last read whole."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection, Container
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from monitor import reading
from monitor.config import Source
from monitor.errors import FetchError, InputError, NotRead
from monitor.model import china_today
from monitor.reading.formats import decode
from monitor.store import Listing, PageCache, SourceState, Store
from monitor.watch import pagers
from monitor.watch.addresses import allowed_for
from monitor.watch.column import drawn_by_script, says_empty
from monitor.watch.discover import COLUMN, FOUND_BY, Link, discover, same_page
from monitor.watch.fetch import Fetcher
from monitor.watch.handed import handed
from monitor.watch.pagers import UNFOLLOWED
from monitor.watch.refused import refusal

log = logging.getLogger("govmon")


def listing_complete(store: Store, source: Source, pages: dict[str, PageCache | None] | None = None) -> bool:
    """Whether the source's listing pages, as last read, end within ``max_pages`` (a next page left unread
    means a body's report may be there: not looked for, 未能检查). ``pages``: those already read from the store
    (a poll reads each once), and where the ones read here are kept."""
    known = {} if pages is None else pages
    url: str | None = source.list_url
    seen: set[str] = set()
    while url and url not in seen:
        if len(seen) >= source.max_pages or url == UNFOLLOWED:
            return False
        seen.add(url)
        cached = known[url] if url in known else known.setdefault(url, store.page(url))
        if cached is None and url != source.list_url:
            return False  # a next page never read (it could not be fetched: its reports not looked for)
        url = cached.listing.next if cached and cached.listing else None
    return True


def _again(page: tuple[bytes, str, set[str]], before: tuple[bytes | None, set[str]]) -> bool:
    """Whether a listing page (its bytes, text and report links) is the page before (its bytes, None where it was
    not fetched, and links) again: the listing's end. A list API answering its last page for any page number asked
    (Spring's, TRS 海云's: review 102's H9, read to max_pages and never whole) answers the same bytes, or, where it
    says which page was asked, the same records; an HTML pager doing so, the same page but for its numbers (its
    下一页 and 当前第N页 counting on: review 106). Not an HTML page bringing the same report links as the one before
    with other rows (a column's own link on every page, a 置顶 report: review 104)."""
    body, text, urls = page
    if body == before[0]:
        return True
    if not urls or urls != before[1]:
        return False
    if pagers.as_json(text) is not None or text.lstrip().startswith("<?xml"):
        return True
    return before[0] is not None and _DIGITS.sub(b"", body) == _DIGITS.sub(b"", before[0])


_DIGITS = re.compile(rb"\d+")


def listing_read(store: Store, source: Source, state: SourceState, pages: dict[str, PageCache | None]) -> date | None:
    """The day the source's previous poll read its whole listing with today's link_pattern: a report listed
    first now was not on it then (None: that poll failed, stopped at max_pages, or read it otherwise, or its stamp
    is ahead of the clock: made while the clock was ahead, it says nothing of when the listing was read)."""
    if not state.last_poll or state.last_error:
        return None
    read = datetime.fromisoformat(state.last_poll)
    if read > datetime.now(UTC) + timedelta(hours=1):
        return None
    if source.list_url not in pages:
        pages[source.list_url] = store.page(source.list_url)
    cached = pages[source.list_url]
    if cached is None or cached.listing is None:
        return None
    if cached.listing.pattern != source.link_pattern.pattern or not listing_complete(store, source, pages):
        return None
    return china_today(read)  # the day in China, as a report's 发布日期 is written


async def read_listing(
    store: Store, fetcher: Fetcher, source: Source, pages: dict[str, PageCache | None]
) -> tuple[list[Link], bool]:
    """The report links of the source's listing pages, and whether every page was read (False: a next page
    was left past ``max_pages``). ``pages``: those already read from the store this poll."""
    allow, pattern = allowed_for(source.list_url), source.link_pattern.pattern
    links: dict[str, Link] = {}
    url: str | None = source.list_url
    seen: set[str] = set()
    before: tuple[bytes | None, set[str]] = (None, set())  # the page read last: its bytes (None: unchanged), links
    while url and url != UNFOLLOWED and len(seen) < source.max_pages and url not in seen:
        seen.add(url)
        cached = pages[url] if url in pages else store.page(url)
        etag, modified = (cached.etag, cached.last_modified) if cached else (None, None)
        try:
            resp = await fetcher.get(url, etag=etag, last_modified=modified, allow=allow)
        except FetchError as exc:
            if url == source.list_url:
                raise
            # a next page that cannot be fetched (a pager's page that is not there, a script's address built wrong:
            # review 102): the pages read are told, the listing is not read whole
            log.warning("source %s: listing page %s not read: %s", source.id, url, exc)
            return list(links.values()), False
        not_home(source.list_url, url, resp.url)
        known = cached.listing if cached else None
        if resp.not_modified and known is not None and (known.pattern, known.found_by) == (pattern, FOUND_BY):
            # unchanged, and read with the same link_pattern the same way: the links found last time
            found = [Link(*link) for link in known.links]
            url, before = known.next, (None, {x.url for x in found})
        else:
            body = store.page_body(url) if resp.not_modified else resp.body
            try:
                html, _ = decode(body, (resp.charset if not resp.not_modified else None) or source.encoding)
                found, url_next = await _discovered(
                    html, resp.url if not resp.not_modified else url, source.link_pattern
                )
            except InputError as exc:  # a next page that is no page (a frame's PDF: review 107), or past a reader's
                if url == source.list_url:  # limits: the pages read are told, the listing is not read whole
                    raise
                log.warning("source %s: listing page %s not read: %s", source.id, url, exc)
                return list(links.values()), False
            urls = {x.url for x in found}
            if len(seen) > 1 and _again((body, html, urls), before):
                url_next = None  # (kept so: the listing, walked as stored, ends here too)
            kept = Listing(tuple((k.url, k.title, k.year, k.doubt) for k in found), url_next, pattern, FOUND_BY)
            store.save_page(url, resp.etag or etag, resp.last_modified or modified, body, kept)
            url, before = url_next, (body, urls)
        for link in found:  # a column's link to a page of this listing (its first page, from the second) is none
            if not (link.doubt == COLUMN and any(same_page(link.url, page) for page in (*seen, source.list_url))):
                links.setdefault(link.url, link)
    if url == UNFOLLOWED:  # (its pager posts a form, or a script builds the next page's address)
        log.warning("source %s: a next page of the listing %s could not be followed", source.id, source.list_url)
    elif url and url not in seen:
        log.warning("source %s: listing pages past max_pages=%d not read", source.id, source.max_pages)
    return list(links.values()), not (url and url not in seen)


# characters of a listing page from which its links are found by a reader: lxml and the links' words take this
# process ~0.02 ms a KiB (a real column page of 120-350 KB: 2.6-9 ms, its loop held), handing a page over ~0.1 ms
# and a wait for a reader behind the documents in hand; a small page (a list API's answer, a bare list) is parsed
# here in well under a millisecond
IN_A_READER = 8192


async def _discovered(html: str, page_url: str, pattern: re.Pattern[str]) -> tuple[list[Link], str | None]:
    """``discover``: here for a small page, in a reader for a large one."""
    if len(html) < IN_A_READER:
        return discover(html, page_url, pattern)
    try:
        return await handed(reading.bounded, discover, html, page_url, pattern)
    except NotRead:  # it waited for a reader as the service stopped: the poll is cut off as the stop cuts polls
        raise asyncio.CancelledError from None  # (its source given back), not failed (a failure counts to an alert)
    except InputError as exc:  # past a reader's limits: said of the column page, not of a report
        raise InputError(f"栏目页{page_url}：{exc}") from None


NO_LINKS = (
    "栏目页面上没有找到任何年度报告链接（链接文字需符合link_pattern）：页面可能由脚本生成，或栏目地址、编码有误；"
    "未能检查各年度报告是否逾期"
)
REFUSED = "栏目地址返回的是{}，不是栏目本身；未能检查各年度报告是否逾期"
LISTED_BEFORE = (
    "栏目页面这次没有列出任何年度报告，而此前列出过（{}年度）：栏目可能已改版、迁移或暂时出错，请核对栏目地址；"
    "未能检查各年度报告是否逾期"
)
HOME = "栏目地址跳转到了网站首页（{}）：栏目可能已改版或迁移，请核对栏目地址；未能检查各年度报告是否逾期"


def unread_listing(
    store: Store, source: Source, links: list[Link], opened: Container[str], years: Collection[int]
) -> str | None:
    """Why the poll read nothing of the source's listing, where nothing published was not said (None: it was
    read): no link, or only a menu's or a breadcrumb's to the column, opening no report (``opened``: the links
    that did), on a page a portal answered in place of the column (an anti-bot check, a block page, "page not
    found": review 111), on a column that listed reports before (``years``, of the reports stored from it: a column
    moved or broken, not emptied), or on a page a script draws its list on (review 97: its chrome's link took the
    place of the list a script draws). A listing that says so in its own words (暂无信息) lists nothing."""
    if not all(x.doubt == COLUMN and x.url not in opened for x in links):
        return None
    body = store.page_body(source.list_url)
    html = decode(body, source.encoding)[0] if body else ""
    if said := refusal(html):
        return REFUSED.format(said)
    if years:
        return LISTED_BEFORE.format("、".join(map(str, sorted(years))))
    if html and says_empty(html):
        return None
    return NO_LINKS if not links or drawn_by_script(html) else None


def not_home(list_url: str, asked: str, landed: str) -> None:
    """Raises where asking for the column's first page (``asked`` is ``list_url``) landed, through redirects, on its
    site's home page (a portal rebuilt, its old addresses sent home: review 111), the column not being the home page
    itself: the home page's menu is no column's list."""
    home = ("", "/", "/index.html", "/index.htm", "/index.shtml", "/index.jsp", "/default.html", "/default.htm")
    column, got = urlsplit(list_url), urlsplit(landed)
    if asked != list_url or got.path.lower() not in home or got.query:
        return
    if column.path.lower() not in home or column.query:
        raise InputError(HOME.format(landed))
