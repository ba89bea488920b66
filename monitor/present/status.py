"""Stage: status. What a supervisor of many bodies asks about year Y: who has published, when, on time or
late, with errors or not, who is still missing after the deadline. One ``Standing`` per source and year,
read from the store; ``govmon status`` prints them worst first and ``govmon overview`` draws them.

A report counts as on time when its 发布日期 is on or before 第四十九条's deadline, or, when the page
gives no date, when govmon saw it before the deadline; otherwise its timeliness is unknown (govmon
may have started watching late): it is never called late on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from monitor.config import Settings, Source
from monitor.model import deadline
from monitor.store import Store, UnreadableReport, YearReport

# Worst first: the order `status` sorts by, and the overview's legend.
STATES = {
    "missing": "逾期未发布",
    "unchecked": "未能检查",  # no report, and the source's listing was never read: missing or not, nobody knows
    "errors": "有错误",
    "unreadable": "无法读取",  # a table that cannot be read, or a listed report that could not be read at all
    "late": "逾期发布",
    "warnings": "有警告",
    "on_time": "按时发布",
    "not_due": "未到期限",
}
TIMELY_CN = {"on_time": "按时", "late": "逾期", "unknown": "发布日期不明"}


@dataclass
class Standing:
    source: str
    agency: str
    kind: str
    year: int
    due: str
    state: str  # a key of STATES
    timely: str | None = None  # on_time, late, unknown (None: nothing published)
    title: str | None = None
    url: str | None = None
    published: str | None = None  # the report's 发布日期, when the page gives one
    found: str | None = None  # when govmon first saw it
    versions: int = 0
    version_id: int | None = None
    errors: int = 0
    warnings: int = 0
    unreadable: list[str] = field(default_factory=list)  # tables that could not be read
    resolved: list[str] = field(default_factory=list)  # findings of the version before that this one no longer has
    source_error: str | None = None  # the source's last poll failed: why
    error: str | None = None  # the report listed for this year could not be read (this time): why

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "state_cn": STATES[self.state]}


def _standing(
    source: Source, year: int, row: YearReport | None, today: date, bad: UnreadableReport | None = None
) -> Standing:
    due = deadline(year, source.kind)
    s = Standing(source.id, source.agency, source.kind, year, due.isoformat(), "not_due")
    s.error = bad.error if bad else None
    if row is None and bad:  # listed, but not read: never called missing
        s.state, s.title, s.url = "unreadable", bad.title, bad.url
        return s
    if row is None:
        s.state = "missing" if today > due else "not_due"
        return s
    findings = row.findings
    keys = {f.key for f in findings}
    s.title, s.url = row.title, row.url
    s.versions, s.version_id = row.versions, row.version_id
    s.published, s.found = row.published, (row.first_seen or "")[:10] or None
    if s.published:
        s.timely = "on_time" if date.fromisoformat(s.published) <= due else "late"
    elif s.found and date.fromisoformat(s.found) <= due:
        s.timely = "on_time"
    else:
        s.timely = "unknown"
    s.errors = sum(f.severity == "error" for f in findings)
    s.warnings = sum(f.severity == "warning" for f in findings)
    s.unreadable = [k for k, st in row.table_status.items() if st in ("image", "ambiguous")]
    if row.before:
        s.resolved = [f.message for f in row.before if f.key not in keys and f.rule != "revision.changed"]
    if s.errors:
        s.state = "errors"
    elif s.unreadable:
        s.state = "unreadable"
    elif s.timely == "late":
        s.state = "late"
    elif s.warnings:
        s.state = "warnings"
    else:
        s.state = "on_time"
    return s


def standings(settings: Settings, store: Store, years: Iterable[int], today: date) -> Iterator[Standing]:
    """Per configured source and year, its standing (the sources in sources.toml order)."""
    errors = {s.id: s.last_error for s in store.sources() if s.consecutive_failures}
    read = store.sources_read()
    for year in years:
        rows = store.year_reports(year)
        bad = {r.source: r for r in reversed(store.unreadable_reports(year=year))}
        for source in settings.sources:
            s = _standing(source, year, rows.get(source.id), today, bad.get(source.id))
            s.source_error = errors.get(source.id)
            if s.state == "missing" and source.id not in read:
                s.state = "unchecked"
            yield s


def worst_first(items: Iterable[Standing]) -> list[Standing]:
    order = {k: i for i, k in enumerate(STATES)}
    return sorted(items, key=lambda s: (order[s.state], -s.errors, -s.warnings, s.source))


def totals(items: list[Standing]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for s in items:
        counts[s.state] += 1
    return {"sources": len(items), "published": sum(s.timely is not None for s in items), **counts}
