"""Stage: identities. The arithmetic of sections 三 and 四 (report-format.md §3): every identity of a
report evaluated once, with blanks and unread cells counted as 0, as ``Identity`` records that say which
cells take part, by how much it fails, and which of its operands were not read with certainty.

An operand is certain (a number read cleanly, placed by its header or by an exact count), blank (left empty
on the page), unread (its row was not found or its cells could not be placed) or uncertain (read, but with a
doubt: debris, a row placed by position, two readings that disagree, OCR). ``rules.py`` turns a failing
identity into an error only when every operand is certain (a blank on the larger side cannot make it hold,
since no count is negative); otherwise into ``identity.unverifiable``, a warning naming what stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from monitor.checks.registry import Context, cell_list, rule
from monitor.model import (
    APPEAL_LABELS,
    APPEAL_ROWS,
    LABELS,
    OTHER_2021,
    OUTCOME_ROWS,
    Finding,
    Number,
    Report,
    Table,
    Value,
    applicant_columns,
    fmt,
)

Cell = tuple[str, str]  # (row, column)
MAX_UNREAD = 2  # an identity missing more operands than this says nothing the table.unreadable warning does not


def cell(table: Table, row: str, column: str) -> Value | None:
    return table.rows.get(row, {}).get(column)


@dataclass(frozen=True)
class Identity:
    """One evaluation of a table identity, blanks and unread cells counted as 0 (report-format.md §3)."""

    rule: str
    table: str
    message: str
    expected: Number
    actual: Number
    cells: tuple[Cell, ...]
    blanks: tuple[Cell, ...]  # operands on the short side left blank: the blank may be the missing number
    row: str | None = None
    column: str | None = None
    unread: tuple[Cell, ...] = ()  # operands whose row or cell could not be read
    uncertain: tuple[tuple[Cell, str], ...] = ()  # operands read with a doubt, and the doubt
    short_unread: tuple[Cell, ...] = ()  # the unread operands on the short side: where the difference may be
    again: int = 0  # of a table given again (``Report.more_tables``): which (2 for the second), else 0

    @property
    def certain(self) -> bool:
        """Every operand read with certainty, and no blank where the missing number could be: an error."""
        return not (self.blanks or self.unread or self.uncertain)

    def where(self) -> dict[str, Any]:
        """The finding's fields that say where it failed and by how much. Of a table given again: no table (its
        cells are not the report's table's, which an alert shows and highlights), its message says which, and the
        one of row and column the identity leaves free names it ("第2张表"), so each table's finding is its own."""
        which = f"第{self.again}张表" if self.again else None
        return {
            "table": None if self.again else self.table,
            "row": self.row if self.row is not None or not which else which,
            "column": self.column if self.column is not None or not which else which,
            "expected": self.expected,
            "actual": self.actual,
            "cells": () if self.again else self.cells,
        }


def _sum(values: Iterable[Value | None]) -> Number:
    return sum((v.number or 0 for v in values if v is not None), 0)


def _identity(
    rule_id: str,
    t: Table,
    sides: tuple[list[Cell], list[Cell]],
    message: str,
    *,
    row: str | None = None,
    column: str | None = None,
) -> Identity | None:
    """``sides`` are the operands of the two sides. Each side is summed with blanks and unread cells as 0.
    Blanks count only on the smaller side (blanks on the larger side cannot make it hold); unread and
    uncertain operands count on either side. None when it holds, or when too many operands are unread to say
    anything."""
    left, right = sides
    sums = (_sum(cell(t, r, c) for r, c in left), _sum(cell(t, r, c) for r, c in right))
    if sums[0] == sums[1]:
        return None  # most identities: nothing to report, whatever their operands
    short = left if sums[0] < sums[1] else right
    values = {(r, c): cell(t, r, c) for r, c in (*left, *right)}
    unread = tuple(k for k, v in values.items() if v is None or v.unreadable)
    if len(unread) > MAX_UNREAD:
        return None
    uncertain = tuple((k, v.doubt) for k, v in values.items() if v is not None and v.doubt and not v.unreadable)
    blanks = tuple(k for k in short if (v := values[k]) is not None and v.blank)
    # a side's sum without the cells not read says so ("(未读出)+5=5" read as if the cell were 0)
    said = [
        fmt(n) + ("（不计未读出的）" if any(k in unread for k in side) else "")
        for n, side in zip(sums, sides, strict=True)
    ]
    return Identity(
        rule_id,
        rule_id.split(".", maxsplit=1)[0],
        message.format(left=said[0], right=said[1]),
        *sums,
        (*left, *right),
        blanks,
        row,
        column,
        unread,
        uncertain,
        tuple(k for k in short if k in unread),
    )


def _shown(v: Value | None) -> str:
    return "未读出" if v is None or v.unreadable else fmt(v.number)


def _result(t: Table, row: str, column: str) -> Value | None:
    """The cell an identity defines (a 总计 or (七)): None when it is blank or unread, and then the identity is
    not evaluated (a blank is reported by ``cell.blank``, an unread row by ``table.unreadable``)."""
    v = cell(t, row, column)
    return v if v is not None and v.number is not None else None


def _balance(t: Table) -> Iterator[Identity | None]:
    rows = ("new", "carried_over", "handled_total", "carried_forward")
    for c in applicant_columns(t.rows.values()):
        if _result(t, "handled_total", c) is None:
            continue
        new, old, done, later = (_shown(cell(t, r, c)) for r in rows)
        yield _identity(
            "applications.balance",
            t,
            ([(r, c) for r in rows[:2]], [(r, c) for r in rows[2:]]),
            f"{LABELS[c]}列：本年新收({new})+上年结转({old})={{left}}，但办理结果总计({done})+结转下年度({later})={{right}}",
            column=c,
        )


