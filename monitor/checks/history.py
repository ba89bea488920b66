"""Checks across years and bodies: carry-over (本年上年结转 = the year before's 结转下年度继续办理),
现行有效件数 (last year's plus 制发 minus 废止), and copied text (雷同) against the reports the store or
``check`` offers as candidates."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from monitor.checks import copies
from monitor.checks.arithmetic import cell
from monitor.checks.registry import Context, rule
from monitor.model import (
    APPLICANT_COLUMNS,
    LABELS,
    ORG_SUBTOTAL,
    TABLE_LABELS,
    Finding,
    Report,
    fmt,
)


@rule(
    "history.carry_over",
    "error",
    "每一列：本年“上年结转”应等于上一年度报告的“结转下年度继续办理”",
    needs=("previous", "body"),
)
def history_carry_over(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if ctx.previous is None or not copies.year_before(ctx.report, ctx.previous):
        return
    now, before = ctx.report.tables["applications"], ctx.previous.tables["applications"]
    for c in (*APPLICANT_COLUMNS, ORG_SUBTOTAL):  # (the organisations' one column, where both years have it)
        this, last = cell(now, "carried_over", c), cell(before, "carried_forward", c)
        if this is None or last is None or this.number is None or last.number is None or this.doubt or last.doubt:
            continue  # only numbers read with certainty in both reports are compared
        if this.number != last.number:
            yield make(
                f"{LABELS[c]}列：本年上年结转为{fmt(this.number)}，但上一年度报告的结转下年度继续办理为{fmt(last.number)}",
                table="applications",
                row="carried_over",
                column=c,
                expected=last.number,
                actual=this.number,
                cells=(("carried_over", c),),
            )


@rule(
    "history.in_force",
    "warning",
    "现行有效件数不等于上年现行有效+本年制发-本年废止（到期失效也会造成差异）",
    needs=("previous", "body"),
)
def history_in_force(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if ctx.previous is None or not copies.year_before(ctx.report, ctx.previous):
        return
    now, before = ctx.report.tables["active"], ctx.previous.tables["active"]
    if now.format != "2021" or before.format != "2021":
        return
    for r in ("rules", "normative_documents"):
        vals = [cell(now, r, "in_force"), cell(before, r, "in_force"), cell(now, r, "issued"), cell(now, r, "repealed")]
        if any(v is None or v.number is None or v.doubt for v in vals):
            continue
        current, last, issued, repealed = (v.number for v in vals)  # type: ignore[union-attr]
        expected = last + issued - repealed  # type: ignore[operator]
        if current != expected:
            yield make(
                f"{LABELS[r]}：上年现行有效{fmt(last)}+本年制发{fmt(issued)}-本年废止{fmt(repealed)}={fmt(expected)}，"
                f"但本年现行有效为{fmt(current)}（到期失效也会造成差异，请核实）",
                table="active",
                row=r,
                column="in_force",
                expected=expected,
                actual=current,
                cells=((r, "in_force"),),
            )


SAME_TABLES_MIN = 3  # numbers other than 0 a table must hold for its repetition to say anything (zeros repeat)


@rule(
    "history.same_tables",
    "warning",
    "某张表的数字与同一单位上一年度报告完全相同（数据雷同）",
    needs=("previous", "body"),
)
def history_same_tables(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if ctx.previous is None or not copies.year_before(ctx.report, ctx.previous):
        return
    for key in ("active", "applications", "appeals"):
        now, before = ctx.report.tables.get(key), ctx.previous.tables.get(key)
        if now is None or before is None or now.format != before.format:
            continue
        numbers, last = now.numbers(), before.numbers()
        filled = [n for cols in numbers.values() for n in cols.values() if n]
        if len(filled) >= SAME_TABLES_MIN and numbers == last and not now.doubts() and not before.doubts():
            yield make(
                f"{TABLE_LABELS[key]}的{len(filled)}个非零数字与上一年度报告完全相同，请核实是否沿用了上年数据",
                table=key,
                expected=None,
                actual=len(filled),
            )


def _named(r: Report) -> str:
    return f"{r.agency or ''}{f'{r.year}年度' if r.year else ''}报告" if r.agency or r.year else (r.title or r.input)


@rule(
    "history.copied",
    "warning",
    "某部分或正文与往年报告或其他单位同年报告的文字大量相同（雷同）",
    needs=("previous", "others", "body"),
)
def history_copied(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    best: dict[str, tuple[copies.Copy, Report]] = {}
    for other in (*([ctx.previous] if ctx.previous else []), *ctx.others):
        found = copies.copied(ctx.report, other)  # None: one report in two renderings (a page and its crawler
        for c in found or ():  # text): a duplicate, not a copy
            if c.part not in best or c.share > best[c.part][0].share:
                best[c.part] = (c, other)
    for part, (c, other) in best.items():
        where = f"（{other.input}）" if other.input.startswith("http") else ""
        passage = f"，例如：“{c.passage}”" if c.passage else ""
        yield make(
            f"{copies.PARTS[part]}有{c.share:.0%}的文字与{_named(other)}{where}相同（数字除外）{passage}",
            row=part,
            expected=None,
            actual=round(c.share, 2),
        )
