"""Stage: alerts. What is worth telling the oversight staff, and to whom.

The watcher turns each new version, each late or missing report, and each failing source
into ``Event``s with stable keys; ``store.py`` writes them in the same transaction as the
findings, with one pending delivery per (channel, recipient). Re-polling, restarting or
re-checking produces the same keys, so nothing is queued twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.config import Settings, Source
from monitor.rules import deadline
from monitor.store import Event


def recipients(settings: Settings, source: Source | None) -> tuple[tuple[str, str], ...]:
    """(channel, recipient) pairs: e-mail to the source's alert_to (else the global list), every webhook,
    and the .eml folder sink when one is configured."""
    out: list[tuple[str, str]] = []
    if settings.email:
        out += [("email", to) for to in (source.alert_to if source and source.alert_to else settings.email.to)]
    if settings.outbox_dir:
        out += [("eml", to) for to in (source.alert_to if source and source.alert_to else ("oversight@localhost",))]
    out += [(f"webhook:{w.name}", w.url) for w in settings.webhooks]
    return tuple(out)


def _base(source: Source, url: str, report: dict[str, Any]) -> dict[str, Any]:
    return {"source": source.id, "agency": report.get("agency") or source.agency, "url": url,
            "title": report.get("title"), "year": report.get("year"), "published": report.get("published"),
            "tables": report.get("tables", {}), "table_status": report.get("table_status", {})}  # fmt: skip


def version_events(settings: Settings, source: Source, url: str, report: dict[str, Any],
                   findings: list[dict[str, Any]], *, previous: list[dict[str, Any]] | None,
                   diff: dict[str, Any] | None, content_hash: str) -> list[Event]:  # fmt: skip
    """Events for a newly stored version. `previous` is the last version's findings (None: a new report)."""
    to = recipients(settings, source)
    base = _base(source, url, report)
    if previous is None:
        return [Event(f"report|{url}", "new_report", source.id, {**base, "findings": findings}, to)]
    events = []
    if diff:
        events.append(Event(f"revision|{url}|{content_hash}", "revision", source.id,
                            {**base, "diff": diff, "findings": findings}, to))  # fmt: skip
    known = {f["key"] for f in previous}
    for f in findings:
        if f["severity"] == "error" and f["key"] not in known:
            events.append(Event(f"finding|{url}|{f['key']}", "new_finding", source.id, {**base, "findings": [f]}, to))
    return events


def missing_event(settings: Settings, source: Source, years_found: set[int], today: date) -> Event | None:
    """timeliness.missing: the last statutory deadline has passed and no report for that year was found."""
    year = today.year - 1
    if today <= deadline(year, source.kind):
        year -= 1
    if year in years_found:
        return None
    due = deadline(year, source.kind)
    message = f"{source.agency}{year}年度政府信息公开工作年度报告在法定期限{due.isoformat()}后仍未在门户网站上找到"
    finding = {"rule": "timeliness.missing", "severity": "error", "table": None, "row": None, "column": None,
               "expected": None, "actual": None, "message": message, "key": f"timeliness.missing|{year}"}  # fmt: skip
    payload = {"source": source.id, "agency": source.agency, "url": source.list_url, "title": None, "year": year,
               "published": None, "tables": {}, "table_status": {}, "findings": [finding]}  # fmt: skip
    return Event(f"missing|{source.id}|{year}", "missing", source.id, payload, recipients(settings, source))


def source_events(
    settings: Settings, source: Source, state: dict[str, Any], error: str | None, poll_id: int
) -> list[Event]:
    """A source failing `failure_threshold` polls in a row is reported once, and again when it recovers."""
    failures = state["consecutive_failures"] + 1 if error else 0
    payload = {"source": source.id, "agency": source.agency, "url": source.list_url, "error": error,
               "failures": failures, "findings": []}  # fmt: skip
    to = recipients(settings, source)
    if error and failures >= settings.failure_threshold and not state["failing_alerted"]:
        return [Event(f"failing|{source.id}|{poll_id}", "source_failing", source.id, payload, to)]
    if not error and state["failing_alerted"]:
        return [Event(f"recovered|{source.id}|{poll_id}", "source_recovered", source.id, payload, to)]
    return []