def outcome_rows(t: Table) -> list[str]:
    """The outcome rows that (七)总计 sums, as the table has them: (六) in three rows (2021) or one (2019), by
    the rows read, else by the format seen; when neither form was read, the one row stands for it (unread)."""
    if any(r in t.rows for r in OTHER_2021) or ("other" not in t.rows and t.format == "2021"):
        return [r for r in OUTCOME_ROWS if r != "other"]
    return [r for r in OUTCOME_ROWS if r not in OTHER_2021]


def _handled(t: Table) -> Iterator[Identity | None]:
    rows = outcome_rows(t)
    if not any(r in t.rows for r in rows):
        return
    for c in applicant_columns(t.rows.values()):
        total = _result(t, "handled_total", c)
        if total is None:
            continue
        yield _identity(
            "applications.handled_sum",
            t,
            ([(r, c) for r in rows], [("handled_total", c)]),
            f"{LABELS[c]}列：各项办理结果之和为{{left}}，但(七)总计为{fmt(total.number)}",
            column=c,
        )


def _row_totals(t: Table) -> Iterator[Identity | None]:
    parts = applicant_columns(t.rows.values())[:-1]  # (自然人 and the organisations' one column, where not split)
    for r in t.rows:
        total = _result(t, r, "total")
        if total is None:
            continue
        yield _identity(
            "applications.row_total",
            t,
            ([(r, c) for c in parts], [(r, "total")]),
            f"{LABELS[r]}行：各类申请人之和为{{left}}，但总计为{fmt(total.number)}",
            row=r,
        )


def _appeals(t: Table) -> Iterator[Identity | None]:
    parts = ("upheld", "corrected", "other", "pending")
    for r in APPEAL_ROWS:
        total = _result(t, r, "total")
        if total is None:
            continue
        shown = "+".join(f"{APPEAL_LABELS[c]}({_shown(cell(t, r, c))})" for c in parts)
        yield _identity(
            "appeals.total",
            t,
            ([(r, c) for c in parts], [(r, "total")]),
            f"{LABELS[r]}：{shown}={{left}}，但总计为{fmt(total.number)}",
            row=r,
        )


def failed(ctx: Context) -> list[Identity]:
    """The report's failing identities, evaluated once for all the rules that report them."""
    if "failed" not in ctx.memo:
        ctx.memo["failed"] = failed_identities(ctx.report)
    result: list[Identity] = ctx.memo["failed"]
    return result


def failed_identities(report: Report) -> list[Identity]:
    """Every identity of sections 三 and 四 that does not hold (with blanks and unread cells as 0)."""
    out: list[Identity | None] = []
    apps, appeals = report.tables.get("applications"), report.tables.get("appeals")
    if apps is not None and apps.rows:
        out += [*_balance(apps), *_handled(apps), *_row_totals(apps)]
    if appeals is not None and appeals.rows:
        out += list(_appeals(appeals))
    for n, again in enumerate(report.more_tables.get("applications", ()), start=2):
        out += [
            replace(i, message=f"第三部分第{n}张申请情况表：{i.message}", again=n)
            for i in (*_balance(again), *_handled(again), *_row_totals(again))
            if i is not None
        ]
    return [i for i in out if i is not None]


# ---------------------------------------------------------------- arithmetic (see identities.py)
ARITHMETIC = {
    "applications.balance": "第三部分每一列：本年新收+上年结转=办理结果总计+结转下年度继续办理（读数确定时）",
    "applications.handled_sum": "第三部分每一列：(七)总计=各项办理结果之和（读数确定时）",
    "applications.row_total": "第三部分每一行：总计=各类申请人之和（读数确定时）",
    "appeals.total": "第四部分每一行：结果维持+结果纠正+其他结果+尚未审结=总计（读数确定时）",
}


def _errors(rule_id: str) -> Callable[[Context, Callable[..., Finding]], Iterator[Finding]]:
    """The check of one arithmetic rule: its identities that fail with every operand read with certainty."""

    def check(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
        for i in failed(ctx):
            if i.rule == rule_id and i.certain:
                yield make(i.message, **i.where())

    return check


for _id, _summary in ARITHMETIC.items():
    rule(_id, "error", _summary)(_errors(_id))


def _why_not(i: Identity) -> str:
    """What stops a failing identity from being an error, in the words staff read."""
    reasons = []
    if i.unread:
        reasons.append(f"未能读取：{cell_list(i.table, list(i.unread))}")
    if i.uncertain:
        doubts = "、".join(f"{cell_list(i.table, [c])}（{why}）" for c, why in i.uncertain[:4])
        reasons.append(f"读数不确定：{doubts}{'等' if len(i.uncertain) > 4 else ''}")
    if i.blanks:
        reasons.append(f"空白单元格：{cell_list(i.table, list(i.blanks))}")
    hint = ""
    if len(i.short_unread) == 1 and not i.uncertain and not i.blanks:
        hint = f"；差额{fmt(abs(i.expected - i.actual))}，可能正是未能读取的{cell_list(i.table, list(i.short_unread))}的数值"
    return "；".join(reasons) + hint


@rule(
    "identity.unverifiable",
    "warning",
    "勾稽关系不成立，但其中有空白、未能读取或读数不确定的数字，无法确定是报告的错误",
)
def identity_unverifiable(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for i in failed(ctx):
        if i.certain:
            continue
        if i.blanks and not (i.unread or i.uncertain):
            blanks = cell_list(i.table, list(i.blanks))
            yield make(f"无法核对（有空白单元格，按0计算不成立）：{i.message}；空白单元格：{blanks}", **i.where())
        else:
            yield make(f"无法核对（有数字未能确定读出）：{i.message}；{_why_not(i)}", **i.where())
