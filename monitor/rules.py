"""Stage: rules. One parsed report (and optionally last year's) -> findings.

Each rule is a small function registered under its contract id (``spec/contract.md``)
with a fixed severity. ``RULES`` is a plain dict: a new rule is one decorated function
here (or in ``narrative.py`` for prose), and ``govmon check --rules`` lists them.

Arithmetic follows report-format.md §3: every identity is evaluated once (``Context.failed``)
with blanks as 0. If it holds, it holds. If it fails and a blank stands on the side that is
short (where the missing number could be), it cannot be verified (``identity.unverifiable``,
a warning naming the blanks); otherwise it is an error: blanks on the larger side cannot make
it hold, since no count is negative. An identity whose result cell is blank is not
evaluated (``cell.blank`` reports it); rows that could not be placed take part in none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from monitor import copies, narrative
from monitor.diff import revision_finding
from monitor.identities import Identity, cell, failed_identities
from monitor.model import (
    APPLICANT_COLUMNS,
    CN,
    LABELS,
    SECTION_NAMES,
    TABLE_LABELS,
    UNREAD_PAGE,
    Finding,
    Report,
    Table,
    Value,
    deadline,
    fmt,
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

    @cached_property
    def failed(self) -> list[Identity]:
        """The table identities that do not hold, evaluated once for all the rules that report them."""
        return failed_identities(self.report)


@dataclass(frozen=True)
class SourceContext:
    """What a source's rules see (the watcher, once per poll): the body, and the report years it has."""

    agency: str
    kind: str
    years: frozenset[int]
    today: date


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str
    check: Callable[[Any, Callable[..., Finding]], Iterable[Finding]]
    scope: str = "report"  # report: run on each report (Context); source: on each source's poll (SourceContext)


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, severity: str, summary: str, scope: str = "report"
) -> Callable[[Callable[..., Iterable[Finding]]], Any]:
    def register(fn: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        RULES[rule_id] = Rule(rule_id, severity, summary, fn, scope)
        return fn

    return register


def run_rules(
    report: Report,
    previous: Report | None = None,
    diff: dict[str, Any] | None = None,
    others: tuple[Report, ...] = (),
) -> list[Finding]:
    return _run(Context(report, previous, diff, others), [r for r in RULES.values() if r.scope == "report"])


ACROSS_YEARS = ("history.carry_over", "history.in_force")  # the rules that compare with the year before


def across_years(report: Report, previous: Report) -> list[Finding]:
    """Only the rules that compare with the year before: a stored report checked again when that year arrives."""
    return _run(Context(report, previous), [RULES[i] for i in ACROSS_YEARS])


def source_findings(ctx: SourceContext) -> list[Finding]:
    return _run(ctx, [r for r in RULES.values() if r.scope == "source"])


def _run(ctx: Context | SourceContext, rules: list[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for r in rules:

        def make(message: str, _r: Rule = r, **fields: Any) -> Finding:
            return Finding(_r.id, _r.severity, message, **fields)

        findings.extend(r.check(ctx, make))
    order = {"error": 0, "warning": 1}
    return sorted(findings, key=lambda f: order.get(f.severity, 2))


# ---------------------------------------------------------------- helpers
def _expects_tables(report: Report) -> bool:
    return report.format != "legacy" and not report.scanned


# ---------------------------------------------------------------- completeness
@rule("section.missing", "error", "报告缺少六个部分之一（行号为缺少的部分1–6）")
def section_missing(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if not _expects_tables(ctx.report) or UNREAD_PAGE in ctx.report.text:
        return  # a page could not be read: a part may be on it (table.unreadable says so)
    for n in range(1, 7):
        if ctx.report.sections.get(n) is None:
            yield make(f"缺少第{CN[n]}部分“{SECTION_NAMES[n]}”", row=n)


@rule("table.missing", "error", "报告中找不到某张法定统计表（第二、三、四部分的表格）")
def table_missing(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if not _expects_tables(ctx.report):
        return
    for key, table in ctx.report.tables.items():
        if table.status == "missing":
            yield make(f"未找到{TABLE_LABELS[key]}", table=key)


@rule("table.unreadable", "warning", "表格只有图片或附件，或其中的数字无法确定所在行列、未参与计算")
def table_unreadable(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for key, table in ctx.report.tables.items():
        name = TABLE_LABELS[key]
        if ctx.report.scanned:
            yield make(f"{name}无法读取：PDF是扫描件，没有文字层，需要OCR识别后才能核对", table=key)
        elif table.status == "image":
            yield make(f"{name}只有图片或附件，无法读取其中的数字，请人工核对", table=key)
        elif table.status == "ambiguous" and not table.ambiguous_rows:
            yield make(f"{name}的数字无法确定所在行列（单元格缺失或合并），未参与计算，请人工核对", table=key)
        elif table.ambiguous_rows:
            rows = "、".join(label(key, r) for r in table.ambiguous_rows)
            yield make(f"{name}中以下行的数字无法确定所在列（单元格缺失或合并），未参与计算：{rows}", table=key)
        if table.missing_rows and table.status != "missing":
            rows = "、".join(label(key, r) for r in table.missing_rows)
            yield make(f"{name}中以下行未能读取（表中没有，或行名、数字无法识别）：{rows}", table=key)


def _cells_where(table: Table, test: Callable[[Value], bool]) -> list[tuple[str, str]]:
    return [(r, c) for r, cols in table.rows.items() for c, v in cols.items() if test(v)]


def _cell_list(key: str, cells: list[tuple[str, str]], limit: int = 8) -> str:
    names = [f"{label(key, r)}·{label(key, c)}" for r, c in cells[:limit]]
    more = f"等{len(cells)}处" if len(cells) > limit else ""
    return "、".join(names) + more


def _per_table(
    ctx: Context, make: Callable[..., Finding], test: Callable[[Value], bool], says: str
) -> Iterator[Finding]:
    """One finding per table listing the cells that pass `test`; `says` describes them."""
    for key, table in ctx.report.tables.items():
        cells = _cells_where(table, test)
        if cells:
            text = f"{TABLE_LABELS[key]}有{len(cells)}个单元格{says}：{_cell_list(key, cells)}"
            yield make(text, table=key, cells=tuple(cells))


@rule("cell.blank", "warning", "单元格空白（没有数据应填0）：每张表一条，列出空白的单元格")
def cell_blank(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    yield from _per_table(ctx, make, lambda v: v.blank, "为空（没有数据应填0）")


@rule("cell.unreadable", "warning", "单元格带有乱码（如“0?”）已按其中数字读取，或内容不是数字未能读取，请核对原文")
def cell_unreadable(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    yield from _per_table(
        ctx,
        make,
        lambda v: v.debris and v.number is not None,
        "带有乱码字符或修订痕迹（如“0?”），已按其中的数字读取，请核对原文",
    )
    yield from _per_table(ctx, make, lambda v: v.unreadable, "的内容不是数字，未能读取，也未参与计算，请核对原文")


@rule("cell.invalid", "error", "应填非负整数的单元格填了负数或小数（读数确定时）")
def cell_invalid(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for key, table in ctx.report.tables.items():
        for r, c in _cells_where(table, lambda v: v.invalid and not v.doubt):
            raw = table.rows[r][c].raw
            yield make(
                f"{TABLE_LABELS[key]}{label(key, r)}·{label(key, c)}为“{raw}”，应为非负整数",
                table=key,
                row=r,
                column=c,
                cells=((r, c),),
            )


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
        for i in ctx.failed:
            if i.rule == rule_id and i.certain:
                yield make(i.message, **i.where())

    return check


for _id, _summary in ARITHMETIC.items():
    rule(_id, "error", _summary)(_errors(_id))


def _why_not(i: Identity) -> str:
    """What stops a failing identity from being an error, in the words staff read."""
    reasons = []
    if i.unread:
        reasons.append(f"未能读取：{_cell_list(i.table, list(i.unread))}")
    if i.uncertain:
        doubts = "、".join(f"{_cell_list(i.table, [c])}（{why}）" for c, why in i.uncertain[:4])
        reasons.append(f"读数不确定：{doubts}{'等' if len(i.uncertain) > 4 else ''}")
    if i.blanks:
        reasons.append(f"空白单元格：{_cell_list(i.table, list(i.blanks))}")
    hint = ""
    if len(i.short_unread) == 1 and not i.uncertain and not i.blanks:
        hint = f"；差额{fmt(abs(i.expected - i.actual))}，可能正是未能读取的{_cell_list(i.table, list(i.short_unread))}的数值"
    return "；".join(reasons) + hint


@rule(
    "identity.unverifiable",
    "warning",
    "勾稽关系不成立，但其中有空白、未能读取或读数不确定的数字，无法确定是报告的错误",
)
def identity_unverifiable(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for i in ctx.failed:
        if i.certain:
            continue
        if i.blanks and not (i.unread or i.uncertain):
            blanks = _cell_list(i.table, list(i.blanks))
            yield make(f"无法核对（有空白单元格，按0计算不成立）：{i.message}；空白单元格：{blanks}", **i.where())
        else:
            yield make(f"无法核对（有数字未能确定读出）：{i.message}；{_why_not(i)}", **i.where())


# ---------------------------------------------------------------- format, time, history
FORMAT_DOCS = {"2021": "国办公开办函〔2021〕30号", "2019": "国办公开办函〔2019〕60号"}


@rule("format.version", "warning", "表格格式与报告年度不符（2019、2020年度用2019版，2021年度起用2021版）")
def format_version(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    """Only a format a table shows (its headers; section 三's (六) rows) is compared: a table that could not be
    read shows none, and nothing is said about it."""
    year = ctx.report.year
    if not year or year < 2019:
        return
    want = "2019" if year <= 2020 else "2021"
    for key in ("active", "applications"):
        got = ctx.report.tables[key].format
        if not got or got == want:
            continue
        if key == "applications" and got == "2019":
            shows = (
                "“(六)其他处理”只有一行（2019版格式的写法），2021版格式应分为逾期不补正、逾期未按收费通知缴费、其他三行"
            )
        elif key == "applications":
            shows = "“(六)其他处理”分为三行，是2021版格式的写法"
        else:
            shows = f"使用的是{FORMAT_DOCS[got]}的表头"
        yield make(f"{year}年度报告应使用{FORMAT_DOCS[want]}规定的格式，但{TABLE_LABELS[key]}{shows}", table=key)


@rule("timeliness.late", "warning", "发布晚于法定期限（部门为次年1月31日，人民政府为次年3月31日）")
def timeliness_late(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    r = ctx.report
    if not (r.published and r.year and r.kind):
        return
    due = deadline(r.year, r.kind)
    if r.published > due:
        who = "部门" if r.kind == "department" else "人民政府"
        yield make(
            f"{r.year}年度报告发布于{r.published.isoformat()}，晚于{who}报告的法定期限{due.isoformat()}（条例第四十九条）",
            expected=None,
            actual=None,
        )


@rule("history.carry_over", "error", "每一列：本年“上年结转”应等于上一年度报告的“结转下年度继续办理”")
def history_carry_over(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if ctx.previous is None or not copies.year_before(ctx.report, ctx.previous):
        return
    now, before = ctx.report.tables["applications"], ctx.previous.tables["applications"]
    for c in APPLICANT_COLUMNS:
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


@rule("history.in_force", "warning", "现行有效件数不等于上年现行有效+本年制发-本年废止（到期失效也会造成差异）")
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


def _named(r: Report) -> str:
    return f"{r.agency or ''}{f'{r.year}年度' if r.year else ''}报告" if r.agency or r.year else (r.title or r.input)


@rule("history.copied", "warning", "某部分或正文与往年报告或其他单位同年报告的文字大量相同（雷同）")
def history_copied(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    best: dict[str, tuple[copies.Copy, Report]] = {}
    for other in (*([ctx.previous] if ctx.previous else []), *ctx.others):
        if copies.same_report(ctx.report, other):
            continue  # one report in two renderings (a page and its crawler text): a duplicate, not a copy
        for c in copies.compare(ctx.report, other):
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


# ---------------------------------------------------------------- prose (see narrative.py)
@rule("narrative.mismatch", "warning", "正文中写明的数字与表格不一致")
def narrative_mismatch(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for d in narrative.mismatches(ctx.report):
        yield make(
            d.message, table=d.table, row=d.row, column="total" if d.row else None, expected=d.expected, actual=d.actual
        )


@rule("narrative.percentage", "warning", "正文中的百分比与其分子分母不符，或各项比例合计超过100%")
def narrative_percentage(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for d in narrative.percentages(ctx.report):
        yield make(d.message, table=d.table, expected=d.expected, actual=d.actual)


# ---------------------------------------------------------------- across versions and across a source's years
@rule("revision.changed", "warning", "已发布的报告事后被修改（列出改动的数字和部分）")
def revision_changed(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if ctx.diff:
        found = revision_finding(ctx.diff)
        yield make(found.message, cells=found.cells)


@rule("timeliness.missing", "error", "法定期限已过，门户网站上仍未找到该年度的报告", scope="source")
def timeliness_missing(ctx: SourceContext, make: Callable[..., Finding]) -> Iterator[Finding]:
    year = ctx.today.year - 1
    if ctx.today <= deadline(year, ctx.kind):
        year -= 1
    if year not in ctx.years:
        due = deadline(year, ctx.kind)
        yield make(
            f"{ctx.agency}{year}年度政府信息公开工作年度报告在法定期限{due.isoformat()}后仍未在门户网站上找到", row=year
        )
