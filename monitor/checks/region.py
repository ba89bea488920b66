"""A government's report against its region: where a government says its figures are its whole region's
(全区共收到70件申请; 本报告综合各部门、各乡镇的年度报告编制), the bodies of that region that are monitored cannot
together have received more applications, or more 行政复议/行政诉讼, than the whole. The parts' sum is a lower
bound (a part whose report is missing or unread adds nothing; a part that is a whole of other parts is left out),
so only a whole smaller than its parts is told, as a warning: the scope of a whole-region report is its author's to define, and the whole being larger is the
government's own (本级) requests and the parts not monitored."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from monitor.checks.arithmetic import cell
from monitor.checks.registry import RegionContext, rule
from monitor.model import LABELS, TABLE_LABELS, Finding, Number, Report, fmt
from monitor.model.bodies import within

# How real reports say their figures are the region's, each with the real page it was read on:
SAYS_WHOLE_REGION = (
    # part 三's prose: 全区共收到70件申请 (corpus/005 平潭综合实验区 2021), 全市共受理政府信息公开申请3119件
    # (corpus/003 淮安市 2024), 全区受理政府信息公开申请21件 (corpus/001 洪泽区 2023), 全市共接收并处理信息公开
    # 申请965件 (seeds/001 泸州市 2022)
    re.compile(r"全[省市区县旗州盟](?:共|累计|合计|总共)?[^。；，,]{0,6}?(?:收到|受理|新收|接收)[^。；]{0,16}?\d+件"),
    # the preamble of a district's compiled report: 本报告由…办公室根据…，综合各部门、各街道（乡镇）…年度报告编制
    re.compile(
        r"本(?:年度)?报告[^。]{0,80}?(?:综合|汇总|会同)[^。]{0,20}?各(?:部门|委办局|街道|街乡|乡镇|镇)[^。]{0,60}?编制"
    ),
)

# The figures a whole holds its parts to: 表三 本年新收 (总计) and 表四's three totals.
SUMS = (("applications", "new"), ("appeals", "review"), ("appeals", "suit_direct"), ("appeals", "suit_after_review"))


def says_whole_region(report: Report) -> str | None:
    """The words by which a government's report says its figures are its whole region's, or None."""
    if report.kind != "government":
        return None
    text = re.sub(r"[ \t\u3000]+", "", report.text)
    for pattern in SAYS_WHOLE_REGION:
        if m := pattern.search(text):
            return m.group(0).replace("\n", "")
    return None


def _certain(report: Report, table: str, row: str) -> Number | None:
    t = report.tables.get(table)
    v = cell(t, row, "total") if t is not None else None
    return v.number if v is not None and v.number is not None and not v.doubt else None


def _whole_of_others(part: Report, parts: tuple[Report, ...]) -> bool:
    """A part that is itself a region's whole (it says so, or other parts are within it by name: a district beside
    its own departments): counted with them it would count them twice, so the sum keeps only the others."""
    name = part.agency or ""
    return says_whole_region(part) is not None or any(within(name, p.agency or "") for p in parts if p is not part)


def _names(names: list[str], most: int = 5) -> str:
    return "、".join(names[:most]) + (f"等{len(names)}个单位" if len(names) > most else "")


@rule("region.parts", "warning", "全区（市、县）报告的申请数或复议诉讼数小于其辖区内各单位同年报告之和", scope="region")
def region_parts(ctx: RegionContext, make: Callable[..., Finding]) -> Iterator[Finding]:
    said = says_whole_region(ctx.report)
    if said is None:
        return
    parts = [p for p in ctx.parts if not _whole_of_others(p, ctx.parts)]
    for table, row in SUMS:
        whole = _certain(ctx.report, table, row)
        counted = [(p.agency or p.input, n) for p in parts if (n := _certain(p, table, row)) is not None]
        total = sum(n for _, n in counted)
        if whole is None or total <= whole:
            continue
        unread = [p.agency or p.input for p in parts if _certain(p, table, row) is None]
        biggest = sorted(counted, key=lambda x: -x[1])
        detail = "、".join(f"{name}{fmt(n)}" for name, n in biggest[:5] if n)
        missing = f"；尚未找到{_names(list(ctx.missing))}的同年报告" if ctx.missing else ""
        unread_s = f"；{_names(unread)}的该项未能确定读取，未计入" if unread else ""
        yield make(
            f"本报告说明其数据为全辖区的（“{said}”），但{TABLE_LABELS[table]}“{LABELS[row]}”总计为{fmt(whole)}，"
            f"少于辖区内{len(counted)}个单位的同年报告之和{fmt(total)}（{detail}），相差{fmt(total - whole)}"
            f"{missing}{unread_s}。请核实统计范围或数据",
            table=table,
            row=row,
            column="total",
            expected=None,  # the whole is not wrong for not being the parts' sum, only for being less
            actual=whole,
            cells=((row, "total"),),
        )
