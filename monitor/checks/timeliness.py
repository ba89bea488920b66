"""Checks of time: a report published after its statutory deadline (department 1/31, government 3/31 of
the year after), and, once per source, a year whose deadline has passed with no report found."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from monitor.checks.registry import Context, SourceContext, rule
from monitor.model import (
    Finding,
    deadline,
)


@rule("timeliness.late", "warning", "发布晚于法定期限（部门为次年1月31日，人民政府为次年3月31日）", needs=("body",))
def timeliness_late(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    r = ctx.report
    if not (r.published and r.year and r.kind):
        return
    due = deadline(r.year, r.kind)
    published = min(r.published, ctx.seen_on) if ctx.seen_on else r.published  # (out by the day govmon read it)
    if published > due:
        who = "部门" if r.kind == "department" else "人民政府"
        yield make(
            f"{r.year}年度报告发布于{published.isoformat()}，晚于{who}报告的法定期限{due.isoformat()}（条例第四十九条）",
            expected=None,
            actual=None,
        )


BACKDATED_AFTER = timedelta(days=2)  # a page published late in the day, a listing updated the next morning


@rule(
    "timeliness.backdated",
    "warning",
    "发布日期早于门户网站实际列出该报告的时间（govmon在其后读取栏目时尚未列出）",
    needs=("listing_read", "body"),
)
def timeliness_backdated(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    r, read = ctx.report, ctx.listing_read
    if r.published is None or read is None or read - r.published < BACKDATED_AFTER:
        return
    due = deadline(r.year, r.kind) if r.year and r.kind else None
    crossed = f"；若按实际列出时间计算，已晚于法定期限{due.isoformat()}" if due and r.published <= due < read else ""
    yield make(
        f"报告写明发布日期为{r.published.isoformat()}，但govmon于{read.isoformat()}读取该栏目时尚未列出此报告，"
        f"发布日期可能早于实际发布时间{crossed}",
        expected=None,
        actual=None,
    )


@rule(
    "timeliness.undated",
    "warning",
    "报告未写明发布日期，且govmon在法定期限后才在栏目中见到它（发布是否逾期由读取栏目的时间推定）",
    needs=("listing_read", "body"),
)
def timeliness_undated(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    """A report whose page gives no 发布日期, listed first after a reading of its listing that did not list it:
    published after that reading; late where that reading was after the deadline, perhaps late where govmon first
    read it after the deadline (review 112's M2: its mail said nothing of its date; only ``status`` did)."""
    r, read, seen = ctx.report, ctx.listing_read, ctx.seen_on
    if r.published is not None or read is None or seen is None or not (r.year and r.kind):
        return
    due = deadline(r.year, r.kind)
    if read > due:
        said = f"govmon于{read.isoformat()}读取该栏目时尚未列出此报告，已晚于法定期限{due.isoformat()}：应为逾期发布"
    elif seen > due:
        said = (
            f"govmon于{read.isoformat()}读取该栏目时尚未列出此报告，{seen.isoformat()}首次读到，"
            f"是否在法定期限{due.isoformat()}前发布无法确定"
        )
    else:
        return
    yield make(f"报告未写明发布日期；{said}", expected=None, actual=None)


@rule("timeliness.missing", "error", "法定期限已过，门户网站上仍未找到该年度的报告", scope="source")
def timeliness_missing(ctx: SourceContext, make: Callable[..., Finding]) -> Iterator[Finding]:
    year = ctx.today.year - 1
    if ctx.today <= deadline(year, ctx.kind):
        year -= 1
    if ctx.years and year < min(ctx.years) and (ctx.oldest is None or ctx.oldest > year):
        return  # a column listing only newer reports (its newest, in January) says nothing of the year before them
        # (reviews 114, 115); one listing that year's reports of other bodies does
    if year not in ctx.years and (ctx.since is None or year >= ctx.since):
        due = deadline(year, ctx.kind)
        yield make(
            f"{ctx.agency}{year}年度政府信息公开工作年度报告在法定期限{due.isoformat()}后仍未在门户网站上找到", row=year
        )
