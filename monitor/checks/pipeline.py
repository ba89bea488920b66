"""Stage: checks, the pipeline. ``run_rules`` is the one check of a report that ``govmon check`` and the watcher
both call: the report, the same body's report for the year before (used only when it is that), the diff from
the version before (the watcher), and other reports its text may repeat (only those it may be compared with).
Importing the families registers their rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.checks import arithmetic, completeness, copies, history, prose, region, revision, timeliness
from monitor.checks.registry import RULES, Context, RegionContext, SourceContext, listed, merged, run
from monitor.model import Finding, Report

FAMILIES = (completeness, arithmetic, prose, history, region, timeliness, revision)  # each registers its rules
__all__ = [
    "ACROSS_YEARS",
    "FAMILIES",
    "RULES",
    "across_years",
    "listed",
    "own_findings",
    "region_findings",
    "run_rules",
    "source_findings",
]
ACROSS_YEARS = (
    "history.carry_over",
    "history.in_force",
    "history.same_tables",
)  # the rules that compare with the year before


def run_rules(
    report: Report,
    previous: Report | None = None,
    diff: dict[str, Any] | None = None,
    others: tuple[Report, ...] = (),
    listing_read: date | None = None,
    *,
    own: list[Finding] | None = None,
    seen_on: date | None = None,
) -> list[Finding]:
    """Every report rule on ``report``. ``previous`` counts only where it is the same body's year before, and of
    ``others`` only the reports ``report`` may copy (the same body's earlier years, other bodies' same year).
    ``own``: what ``own_findings`` gave for the report (in the reader): only the other rules are run here.
    ``seen_on``: the day govmon first read the report this version revises."""
    before = previous if previous is not None and copies.year_before(report, previous) else None
    candidates = tuple(o for o in others if copies.comparable(report, o))
    ctx = Context(report, before, diff, candidates, listing_read=listing_read, seen_on=seen_on)
    found = run(ctx, [r for r in RULES.values() if r.scope == "report" and (own is None or r.needs)])
    return found if own is None else merged(own, found)


def own_findings(report: Report) -> list[Finding]:
    """The report rules that need nothing but the report as read (no year before, no candidates, no diff, no
    listing, not the body the watcher attributes it to): the watcher runs them in the reader, beside the page."""
    return run(Context(report), [r for r in RULES.values() if r.scope == "report" and not r.needs])


def across_years(report: Report, previous: Report) -> list[Finding]:
    """Only the rules that compare with the year before: a stored report checked again when that year arrives."""
    return run(Context(report, previous), [RULES[i] for i in ACROSS_YEARS])


def source_findings(ctx: SourceContext) -> list[Finding]:
    """The rules run on a source once a poll (timeliness.missing)."""
    return run(ctx, [r for r in RULES.values() if r.scope == "source"])


def region_findings(report: Report, parts: tuple[Report, ...], missing: tuple[str, ...] = ()) -> list[Finding]:
    """The rules run on a government's report against the same year's reports of its region's bodies (the watcher,
    once those bodies' reports may have changed)."""
    return run(RegionContext(report, parts, missing), [r for r in RULES.values() if r.scope == "region"])
