"""Stage: watch, a report just read against what is stored of it, for ``document.Documents``: the version it
revises (the URL's own, or its body's report of the year kept under another URL) and that version as govmon reads
its bytes now; the body's report of the year before; whether the same report is stored already under another URL
or from another source (kept once: this URL remembered as its duplicate); whether the address holds another year's
report now (the one stored set aside), or the body's report published again at a new one; whether a page that
ended as a page when stored is cut short now.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from monitor.checks import copies
from monitor.config import Source
from monitor.errors import InputError
from monitor.model import Finding, Report
from monitor.model.bodies import Attribution
from monitor.reading.facts import stated_year
from monitor.store import ReportReads, Store, StoredDocument, StoredVersion, UnreadableReport, VersionHashes
from monitor.watch.behind import read_again
from monitor.watch.discover import Link
from monitor.watch.fetch import Response

log = logging.getLogger("govmon")
CUT_SHORT = "页面不完整：没有页面的结尾（</body></html>），而此前收录的版本有；可能未下载完整，未读取"
HALF_A_YEAR = timedelta(days=183)
_ENDED = re.compile(rb"</(?:html|body)\s*>", re.I)
_OPENED = re.compile(rb"<(?:html|body)\b", re.I)


class Stored:
    """The store's side of one document's check: ``parsing`` bounds the readers a stored version is read again in."""

    def __init__(self, store: Store, parsing: asyncio.Semaphore) -> None:
        self.store, self.parsing = store, parsing

    def corrected(self, stored: StoredVersion, report: Report) -> bool:
        """``_year_corrected``, the stored version's text read only where it decides."""
        return _year_corrected(stored, report, lambda: self.store.text(stored.id))

    def around(
        self,
        source: Source,
        report: Report,
        content_hash: str,
        body: str,
        *,
        year: int | None,
        own: StoredVersion | None,
    ) -> ReportReads:
        """``Store.report_reads`` for a report just read, of ``year``. Where the URL's own version was the year
        before's and this is it with its title's year corrected (2022 → 2023: ``_year_corrected``), the body's report
        of the year before is another one, if any, not this one as it was; where it is another year's report (a
        fixed URL that holds each year's report in turn, tables copied or not) it is that version. A report stored
        by an older govmon, which hashed it otherwise, is seen where the body's report of the year is its bytes."""
        around = self.store.report_reads(source.id, content_hash, body, year)
        if own is not None and year and own.report.year == year - 1 and self.corrected(own, report):
            return replace(around, before=self.store.body_report(body, year - 1, besides=own.url))
        return around

    async def seen_as_read_now(
        self, source: Source, link: Link, resp: Response, *, body: str, year: int | None, content_hash: str
    ) -> bool:
        """Whether the body's report of ``year``, stored under another URL, is this one as govmon reads its bytes
        now (stored by an older govmon, which hashed it otherwise: the report moved to a new address with the
        upgrade is not a new report)."""
        stored = self.store.body_version(body, year) if year else None
        if stored is None or stored.url == link.url:
            return False
        now = await self.as_read_now(source, link, stored, resp)
        if now is None or now[1] != content_hash:
            return False
        self.store.rehash(stored.id, content_hash)
        return True

    async def earlier(
        self, source: Source, link: Link, own: StoredVersion | None, latest: StoredVersion | None, resp: Response
    ) -> tuple[dict[str, Any], str] | None:
        """The version a new one revises (None: none), as its stored form and content hash: the URL's own as govmon
        reads its bytes now where it can, else as stored."""
        if own is not None and (now := await self.as_read_now(source, link, own, resp)) is not None:
            return now
        if latest is None:
            return None
        return {**latest.report.to_json(), "section_text": latest.section_text}, latest.content_hash

    async def as_read_now(
        self, source: Source, link: Link, version: StoredVersion, resp: Response
    ) -> tuple[dict[str, Any], str] | None:
        """A stored version as govmon reads its bytes now (``behind.read_again``). Where the content hash differs
        from a new page's, the report may not have: the page around it changed, and a newer govmon reads the page
        otherwise (the end of its last part, the lines left out)."""
        raw, encoding = self.store.raw(version.id), resp.charset or source.encoding
        return await read_again(self.parsing, raw, version.sha256, url=link.url, kind=source.kind, encoding=encoding)

    def revised(
        self, doc: StoredDocument | None, body: str, year: int | None
    ) -> tuple[StoredVersion | None, StoredVersion | None]:
        """(this URL's own latest version, the version its new content revises). A URL kept as the duplicate of
        its body's report of the year (stored under another URL: whichever was read first, two being read at
        once) has none of its own, and revises that report: staff are told a revision either way."""
        own = self.store.latest_version(doc.id) if doc else None
        if own is None and doc and year:
            return None, self.store.body_version(body, year)
        return own, own

    def duplicate(
        self,
        source: Source,
        link: Link,
        resp: Response,
        who: Attribution,
        seen: bool,
        *,
        known: bool,
        year: int | None,
    ) -> bool:
        """``seen``: whether the report is one stored already (its content, ``content_seen``), under a second URL
        or from the same body's other source: kept once, and this URL remembered as its duplicate (the body is
        known on this source; while its bytes do not change, it is not read again)."""
        if not seen:
            return False
        if not known:
            self.store.save_duplicate(
                source.id,
                link.url,
                title=link.title,
                year=year,
                attribution=who,
                validators=(resp.etag, resp.last_modified),
            )
        return True

    def published_again(self, link: Link, report: Report, body: str, year: int | None) -> list[Finding]:
        """The findings of the report a new address's report is published again in place of: the body's report of
        the year stored under another address, under the same title (but a mark such as （更正）); none else."""
        stored = self.store.body_version(body, year) if year else None
        if stored is None or stored.url == link.url or _titled(stored.report.title) != _titled(report.title):
            return []
        return stored.findings

    def still_cut(self, doc: StoredDocument | None, failed: UnreadableReport | None, report: Report) -> None:
        """Raises where a page taken for cut short at the poll before, read now as the same bytes came again, lacks a
        part its stored version had: a proxy cutting every answer at one size brings the same bytes twice (review
        115); a new template without closing tags does not lose parts."""
        if doc is None or failed is None or not failed.error.startswith(CUT_SHORT):
            return
        latest = self.store.latest_version(doc.id)
        had = {n for n, span in (latest.report.sections if latest else {}).items() if span}
        if had - {n for n, span in report.sections.items() if span}:
            raise InputError(CUT_SHORT)

    def this_year(
        self, source: Source, doc: StoredDocument | None, known: VersionHashes | None, report: Report
    ) -> tuple[StoredDocument | None, VersionHashes | None]:
        """The stored report at a link (its document, its latest version's hashes) that ``report`` read there now may
        revise: none where the address holds another year's report now (a page kept for the latest report, or two
        servers behind one address), which is set aside, published as it was (review 112: it was called 逾期未发布,
        this one its revision; review 113: an undated one, a year coming back). The stored report with its title's
        year corrected (the same numbers, the same 发布日期) is the one revised."""
        if doc is None or not doc.year or not report.year or report.year == doc.year:
            return doc, known
        latest = self.store.latest_version(doc.id)
        if latest is not None and self.corrected(latest, report):
            return doc, known
        self.store.set_aside(doc.id, doc.year)
        log.info(
            "source %s: %s holds the %d report now; its %d report is kept", source.id, doc.url, report.year, doc.year
        )
        return None, None

    def whole(
        self, resp: Response, known: VersionHashes | None, failed: UnreadableReport | None = None, sha: str = ""
    ) -> None:
        """Raises where a page that ended as a page does (``</html>``) when its version was stored ends so no longer:
        cut short in its transfer past its last table (review 113: read, its last parts were "missing", and it was
        mailed as revised twice, cut and whole again). ``reading.html.cut_short`` tells a page cut inside a table."""
        if known is None or not _OPENED.search(resp.body[:4096]) or _ENDED.search(resp.body):
            return
        if failed is not None and failed.sha256 == sha and failed.error.startswith(CUT_SHORT):
            return  # the same bytes at two polls: a page that ends so now (a new template), not a transfer cut short
        if _ENDED.search(self.store.raw(known.id)):
            raise InputError(CUT_SHORT)


