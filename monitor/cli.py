"""Stage: cli. The ``govmon`` command: the one place objects are wired and asyncio.run is called."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor import __version__
from monitor.errors import GovmonError, InputError
from monitor.fetch import fetch_once
from monitor.parse import Report, read_report
from monitor.rules import RULES, Finding, run_rules
from monitor.tables import TABLE_LABELS

SEVERITY_CN = {"error": "错误", "warning": "警告"}
STATUS_CN = {"parsed": "已读取", "ambiguous": "部分无法定位", "missing": "缺失", "image": "仅有图片/附件"}
KIND_CN = {"government": "人民政府", "department": "部门"}


def _load(source: str, kind: str | None) -> Report:
    if re.match(r"^https?://", source, re.I):
        resp = asyncio.run(fetch_once(source))
        return read_report(resp.body, source, kind, resp.charset)
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file")
    return read_report(path.read_bytes(), source, kind)


def _summary(report: Report, findings: list[Finding]) -> str:
    r = report
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    facts = [r.agency or "发布机关不明", f"{r.year}年度" if r.year else "年度不明",
             KIND_CN.get(r.kind or "", "类别不明"), f"{r.format}版格式" if r.format else "格式不明",
             f"发布于{r.published.isoformat()}" if r.published else "发布日期不明"]  # fmt: skip
    marks = " ".join(f"{'一二三四五六'[n - 1]}{'✓' if r.sections.get(n) else '✗'}" for n in range(1, 7))
    tables = " · ".join(
        f"{TABLE_LABELS[k].split('(')[1].rstrip(')')} {STATUS_CN[t.status]}" for k, t in r.tables.items()
    )
    lines = [f"== {r.title or '(无标题)'}  [{r.input}]", "   " + " · ".join(facts), f"   六个部分: {marks}",
             f"   表格: {tables}"]  # fmt: skip
    if not findings:
        lines.append("   未发现问题 (no problems found)")
    else:
        lines.append(f"   错误 {errors} 项 · 警告 {warnings} 项")
        lines += [f"   [{SEVERITY_CN[f.severity]}] {f.rule}: {f.message}" for f in findings]
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    if args.rules:
        for r in RULES.values():
            print(f"{r.id:<24} {r.severity:<8} {r.summary}")
        return 0
    if not args.inputs:
        raise InputError("give at least one report file or URL (or --rules)")
    previous = _load(args.previous, args.kind) if args.previous else None
    results: list[dict[str, Any]] = []
    code = 0
    for source in args.inputs:
        try:
            report = _load(source, args.kind)
        except GovmonError as exc:
            print(f"govmon: {source}: {exc}" if source not in str(exc) else f"govmon: {exc}", file=sys.stderr)
            results.append({"input": source, "error": str(exc)})
            code = 2
            continue
        findings = run_rules(report, previous)
        if any(f.severity == "error" for f in findings):
            code = max(code, 1)
        if args.json:
            results.append({**report.to_json(), "findings": [f.to_json() for f in findings]})
        else:
            print(_summary(report, findings))
    if args.json:
        payload: Any = results[0] if len(results) == 1 else results
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govmon", description="Watch, parse and check 政府信息公开工作年度报告.")
    parser.add_argument("--version", action="version", version=f"govmon {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detail in logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="parse and check report files or URLs, offline (no database)")
    check.add_argument("inputs", nargs="*", metavar="FILE_OR_URL", help="HTML or text report, file path or http(s) URL")
    check.add_argument("--json", action="store_true", help="print JSON (one object per input, an array for several)")
    check.add_argument(
        "--previous", metavar="FILE", help="the same body's report for the year before (cross-year rules)"
    )
    check.add_argument("--kind", choices=["department", "government"], help="report kind, if not inferred correctly")
    check.add_argument("--rules", action="store_true", help="list the rules and their severities, then exit")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except GovmonError as exc:
        print(f"govmon: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
