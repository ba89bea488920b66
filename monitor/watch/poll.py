"""Stage: watch, one pass. Per source: its poll begun (``batched``) -> its listing pages read (``listing``:
conditional GET, pagination, report links discovered) -> each report to ``document.Documents`` (fetched, read,
checked, stored as a version when its content changed) -> the source's own rules (``timeliness.missing``), their
findings and its failing portal handed to ``alerts.events``, whose events are stored with the poll's end
(``batched``).

One source's failure never stops another; a crash at any point leaves the store consistent (see
monitor/store), so the next poll picks up where this one stopped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from monitor import reading
from monitor.alerts.events import first_poll_event, missing_event, source_events, unreadable_event
from monitor.checks.pipeline import source_findings
from monitor.checks.registry import SourceContext
from monitor.config import Settings, Source
from monitor.errors import FetchError, InputError, StorageError
from monitor.model import Event, ListedReport, china_today
from monitor.model.bodies import Body, normal_name, same_name
from monitor.model.failures import said_cn
from monitor.reading.facts import title_body
from monitor.store import (
    Claim,
    KnownReport,
    PageCache,
    PollAsk,
    PollEnd,
    PollStart,
    SourceState,
    Store,
    StoredBody,
)
from monitor.watch.batched import PollCalls
from monitor.watch.discover import COLUMN, NOTICE, UNOPENED, Link
from monitor.watch.document import Documents, PollResult, Remembered
from monitor.watch.expected import Owners, expected, owners
from monitor.watch.fetch import Fetcher
from monitor.watch.listing import listing_read, read_listing, unread_listing
from monitor.watch.regions import recheck_regions

SOURCE_DEADLINE = 900.0  # one source's whole poll (listing pages and reports): a slow portal cannot hold a pass
# A `poll` pass leaves a source another worker polled since it began, or this long before (two pollers started
# a second or two apart re-polled 3-8% of the sources with no margin)
PASS_MARGIN = 30.0
log = logging.getLogger("govmon")


# a report's link whose address only a script in a file of its own knows (``Link.doubt`` UNOPENED)
UNOPENED_CN = "栏目页面列出了这份报告，但其链接由网站脚本打开（{}），未能跟随打开"

_GONE = re.compile(r"HTTP 40[34]|HTTP 410")


class Watcher:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        today: Callable[[], date] = china_today,
    ) -> None:
        self.settings, self.store, self.fetcher, self.today = settings, store, fetcher, today
        self._owned: tuple[object, Owners] | None = None
        reading.collect_less()  # a pass makes and frees a report's worth of objects a document
        self.documents = Documents(settings, store, fetcher, today)
        self.calls = PollCalls(store)  # the polls begun (and ended) in one turn of the loop, together
        # the service (not a one-off `govmon poll`) leaves a source another worker polled within most of its
        # interval: on a shared store each source is polled about once an interval, whoever does it
        self.leave_fresh = False
        self.pass_started: float | None = None  # a `poll` pass: a source another worker polled since is done
        self._held = 0  # sources this worker is polling now (their leases renewed while there are any)
        self._renewer: asyncio.Task[None] | None = None

    async def poll(
        self, source_ids: list[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> list[PollResult]:
        """One pass over the named sources (all when None), concurrently; never raises for a source.
        ``progress(done, total)`` is called as each source finishes."""
        sources = [self.settings.source(i) for i in source_ids] if source_ids else list(self.settings.sources)
        self.store.sync_sources(self.settings.sources)
        self.pass_started = time.monotonic()
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
        """One source's poll, unless another worker on a shared store has it (``PollResult.elsewhere``); it ends
        in one log line (the journal's record that polling works)."""
        if self.leave_fresh:
            fresh = source.interval * 0.9
        else:  # within a pass, a source another worker polled after it began (or just before)
            fresh = time.monotonic() - self.pass_started + PASS_MARGIN if self.pass_started is not None else 0.0
        roster = tuple(b.name for b in source.bodies)
        begun = await self.calls.start(PollAsk(source.id, source.list_url, self.settings.lease_seconds, fresh, roster))
        if not begun.claim:
            log.info("source %s: polled by another worker; left to it", source.id)
            return PollResult(source.id, elsewhere=True, held=begun.claim is Claim.HELD)
        if not begun.state.ever_read:  # its reports are about to be read: the readers start meanwhile
            reading.warm_up()
        self._held += 1
        if self._renewer is None and self.settings.database_url is not None:  # SQLite's store takes no lease
            self._renewer = asyncio.create_task(self._renew())
        result = None
        try:
            result = await self._poll_source(source, begun)
            return result
        finally:
            self._held -= 1
            if not self._held and self._renewer is not None:
                self._renewer.cancel()
                self._renewer = None
            if result is None:  # cut off before its end was stored (which releases the lease with it)
                self.store.release_source(source.id)

    async def _renew(self) -> None:
        """While this worker polls: its leases (the sources it polls, its hosts' request slots) renewed every
        third of ``lease_seconds``, so a poll longer than the lease keeps its source, and a worker killed
        mid-poll loses them within the lease. One statement a renewal, whatever the sources in hand."""
        lease = self.settings.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                self.store.renew_leases(lease)
            except StorageError as exc:  # the database is away: the polls' own calls say so; tried again
                log.warning("renewing this worker's leases failed: %s", exc)

    async def _poll_source(self, source: Source, begun: PollStart) -> PollResult:
        """The poll ``begun`` (what it read of its source as it began, at once)."""
        result = PollResult(source.id, quiet=self.first_poll(begun.state))
        missing: list[Event] = []
        first: Event | None = None
        started = time.monotonic()
        poll_id, state = begun.poll_id, begun.state
        result.bodies = [Body(b.name, b.kind or source.kind) for b in begun.bodies if source.id in b.sources]
        # the listing pages as stored before this poll, each read once
        pages: dict[str, PageCache | None] = {source.list_url: begun.page}
        result.listing_read = listing_read(self.store, source, state, pages)
        settled: list[str] | None = None  # with the listing read: the reports that failed this time
        try:
            async with asyncio.timeout(SOURCE_DEADLINE):
                links, complete = await read_listing(self.store, self.fetcher, source, pages)
                checked = await self._reports(source, links, result, begun.known)
                if why := unread_listing(self.store, source, links, result.body_of, begun.years):
                    raise InputError(why)  # nothing read, not "nothing published" (a listing a script draws, a
                    # wrong address, bytes not decoded, a block page): every year's report would be called missing
                listed = _listed(links, set(result.failing), result.body_of, normal_name(source.agency))
                years = {y for _, y in listed} | begun.years | checked
            result.reports = len(links)
            # the bodies as the poll began, unless a report was read since (it may have added one): asked once
            roster = [b.name for b in source.bodies]
            bodies = list(begun.bodies) if not result.read else self.store.bodies(source.id, roster)
            recheck_regions(self.settings, self.store, source, result, bodies)
            settled = result.failing  # with the poll's end, only these stay recorded as unreadable
            # A report that could not be read this time may be the one that seems missing: its link's year counts
            # for the body its title names (``listed``), and one without a year holds back every body its title
            # does not rule out. One on a listing page not read (past max_pages) was not looked for (未能检查).
            failing = set(result.failing)
            unread = [
                result.body_of.get(link.url) or title_body(link.title)
                for link in links
                if link.url in failing and not (link.year or link.doubt)
            ]
            if complete:
                missing = self.missing(source, years, listed, unread, bodies)
            if result.quiet:
                first = first_poll_event(
                    self.settings, source, list(self.store.reports(source.id)), _unread(links, result)
                )
        except (FetchError, InputError) as exc:  # the listing: not reachable, or not a page (binary, bad encoding)
            result.error = str(exc)
        except TimeoutError:
            result.error = f"the poll of this source took more than {SOURCE_DEADLINE:.0f} s; gave up"
        except StorageError:  # the database or its disk, not this source: the caller says so in one line
            raise
        except Exception as exc:  # a bug must not stop the other sources; it is logged with its traceback
            result.error = f"internal error: {type(exc).__name__}: {exc}"
            log.exception("source %s: unexpected error", source.id)
        events = source_events(self.settings, source, state, result.error, poll_id)
        await self.calls.finish(
            PollEnd(
                poll_id,
                source.id,
                result.error,
                result.reports,
                result.new_versions,
                (*events, *([first] if first else []), *missing, *result.unreadable),
                tuple(result.touched),
                None if settled is None else tuple(settled),
            )
        )
        # what the poll worked with, not what it found: let go of now, not when the pass's results are (at 150,000
        # sources, ~0.5 KiB a source held to the end of `govmon poll`)
        result.bodies.clear()
        result.touched.clear()
        result.body_of.clear()
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

    def first_poll(self, state: SourceState) -> bool:
        """Whether this is the source's first poll (none has ended without error, as its state read at this poll's
        start says: on a shared store, whichever worker polled it), told in one summary at its end, unless
        ``first_poll = "each"``. An interrupted first poll is still the first: told when it ends. (Each poll of a
        source not yet read used to read every source's: at 150,000 sources a scan a poll, ~13 ms of the loop
        each, 3.3 s before the first request of a new database.)"""
        return self.settings.first_poll == "summary" and not state.ever_read

    def missing(
        self,
        source: Source,
        years: set[int],
        listed: list[tuple[str | None, int]],
        unread: list[str | None],
        bodies: list[StoredBody],
    ) -> list[Event]:
        """The source's rules per body it is expected to carry (timeliness.missing: the body's last statutory
        deadline, by its kind, has passed and no report of that year was found), judged on ``judged_on``; the
        events of the reports missing. Expected: the roster's bodies; without one, the bodies whose reports
        were listed here before; without any, the source's agency (``years``: what the listing shows). A listed
        link's year counts for the body its title names, and for every body when it names none (``listed``)."""
        today, events = self.judged_on(), []
        oldest = min((y for _, y in listed), default=None)
        for body in expected(source, bodies, years, self.owned):
            if any(named is None or same_name(named, body.name) for named in unread):
                continue  # a report listed without a year could not be read: it may be this body's
            had = body.years | {y for named, y in listed if named is None or same_name(named, body.name)}
            context = SourceContext(body.name, body.kind, frozenset(had), today, body.since, oldest)
            found = [f for f in source_findings(context) if f.rule == "timeliness.missing"]
            events += [missing_event(self.settings, source, found[0], body.name)] if found else []
        return events

    def owned(self) -> Owners:
        """``expected.owners`` of the configured sources, made once for them (at 150,000 sources ~0.3 s)."""
        if self._owned is None or self._owned[0] is not self.settings.sources:
            self._owned = (self.settings.sources, owners(self.settings.sources))
        return self._owned[1]

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

    async def _reports(
        self, source: Source, links: list[Link], result: PollResult, asked: dict[str, KnownReport]
    ) -> set[int]:
        """The source's listed reports, checked at once within the connector's per_host limit, each once the
        reports listed for the year before it are done (carry-over needs last year's stored); their years.
        ``asked``: what the store knew of some as the poll began; the others are asked of it now, at once."""
        rest = [link.url for link in links if link.url not in asked]
        known = {**asked, **self.store.known_reports(rest)} if rest else asked
        by_year: dict[int, list[asyncio.Task[int]]] = {}

        async def year_done(year: int) -> None:
            if by_year.get(year):
                await asyncio.wait(by_year[year])

        for link in links:
            stored = known.get(link.url, KnownReport())
            task = asyncio.create_task(self._checked(source, link, stored, result, year_done))
            by_year.setdefault(link.year or 0, []).append(task)
        return set(await asyncio.gather(*(t for tasks in by_year.values() for t in tasks)))

    async def _checked(
        self,
        source: Source,
        link: Link,
        known: KnownReport,
        result: PollResult,
        year_done: Callable[[int], Awaitable[None]],
    ) -> int:
        """One report of the source, its problem noted (and kept in the store) rather than raised. Returns its
        year (0 when unknown)."""
        try:
            if link.doubt == UNOPENED:  # (its address is only a script's: told as not read, at every poll)
                raise FetchError(UNOPENED_CN.format(link.url.partition("#")[2]))
            return await self.documents.check(source, link, known, result, year_done) or 0
        except FetchError as exc:
            if link.doubt == COLUMN or (link.doubt and _GONE.search(str(exc))):  # a column's link, or a notice
                # that is gone (404, 410): no report is unread
                log.info("source %s: %s (%s) not fetched: %s", source.id, link.url, link.title, exc)
                return 0
            return self._failed(source, link, result, exc, known)
        except InputError as exc:
            return self._failed(source, link, result, exc, known)

    def _failed(
        self,
        source: Source,
        link: Link,
        result: PollResult,
        exc: FetchError | InputError,
        known: KnownReport,
    ) -> int:
        """A report that could not be fetched or read: its problem noted, and kept in the store; told once where it
        could not be read at the poll before either, unless a version of it is stored (it was checked: review 113),
        its link may be no report's (a notice), or its link names a year before last year (a column of old scanned
        reports mailed one a year, the day after govmon began: review 114; one naming none may be this year's)."""
        before = known.unreadable
        said = str(exc)
        result.problems.append(said if said.startswith(f"{link.url}: ") else f"{link.url}: {said}")  # (once)
        result.failing.append(link.url)
        if isinstance(exc, FetchError):  # not fetched: tried again next poll
            self.store.mark_unreadable(source.id, link.url, str(exc), title=link.title, year=link.year)
        if (
            before is not None
            and known.document is None  # (none stored: it was checked)
            and link.doubt not in (COLUMN, NOTICE)
            and (link.year is None or link.year >= self.today().year - 1)  # (not every old year's: review 114)
        ):
            why = before.error if isinstance(exc, Remembered) else str(exc)  # (the same bytes: why they failed)
            body = result.body_of.get(link.url) or title_body(link.title)
            result.unreadable.append(unreadable_event(self.settings, source, before, why, body))
        level = logging.INFO if isinstance(exc, Remembered) else logging.WARNING
        log.log(level, "source %s: report %s: %s", source.id, link.url, exc)
        return 0


def _listed(links: list[Link], failing: set[str], body_of: dict[str, str], own: str) -> list[tuple[str | None, int]]:
    """(its body, its year) of each listed report link with a year: a report published, whether or not it could be
    read this time. Its body is the one its report is stored under or was attributed to now, else the one its title
    names (None: none; a link govmon cannot follow naming none, the source's ``own``: a tab's or a 专题's heading
    held back every body's alarm, review 104). A doubtful link (``Link.doubt``) lists its year only as the report it
    turned out to be (stored, so its body's years have it), or when it could not be read (it may be the report)."""
    return [
        (body_of.get(link.url) or title_body(link.title) or (own if link.doubt == UNOPENED else None), link.year)
        for link in links
        if link.year and (not link.doubt or link.url in failing)
    ]


def _unread(links: list[Link], result: PollResult) -> list[ListedReport]:
    """The listed reports a first poll could not read, each with why, as its summary lists them (not a notice's or
    a column's link, which may be no report)."""
    why = dict(zip(result.failing, result.problems, strict=False))
    return [
        ListedReport(link.title, link.year, link.url, 0, 0, unread=_without(said_cn(why[link.url]), link.url))
        for link in links
        if link.url in why and link.doubt not in (COLUMN, NOTICE)
    ]


def _without(said: str, url: str) -> str:
    """A failure's words without the URL they begin with (the summary names it on its own line)."""
    for colon in ("：", ": "):
        said = said.removeprefix(url + colon)
    return said
