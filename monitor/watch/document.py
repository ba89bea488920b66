"""Stage: watch, one document. A report link of a source -> fetched (conditional GET) -> unchanged (its validators
or bytes, or its content, the same as the stored version's) or read (in the bounded reader; a page without
tables followed to its attachment) -> checked by the one pipeline (``checks.pipeline``) against the same body's
year before and the reports it may copy -> a new version and its events, stored in one transaction; and the
year after, stored already, checked again against it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from monitor import reading
from monitor.alerts.events import version_events
from monitor.checks.pipeline import ACROSS_YEARS, across_years, run_rules
from monitor.checks.revision import diff_reports
from monitor.config import Settings, Source
from monitor.errors import InputError, NotAReport, NotRead
from monitor.model import Event, Finding, Report, china_day
from monitor.model.bodies import Attribution, Body, attribute
from monitor.reading.facts import infer_kind
from monitor.store import (
    KnownReport,
    NewVersion,
    Store,
    StoredDocument,
    StoredVersion,
    UnreadableReport,
)
from monitor.watch.addresses import allowed_for
from monitor.watch.behind import NOT_A_REPORT, Read, holds_a_report, report_behind
from monitor.watch.discover import Link
from monitor.watch.fetch import Fetcher, Response
from monitor.watch.prepared import prepared
from monitor.watch.stored import CUT_SHORT, Stored

log = logging.getLogger("govmon")
IN_HAND = 4  # documents handed to the reader pool per reader (``Documents.parsing``)
NO_REPORTS_KEPT = 50_000  # doubtful links remembered as opening no report (``Documents.no_report``): ~10 MiB


class Remembered(InputError):
    """A report page whose bytes failed to be read before and have not changed since."""


@dataclass(slots=True)  # (one a source, held to the end of a pass)
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
    elsewhere: bool = False  # not polled here: another worker on the shared store has it, or polled it just now
    held: bool = False  # elsewhere, because another worker is polling it now (its lease lapses if that one dies)
    bodies: list[Body] = field(default_factory=list)  # the bodies known on the source: a name read is one of them
    listing_read: date | None = None  # the day the source's whole listing was last read (its previous poll)
    # the source's first poll, told in one summary at its end: each report's own events are stored unsent
    quiet: bool = False
    stored_years: frozenset[int] = frozenset()  # the years of the versions stored this poll (most store none)
    read: int = 0  # reports read this poll (fetched whole and parsed): none read, none stored
    # each listed report's body (stored with it, or attributed as it was read now): a title that names none (a
    # 信息公开目录's, whose 发布机构 stands in a column of its own) lists its year for that body, not for every one
    body_of: dict[str, str] = field(default_factory=dict)
    unreadable: list[Event] = field(default_factory=list)  # reports unreadable at this poll and the one before

    def told(self, events: list[Event]) -> list[Event]:
        """The events as stored: without recipients in a quiet (first) poll; the summary names them."""
        return [replace(e, recipients=()) for e in events] if self.quiet else events


class Documents:
    """One source's reports, one at a time, for ``poll.Watcher``."""

    def __init__(self, settings: Settings, store: Store, fetcher: Fetcher, today: Callable[[], date]) -> None:
        self.settings, self.store, self.fetcher, self.today = settings, store, fetcher, today
        # documents handed to the readers at once (one warm reader process per core, or [monitor] readers): IN_HAND
        # for each, so that a reader done with one takes the next waiting in the pool at once, not when this
        # process's loop next gets to hand it one (with one each, the readers waited: 1.61 of 2 cores busy)
        self.parsing = asyncio.Semaphore(IN_HAND * reading.readers(settings.readers))
        self.kept = Stored(store, self.parsing)  # what is stored of a report just read
        # what each reader works out beside the page, the copy prints' numpy and hash tables (``checks.crcs``, 5
        # MiB), and what finds a listing's links and a page's attachments (``watch.handed``): loaded once, shared by
        # the readers
        reading.preload(
            prepared.__module__, "numpy", "monitor.checks.crcs", "monitor.watch.discover", "monitor.watch.attachments"
        )
        # doubtful links that opened no report (a notice, a column's link), by URL: (their bytes' hash, ETag,
        # Last-Modified), so the service asks for them conditionally and reads them again only when they change.
        # Nothing is stored for them; a new process reads each once. (Read at every poll, a listing's notice cost a
        # reader ~10 ms each time: at 150,000 sources, minutes of CPU a pass.)
        self.no_report: dict[str, tuple[str, str | None, str | None]] = {}

    async def check(
        self,
        source: Source,
        link: Link,
        stored: KnownReport,
        result: PollResult,
        year_done: Callable[[int], Awaitable[None]],
    ) -> int | None:
        """Fetch and check one report (``stored``: what the store knew of it as the poll read the listing); store a
        version if its content is new. Returns the year it covers."""
        doc, known = stored.document, stored.hashes
        if doc and doc.body:
            result.body_of[link.url] = doc.body
        bad = _failed_before(link, stored, self.today())
        etag, last_modified, no_report = self._asked_as(link, doc or bad)
        resp = await self.fetcher.get(
            link.url, etag=etag, last_modified=last_modified, allow=allowed_for(source.list_url)
        )
        sha = "" if resp.not_modified else hashlib.sha256(resp.body).hexdigest()  # hashed once
        if doc and known and (resp.not_modified or known.sha256 == sha):
            result.touched.append((doc.id, resp.etag, resp.last_modified))
            return doc.year or link.year  # the year stored with it, else its link's
        if no_report is not None and (resp.not_modified or no_report == sha):  # a doubtful link's page as it was
            return None
        if bad and (resp.not_modified or bad.sha256 == sha):  # the bytes that failed before: not read again
            raise Remembered(f"{bad.error} (unchanged since {china_day(bad.first_failed)}; not read again)")
        result.read += 1
        read = await self._read(source, link, resp, stored, sha)
        if read is None:
            self._opened_no_report(link.url, (sha, resp.etag, resp.last_modified))
            return None
        report, raw, content_type = read.report, read.raw, read.content_type
        who = attribute_report(source, report, tuple(result.bodies))
        result.body_of[link.url] = who.body
        if not any(b.name == who.body for b in result.bodies):  # its next report this poll is the same body
            result.bodies.append(Body(who.body, who.kind or source.kind))
        # The checks are pure CPU: in the reader, or in a thread, so the loop keeps serving sockets, timers and
        # SIGTERM meanwhile.
        ready = read.prepared if read.prepared is not None else await asyncio.to_thread(prepared, report, raw)
        data, content_hash, marks = ready.data, ready.content_hash, ready.prints
        year = report.year or link.year
        if doc and known and known.content_hash == content_hash:
            result.touched.append((doc.id, resp.etag, resp.last_modified))
            return year
        doc, known = self.kept.this_year(source, doc, known, report)
        own, latest = self.kept.revised(doc if known else None, who.body, year)
        earlier = await self.kept.earlier(source, link, own, latest, resp)
        if own is not None and earlier is not None and earlier[1] == content_hash:  # the report as stored: only the
            self.store.rehash(own.id, content_hash)  # page around it changed, or how govmon reads it (an upgrade)
            result.touched.append((own.document_id, resp.etag, resp.last_modified))
            return year
        # The same body's report for the year before, from the store: carry-over (上年结转 = 去年的结转下年度)
        # and 现行有效件数 are checked across years here as `check --previous` checks them. Asked with whether
        # this content is stored already (a duplicate is not checked) and whether the body's year is.
        if link.year:  # by the link's year, which only ever decreases: no two reports wait for each other
            await year_done(link.year - 1)
        around = self.kept.around(source, report, content_hash, who.body, year=year, own=own)
        stored_already = around.seen or (
            own is None
            and around.year_stored
            and await self.kept.seen_as_read_now(
                source, link, resp, body=who.body, year=year, content_hash=content_hash
            )
        )
        if own is None and self.kept.duplicate(
            source, link, resp, who, stored_already, known=doc is not None, year=year
        ):
            return year
        marks = marks if year else []  # whose text this one may repeat
        # (never its own version, its title's year mistyped: review 115)
        similar = [
            r
            for r in (self.store.similar(source.id, year, marks, body=who.body) if year else [])
            if r.input != link.url
        ]
        # listed for the first time, and no report of the body's year stored (a correction republished under a
        # new URL keeps its date honestly): the listing read last time lacked it
        first = stored.document is None and stored.unreadable is None and year is not None and not around.year_stored
        listed_on = result.listing_read if first else None
        findings, diff = await asyncio.to_thread(
            _judge,
            report,
            data,
            earlier[0] if earlier else None,
            around.before,
            similar,
            listing_read=listed_on,
            own=ready.own,
            seen_on=china_day(doc.first_seen) if doc else self.today(),
        )
        previous = latest.findings if latest else None
        events = version_events(
            self.settings,
            source,
            link.url,
            report,
            findings,
            previous=previous,
            diff=diff,
            content_hash=content_hash,
            because=_again(latest, self.today()) if doc or not stored.document else f"|{year}",  # (one set aside)
            replaces=self.kept.published_again(link, report, who.body, year) if around.year_stored and not doc else (),
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
            report,
            findings,
            diff,
            resp.etag,
            resp.last_modified,
            marks,
            who,
            ready.packed,
        )
        seen = self.store.content_seen
        if own is None and self.kept.duplicate(
            source, link, resp, who, seen(source.id, content_hash, who.body), known=doc is not None, year=year
        ):
            return year  # stored meanwhile under another URL (the checks above yield): no await from here to the save
        self.store.save_version(version, result.told(events))
        self._saved(source, version, revises=latest is not None, result=result)
        return year

    def _saved(self, source: Source, version: NewVersion, *, revises: bool, result: PollResult) -> None:
        """A version just stored: counted, and the body's year after checked again against it."""
        result.new_versions += 1
        result.changed += revises
        if version.year and version.attribution:
            result.stored_years |= {version.year}
            body, report = version.attribution.body, version.report
            self.recheck_year_after(source, body, version.year, report, version.content_hash, result=result)
        log.info(
            "source %s: %s version of %s (%d findings)",
            source.id,
            "new" if revises else "first",
            version.url,
            len(version.findings),
        )

    async def _read(self, source: Source, link: Link, resp: Response, stored: KnownReport, sha: str) -> Read | None:
        """The report a link opens; None where a doubtful link (``Link.doubt``) opens none: a notice, the column's
        own link, a title cut short that is not the report after all. One that cannot be read is remembered (by
        its bytes' hash) and raised. ``stored``: what the store knows of the link."""
        known = stored.hashes
        try:
            self.kept.whole(resp, known, stored.unreadable, sha)
            read = await report_behind(
                self.fetcher, self.parsing, source, link, resp, known=known.content_hash if known else None
            )
            self.kept.still_cut(stored.document, stored.unreadable, read.report)
        except InputError as exc:
            if link.doubt and isinstance(exc, NotAReport):
                log.info("source %s: %s (%s) is not a report", source.id, link.url, link.title)
                return None
            self._unreadable(source, link, exc, sha, resp)
            raise
        if link.doubt and not holds_a_report(read.report):  # a notice's text, or its form to fill in
            log.info(
                "source %s: %s (%s) holds no statutory table's numbers: not a report", source.id, link.url, link.title
            )
            return None
        return read

    def _asked_as(
        self, link: Link, validators: StoredDocument | UnreadableReport | None
    ) -> tuple[str | None, str | None, str | None]:
        """(ETag, Last-Modified) a link is asked for with, and, for a doubtful link remembered as opening no report,
        its bytes' hash then (None: not one)."""
        if validators is not None:
            return validators.etag, validators.last_modified, None
        if link.doubt and (seen := self.no_report.get(link.url)):
            return seen[1], seen[2], seen[0]
        return None, None, None

    def _opened_no_report(self, url: str, seen: tuple[str, str | None, str | None]) -> None:
        """Remember a doubtful link that opened no report, the oldest let go of past ``NO_REPORTS_KEPT``."""
        self.no_report.pop(url, None)
        self.no_report[url] = seen
        if len(self.no_report) > NO_REPORTS_KEPT:
            del self.no_report[next(iter(self.no_report))]

    def _unreadable(self, source: Source, link: Link, exc: InputError, sha: str, resp: Response) -> None:
        """A report that could not be read, remembered with its bytes' hash (not read again while they stay the
        same); one not read at all (``NotRead``: govmon stopping, or its poll gone) is read next time, as its line
        says."""
        if not isinstance(exc, NotRead):
            self.store.mark_unreadable(
                source.id,
                link.url,
                str(exc),
                title=link.title,
                year=link.year,
                sha256=sha,
                validators=(resp.etag, resp.last_modified),
            )

    def recheck_year_after(
        self, source: Source, body: str, year: int, report: Report, content_hash: str, *, result: PollResult
    ) -> None:
        """The same body's year after may be stored already, checked without this one (it was listed later, or
        has changed): its cross-year rules run again against this report, and their new errors alert."""
        after = self.store.body_version(body, year + 1)
        if after is None:
            return
        old = after.findings
        findings = [f for f in old if f.rule not in ACROSS_YEARS] + across_years(after.report, report)
        if {f.key for f in findings} == {f.key for f in old}:
            return
        events = version_events(
            self.settings,
            source,
            after.url,
            after.report,
            findings,
            previous=old,
            diff=None,
            content_hash=after.content_hash,
            because=f"|{year}:{content_hash}",
        )
        self.store.replace_findings(after.id, findings, result.told(events))
        log.info(
            "source %s: the %d report checked again against %d's: %d findings", source.id, year + 1, year, len(findings)
        )


