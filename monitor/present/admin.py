"""Stage: views. What the watcher's commands print: the database read back as data (``reports_json``,
the JSON of ``govmon reports --json``) and as the lines an admin reads (sources, polls, reports, outbox).
Each function returns text; ``cli.py`` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from monitor.alerts.outbox import Sent
from monitor.config import Settings
from monitor.model import SEVERITY_CN, TABLE_LABELS, Finding, said_cn
from monitor.present.check import cut
from monitor.present.status import STATES, TIMELY_CN, Standing
from monitor.redact import redact
from monitor.store import Store, StoredReport, UnreadableReport
from monitor.watch.document import PollResult


def sources_text(settings: Settings, store: Store | None) -> str:
    """`govmon sources`: the file's verdict, the database it uses, and per source its state and newest report."""
    states = {s.id: s for s in store.sources()} if store else {}
    last = store.last_reports() if store else {}
    bad: dict[str, list[UnreadableReport]] = {}
    for row in store.unreadable_reports() if store else []:
        bad.setdefault(row.source, []).append(row)
    where = "" if store else " (not created yet)"
    out = [
        f"{settings.path}: valid, {len(settings.sources)} source(s), database {redact(settings.database_url) if settings.database_url else settings.database.resolve()}{where}"
    ]
    for s in settings.sources:
        st = states.get(s.id)
        state = f"last poll {st.last_poll}" if st and st.last_poll else "never polled"
        state += f" by {st.polled_by}" if st and st.last_poll and st.polled_by else ""  # which worker, when shared
        if st and st.consecutive_failures:
            state += f", {st.consecutive_failures} failure(s) in a row: {st.last_error}"
        every = f"{s.interval // 3600}h{s.interval % 3600 // 60:02d}m"
        out += [f"  {s.id:<16} {s.kind:<10} every {every}  {s.agency}  {s.list_url}", f"  {'':<16} {state}"]
        if s.id in last:
            r = last[s.id]
            verdict = f"错误 {r.errors} 项" if r.errors else "未发现错误"
            out.append(f"  {'':<16} last report: {r.title or r.url} ({r.year or '年度不明'}, {verdict})")
        out += [f"  {'':<16} could not read {b.url}: {b.error}" for b in bad.get(s.id, [])]
    return "\n".join(out)


def sent_line(sent: Sent, left: dict[str, int]) -> str | None:
    """The alert line after a poll or `alerts send`: printed whenever anything went, failed or is waiting."""
    if not (sent.delivered or sent.failed or left["pending"] or left["dead"]):
        return None
    tail = f"; {left['pending']} pending in the outbox" if left["pending"] else ""
    dead = f", {left['dead']} dead (govmon alerts retry)" if left["dead"] else ""
    return f"alerts: {sent.delivered} delivered, {sent.failed} failed{tail}{dead}"


def poll_text(results: list[PollResult], sent: Sent, left: dict[str, int]) -> str:
    out = []
    for r in results:
        if r.error:
            out.append(f"{r.source}: FAILED: {r.error}")
            continue
        if r.elsewhere:
            out.append(f"{r.source}: polled by another worker on the shared database (left to it)")
            continue
        out.append(f"{r.source}: {r.reports} report link(s), {r.new_versions} new version(s)")
        out += [f"  could not read {problem}" for problem in r.problems]
    line = sent_line(sent, left)
    return "\n".join(out + ([line] if line else []))


def _report_json(doc: StoredReport) -> dict[str, Any]:
    latest = doc.latest
    report = latest.report if latest else None
    return {
        "source": doc.source,
        "url": doc.url,
        "title": doc.title,
        "year": doc.year,
        "published": report.published if report else None,
        "first_seen": doc.first_seen,
        "versions": doc.versions,
        "format": report.format if report else None,
        "table_status": report.table_status if report else {},
        "tables": report.tables if report else {},
        "findings": [f.to_json() for f in latest.findings] if latest else [],
        "body": doc.body,  # added (#27): the body the report is attributed to
    }


def _indented(value: Any, level: int) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)


def reports_json(store: Store, source: str | None = None, year: int | None = None) -> Iterator[str]:
    """`govmon reports --json`: the sources' states, each report's latest version, the outbox counts. Written
    piece by piece as ``json.dumps(..., indent=2)`` would write the whole: memory stays flat at any size."""
    keep = ("id", "agency", "kind", "list_url", "last_poll", "last_error", "consecutive_failures")
    sources = [
        {**{k: getattr(s, k) for k in keep}, **({"polled_by": s.polled_by} if s.polled_by else {})}
        for s in store.sources()
    ]
    yield '{\n  "sources": ' + _indented(sources, 1) + ',\n  "reports": ['
    n = 0
    for n, doc in enumerate(store.reports(source, year, summaries=True), start=1):
        yield ("," if n > 1 else "") + "\n    " + _indented(_report_json(doc), 2)
    keep = ("source", "url", "title", "year", "error", "first_failed", "last_failed")
    bad = [{k: getattr(b, k) for k in keep} for b in store.unreadable_reports(source, year)]
    yield ("\n  ]" if n else "]") + ',\n  "unreadable": ' + _indented(bad, 1)
    yield ',\n  "alerts": ' + _indented(store.alert_counts(), 1) + "\n}"


