"""Stage: snapshot + diff. What a stored version of a report is, and what changed between two.

A version's content hash covers the tables, the sections' text, title and dates, but not short
chrome lines (view counters, print/close buttons), so a page whose counter ticks is not a
revision. ``diff_reports`` lists the changed sections and cells (old -> new) and
``revision_finding`` turns them into the ``revision.changed`` warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from monitor.checks.registry import Context, rule
from monitor.model import (
    CN,
    FIELD_CN,
    TABLE_LABELS,
    Finding,
    Report,
    fmt,
    label,
)

_CHROME = re.compile(r"浏览|访问|点击|阅读|打印|关闭|扫一扫|分享|字号|【|】")


def snapshot(report: Report) -> tuple[dict[str, Any], str]:
    """The stored form of a report and the hash of its content. Short chrome lines (view counters,
    print/close buttons) and empty lines are left out of the hash so they never count as a revision."""
    data = report.stored()
    stable = {k: data[k] for k in ("title", "year", "published", "tables", "table_status", "sections")}
    stable["text"] = {
        n: "\n".join(x for line in t.split("\n") if (x := line.strip()) and not _chrome(x))
        for n, t in data["section_text"].items()
    }
    import json  # noqa: PLC0415  (like hashlib: the watcher's, not check's)
    from hashlib import sha256  # noqa: PLC0415  (OpenSSL's: 2-3 ms to load, which check does not need)

    digest = sha256(json.dumps(stable, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return data, digest


def _chrome(line: str) -> bool:
    """A page's line, not the report's: short, with a chrome word (a counter in any of its forms, print and close
    buttons). A report's own short line about its site's visits is left out too: a revision of its number alone is
    not seen (the price of never mailing a counter's tick)."""
    return len(line) < 40 and _CHROME.search(line) is not None


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """What changed between two stored versions of a report: sections' text, cells (old -> new), metadata."""
    sections = [
        n for n in map(str, range(1, 7)) if old.get("section_text", {}).get(n) != new.get("section_text", {}).get(n)
    ]
    cells = []
    for table in sorted(set(old.get("tables", {})) | set(new.get("tables", {}))):
        a, b = old.get("tables", {}).get(table, {}), new.get("tables", {}).get(table, {})
        for row in sorted(set(a) | set(b)):
            for column in sorted(set(a.get(row, {})) | set(b.get(row, {}))):
                before, after = a.get(row, {}).get(column), b.get(row, {}).get(column)
                if before != after:
                    cells.append({"table": table, "row": row, "column": column, "old": before, "new": after})
    fields = {k: [old.get(k), new.get(k)] for k in ("title", "published", "year", "format") if old.get(k) != new.get(k)}
    if not (sections or cells or fields):
        return None
    return {"sections": sections, "cells": cells, "fields": fields}


def revision_finding(diff: dict[str, Any]) -> Finding:
    parts = []
    if diff["sections"]:
        parts.append("正文第" + "、".join(CN[int(n)] for n in diff["sections"]) + "部分有改动")
    for c in diff["cells"][:10]:
        name = label(c["table"], c["row"]) + "·" + label(c["table"], c["column"])
        table = TABLE_LABELS[c["table"]].split("(")[0]
        parts.append(f"{table}{name}：{fmt(c['old'])} → {fmt(c['new'])}")
    if len(diff["cells"]) > 10:
        parts.append(f"等共{len(diff['cells'])}个单元格")
    for k, (a, b) in diff["fields"].items():
        parts.append(f"{FIELD_CN[k]}：{a} → {b}")
    return Finding(
        "revision.changed",
        "warning",
        "报告发布后被修改：" + "；".join(parts),
        cells=tuple((c["row"], c["column"]) for c in diff["cells"]),
    )


@rule("revision.changed", "warning", "已发布的报告事后被修改（列出改动的数字和部分）", needs=("diff",))
def revision_changed(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if ctx.diff:
        found = revision_finding(ctx.diff)
        yield make(found.message, cells=found.cells)
