"""The ``Store``: every operation the watcher, the alerts and the commands ask of the database, typed records in
and out (``records``). ``open_store`` (in this package's face) gives SQLite (``monitor.store.sqlite``, the
embedded default) or PostgreSQL (``monitor.store.postgres``, one database several workers share); each
implements exactly this protocol. What several workers need is in it too, and a single-instance store grants
it at once: a source's lease (``start_polls`` with a lease), a host's request slots (``take_host_slot``).

Writes that belong together are one transaction inside one call (a version, its findings and its events;
a poll's end, its source's streak and its events): a crash leaves all of them or none, and an event's key
makes it stored, and sent, once. A failure of the database or its disk raises ``errors.StorageError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from monitor.model import Event, Finding, Report
from monitor.model.bodies import Attribution
from monitor.store.records import (
    Delivery,
    KnownReport,
    LastReport,
    Listing,
    NewVersion,
    PageCache,
    PollAsk,
    PollEnd,
    PollStart,
    ReportReads,
    SourceState,
    StoredBody,
    StoredDocument,
    StoredEvent,
    StoredReport,
    StoredVersion,
    UnreadableReport,
    VersionSummary,
    YearReport,
)

if TYPE_CHECKING:
    from monitor.config import Source


class Store(Protocol):
    # Whether ``start_polls`` and ``finish_polls`` may be called from a thread of their own (one call at a time),
    # beside the other calls from the loop's: a shared store's have a connection of their own, so the loop goes on
    # while the database answers. SQLite's answer at once, in the loop's thread.
    polls_apart: bool

    def close(self) -> None: ...

    # ------------------------------------------------------------ sources and polls
    def sync_sources(self, sources: Iterable[Source]) -> None:
        """The configured sources' agency, kind and listing URL (new ones added; none removed); each roster body
        (``Source.bodies``) stored with its kind, and documents stored under one of its aliases moved to it."""

    def sources(self) -> list[SourceState]: ...

    def source_state(self, source_id: str) -> SourceState:
        """The source's state; a fresh one (no failures) for a source never polled."""

    def sources_read(self, among: Iterable[str] | None = None) -> dict[str, str]:
        """The sources (of ``among``, else all) whose listing was read at least once, and when it was last read whole
        (the end of its last poll that succeeded, ISO 8601 in UTC)."""

    def source_changes(self) -> dict[str, int]:
        """Per source, a mark that changes with every write its standing depends on (its polls' end, documents,
        versions, findings checked again, reports that could not be read), whichever process made it: the
        overview rebuilds only the sources whose mark is not the one it last built from."""

    def mark_interrupted(self) -> int:
        """Polls a killed process left unfinished, closed as interrupted; how many. Called when no other
        process polls."""

    def release_source(self, source_id: str) -> None:
        """A poll cut off before its end was stored (a stop, the database away): the source's lease is free, and
        nothing says it was polled, so another worker, or a `poll` asked now, polls it (a poll's end, which
        ``finish_polls`` stores, releases the lease and counts the poll for ``fresh``)."""

    def renew_leases(self, lease: float) -> int:
        """Every lease this worker holds (its sources being polled, its hosts' request slots) extended to
        ``lease`` seconds from now, so a long poll keeps its source; how many sources it still holds (one whose
        lease lapsed and another worker took is not taken back). A single-instance store holds none: 0."""

    def take_host_slot(self, host: str, limit: int, lease: float) -> int | None:
        """One of ``limit`` request slots of ``host`` shared by every worker, for ``lease`` seconds at most (a
        killed worker's expire); None while all are taken. (``watch.slots.HostSlots``.)"""

    def free_host_slot(self, host: str, slot: int) -> None: ...

    def finish_polls(self, ends: Sequence[PollEnd]) -> None:
        """Close each poll and update its source's failure streak, with its events, the validators of its unchanged
        reports and its unreadable reports settled (``PollEnd``), all at once (a shared store: one statement); each
        source's lease is released with it (``release_source``)."""

    def request_polls(self, sources: Iterable[str]) -> int:
        """`govmon poll --source ID` beside the running service: it polls them within a second."""

    def take_poll_requests(self) -> list[str]: ...

    # ------------------------------------------------------------ a poll's reads, each one round trip
    def start_polls(self, asks: Sequence[PollAsk]) -> list[PollStart]:
        """Polls of these sources begin (a shared store: in one round trip, whatever their number), each as it
        would alone: its poll row, and what the poll reads of its source as it starts (its state, its bodies and
        those its ``roster`` names, its listing page ``list_url`` as last read, the report years stored from it,
        older ones too that left the listing's pages, perhaps what it knows of the reports that page linked to).
        With ``lease``: only when the source's lease for that many seconds is granted (``PollStart.claim``): not
        when another worker holds it (``HELD``; so is a source asked twice at once, after its first ask), nor when
        (``fresh``) another worker polled it less than that many seconds ago (``FRESH``; this worker's own polls
        are its timetable's business). A shared store's lease expires, so a killed worker's sources are taken
        over; a single-instance store (SQLite, under its instance lock) always grants it. In the asks' order; the asks
        of one call are all with a lease or all without."""

    def known_reports(self, urls: Sequence[str]) -> dict[str, KnownReport]:
        """What the store knows of each listed report URL: its document, its latest version's hashes (for a
        duplicate, ``save_duplicate``, those of its body's report of its year), its recorded failure. A URL it
        knows nothing of may be left out."""

    def report_reads(self, source_id: str, content_hash: str, body: str, year: int | None) -> ReportReads:
        """Before a report just read is checked: ``content_seen`` (``source_id``, ``content_hash``, ``body``), and
        with a ``year``, ``body_report`` of the year before and whether ``body_version`` of the year is stored."""

    # ------------------------------------------------------------ listing pages
    def page(self, url: str) -> PageCache | None: ...

    def page_body(self, url: str) -> bytes:
        """The listing page's body as last fetched (empty when none is stored)."""

    def save_page(self, url: str, etag: str | None, last_modified: str | None, body: bytes, listing: Listing) -> None:
        """A listing page as fetched now, and what it links to."""

    # ------------------------------------------------------------ documents and versions
    def document(self, url: str) -> StoredDocument | None: ...

    def save_duplicate(
        self,
        source: str,
        url: str,
        *,
        title: str | None,
        year: int | None,
        attribution: Attribution,
        validators: tuple[str | None, str | None],
    ) -> None:
        """A report URL of ``source`` whose content is its body's report stored from another URL (the body's own
        column, or a second link): a document without a version of its own, so the body is known on this source
        and the next poll asks the URL conditionally and leaves it unread while its bytes do not change."""

    def latest_version(self, document_id: int) -> StoredVersion | None: ...

    def content_seen(self, source_id: str, content_hash: str, body: str | None = None) -> bool:
        """The same report content already stored under another URL of this source, or (``body``) of that body
        on any source: a body listed on two sources is stored once."""

    def report_of(self, source_id: str, year: int) -> Report | None:
        """The source's stored report for ``year`` (its latest version), with its text."""

    def version_of(self, source_id: str, year: int) -> StoredVersion | None:
        """The latest version of the source's report for ``year``."""

    # ------------------------------------------------------------ bodies (model.bodies; names normalised)
    def bodies(self, source: str | None = None, names: Iterable[str] = ()) -> list[StoredBody]:
        """The bodies with reports stored, by name, each with every source it was listed on and its report years:
        all of them, or (``source``, ``names``) those with a report listed on ``source`` and those named."""

    def body_report(self, body: str, year: int, besides: str | None = None) -> Report | None:
        """The body's stored report for ``year`` (its latest version, on any source), with its text; ``besides``:
        not the one stored under that URL."""

    def body_version(self, body: str, year: int) -> StoredVersion | None:
        """The latest version of the body's report for ``year``, on any source."""

    def similar(
        self, source_id: str, year: int, prints: list[int], limit: int = 5, body: str | None = None
    ) -> list[Report]:
        """The stored reports, with their text, sharing most band hashes with ``prints`` among those a report may
        copy: the source's (with ``body``: that body's) earlier years and the other sources' (bodies') reports of
        ``year`` (a bounded number per band)."""

    def save_version(self, v: NewVersion, events: Iterable[Event] = ()) -> int:
        """A new version and its events, in one transaction; returns the version's id."""

    def replace_findings(self, version_id: int, findings: Sequence[Finding], events: Iterable[Event] = ()) -> None:
        """A stored version checked again (its year before arrived later): its findings and their events."""

    def raw(self, version_id: int) -> bytes:
        """The version's body as fetched."""

    def text(self, version_id: int) -> str:
        """The version's text as read (the whole page's, its preface too: ``StoredVersion.section_text`` is its
        parts')."""

    def rehash(self, version_id: int, content_hash: str) -> None:
        """A stored version's content hash as govmon now reads its bytes (read again when the page changed and the
        report in it did not: a newer govmon reads it otherwise, or only the page around it changed)."""

    def set_aside(self, document_id: int, year: int) -> None:
        """A stored report whose address now holds another year's report (a page a portal keeps for its latest
        report, review 112): kept, as the report of ``year`` it was, under its address marked with that year
        (``url#year``), so that the address's new report is a report of its own, not a revision of this one."""

    # ------------------------------------------------------------ reports that could not be read
    def mark_unreadable(
        self,
        source: str,
        url: str,
        error: str,
        *,
        title: str | None,
        year: int | None,
        sha256: str | None = None,
        validators: tuple[str | None, str | None] = (None, None),
    ) -> None: ...

    def unreadable_reports(self, source: str | None = None, year: int | None = None) -> list[UnreadableReport]: ...

    # ------------------------------------------------------------ events and the outbox
    def events(self) -> list[StoredEvent]:
        """Every event stored, oldest first."""

    def due_deliveries(
        self,
        at: datetime,
        limit: int = 100,
        ignore_backoff: bool = False,
        held: str | None = None,
        to: tuple[str, str] | None = None,
    ) -> list[Delivery]:
        """Pending deliveries due at ``at`` (all pending ones with ``ignore_backoff``), oldest first, each with
        the report and findings of the version its event names; none by the ``held`` channel (its digests are read
        apart: they would take the places of others due now); with ``to``, only those to that (channel,
        recipient). A next attempt set further ahead than
        any backoff (by a clock that was ahead) is due now."""

    def pending_recipients(self, channel: str) -> dict[str, datetime]:
        """The recipients with deliveries by ``channel`` pending, each with when the oldest of them was queued."""

    def deliveries(self, delivered: bool = False) -> list[Delivery]:
        """The outbox as `govmon alerts list` shows it: every delivery not yet made (with ``delivered``, every
        delivery), oldest first; without the versions' reports."""

    def last_delivered(self, channel: str, recipient: str, before: datetime) -> datetime | None:
        """When the last message to ``recipient`` by ``channel`` was delivered, of those stamped before ``before``."""

    def mark_delivered(self, delivery_ids: Iterable[int], at: datetime) -> None: ...

    def release_deliveries(self) -> None:
        """The deliveries this worker's ``due_deliveries`` took and did not mark, free for any worker now (a pass
        that ended early: its time, a stop, the database)."""

    def mark_failed(self, delivery_ids: Iterable[int], error: str, retry_at: datetime | None) -> None:
        """A failed attempt: retried at ``retry_at``, or dead when it is None (gave up)."""

    def make_due(self, at: datetime) -> int:
        """Every pending delivery due at ``at``; how many."""

    def revive_dead(self, at: datetime) -> int:
        """Dead letters back into the outbox, due at ``at``, with a fresh count of attempts; how many."""

    def alert_counts(self) -> dict[str, int]:
        """Deliveries per status: {"pending": n, "delivered": n, "dead": n}."""

    def oldest_pending(self) -> tuple[str | None, int]:
        """When the oldest pending delivery's event was stored (None: nothing pending), and how many are pending."""

    # ------------------------------------------------------------ what the commands read back
    def reports(
        self, source: str | None = None, year: int | None = None, *, summaries: bool = False
    ) -> Iterator[StoredReport]:
        """Each stored document with its version count and latest version (with ``summaries``, that version's
        report summary too), by source, newest year first; streamed, so memory does not grow with the database."""

    def last_reports(self) -> dict[str, LastReport]:
        """Per source, its newest report."""

    def body_year_reports(self, year: int, bodies: Iterable[str] | None = None) -> dict[str, YearReport]:
        """Per body (its name; of ``bodies``, else all), its report for ``year`` (on whichever source it was
        listed), with ``body`` and ``body_how`` set."""

    def history(self, version_id: int) -> list[VersionSummary]:
        """Every version of the document ``version_id`` belongs to, oldest first; the version asked for with its
        report's summary."""

    def year_span(self) -> tuple[int, int] | None:
        """The oldest and newest report year stored."""
