"""Checks of time: a report published after its statutory deadline (department 1/31, government 3/31 of
the year after), and, once per source, a year whose deadline has passed with no report found."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from monitor.checks.registry import Context, SourceContext, rule
from monitor.model import (
    Finding,
    deadline,
)


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