def findings_lines(findings: list[Finding]) -> list[str]:
    return [f"    [{SEVERITY_CN[f.severity]}] {f.rule}: {f.message[:120]}" for f in findings]


def reports_text(store: Store, source: str | None = None, year: int | None = None) -> Iterator[str]:
    """`govmon reports`: per stored report its title, URL and findings, line by line."""
    for doc in store.reports(source, year):
        findings = doc.latest.findings if doc.latest else []
        errors = sum(f.severity == "error" for f in findings)
        who = f" {doc.body}" if doc.body else ""
        yield f"[{doc.source}]{who} {doc.title or doc.url}  ({doc.year or '年度不明'}, {doc.versions} version(s))"
        yield f"    {doc.url}"
        if not doc.versions:  # a duplicate: the body's report stored from another URL
            yield "    与已收录的该单位同年报告内容相同，不另行保存和检查"
            continue
        yield f"    错误 {errors} 项 · 警告 {len(findings) - errors} 项" if findings else "    未发现问题"
        yield from findings_lines(findings)
    for b in store.unreadable_reports(source, year):
        yield f"[{b.source}] {b.title or b.url}  ({b.year or '年度不明'}, 无法读取)"
        yield f"    {b.url}"
        yield f"    无法读取：{b.error}"
    a = store.alert_counts()
    yield f"alerts: {a['pending']} pending, {a['delivered']} delivered, {a['dead']} dead"


def outbox_text(store: Store) -> str:
    """`govmon alerts list`: every alert not yet delivered, with its last error, then the counts."""
    out = []
    for r in store.deliveries():
        out.append(f"{r.status:<8} {r.channel:<14} {r.recipient:<28} attempts {r.attempts}  {r.event.key}")
        if r.last_error:
            out.append(f"{'':<9}last error: {r.last_error}")
    counts = store.alert_counts()
    out.append(f"alerts: {counts['pending']} pending, {counts['delivered']} delivered, {counts['dead']} dead")
    return "\n".join(out)


_STATUS_COLUMNS = (("状态", 12), ("单位", 28), ("发布日期", 18), ("期限", 10), ("错误", 4), ("警告", 4), ("报告", 0))


def status_text(year: int, today: str, items: list[Standing], totals: dict[str, int]) -> str:
    """`govmon status`: the totals, then one line per source, worst first, with what went wrong under it."""
    counts = " · ".join(f"{STATES[k]} {totals[k]}" for k in STATES if totals[k])
    out = [
        f"{year}年度政府信息公开工作年度报告 · 截至{today} · 共{totals['bodies']}个单位，已发布{totals['published']}个",
        counts,
        "",
        "  ".join(cut(name, w) if w else name for name, w in _STATUS_COLUMNS),
    ]
    for s in items:
        # the day it was published and whether on time; without one, the day govmon first saw it, said so (review
        # 106: "2026-02-10(发布…" read as a late publication)
        when = f"{s.published}({TIMELY_CN[s.timely]})" if s.published and s.timely else "-"
        when = f"{s.found or '?'}(首见)" if s.timely and not s.published else when
        counts_ = (str(s.errors), str(s.warnings)) if s.timely else ("-", "-")
        cells = [
            STATES[s.state],
            s.body or s.agency,
            when,
            s.due,
            *counts_,
            (s.title or "") + (f" {s.url}" if s.url else ""),
        ]
        out.append("  ".join(cut(c, w) if w else c for c, (_, w) in zip(cells, _STATUS_COLUMNS, strict=True)).rstrip())
        if s.body_how == "assumed":
            out.append(f"{'':12}报告中未写明发布机关，按该栏目所属单位（{s.agency}）计")
        if s.unreadable:
            out.append(f"{'':12}无法读取的表格：{'、'.join(TABLE_LABELS[k] for k in s.unreadable)}")
        out += [f"{'':12}已解决：{m}" for m in s.resolved[:3]]
        if s.error:
            out.append(f"{'':12}报告无法读取：{said_cn(s.error)}")
        if s.source_error:
            out.append(f"{'':12}门户网站最近一次抓取失败：{said_cn(s.source_error)}")
        elif s.state == "unchecked":  # why nobody knows
            if s.listing_cut:
                read = "最近一次读取未能读完全部页面（页数超过上限，或后续页面无法读取）"
            else:
                read = f"最近一次完整读取在{s.read_on}，法定期限后尚未读取" if s.read_on else "尚未完整读取过"
            out.append(f"{'':12}该栏目{read}")
    return "\n".join(out)
