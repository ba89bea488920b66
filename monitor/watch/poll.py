"""Stage: scheduler. The watcher's pipeline for one source, one pass over all (``poll``), and
the service that repeats it on each source's interval (``run``).

Per source: fetch the listing pages (conditional GET, pagination) -> discover report links
-> fetch each report (conditional GET) -> parse and check -> store a new version only when
the report's content changed (not the page chrome around it) -> events for the alerts.
One source's failure never stops another; a crash at any point leaves the store
consistent (see monitor/store), so the next poll picks up where this one stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitor import reading
from monitor.alerts.events import missing_event, source_events, version_events
from monitor.checks import copies
from monitor.checks.pipeline import ACROSS_YEARS, across_years, run_rules
from monitor.checks.revision import diff_reports, snapshot
from monitor.config import Settings, Source
from monitor.errors import FetchError, InputError, ReaderMissing
from monitor.model import Finding, Report
from monitor.reading.formats import decode, sniff
from monitor.reading.report import is_report
from monitor.store import NewVersion, Store
from monitor.watch.discover import Link, attachments, discover
from monitor.watch.fetch import Fetcher, Response, allowed_for

SOURCE_DEADLINE = 900.0  # one source's whole poll (listing pages and reports): a slow portal cannot hold a pass
log = logging.getLogger("govmon")


class _Remembered(InputError):
    """A report page whose bytes failed to be read before and have not changed since."""


@dataclass
class PollResult:
    source: str
    error: str | None = None
    reports: int = 0
    new_versions: int = 0
    changed: int = 0  # of new_versions, those of a report already stored (the rest are reports seen first)
    problems: list[str] = field(default_factory=list)  # reports that could not be read this time
    failing: list[str] = field(default_factory=list)  # their URLs
    # unchanged reports' (document id, ETag, Last-Modified): written with the poll's end, one transaction
    touched: list[tuple[int, str | None, str | None]] = field(default_factory=list)


class Watcher:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self.settings, self.store, self.fetcher, self.today = settings, store, fetcher, today
        self.parsing = asyncio.Semaphore(os.cpu_count() or 2)  # documents read at once: one child per core

    async def poll(
        self, source_ids: list[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> list[PollResult]:
        """One pass over the named sources (all when None), concurrently; never raises for a source.
        ``progress(done, total)`` is called as each source finishes."""
        sources = [self.settings.source(i) for i in source_ids] if source_ids else list(self.settings.sources)
        self.store.sync_sources(self.settings.sources)
        # A fixed set of workers takes the sources in turn, so memory does not grow with N: a task per source
        # made up front costs ~1.6 KB each, 31 MiB at 20,000, and fetches are capped by the connector anyway.
        results: list[PollResult] = []
        todo = iter(sources)

        async def worker() -> None:
            for source in todo:
                results.append(await self.poll_source(source))
                if progress:
                    progress(len(results), len(sources))

        await asyncio.gather(*(worker() for _ in range(min(self.settings.concurrency * 4, len(sources)))))
        order = {s.id: i for i, s in enumerate(sources)}
        return sorted(results, key=lambda r: order[r.source])

    async def poll_source(self, source: Source) -> PollResult:
        """One source's poll; it ends in one log line (the journal's record that polling works)."""
        result = PollResult(source.id)
        missing = None
        started = time.monotonic()
        poll_id = self.store.start_poll(source.id)
        state = self.store.source_state(source.id)
        try:
            async with asyncio.timeout(SOURCE_DEADLINE):
                links = await self._listing(source)
                years = {link.year for link in links if link.year} | self.store.years(source.id)
                # The reports of one source at once, within the connector's per_host limit. Each is checked
                # once the reports listed for the year before it are done (carry-over needs last year's stored).
                by_year: dict[int, list[asyncio.Task[int]]] = {}

                async def year_done(year: int) -> None:
                    if by_year.get(year):
                        await asyncio.wait(by_year[year])

                for link in links:
                    task = asyncio.create_task(self._checked(source, link, result, year_done))
                    by_year.setdefault(link.year or 0, []).append(task)
                years |= set(await asyncio.gather(*(t for tasks in by_year.values() for t in tasks)))
            result.reports = len(links)
            self.store.settle_unreadable(source.id, result.failing)
            # A report that could not be read this time may be the one that seems missing: decide next poll.
            missing = None if result.problems else missing_event(self.settings, source, years, self.judged_on())
        except (FetchError, InputError) as exc:  # the listing: not reachable, or not a page (binary, bad encoding)
            result.error = str(exc)
        except TimeoutError:
            result.error = f"the poll of this source took more than {SOURCE_DEADLINE:.0f} s; gave up"
        except sqlite3.DatabaseError:  # the database or its disk, not this source: the caller says so in one line
            raise
        except Exception as exc:  # a bug must not stop the other sources; it is logged with its traceback
            result.error = f"internal error: {type(exc).__name__}: {exc}"
            log.exception("source %s: unexpected error", source.id)
        events = source_events(self.settings, source, state, result.error, poll_id)
        self.store.finish_poll(
            poll_id,
            source.id,
            error=result.error,
            reports=result.reports,
            new_versions=result.new_versions,
            events=[*events, *([missing] if missing else [])],
            touched=result.touched,
        )
        took = time.monotonic() - started
        if result.error:
            log.error("source %s: poll failed after %.1f s: %s", source.id, took, result.error)
        else:
            log.info(
                "source %s: polled in %.1f s: %d listed, %d new, %d changed, %d unreadable",
                source.id,
                took,
                result.reports,
                result.new_versions - result.changed,
                result.changed,
                len(result.problems),
            )
        return result

    def judged_on(self) -> date:
        """The day deadlines are judged on: today, unless that is more than a day past the newest answer's
        Date header (this machine's clock is ahead): then that day, with a warning. A clock 120 days ahead
        called every body's report missing."""
        today = self.today()
        served = self.fetcher.server_date
        if served is not None and today > served + timedelta(days=1):
            log.warning(
                "the clock says %s but the portals' last answer is dated %s: deadlines are judged on %s",
                today,
                served,
                served,
            )
            return served
        return today

    async def _checked(
        self, source: Source, link: Link, result: PollResult, year_done: Callable[[int], Awaitable[None]]
    ) -> int:
        """One report of the source, its problem noted (and kept in the store) rather than raised. Returns its
        year (0 when unknown)."""
        try:
            return await self._document(source, link, result, year_done) or 0
        except (FetchError, InputError) as exc:
            result.problems.append(f"{link.url}: {exc}")
            result.failing.append(link.url)
            if isinstance(exc, FetchError):  # not fetched: tried again next poll
                self.store.mark_unreadable(source.id, link.url, str(exc), title=link.title, year=link.year)
            level = logging.INFO if isinstance(exc, _Remembered) else logging.WARNING
            log.log(level, "source %s: report %s: %s", source.id, link.url, exc)
            return 0

    async def _listing(self, source: Source) -> list[Link]:
        allow = allowed_for(source.list_url)
        links: dict[str, Link] = {}
        url: str | None = source.list_url
        seen: set[str] = set()
        while url and len(seen) < source.max_pages and url not in seen:
            seen.add(url)
            cached = self.store.page(url)
            etag, modified = (cached["etag"], cached["last_modified"]) if cached else (None, None)
            resp = await self.fetcher.get(url, etag=etag, last_modified=modified, allow=allow)
            known = cached["links"] if cached else None
            if resp.not_modified and known is not None and known.get("pattern") == source.link_pattern.pattern:
                # unchanged, and read with the same link_pattern: the links found last time
                found = [Link(*link) for link in known["links"]]
                url = known["next"]
            else:
                body = self.store.page_body(url) if resp.not_modified else resp.body
                html, _ = decode(body, (resp.charset if not resp.not_modified else None) or source.encoding)
                found, url_next = discover(html, resp.url if not resp.not_modified else url, source.link_pattern)
                kept = {
                    "links": [[k.url, k.title, k.year] for k in found],
                    "next": url_next,
                    "pattern": source.link_pattern.pattern,
                }
                self.store.save_page(url, resp.etag or etag, resp.last_modified or modified, body, kept)
                url = url_next
            for link in found:
                links.setdefault(link.url, link)
        return list(links.values())

    async def _document(
        self, source: Source, link: Link, result: PollResult, year_done: Callable[[int], Awaitable[None]]
    ) -> int | None:
        """Fetch and check one report; store a version if its content is new. Returns the year it covers."""
        doc = self.store.document(link.url)
        bad = self.store.unreadable(link.url)
        bad = bad if bad and bad["sha256"] else None  # a body that was read and failed (not a fetch that failed)
        validators = doc or bad or {"etag": None, "last_modified": None}
        resp = await self.fetcher.get(
            link.url,
            etag=validators["etag"],
            last_modified=validators["last_modified"],
            allow=allowed_for(source.list_url),
        )
        known = self.store.latest_hashes(doc["id"]) if doc else None
        if known and resp.not_modified:
            result.touched.append((doc["id"], resp.etag, resp.last_modified))  # type: ignore[index]
            return doc["year"] or link.year  # type: ignore[index]  # the year stored with it, else its link's
        sha = "" if resp.not_modified else hashlib.sha256(resp.body).hexdigest()  # hashed once
        if bad and (resp.not_modified or bad["sha256"] == sha):  # the bytes that failed before: not read again
            raise _Remembered(f"{bad['error']} (unchanged since {bad['first_failed'][:10]}; not read again)")
        if known and known["sha256"] == sha:
            result.touched.append((doc["id"], resp.etag, resp.last_modified))  # type: ignore[index]
            return doc["year"] or link.year  # type: ignore[index]
        try:
            report, raw, content_type = await self._content(source, link, resp)
        except InputError as exc:
            self.store.mark_unreadable(
                source.id,
                link.url,
                str(exc),
                title=link.title,
                year=link.year,
                sha256=sha,
                validators=(resp.etag, resp.last_modified),
            )
            raise
        # The checks are pure CPU: in a thread, so the loop keeps serving sockets, timers and SIGTERM meanwhile.
        data, content_hash = await asyncio.to_thread(snapshot, report)
        year = report.year or link.year
        if known and known["content_hash"] == content_hash:
            result.touched.append((doc["id"], resp.etag, resp.last_modified))  # type: ignore[index]
            return year
        latest = self.store.latest_version(doc["id"]) if known else None  # type: ignore[index]
        if latest is None and self.store.content_seen(source.id, content_hash):
            return year  # the same report under a second URL: kept once
        # The same body's report for the year before, from the store: carry-over (上年结转 = 去年的结转下年度)
        # and 现行有效件数 are checked across years here as `check --previous` checks them.
        if link.year:  # by the link's year, which only ever decreases: no two reports wait for each other
            await year_done(link.year - 1)
        before = self.store.report_of(source.id, year - 1) if year else None
        marks = await asyncio.to_thread(copies.prints, report) if year else []  # whose text this one may repeat
        similar = self.store.similar(source.id, year, marks) if year else []
        findings, diff = await asyncio.to_thread(_judge, report, data, latest, before, similar)
        stored = [f.to_json() for f in findings]
        previous = json.loads(latest["findings"]) if latest else None
        events = version_events(
            self.settings, source, link.url, data, stored, previous=previous, diff=diff, content_hash=content_hash
        )
        version = NewVersion(
            source.id,
            link.url,
            report.title or link.title,
            year,
            raw,
            sha,
            content_hash,
            content_type,
            report.text,
            data,
            stored,
            diff,
            resp.etag,
            resp.last_modified,
            marks,
        )
        if latest is None and self.store.content_seen(source.id, content_hash):
            return year  # stored meanwhile under another URL (the checks above yield): no await from here to the save
        self.store.save_version(version, events)
        result.new_versions += 1
        result.changed += latest is not None
        if year:
            self._recheck_year_after(source, year, report, content_hash)
        log.info(
            "source %s: %s version of %s (%d findings)",
            source.id,
            "new" if latest else "first",
            link.url,
            len(findings),
        )
        return year

    def _recheck_year_after(self, source: Source, year: int, report: Report, content_hash: str) -> None:
        """The year after may be stored already, checked without this one (it was listed later, or has
        changed): its cross-year rules run again against this report, and their new errors alert."""
        after = self.store.version_of(source.id, year + 1)
        if after is None:
            return
        old = json.loads(after["findings"])
        fresh = [f.to_json() for f in across_years(Report.from_json(json.loads(after["report"])), report)]
        findings = [f for f in old if f["rule"] not in ACROSS_YEARS] + fresh
        if {f["key"] for f in findings} == {f["key"] for f in old}:
            return
        events = version_events(
            self.settings,
            source,
            after["url"],
            json.loads(after["report"]),
            findings,
            previous=old,
            diff=None,
            content_hash=after["content_hash"],
            because=f"|{year}:{content_hash}",
        )
        self.store.replace_findings(after["id"], findings, events)
        log.info(
            "source %s: the %d report checked again against %d's: %d findings", source.id, year + 1, year, len(findings)
        )

    async def _content(self, source: Source, link: Link, resp: Response) -> tuple[Report, bytes, str]:
        """The report behind a page: the page itself, or, when the page holds no statutory tables but
        links an attachment (PDF, OFD, Word, WPS, a zip, a workbook, a scan), the attachment (what it is is
        decided from its bytes). An attachment whose reader is not installed here is said so (需要安装…),
        never taken for "not a report"."""
        async with self.parsing:  # each page read in a bounded child process; the loop keeps serving meanwhile
            page = await asyncio.to_thread(
                reading.read_page, resp.body, link.url, source.kind, resp.charset or source.encoding
            )
        if any(t.status not in ("missing", "image") for t in page.tables.values()):
            return page, resp.body, resp.content_type
        html, _ = decode(resp.body, resp.charset or source.encoding)
        missing: ReaderMissing | None = None
        for url in attachments(html, resp.url)[:4]:
            got = await self.fetcher.get(url, allow=allowed_for(source.list_url))
            try:
                async with self.parsing:
                    found = await asyncio.to_thread(reading.read_report, got.body, url, source.kind, got.charset)
            except InputError as exc:
                log.warning("source %s: attachment %s of %s: %s", source.id, url, link.url, exc)
                missing = missing or (exc if isinstance(exc, ReaderMissing) else None)
                continue
            found.input = link.url
            found.published = found.published or page.published  # the page carries the 发布时间, not the file
            return found, got.body, sniff(got.body)
        if missing is not None:
            raise missing
        if not is_report(page):
            raise InputError("页面不是报告，也没有链接可读取的附件")
        return page, resp.body, resp.content_type


def _judge(
    report: Report,
    data: dict[str, Any],
    latest: dict[str, Any] | None,
    before: tuple[dict[str, Any], str] | None,
    similar: list[tuple[dict[str, Any], str]],
) -> tuple[list[Finding], dict[str, Any] | None]:
    """A new version's findings and its diff from the version before (None for a first version)."""
    diff = diff_reports(json.loads(latest["report"]), data) if latest else None
    others = tuple(Report.from_json(*o) for o in similar)
    return run_rules(report, Report.from_json(*before) if before else None, diff, others), diff
