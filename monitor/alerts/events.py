"""Stage: alerts, what is worth telling. A stored version, a missing report (the finding the watcher's run of
``timeliness.missing`` made), a source failing or back -> events, each with a stable key (the store queues a key
once) and its recipients on every configured channel. Events decide what is worth telling; they check nothing:
the watcher runs the rules and hands their findings here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.alerts.channels import recipients
from monitor.config import Settings, Source
from monitor.model import AboutReport, Event, Finding, ListedReport, Payload, Report, SourceHealth
from monitor.model.bodies import normal_name
from monitor.store import SourceState, StoredReport, UnreadableReport

__all__ = ["first_poll_event", "missing_event", "recipients", "source_events", "unreadable_event", "version_events"]


def _keys(findings: Sequence[Finding]) -> tuple[str, ...]:
    return tuple(f.key for f in findings)


def version_events(
    settings: Settings,
    source: Source,
    url: str,
    report: Report,
    findings: Sequence[Finding],
    *,
    previous: Sequence[Finding] | None,
    diff: dict[str, Any] | None,
    content_hash: str,
    because: str = "",
    warnings_too: bool = False,
    replaces: Sequence[Finding] = (),
) -> list[Event]:
    """Events for a newly stored version. `previous` is the last version's findings (None: a new report).
    ``because`` tells apart the checks of one content again (the year before arrived: its content hash), a
    revision to a content the report had before (A→B→A→B: the version it revises) from the first one, and a new
    report from the one its address held before (set aside as another year's: its year); with ``warnings_too`` a
    new warning is told as a new error is (a check that only warns, run again later). ``replaces``: the findings of
    the report a new one is published again in place of (the body's report of the year under another address):
    those it no longer has are told resolved (review 112: a correction under a new address read as unrelated)."""
    to = recipients(settings, source)
    published = report.published.isoformat() if report.published else None
    about = AboutReport(report.title, report.year, published)
    agency = report.agency or source.agency
    if previous is None:
        now = {f.key for f in findings}
        gone = tuple(f.message for f in replaces if f.key not in now and f.rule != "revision.changed")
        payload = Payload(source.id, agency, url, report=about, finding_keys=_keys(findings), resolved=gone or None)
        return [Event(f"report|{url}{because}", "new_report", source.id, payload, to)]
    # One message per report and poll: what changed, the errors that are new, and what was resolved.
    known, now = {f.key for f in previous}, {f.key for f in findings}
    new_errors = [f for f in findings if (warnings_too or f.severity == "error") and f.key not in known]
    resolved = tuple(f.message for f in previous if f.key not in now and f.rule != "revision.changed")
    if diff:
        payload = Payload(
            source.id, agency, url, report=about, diff=diff, finding_keys=_keys(findings), resolved=resolved
        )
        return [Event(f"revision|{url}|{content_hash}{because}", "revision", source.id, payload, to)]
    if new_errors:
        payload = Payload(source.id, agency, url, report=about, finding_keys=_keys(new_errors), resolved=resolved)
        return [Event(f"finding|{url}|{content_hash}{because}", "new_finding", source.id, payload, to)]
    return []


def missing_event(settings: Settings, source: Source, finding: Finding, body: str | None = None) -> Event:
    """A report missing after its deadline: ``finding`` is timeliness.missing's, its row the year missing;
    ``body`` the body whose report it is (None: the source's agency). One body's missing year is one event,
    whichever sources list it; the source's own agency keeps the key it always had."""
    year = finding.row if isinstance(finding.row, int) else None
    own = body is None or normal_name(body) == normal_name(source.agency)
    payload = Payload(
        source.id,
        source.agency if own or body is None else body,
        source.list_url,
        report=AboutReport(year=year),
        tables={},
        table_status={},
        findings=(finding,),
    )
    key = f"missing|{source.id}|{finding.row}" if own else f"missing|{normal_name(body or '')}|{finding.row}"
    return Event(key, "missing", source.id, payload, recipients(settings, source))


def first_poll_event(
    settings: Settings, source: Source, stored: list[StoredReport], unread: Sequence[ListedReport] = ()
) -> Event | None:
    """A source's first poll told once: every report it found, each with its problems counted, instead of a mail
    for each past report (a province's first day would be hundreds), and those listed that it could not read
    (``unread``, each with why: review 114). Its key is the source's: a first poll that was interrupted and
    finished later is still told once. None when nothing was found."""
    listed = []
    for r in stored:
        if not r.versions:
            continue  # a duplicate of a report another source's listing stored: told there
        findings = r.latest.findings if r.latest else []
        errors = tuple(f.message for f in findings if f.severity == "error")
        listed.append(ListedReport(r.title, r.year, r.url, len(errors), len(findings) - len(errors), errors, r.body))
    listed += unread
    if not listed:
        return None
    payload = Payload(source.id, source.agency, source.list_url, reports=tuple(listed), findings=())
    return Event(f"first_poll|{source.id}", "first_poll", source.id, payload, recipients(settings, source))


def source_events(
    settings: Settings, source: Source, state: SourceState, error: str | None, poll_id: int
) -> list[Event]:
    """A source failing `failure_threshold` polls in a row is reported once, and again when it recovers."""
    failures = state.consecutive_failures + 1 if error else 0
    payload = Payload(source.id, source.agency, source.list_url, health=SourceHealth(error, failures), findings=())
    to = recipients(settings, source)
    if error and failures >= settings.failure_threshold and not state.failing_alerted:
        return [Event(f"failing|{source.id}|{poll_id}", "source_failing", source.id, payload, to)]
    if not error and state.failing_alerted:
        return [Event(f"recovered|{source.id}|{poll_id}", "source_recovered", source.id, payload, to)]
    return []


def unreadable_event(
    settings: Settings, source: Source, before: UnreadableReport, error: str, body: str | None = None
) -> Event:
    """A listed report that could not be read at two polls in a row (``before``: as the first of them left it;
    ``error``: the second's), told once for the time it stays unreadable (review 111: a report a firewall kept
    from govmon for weeks was said only in ``status``; staff read mails). Once read, it is told as a new report."""
    payload = Payload(
        source.id,
        body or source.agency,
        before.url,
        health=SourceHealth(error, 2),
        report=AboutReport(before.title, before.year),
        findings=(),
    )
    key = f"unreadable|{before.url}|{before.first_failed}"
    return Event(key, "report_unreadable", source.id, payload, recipients(settings, source))
