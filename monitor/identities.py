"""Stage: identities. The arithmetic of sections 三 and 四 (report-format.md §3): every identity of a
report evaluated once, with blanks counted as 0, as ``Identity`` records that say which cells take part,
by how much it fails, and which operands on its short side were blank. ``rules.py`` turns the failing
ones into findings: an error when nothing on the short side is blank, else ``identity.unverifiable``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from monitor.model import APPEAL_LABELS, APPEAL_ROWS, APPLICANT_COLUMNS, LABELS, Number, Report, Table, Value, fmt
from monitor.tables import OUTCOME_ROWS


def cell(table: Table, row: str, column: str) -> Value | None:
    return table.rows.get(row, {}).get(column)


@dataclass(frozen=True)
class Identity:
    """One evaluation of a table identity, blanks counted as 0 (report-format.md §3)."""

    rule: str
    table: str
    message: str
    expected: Number
    actual: Number
    cells: tuple[tuple[str, str], ...]
    blanks: tuple[tuple[str, str], ...]  # operands left blank: if any, a failure cannot be called an error
    row: str | None = None
    column: str | None = None

    def where(self) -> dict[str, Any]:
        """The finding's fields that say where it failed and by how much."""
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "expected": self.expected,
            "actual": self.actual,
            "cells": self.cells,
        }


def _sum(values: Iterable[Value]) -> Number:
    return sum((v.number or 0 for v in values), 0)


def _identity(
    rule_id: str,
    t: Table,
    sides: tuple[list[tuple[str, str]], list[tuple[str, str]]],
    sums: tuple[Number, Number],
    message: str,
    *,
    row: str | None = None,
    column: str | None = None,
) -> Identity:
    """``sides`` are the operands of the two sides, ``sums`` their sums with blanks as 0. A blank can be
    the missing number only on the smaller side: blanks on the larger side cannot make it hold."""
    left, right = sides
    short = left if sums[0] < sums[1] else right
    blanks = tuple((r, c) for r, c in short if t.rows[r][c].number is None)
    return Identity(rule_id, rule_id.split(".", maxsplit=1)[0], message, *sums, (*left, *right), blanks, row, column)


def _balance(t: Table) -> Iterator[Identity]:
    rows = ("new", "carried_over", "handled_total", "carried_forward")
    for c in APPLICANT_COLUMNS:
        vals = [cell(t, r, c) for r in rows]
        if any(v is None for v in vals) or vals[2].number is None:  # type: ignore[union-attr]
            continue
        new, old, done, later = (v.number for v in vals)  # type: ignore[union-attr]
        expected, actual = (new or 0) + (old or 0), (done or 0) + (later or 0)
        yield _identity(
            "applications.balance",
            t,
            ([(r, c) for r in rows[:2]], [(r, c) for r in rows[2:]]),
            (expected, actual),
            f"{LABELS[c]}列：本年新收({fmt(new)})+上年结转({fmt(old)})={fmt(expected)}，"
            f"但办理结果总计({fmt(done)})+结转下年度({fmt(later)})={fmt(actual)}",
            column=c,
        )


def _handled(t: Table) -> Iterator[Identity]:
    rows = [r for r in OUTCOME_ROWS if r in t.rows]
    if t.ambiguous_rows or not rows:
        return
    for c in APPLICANT_COLUMNS:
        total = cell(t, "handled_total", c)
        if total is None or total.number is None:
            continue
        expected = _sum(t.rows[r][c] for r in rows)
        yield _identity(
            "applications.handled_sum",
            t,
            ([(r, c) for r in rows], [("handled_total", c)]),
            (expected, total.number),
            f"{LABELS[c]}列：各项办理结果之和为{fmt(expected)}，但(七)总计为{fmt(total.number)}",
            column=c,
        )


def _row_totals(t: Table) -> Iterator[Identity]:
    for r, cols in t.rows.items():
        if cols["total"].number is None:
            continue
        expected = _sum(cols[c] for c in APPLICANT_COLUMNS[:-1])
        yield _identity(
            "applications.row_total",
            t,
            ([(r, c) for c in APPLICANT_COLUMNS[:-1]], [(r, "total")]),
            (expected, cols["total"].number),
            f"{LABELS[r]}行：各类申请人之和为{fmt(expected)}，但总计为{fmt(cols['total'].number)}",
            row=r,
        )


def _appeals(t: Table) -> Iterator[Identity]:
    parts = ("upheld", "corrected", "other", "pending")
    for r in APPEAL_ROWS:
        cols = t.rows.get(r)
        if not cols or cols["total"].number is None:
            continue
        expected = _sum(cols[c] for c in parts)
        shown = "+".join(f"{APPEAL_LABELS[c]}({fmt(cols[c].number)})" for c in parts)
        yield _identity(
            "appeals.total",
            t,
            ([(r, c) for c in parts], [(r, "total")]),
            (expected, cols["total"].number),
            f"{LABELS[r]}：{shown}={fmt(expected)}，但总计为{fmt(cols['total'].number)}",
            row=r,
        )


def failed_identities(report: Report) -> list[Identity]:
    """Every identity of sections 三 and 四 that does not hold (with blanks as 0)."""
    out: list[Identity] = []
    apps, appeals = report.tables.get("applications"), report.tables.get("appeals")
    if apps is not None:
        out += [*_balance(apps), *_handled(apps), *_row_totals(apps)]
    if appeals is not None:
        out += list(_appeals(appeals))
    return [i for i in out if i.expected != i.actual]
