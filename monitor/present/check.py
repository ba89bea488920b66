"""What `govmon check` prints: one report's facts and findings, and for several, a closing table.

Text for staff who read Chinese: the facts a reader checks first (who, which year, which format,
when published, which parts and tables), then the findings; for a folder, one line per file and
the totals, so a morning's batch can be read at a glance.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import FetchError, GovmonError, InputError
from monitor.model import FORMAT_CN, KIND_CN, SEVERITY_CN, STATUS_CN, TABLE_LABELS, Finding, Report, said_cn

_SKIP = ("readme", ".")  # a folder's own README and hidden files are not reports


def check_inputs(inputs: list[str]) -> list[str]:
    """Inputs with every folder replaced by the files in it, in name order."""
    out: list[str] = []
    for item in inputs:
        path = Path(item)
        try:
            found = sorted(path.iterdir()) if _kind(path) == "folder" else None
        except OSError:  # a folder that cannot be opened: said as that input's line, the others still checked
            found = None
        wanted = ("file", "locked")  # (one that cannot be looked at is said as its own line)
        files = [str(p) for p in found or () if _kind(p) in wanted and not p.name.lower().startswith(_SKIP)]
        if found is None or not files:  # (a folder without a report file: said as its own line, below)
            out.append(item)
        else:
            out += files
    return out


def _kind(path: Path) -> str:
    """What a path is: "folder", "file", "none" (nothing there), or "locked" (it cannot be looked at: a folder
    above it that cannot be entered; Python's is_dir and is_file raise then)."""
    try:
        return "folder" if path.is_dir() else "file" if path.is_file() else "none"
    except OSError:
        return "locked"


def _counts(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(f.severity == "error" for f in findings)
    return errors, len(findings) - errors


def _table_states(report: Report) -> str:
    """Each table's state; a table read but for some rows is not "read" but read in part, and says how many (review
    108: 已读取 above a warning that listed 20 of its rows unread; review 110: 16 of 27, its 总计 among them)."""
    return " · ".join(
        f"{TABLE_LABELS[k].split('(')[1].rstrip(')')} "
        + (
            f"读取不全（{len(t.missing_rows)}行未能读取）"
            if t.status == "parsed" and t.missing_rows
            else STATUS_CN[t.status]
        )
        for k, t in report.tables.items()
    )


def _format(r: Report) -> str:
    """The format as the tables show it: one, or each table's where they differ (never a claim a table belies)."""
    shown = {k: t.format for k, t in r.tables.items() if t.format}
    if len(set(shown.values())) > 1:
        parts = "、".join(f"{TABLE_LABELS[k].split('(')[1].rstrip(')')}{f}版" for k, f in shown.items())
        return f"格式不一（{parts}）"
    return FORMAT_CN.get(r.format or "", "格式不明")


def report_text(report: Report, findings: list[Finding]) -> str:
    r = report
    errors, warnings = _counts(findings)
    facts = [
        r.agency or "发布机关不明",
        f"{r.year}年度" if r.year else "年度不明",
        KIND_CN.get(r.kind or "", "类别不明"),
        _format(r),
        f"发布于{r.published.isoformat()}" if r.published else "发布日期不明",
        *(["扫描件（文字由OCR识别，数字未经确认）"] if r.ocr else []),
    ]
    marks = " ".join(f"{'一二三四五六'[n - 1]}{'✓' if r.sections.get(n) else '✗'}" for n in range(1, 7))
    lines = [
        f"== {r.title or '(无标题)'}  [{r.input}]",
        "   " + " · ".join(facts),
        f"   六个部分: {marks}" + ("（工作簿只含统计表，报告的文字部分不在此文件中，未检查）" if r.tables_only else ""),
        f"   表格: {_table_states(r)}",
    ]
    if not findings:
        lines.append("   未发现问题")
    else:
        lines.append(f"   错误 {errors} 项 · 警告 {warnings} 项")
        lines += [f"   [{SEVERITY_CN[f.severity]}] {f.rule}: {f.message}" for f in findings]
    return "\n".join(lines)


@dataclass
class SummaryRow:
    input: str
    report: Report | None
    findings: list[Finding]
    error: str | None = None


def cut(text: str, width: int) -> str:
    """The text in ``width`` columns (a wide character takes two): cut with "…", or padded with spaces."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > width:
            return text[: i - 1] + "…" if i else "…"
    return text + " " * (width - used)


_STATE = {"parsed": "读", "ambiguous": "疑", "missing": "缺", "image": "图"}
_COLUMNS = (
    ("文件", 26),
    ("单位", 24),
    ("年度", 6),
    ("格式", 6),
    ("发布日期", 10),
    ("二三四", 8),
    ("错误", 4),
    ("警告", 4),
)


def summary_table(rows: list[SummaryRow]) -> str:
    """One line per input, then the totals. Table states: 读 read, 疑 ambiguous, 缺 missing, 图 image only."""
    lines = ["  ".join(cut(name, w) for name, w in _COLUMNS)]
    errors_total = warnings_total = with_errors = refused = 0
    for row in rows:
        name = Path(row.input).name or row.input
        if row.report is None:
            refused += 1
            lines.append("  ".join([cut(name, 26), cut(f"无法读取：{row.error}", 76)]))
            continue
        r = row.report
        errors, warnings = _counts(row.findings)
        errors_total, warnings_total, with_errors = (
            errors_total + errors,
            warnings_total + warnings,
            with_errors + bool(errors),
        )
        cells = [
            name,
            r.agency or "?",
            str(r.year or "?"),
            "不一" if len({t.format for t in r.tables.values() if t.format}) > 1 else (r.format or "?"),
            r.published.isoformat() if r.published else "?",
            "".join(_STATE[t.status] for t in r.tables.values()),
            str(errors),
            str(warnings),
        ]
        lines.append("  ".join(cut(c, w) for c, (_, w) in zip(cells, _COLUMNS, strict=True)))
    lines.append(
        f"合计 {len(rows)} 个文件：{len(rows) - refused} 份报告已读取，{with_errors} 份有错误，"
        f"{refused} 个无法读取；错误 {errors_total} 项，警告 {warnings_total} 项"
    )
    lines.append("(二三四: 第二、三、四部分表格 · 读=已读取 疑=部分无法定位 缺=缺失 图=仅有图片/附件)")
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------- the command
# `govmon check` of one draft starts in a fraction of a second: the watcher's modules (aiohttp, SQLite, Jinja2,
# the forkserver) are imported by the commands that use them, and a draft of ordinary size is read in this
# process (a PDF's parser runs in a forked child under its limits); only a large page or a Word, spreadsheet or
# OFD file (whose reading can explode) is read whole in a bounded child: a fork of this process, which has the
# readers loaded and starts in milliseconds, under the limits of the service's readers (README "Capacity").
IN_PROCESS = 512 * 1024


def _read(data: bytes, name: str, kind: str | None, charset: str | None = None) -> Report:
    from monitor.reading.formats import sniff  # noqa: PLC0415

    if len(data) <= IN_PROCESS and sniff(data) in ("html", "text", "pdf"):
        from monitor.reading.report import read_report  # noqa: PLC0415

        return read_report(data, name, kind, charset)
    from monitor.reading import read_report_forked  # noqa: PLC0415

    return read_report_forked(data, name, kind, charset)


def _load(source: str, kind: str | None, allow_private: bool = False) -> Report:
    if source == "-":
        return _read(sys.stdin.buffer.read(), "-", kind)
    if re.match(r"^https?://", source, re.I):
        return _fetched(source, kind, allow_private)
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.I):  # ftp://…: not a file name either
        raise InputError(f"{source}：只支持http或https网址")
    path = Path(source)
    what = _kind(path)
    if what == "locked":
        raise InputError(f"{source}：没有读取权限，无法读取")
    if what == "folder":
        why = "文件夹没有读取权限，无法打开"
        if os.access(path, os.R_OK | os.X_OK):  # (an input's, with report files, is read file by file)
            why = "文件夹中没有可检查的报告文件"
        raise InputError(f"{source}：{why}")
    if what == "none":
        raise InputError(f"{source}：文件不存在")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(f"{source}：没有读取权限，无法读取") from None
    except OSError as exc:
        raise InputError(f"{source}：无法读取（{exc.strerror or type(exc).__name__}）") from None
    return _read(data, source, kind)


def _fetched(url: str, kind: str | None, allow_private: bool) -> Report:
    """A page on the web, as the service reads it: the page, or, when it holds no statutory tables, the file it
    attaches or shows in a viewer (PDF, OFD, Word…), with what the page says that the file does not."""
    import asyncio  # noqa: PLC0415

    from monitor.reading.formats import decode, sniff  # noqa: PLC0415
    from monitor.reading.report import lists_reports, read_page, with_attachment  # noqa: PLC0415
    from monitor.watch.attachments import attachments  # noqa: PLC0415
    from monitor.watch.fetch import fetch_once  # noqa: PLC0415

    resp = asyncio.run(fetch_once(url, allow_private=allow_private))
    page: Report | None = None
    refused: InputError | None = None  # why the page alone is no report
    try:
        page = _read(resp.body, url, kind, resp.charset)
    except InputError as exc:
        if sniff(resp.body) != "html":
            raise
        refused = exc
        if len(resp.body) <= IN_PROCESS:  # what the page says that a file it shows may not (发布时间)
            page = read_page(resp.body, url, kind, resp.charset)
    else:
        if sniff(resp.body) != "html" or any(t.status not in ("missing", "image") for t in page.tables.values()):
            return page
    if refused is not None and page is not None and page.title is None and lists_reports(page, 3):
        raise refused  # a column listing reports: its first file is not its report
    for linked in attachments(decode(resp.body, resp.charset)[0], resp.url)[:4]:
        got = asyncio.run(fetch_once(linked, allow_private=allow_private))
        try:
            found = _read(got.body, linked, kind, got.charset)
        except InputError:
            continue
        return with_attachment(page, found) if page is not None else found
    return _refused(page, refused)


def _refused(page: Report | None, refused: InputError | None) -> Report:
    """The page as read, or why it is no report."""
    from monitor.reading.report import is_report  # noqa: PLC0415

    if refused is not None and (page is None or not is_report(page)):
        raise refused
    assert page is not None  # (read, or refused)
    return page


def _loaded(source: str, args: argparse.Namespace) -> Report | GovmonError:
    """One input read, or why it cannot be: a reader's bug on one file makes that file unreadable, not the run."""
    try:
        return _load(source, args.kind, args.allow_private)
    except GovmonError as exc:
        if not isinstance(exc, FetchError):
            return exc
        private = "refused: " in str(exc)  # (the fetcher's words, English for the journal)
        return InputError(said_cn(str(exc)) + ("（确需检查内部网络的网址时，加 --allow-private）" if private else ""))
    except Exception as exc:
        if args.verbose:
            raise
        return InputError(f"读取时出现内部错误（{type(exc).__name__}: {str(exc)[:120]}），请报告此问题")


def _checked(source: str, report: Report, previous: Report | None, reports: list[Report]) -> list[Finding]:
    """One input's findings, compared with the other inputs (a government's whole-region report also with the
    inputs of the same year whose bodies are within its region); ``--previous`` counts where it is this report's
    year before (the pipeline decides), and where it is not, staff are told why it was not used."""
    from monitor.checks import copies  # noqa: PLC0415
    from monitor.checks.pipeline import region_findings, run_rules  # noqa: PLC0415
    from monitor.model.bodies import within  # noqa: PLC0415

    if previous is not None and not copies.year_before(report, previous):
        print(f"govmon: {source}: --previous 不是同一单位上一年度的报告，未用于跨年度核对", file=sys.stderr)
    findings = run_rules(report, previous, others=tuple(reports))
    # a report is never a body within its own region (``within`` says so by the names, after loading OpenCC's
    # dictionary a second time: ~4 ms of a one-page check)
    parts = [
        r
        for r in reports
        if r is not report and r.year == report.year and report.agency and within(report.agency, r.agency or "")
    ]
    return findings + region_findings(report, tuple(parts)) if parts else findings


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.checks.pipeline import listed  # noqa: PLC0415
    from monitor.model import Report  # noqa: PLC0415
    from monitor.present.check import SummaryRow, check_inputs, report_text, summary_table  # noqa: PLC0415

    if args.rules:
        for r in listed():
            print(f"{r.id:<24} {r.severity:<8} {r.summary}")
        return 0
    inputs = check_inputs(args.inputs)
    if not inputs:
        raise InputError("请至少给出一个报告文件、文件夹或网址（或 --rules）")
    results: list[dict[str, Any]] = []
    rows: list[SummaryRow] = []
    code = 0
    folder = bool(args.previous) and _kind(Path(args.previous)) == "folder"
    previous = _loaded(args.previous, args) if args.previous and not folder else None
    if folder:  # (a folder is read file by file only as an input)
        previous = InputError(f"{args.previous}：这是文件夹，--previous 需要一份报告文件")
    if isinstance(previous, GovmonError):  # said, naming it; the reports are checked without it
        said = str(previous) if args.previous in str(previous) else f"{args.previous}: {previous}"
        print(f"govmon: --previous {said}（未用于跨年度核对）", file=sys.stderr)
        previous, code = None, 2
    loaded = [(source, _loaded(source, args)) for source in inputs]
    reports = [r for _, r in loaded if isinstance(r, Report)]
    for source, report in loaded:
        if isinstance(report, GovmonError):
            print(f"govmon: {source}: {report}" if source not in str(report) else f"govmon: {report}", file=sys.stderr)
            results.append({"input": source, "error": str(report)})
            rows.append(SummaryRow(source, None, [], str(report)))
            code = 2
            continue
        findings = _checked(source, report, previous, reports)
        if any(f.severity == "error" for f in findings):
            code = max(code, 1)
        rows.append(SummaryRow(source, report, findings))
        if args.json:
            results.append({**report.to_json(), "findings": [f.to_json() for f in findings]})
        else:
            print(report_text(report, findings))
    if not args.json and len(rows) > 1:
        print("\n" + summary_table(rows))
    if args.json:
        import json  # noqa: PLC0415  (~1 ms of every start; the text output needs none)

        payload: Any = results[0] if len(results) == 1 else results
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    return code
