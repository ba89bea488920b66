"""Stage: watch, the report behind a link, read in a bounded reader process: the page itself, or, where the page
holds no statutory tables but links an attachment, the attachment; and a stored version's bytes read again as
govmon reads them now. ``document.Documents`` decides what is new and stores it.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from monitor import reading
from monitor.checks import copies
from monitor.config import Source
from monitor.errors import InputError, NotAReport, NotRead, ReaderMissing
from monitor.model import Report
from monitor.reading.formats import decode, sniff
from monitor.reading.report import is_report, lists_reports, with_attachment
from monitor.watch.addresses import allowed_for
from monitor.watch.attachments import attachments
from monitor.watch.discover import COLUMN, Link
from monitor.watch.fetch import Fetcher, Response
from monitor.watch.handed import handed
from monitor.watch.paged import joined_pages
from monitor.watch.prepared import Prepared, prepared, snapshot_of
from monitor.watch.refused import refusal

log = logging.getLogger("govmon")
NOT_A_REPORT = "页面不是报告，也没有链接可读取的附件"
ATTACHMENTS_TRIED = 4  # a page's attachments read in turn until one is a report


@dataclass(frozen=True)
class Read:
    """A report as read for a link: the report, the bytes it was read from and their type, and, when the reader
    worked them out beside it, what ``prepared`` gives."""

    report: Report
    raw: bytes
    content_type: str
    prepared: Prepared | None = None


async def report_behind(
    fetcher: Fetcher, parsing: asyncio.Semaphore, source: Source, link: Link, resp: Response, *, known: str | None
) -> Read:
    """The report behind a page: the page itself, or, when the page holds no statutory tables but
    links an attachment (PDF, OFD, Word, WPS, a zip, a workbook, a scan), the attachment (what it is is
    decided from its bytes). An attachment whose reader is not installed here is said so (需要安装…),
    never taken for "not a report". ``parsing`` bounds the documents handed to the readers at once; ``known``:
    the content hash stored for the link (the reader works out nothing more for the same content)."""
    resp = await joined_pages(fetcher, source, resp)
    async with parsing:  # each page read in a bounded reader process; the loop keeps serving meanwhile
        page, ready = await handed(
            reading.read_page_and,
            functools.partial(prepared, unless=known),
            resp.body,
            link.url,
            source.kind,
            resp.charset or source.encoding,
        )
    if ready.compared is not None:  # what the reader worked out of the page for its copy checks
        copies.remember(page, ready.compared)
    if any(t.status not in ("missing", "image") for t in page.tables.values()):
        return Read(page, resp.body, resp.content_type, ready)
    if sniff(resp.body) not in ("html", "text", "mhtml"):  # a document itself (a workbook, a Word file, a picture),
        if not is_report(page):  # not a page linking one (review 104: a 统计年报's .xlsx was decoded as a page, and
            raise NotAReport(NOT_A_REPORT)  # its bytes' "unknown encoding" held back every body's alarm)
        return Read(page, resp.body, resp.content_type, ready)
    if link.doubt == COLUMN and lists_reports(page):  # a column's page (a parent's, a sibling's): its reports'
        raise NotAReport(NOT_A_REPORT)  # attachments are theirs, not this link's
    html, _ = decode(resp.body, resp.charset or source.encoding)
    missing: ReaderMissing | None = None
    failed: list[str] = []  # why each attachment tried was not read
    found_urls = await handed(reading.bounded, attachments, html, resp.url)  # (parsed: not in this process)
    for url in found_urls[:ATTACHMENTS_TRIED]:
        got = await fetcher.get(url, allow=allowed_for(source.list_url))
        try:
            async with parsing:
                found = await handed(reading.read_report, got.body, url, source.kind, got.charset)
        except NotRead:
            raise
        except InputError as exc:
            log.warning("source %s: attachment %s of %s: %s", source.id, url, link.url, exc)
            missing = missing or (exc if isinstance(exc, ReaderMissing) else None)
            failed.append(f"附件{url}无法读取（{_refused(got) or exc}）")
            continue
        return Read(with_attachment(page, found), got.body, sniff(got.body))
    if missing is not None:
        raise missing
    if not is_report(page):
        raise NotAReport(not_a_report(html, failed))
    return Read(page, resp.body, resp.content_type, ready)


def _refused(got: Response) -> str | None:
    """What an attachment answered with a page is, where the portal answered it in place of the file (a block page,
    "file not found": review 113)."""
    if sniff(got.body) != "html":
        return None
    said = refusal(decode(got.body, got.charset)[0])
    return f"网站返回的是{said}" if said else None


def not_a_report(html: str, failed: list[str]) -> str:
    """What is said of a page that is no report: the attachments it links that could not be read, else what the
    page is where the portal answered it in place of the report (a block page, an anti-bot check: review 111)."""
    if failed:
        return f"{NOT_A_REPORT}：{'；'.join(failed)}"
    said = refusal(html)
    return f"{NOT_A_REPORT}：网站返回的是{said}" if said else NOT_A_REPORT


async def read_again(
    parsing: asyncio.Semaphore, raw: bytes, sha256: str, *, url: str, kind: str, encoding: str | None
) -> tuple[dict[str, Any], str] | None:
    """A stored version's bytes (``raw``, stored with ``sha256``) as govmon reads them now, as a page of ``url``
    in ``encoding``: (its stored form, its content hash); None where they are not the page's (an attachment: the
    page that linked it gave the report its title and date) or cannot be read now."""
    if hashlib.sha256(raw).hexdigest() != sha256:
        return None
    try:
        async with parsing:
            again: tuple[Report, tuple[dict[str, Any], str]] = await handed(
                reading.read_page_and, snapshot_of, raw, url, kind, encoding
            )
    except NotRead:
        raise
    except InputError:
        return None
    return again[1]


def holds_a_report(report: Report) -> bool:
    """What a doubtful link opened is a report: a statutory table's numbers, a scan, or a report's parts (four at
    least) whose tables are pictures."""
    tables = report.tables.values()
    if (
        report.scanned
        or report.ocr
        or any(v.number is not None for t in tables for r in t.rows.values() for v in r.values())
    ):
        return True
    parts = sum(1 for span in report.sections.values() if span and span != (0, 0))
    return parts >= 4 and any(t.status == "image" for t in tables)