_MARKS = re.compile(r"[(（【\[][^)）】\]]{0,8}[)）】\]]|\s+")  # （更正）, 【修订版】, (2)


def _titled(title: str | None) -> str:
    """A title without its marks of a version (（更正）, （修订）) and its spaces."""
    return _MARKS.sub("", title or "")


def _year_corrected(stored: StoredVersion, report: Report, stored_text: Callable[[], str]) -> bool:
    """Whether ``report`` is the ``stored`` one with its title's year corrected (2023 → 2024), whatever else the
    correction changed (a number, the date re-stamped: review 114): its parts speak of the year the stored one's did
    (a title mistyped, its text right), and it is dated within half a year of it (another year's report is dated a
    year on, its text copied or not); undated, with the same numbers and the same 统计期限 too (a next year's report
    copied with its text's years left as they were has its own numbers, or at least its own 统计期限, which stands
    before part 一: review 115). ``stored_text``: the stored version's whole text, asked only then."""
    said = _text_year(stored.section_text.values())
    now = _text_year(report.section_text(n) for n in range(1, 7))
    if said is not None and now is not None and said != now:
        return False  # its text moved on with its year: another year's report
    if stored.report.published and report.published:
        return abs(report.published - stored.report.published) < HALF_A_YEAR
    if copies.numbers(stored.report) != copies.numbers(report):  # (undated: a year's copy left its text's years)
        return False
    was, now = stated_year(stored_text()), stated_year(report.text)
    return was is None or now is None or was == now


_YEAR_SAID = re.compile(r"((?:19|20)\d{2})\s*年")


def _text_year(texts: Iterable[str]) -> int | None:
    """The year a report's parts speak of most (``2024年，我局…``, its 统计期限); None where they name none."""
    counts = Counter(int(y) for text in texts for y in _YEAR_SAID.findall(text))
    return counts.most_common(1)[0][0] if counts else None
