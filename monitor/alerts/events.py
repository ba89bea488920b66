"""TODO"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.checks.pipeline import source_findings
from monitor.checks.registry import SourceContext
from monitor.config import Settings, Source
from monitor.model import Event, Finding
from monitor.redact import redact
from monitor.store import ReportSummary, SourceState


def recipients(settings: Settings, source: Source | None) -> tuple[tuple[str, str], ...]:
    """(channel, recipient) pairs: e-mail to the source's alert_to (else the global list), every webhook,
    and the .eml folder sink when one is configured."""
    out: list[tuple[str, str]] = []
    if settings.email:
        out += [("email", to) for to in (source.alert_to if source and source.alert_to else settings.email.to)]
    if settings.outbox_dir:
        out += [("eml", to) for to in (source.alert_to if source and source.alert_to else ("oversight@localhost",))]
    out += [(f"webhook:{w.name}", redact(w.url)) for w in settings.webhooks]  # the recipient is shown and stored
    return tuple(out)


def _base(source: Source, url: str, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": source.id,
        "agency": report.get("agency") or source.agency,
        "url": url,
        "title": report.get("title"),
        "year": report.get("year"),
        "published": report.get("published"),
    }


def _keys(findings: list[dict[str, Any]]) -> list[str]:
    return [f["key"] for f in findings]


def hydrate(payload: dict[str, Any], report: ReportSummary | None, findings: list[Finding] | None) -> dict[str, Any]:
    """An event's payload as the templates read it. A version's events name its findings by key
    (``finding_keys``); the tables and the findings themselves are read from the stored version."""
    if "finding_keys" not in payload or report is None or findings is None:
        return payload
    stored = {f.key: f for f in findings}
    return {
        **payload,
        "tables": report.tables,
        "table_status": report.table_status,
        "findings": [stored[k].to_json() for k in payload["finding_keys"] if k in stored],
    }


def version_events(
    settings: Settings,
    source: Source,
    url: str,
    report: dict[str, Any],
    findings: list[dict[str, Any]],
    *,
    previous: list[dict[str, Any]] | None,
    diff: dict[str, Any] | None,
    content_hash: str,
    because: str = "",
) -> list[Event]:
    """Events for a newly stored version. `previous` is the last version's findings (None: a new report).
    ``because`` tells apart the checks of one content again (the year before arrived: its content hash)."""
    to = recipients(settings, source)
    base = _base(source, url, report)
    if previous is None:
        return [Event(f"report|{url}", "new_report", source.id, {**base, "finding_keys": _keys(findings)}, to)]
    # One message per report and poll: what changed, the errors that are new, and what was resolved.
    known, now = {f["key"] for f in previous}, {f["key"] for f in findings}
    new_errors = [f for f in findings if f["severity"] == "error" and f["key"] not in known]
    resolved = [f["message"] for f in previous if f["key"] not in now and f["rule"] != "revision.changed"]
    if diff:
        payload = {**base, "diff": diff, "finding_keys": _keys(findings), "resolved": resolved}
        return [Event(f"revision|{url}|{content_hash}", "revision", source.id, payload, to)]
    if new_errors:
        payload = {**base, "finding_keys": _keys(new_errors), "resolved": resolved}
        return [Event(f"finding|{url}|{content_hash}{because}", "new_finding", source.id, payload, to)]
    return []


def missing_event(settings: Settings, source: Source, years_found: set[int], today: date) -> Event | None:
    """timeliness.missing: the last statutory deadline has passed and no report for that year was found."""
    found = source_findings(SourceContext(source.agency, source.kind, frozenset(years_found), today))
    if not found:
        return None
    year, finding = found[0].row, found[0].to_json()
    payload: dict[str, Any] = {
        "source": source.id,
        "agency": source.agency,
        "url": source.list_url,
        "title": None,
        "year": year,
        "published": None,
        "tables": {},
        "table_status": {},
        "findings": [finding],
    }
    return Event(f"missing|{source.id}|{year}", "missing", source.id, payload, recipients(settings, source))


def source_events(
    settings: Settings, source: Source, state: SourceState, error: str | None, poll_id: int
) -> list[Event]:
    """A source failing `failure_threshold` polls in a row is reported once, and again when it recovers."""
    failures = state.consecutive_failures + 1 if error else 0
    payload: dict[str, Any] = {
        "source": source.id,
        "agency": source.agency,
        "url": source.list_url,
        "error": error,
        "failures": failures,
        "findings": [],
    }
    to = recipients(settings, source)
    if error and failures >= settings.failure_threshold and not state.failing_alerted:
        return [Event(f"failing|{source.id}|{poll_id}", "source_failing", source.id, payload, to)]
    if not error and state.failing_alerted:
        return [Event(f"recovered|{source.id}|{poll_id}", "source_recovered", source.id, payload, to)]
    return []
