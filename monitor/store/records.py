"""What goes into the store and what comes back out: small frozen records, typed, whatever database holds them.

The domain records are the model's (``Report``, ``Finding``, ``Event``); these say where they were stored and
what came with them. Timestamps are ISO 8601 text in UTC to the second (``2024-03-01T08:00:00+00:00``), as every
command prints them. No record holds JSON text or a database row: a store decodes what it reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from monitor.model import Event, Finding, Report, Tables
from monitor.model.bodies import Attribution


class Claim(enum.Enum):
    """What asking for a source's poll (``Store.start_polls`` with a lease, ``PollStart.claim``) got: true only when
    ``TAKEN``. ``HELD``: another worker is polling it now (should that worker die, its lease lapses within ``lease_seconds``); ``FRESH``:
    another worker polled it a moment ago."""

    TAKEN = "taken"
    HELD = "held"
    FRESH = "fresh"

    def __bool__(self) -> bool:
        return self is Claim.TAKEN


# ---------------------------------------------------------------- in
@dataclass(frozen=True)
class PollAsk:
    """A poll of a source asked to begin (``Store.start_polls``): its listing page ``list_url``, its roster's body
    names; with ``lease``, only when its lease for that many seconds is granted, and (``fresh``) not when another
    worker polled it less than that many seconds ago."""

    source_id: str
    list_url: str
    lease: float | None = None
    fresh: float = 0
    roster: tuple[str, ...] = ()


@dataclass(frozen=True)
class PollEnd:
    """A poll's end (``Store.finish_polls``): its outcome (``error`` None: it succeeded), its events, the validators
    of its unchanged reports (``touched``: document id, ETag, Last-Modified) and, for a poll that read the
    listing, the reports that failed this time (``failing``; of the source's recorded unreadable, only these stay)."""

    poll_id: int
    source_id: str
    error: str | None = None
    reports: int = 0
    new_versions: int = 0
    events: tuple[Event, ...] = ()
    touched: tuple[tuple[int, str | None, str | None], ...] = ()
    failing: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NewVersion:
    """A report version about to be stored: the raw bytes, the parsed report, its findings and the diff from the
    version before. The store keeps the report as ``Report.to_json()`` with each section's text beside it (what
    ``checks.revision.snapshot`` hashes, and what the next version is compared with) and ``report.text``."""

    source: str
    url: str
    title: str | None
    year: int | None
    raw: bytes
    sha256: str
    content_hash: str
    content_type: str
    report: Report
    findings: list[Finding]
    diff: dict[str, Any] | None
    etag: str | None
    last_modified: str | None
    prints: list[int] = field(default_factory=list)  # copies.prints: replaces the document's older version's
    attribution: Attribution | None = None  # the body that published it (None: the document keeps its body)
    packed: Packed | None = None  # ``raw`` and the report's text as stored, when a reader packed them already


@dataclass(frozen=True)
class Packed:
    """A new version's raw bytes and its report's text as the stores keep them (``encoding.packed``: zlib), packed
    where the report was read (a reader process, beside the page) rather than in the watcher's loop."""

    raw: bytes
    text: bytes


@dataclass(frozen=True)
class Listing:
    """What a listing page linked to when it was last read: the report links (url, title, year, and why it may not
    be the report: ``discover.Link.doubt``), the next page, the ``link_pattern`` they were found with (None: kept
    before the pattern was), and the way links were found then (``found_by``: a page read by an older way is read
    again, not answered from its links)."""

    links: tuple[tuple[str, str, int | None, str], ...]
    next: str | None
    pattern: str | None
    found_by: int = 0


# ---------------------------------------------------------------- sources, polls, pages
@dataclass(frozen=True)
class SourceState:
    """A source as the store knows it: its polls' outcome, its failure streak, whether the streak was alerted."""

    id: str
    agency: str | None = None
    kind: str | None = None
    list_url: str | None = None
    last_poll: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failing_alerted: bool = False
    polled_by: str | None = None  # on a shared database: the worker (host:pid) that polled it last
    ever_read: bool = False  # a poll of it has ended without error (its first poll, told in one summary, is over)


@dataclass(frozen=True)
class StoredBody:
    """A body with reports stored: its normalised name, kind, the sources its reports were listed on, the
    report years stored, and how its newest report was attributed (``model.bodies.HOW``)."""

    id: int
    name: str
    kind: str | None
    sources: tuple[str, ...]
    years: frozenset[int]
    how: str | None = None


@dataclass(frozen=True)
class PageCache:
    """A listing page's validators, and what it linked to (None: stored before links were kept). Its body is
    read only on demand (``Store.page_body``)."""

    etag: str | None
    last_modified: str | None
    listing: Listing | None


# ---------------------------------------------------------------- documents and versions
@dataclass(frozen=True)
class StoredDocument:
    """A report URL of a source, and the validators of its last fetch."""

    id: int
    source: str
    url: str
    title: str | None
    year: int | None
    first_seen: str
    etag: str | None = None
    last_modified: str | None = None
    last_checked: str | None = None
    body: str | None = None  # the body its report is attributed to (where the store was asked for it)


@dataclass(frozen=True)
class VersionHashes:
    """A version's id and hashes: all a poll needs to tell an unchanged report."""

    id: int
    sha256: str
    content_hash: str


@dataclass(frozen=True)
class PollStart:
    """What a poll reads of its source as it begins (``Store.start_polls``): the poll's id, the source's state, the
    bodies with reports listed on it or named by its roster, its first listing page as last read, the report years
    stored from it, and (a store may leave it empty) what ``known_reports`` gives for each report that page linked
    to, every URL asked present. ``claim``: when a lease was asked, whether it was granted; when it was not, the
    poll has no row and nothing else was read."""

    poll_id: int
    state: SourceState
    bodies: tuple[StoredBody, ...]
    page: PageCache | None
    years: frozenset[int]
    known: dict[str, KnownReport] = field(default_factory=dict)
    claim: Claim = Claim.TAKEN


@dataclass(frozen=True)
class KnownReport:
    """A listed report URL as the store knows it (``Store.known_reports``): its document (None: never stored),
    the hashes of its latest version (a duplicate's: its body's report of its year), and the failure recorded
    for it (``UnreadableReport``, None: none)."""

    document: StoredDocument | None = None
    hashes: VersionHashes | None = None
    unreadable: UnreadableReport | None = None


@dataclass(frozen=True)
class ReportReads:
    """What the store holds around a report just read (``Store.report_reads``): whether its content is stored
    already (``content_seen``), the same body's report of the year before, with its text (``body_report``), and
    whether a report of the body's own year is stored (``body_version``)."""

    seen: bool
    before: Report | None = None
    year_stored: bool = False


@dataclass(frozen=True)
class StoredVersion:
    """A stored version of a report, without its raw body (``Store.raw``). ``report`` is restored by
    ``Report.from_json`` (numbers, states, formats, doubts; its text only where a caller needs it: the
    sections' text as stored is ``section_text``, "1".."6")."""

    id: int
    document_id: int
    url: str
    fetched_at: str
    sha256: str
    content_hash: str
    content_type: str | None
    report: Report
    findings: list[Finding]
    diff: dict[str, Any] | None
    section_text: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportSummary:
    """A stored report as listings and pages show it: title, 发布日期, format, each table's state and its numbers.
    Not a ``Report``: restoring one costs seven times reading its JSON, too much for 140,000 reports listed."""

    title: str | None
    published: str | None
    format: str | None
    table_status: dict[str, str]
    tables: Tables  # table -> row -> column -> number (None: blank)

    @classmethod
    def of(cls, data: dict[str, Any]) -> ReportSummary:
        """From ``Report.to_json()``'s output (for a store to call)."""
        return cls(
            data.get("title"),
            data.get("published"),
            data.get("format"),
            data.get("table_status", {}),
            data.get("tables", {}),
        )


@dataclass(frozen=True)
class VersionSummary:
    """A version as listings and pages show it: its findings, its diff from the version before, and (where it
    was asked for) its report's summary."""

    id: int
    fetched_at: str
    sha256: str
    content_hash: str
    content_type: str | None
    findings: list[Finding]
    diff: dict[str, Any] | None
    report: ReportSummary | None = None


@dataclass(frozen=True)
class StoredReport:
    """A stored document as ``govmon reports`` lists it: how many versions, and its latest (None: none stored)."""

    id: int
    source: str
    url: str
    title: str | None
    year: int | None
    first_seen: str
    versions: int
    latest: VersionSummary | None
    body: str | None = None  # the body it is attributed to


@dataclass(frozen=True)
class LastReport:
    """A source's newest report (latest year, then latest seen), and its latest version's error count."""

    source: str
    title: str | None
    url: str
    year: int | None
    first_seen: str
    errors: int


@dataclass(frozen=True)
class YearReport:
    """A source's report for one year (the document whose latest version is newest), as ``status`` judges it:
    the version's title and 发布日期, its tables' states and findings, the version before's findings (None: it is
    the first), and how many versions there are. The findings come without the cells they name (``cells`` is
    empty): a year's standings hold every source's at once, and the cells were two thirds of their memory."""

    source: str
    url: str
    title: str | None
    first_seen: str | None
    version_id: int
    versions: int
    published: str | None
    table_status: dict[str, str]
    findings: list[Finding]
    before: list[Finding] | None
    body: str | None = None
    body_how: str | None = None


@dataclass(frozen=True)
class UnreadableReport:
    """A listed report that could not be read: its error, the failing body's sha256 (None: not fetched) and
    validators, so the same bytes are not read again."""

    url: str
    source: str
    title: str | None
    year: int | None
    error: str
    first_failed: str
    last_failed: str
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None


# ---------------------------------------------------------------- events and deliveries
@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: when, and the version it is about (None: a source's event). Its ``recipients`` are
    the channels and recipients of its deliveries."""

    id: int
    created: str
    version_id: int | None
    event: Event


@dataclass(frozen=True)
class Delivery:
    """One event to one recipient on one channel, with its retry state. For a pending delivery (``due``), the
    report and findings of the version its event names (None: the event names none), read when it is sent; the
    event's ``recipients`` are left empty (each delivery is one of them)."""

    id: int
    channel: str
    recipient: str
    status: str  # pending | delivered | dead
    attempts: int
    next_attempt: str
    last_error: str | None
    delivered_at: str | None
    event_id: int
    created: str  # when its event was stored
    event: Event
    report: ReportSummary | None = None
    findings: list[Finding] | None = None
