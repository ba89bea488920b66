"""Stage: watch, a report just read against what is stored of it, for ``document.Documents``: the version it
revises (the URL's own, or its body's report of the year kept under another URL) and that version as govmon reads
its bytes now; the body's report of the year before; whether the same report is stored already under another URL
or from another source (kept once: this URL remembered as its duplicate).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from monitor.checks import copies
from monitor.config import Source
from monitor.model import Report
from monitor.model.bodies import Attribution
from monitor.store import ReportReads, Store, StoredDocument, StoredVersion
from monitor.watch.behind import read_again
from monitor.watch.discover import Link
from monitor.watch.fetch import Response


class Stored:
    """The store's side of one document's check: ``parsing`` bounds the readers a stored version is read again in."""

    def __init__(self, store: Store, parsing: asyncio.Semaphore) -> None:
        self.store, self.parsing = store, parsing

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
        before's with the same numbers and 发布日期 (its title's year corrected, 2022 → 2023), the body's report of
        the year before is another one, if any, not this one as it was; where it was published on another day (a
        fixed URL that holds each year's report in turn, tables copied or not) it is that version. A report stored
        by an older govmon, which hashed it otherwise, is seen where the body's report of the year is its bytes."""
        around = self.store.report_reads(source.id, content_hash, body, year)
        if (
            own is not None
            and year
            and own.report.year == year - 1
            and own.report.published == report.published
            and copies.numbers(own.report) == copies.numbers(report)
        ):
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
