"""The watcher runs the rules that need nothing but the report as read in the reader process, beside the page
(``own_findings``), and the rest in its own process once it knows the year before, the copy candidates, the
diff, the listing and the body (``run_rules(..., own=...)``). On every real report of the corpus and the seeds,
each against every other real report as its year before and its candidates: what the watcher adds cannot change
what an own rule finds, and the split run finds what the whole run finds, in the same order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from monitor.checks.pipeline import RULES, own_findings, run_rules
from monitor.checks.registry import NEEDS, Context, rule, run
from monitor.checks.revision import diff_reports, snapshot
from monitor.model import Report
from monitor.reading.report import read_report

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = [
    p
    for p in sorted((SHARED / "corpus").glob("0*")) + sorted((SHARED / "seeds").glob("*.txt"))
    if p.suffix in (".html", ".txt", ".md")
]


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    return [read_report(p.read_bytes(), p.name) for p in REAL]


def watched(report: Report, previous: Report, others: list[Report]) -> Context:
    """Everything the watcher knows beyond the page, made to bite: ``previous`` as the same body's year before,
    the others as the same year's reports of other bodies, the diff from ``previous``, a listing read long after
    the report's date, and a body (and kind) other than the one read."""
    year = report.year or 2021
    body, kind = ("示例县人民政府", "government") if report.kind == "department" else ("示例县教育局", "department")
    published = report.published or previous.published or date(2022, 6, 30)
    return Context(
        replace(report, year=year, agency=body, kind=kind),
        replace(previous, year=year - 1, agency=body),
        diff_reports(snapshot(previous)[0], snapshot(report)[0]),
        tuple(replace(o, year=year, agency=f"示例{i}县人民政府") for i, o in enumerate([retabled(report), *others])),
        listing_read=published + timedelta(days=400),
    )


def retabled(report: Report) -> Report:
    """Another body's copy of the report's text with one table cell changed: a copy (history.copied), not the
    same report rendered twice."""
    tables = dict(report.tables)
    for key, table in tables.items():
        for r, cols in table.rows.items():
            for c, v in cols.items():
                if v.number is not None:
                    rows = {**table.rows, r: {**cols, c: replace(v, number=v.number + 1)}}
                    tables[key] = replace(table, rows=rows)
                    return replace(report, tables=tables)
    return report


def test_what_the_watcher_adds_never_changes_what_an_own_rule_finds(reports):
    own = [r for r in RULES.values() if r.scope == "report" and not r.needs]
    assert len(own) >= 10  # the arithmetic, the completeness and the prose rules at least
    compared = 0
    for i, report in enumerate(reports):
        for j, previous in enumerate(reports):  # the report itself too: its own tables a year before
            rich = watched(report, previous, [o for k, o in enumerate(reports) if k not in (i, j)])
            bare = Context(replace(report, year=rich.report.year))
            for r in own:
                assert run(rich, [r]) == run(bare, [r]), (r.id, REAL[i].name, REAL[j].name)
                compared += 1
    assert compared >= len(own) * 50


def test_the_split_run_finds_what_the_whole_run_finds_in_the_same_order(reports):
    rules: set[str] = set()
    for i, report in enumerate(reports):
        previous = reports[(i + i % 2) % len(reports)]  # every other report: itself a year before
        w = watched(report, previous, [o for k, o in enumerate(reports) if k != i])
        whole = run_rules(w.report, w.previous, w.diff, w.others, w.listing_read)
        as_read = replace(report, year=w.report.year)  # before the watcher attributed it to a body
        assert run_rules(w.report, w.previous, w.diff, w.others, w.listing_read, own=own_findings(as_read)) == whole
        rules |= {f.rule for f in whole}
    needing = {r.id for r in RULES.values() if r.needs}
    assert rules & needing  # findings of both halves were merged
    assert rules - needing


def test_a_rule_that_needs_what_the_watcher_cannot_give_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="needs \\['weather'\\]; valid: " + ", ".join(NEEDS)):
        rule("x.y", "warning", "示例", needs=("weather",))
