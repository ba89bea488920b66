"""The rule registry: ``@rule("id", severity, summary)`` registers a small named check; ``ORDER`` is the
order findings are told in; ``Context`` (a report, its year before, its diff, its copy candidates) and
``SourceContext`` (a source's years, judged on a day) are what rules see; helpers shared by the rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from monitor.model import (
    TABLE_LABELS,
    Finding,
    Report,
    Table,
    Value,
    label,
)


@dataclass(frozen=True)
class Context:
    """What a report's rules see: the report, the same body's report for the year before (``--previous`` in
    ``check``, the store in the watcher) and what changed since the version before (the watcher)."""

    report: Report
    previous: Report | None = None
    diff: dict[str, Any] | None = None
    others: tuple[Report, ...] = ()  # reports whose text this one may repeat: earlier years, other bodies' same year
    # the day govmon last read the source's whole listing and this report was not on it (the watcher, for a report
    # seen first; None: not known)
    listing_read: date | None = None
    # the day govmon first read this report (the watcher: today for a report seen first): it was published by then,
    # whatever date a later version gives (a correction dated the day it was made: review 112)
    seen_on: date | None = None

    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # what several rules share


@dataclass(frozen=True)
class SourceContext:
    """What a source's rules see (the watcher, once per poll): the body, and the report years it has."""

    agency: str
    kind: str
    years: frozenset[int]
    today: date
    since: int | None = None  # the body's first report year: no year before it is expected (None: every year)
    oldest: int | None = None  # the oldest year of a report the listing shows, any body's (None: it shows none)


@dataclass(frozen=True)
class RegionContext:
    """What a region rule sees (the watcher, for a government's report of a year): the report, the same year's
    reports of the monitored bodies of its region, and the bodies whose report of that year is not stored."""

    report: Report
    parts: tuple[Report, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str
    check: Callable[[Any, Callable[..., Finding]], Iterable[Finding]]
    # report: run on each report (Context); source: on each source's poll (SourceContext); region: on a government's
    # report against its region's bodies (RegionContext)
    scope: str = "report"
    # what a report rule sees beyond the report as read (NEEDS): a rule that needs nothing else is run by the
    # watcher in the reader process, beside the page (``pipeline.own_findings``)
    needs: tuple[str, ...] = ()


RULES: dict[str, Rule] = {}
# What the watcher knows of a report beyond what was read: the year before, other reports its text may repeat, the
# diff from the version before, the day its listing was read, and the body (and so the kind) it is attributed to
NEEDS = ("previous", "others", "diff", "listing_read", "body")
# The order rules are listed in (``check --rules``) and a report's findings come in, severity first: the
# contract's order (spec/contract.md), the rules it does not list after the arithmetic they qualify.
ORDER = (
    "section.missing",
    "table.missing",
    "table.unreadable",
    "cell.blank",
    "cell.unreadable",
    "cell.invalid",
    "applications.balance",
    "applications.handled_sum",
    "applications.row_total",
    "appeals.total",
    "identity.unverifiable",
    "format.version",
    "timeliness.late",
    "timeliness.backdated",
    "history.carry_over",
    "history.in_force",
    "history.same_tables",
    "history.copied",
    "region.parts",
    "narrative.mismatch",
    "narrative.percentage",
    "revision.changed",
    "timeliness.missing",
)


def rule(
    rule_id: str, severity: str, summary: str, scope: str = "report", needs: tuple[str, ...] = ()
) -> Callable[[Callable[..., Iterable[Finding]]], Any]:
    if unknown := set(needs) - set(NEEDS):
        raise ValueError(f"rule {rule_id}: needs {sorted(unknown)}; valid: {', '.join(NEEDS)}")

    def register(fn: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        RULES[rule_id] = Rule(rule_id, severity, summary, fn, scope, needs)
        return fn

    return register


def listed() -> list[Rule]:
    """Every rule, in ORDER (a rule it does not name comes last)."""
    return sorted(RULES.values(), key=lambda r: ORDER.index(r.id) if r.id in ORDER else len(ORDER))


def run(ctx: Context | SourceContext | RegionContext, rules: list[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for r in sorted(rules, key=lambda r: ORDER.index(r.id) if r.id in ORDER else len(ORDER)):

        def make(message: str, _r: Rule = r, **fields: Any) -> Finding:
            return Finding(_r.id, _r.severity, message, **fields)

        findings.extend(r.check(ctx, make))
    return sorted(findings, key=lambda f: _SEVERITY.get(f.severity, 2))


_SEVERITY = {"error": 0, "warning": 1}


def merged(a: list[Finding], b: list[Finding]) -> list[Finding]:
    """Two ``run``s' findings of disjoint rules as one ``run`` of all those rules gives them: by severity, then
    by rule in ORDER, each rule's findings in the order it made them."""
    rank = {r.id: i for i, r in enumerate(listed())}
    return sorted([*a, *b], key=lambda f: (_SEVERITY.get(f.severity, 2), rank.get(f.rule, len(rank))))


# ---------------------------------------------------------------- helpers
def expects_tables(report: Report) -> bool:
    return report.format != "legacy" and not report.scanned


def cells_where(table: Table, test: Callable[[Value], bool]) -> list[tuple[str, str]]:
    return [(r, c) for r, cols in table.rows.items() for c, v in cols.items() if test(v)]


def cell_list(key: str, cells: list[tuple[str, str]], limit: int = 8) -> str:
    names = [f"{label(key, r)}·{label(key, c)}" for r, c in cells[:limit]]
    more = f"等{len(cells)}处" if len(cells) > limit else ""
    return "、".join(names) + more


def per_table(
    ctx: Context, make: Callable[..., Finding], test: Callable[[Value], bool], says: str
) -> Iterator[Finding]:
    """One finding per table listing the cells that pass `test`; `says` describes them."""
    for key, table in ctx.report.tables.items():
        cells = cells_where(table, test)
        if cells:
            text = f"{TABLE_LABELS[key]}有{len(cells)}个单元格{says}：{cell_list(key, cells)}"
            yield make(text, table=key, cells=tuple(cells))