def _again(latest: StoredVersion | None, today: date) -> str:
    """What tells a revision's event apart from an earlier one to the same content (``version_events``' key): the
    content it revises and the day. A report changed back and forth (A→B→A→B: an edit undone and made again, two
    servers behind one address) is told again, a page flapping between two contents at most once a day each way."""
    return f"|{latest.content_hash[:16]}|{today.isoformat()}" if latest else ""


def _failed_before(link: Link, stored: KnownReport, today: date) -> UnreadableReport | None:
    """The failure remembered for a link's bytes: a body read that failed, not a fetch; not a doubtful link's "not
    a report" (remembered while its words were taken for a report's), which is no failure; a read cut off by its
    wall-clock time (a busy machine, ``sandbox.OVERRAN``) only on the day it failed; not a page taken for cut short."""
    bad = stored.unreadable
    if bad is None or not bad.sha256 or (link.doubt and bad.error.startswith(NOT_A_REPORT)):
        return None
    if bad.error.startswith(CUT_SHORT):  # read again: the same bytes twice are no transfer cut short (review 114)
        return None
    if reading.OVERRAN.search(bad.error) and china_day(bad.last_failed) < today:
        return None
    return bad


def attribute_report(source: Source, report: Report, known: tuple[Body, ...] = ()) -> Attribution:
    """The body ``report`` is attributed to (its roster name, else the name read, matched to a body already
    seen on the source, else the source's agency, assumed); the report then names that body and its kind."""
    kind = infer_kind(report.agency) or source.kind
    who = attribute(
        report.agency,
        report.agency_from,
        kind,
        roster=source.bodies,
        agency=source.agency,
        agency_kind=source.kind,
        seen=known,
    )
    report.agency, report.kind = who.body, who.kind or report.kind
    return who


def _judge(
    report: Report,
    data: dict[str, Any],
    earlier: dict[str, Any] | None,
    before: Report | None,
    similar: list[Report],
    *,
    listing_read: date | None,
    own: list[Finding] | None = None,
    seen_on: date | None = None,
) -> tuple[list[Finding], dict[str, Any] | None]:
    """A new version's findings and its diff from the version it revises (None for a first version): ``earlier``,
    that version's stored form (``snapshot``) as read now, or as stored. ``own``: the findings the reader worked
    out."""
    diff = diff_reports(earlier, data) if earlier is not None else None
    return run_rules(report, before, diff, tuple(similar), listing_read, own=own, seen_on=seen_on), diff
