"""TODO"""

from __future__ import annotations

import importlib.util
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from monitor.errors import ConfigError
from monitor.model import APPEAL_LABELS, LABELS, SEVERITY_CN, TABLE_LABELS, fmt

# ---------------------------------------------------------------- rendering (templates in alerts/)
TEMPLATES = ("subject.txt", "email.txt", "email.html", "robot.md", "digest_subject.txt", "digest.txt", "digest.html")


def _shipped_templates() -> Path:
    """The templates as installed: the package ``monitor.templates`` (the top-level alerts/ folder, mapped in
    pyproject.toml), or alerts/ beside the package in a source checkout."""
    spec = importlib.util.find_spec("monitor.templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "alerts"


DEFAULT_TEMPLATES = _shipped_templates()


KINDS = ("new_report", "new_finding", "revision", "missing", "source_failing", "source_recovered", "test")


# Scraped text in a robot's Markdown (DingTalk, WeCom): every character their Markdown acts on becomes its
# full-width twin, which reads the same in Chinese text and is never markup; line breaks become spaces (no
# heading or list can start) and "://" is broken, so a title cannot become a link to another site.
_MD = str.maketrans("[]()*_`#<>|~!\\", "［］（）＊＿｀＃＜＞｜～！＼")


class MdUrl(str):
    """A URL the robot template places as a link target (``{{ url | mdurl }}``): percent-encoded, not escaped."""


def md_url(value: object) -> MdUrl:
    return MdUrl(urllib.parse.quote(str(value), safe=":/?&=%#+,;@$'-._~"))


def md_text(value: object) -> object:
    """What every ``{{ ... }}`` of robot.md prints (jinja2's ``finalize``)."""
    if isinstance(value, MdUrl):
        return value
    return " ".join(str(value).split()).translate(_MD).replace("://", "：//")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    markdown: str


def table_view(key: str, numbers: dict[str, dict[str, Any]], hot: set[tuple[str, str]]) -> dict[str, Any]:
    labels = APPEAL_LABELS if key == "appeals" else LABELS
    columns: list[str] = []
    for cols in numbers.values():
        columns += [c for c in cols if c not in columns]
    rows = [
        {
            "label": labels.get(r, r),
            "cells": [{"value": fmt(cols.get(c)) if c in cols else "", "hot": (r, c) in hot} for c in columns],
        }
        for r, cols in numbers.items()
    ]
    return {"name": TABLE_LABELS[key], "columns": [labels.get(c, c) for c in columns], "rows": rows}


def hot_cells(findings: list[dict[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    """Per table, the cells the findings name: what an alert and the overview highlight."""
    hot: dict[str, set[tuple[str, str]]] = {}
    for f in findings:
        if f.get("table") and f.get("cells"):
            hot.setdefault(f["table"], set()).update((r, c) for r, c in f["cells"])
    return hot


def context(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What a template sees: the event's payload plus counts, Chinese labels and the highlighted tables."""
    findings = [
        {**f, "severity_cn": SEVERITY_CN.get(f["severity"], f["severity"])} for f in payload.get("findings", [])
    ]
    hot = hot_cells(findings)
    tables = payload.get("tables") or {}
    views = [table_view(k, tables[k], cells) for k, cells in hot.items() if k in tables]
    diff = payload.get("diff")
    if diff:
        diff = {
            "sections": ["一二三四五六"[int(n) - 1] for n in diff.get("sections", [])],
            "cells": [
                {
                    **c,
                    "label": f"{TABLE_LABELS[c['table']].split('(')[0]}"
                    f"{(APPEAL_LABELS if c['table'] == 'appeals' else LABELS).get(c['row'], c['row'])}·"
                    f"{(APPEAL_LABELS if c['table'] == 'appeals' else LABELS).get(c['column'], c['column'])}",
                    "old": fmt(c["old"]),
                    "new": fmt(c["new"]),
                }
                for c in diff.get("cells", [])
            ],
        }
    return {
        "agency": "",
        "url": "",
        "title": None,
        "year": None,
        "published": None,
        "error": None,
        "failures": 0,
        "resolved": [],
        **payload,
        "kind": kind,
        "findings": findings,
        "diff": diff,
        "views": views,
        "errors": sum(f["severity"] == "error" for f in findings),
        "warnings": sum(f["severity"] != "error" for f in findings),
    }


class Renderer:
    """Loads alerts/*.txt|html|md once (StrictUndefined, HTML autoescaped) and test-renders every event
    kind, so a broken template stops start-up with its file and line instead of failing at 3 a.m."""

    def __init__(self, folder: Path | None = None) -> None:
        """``folder``: admins' edited templates (``templates_dir``); a file missing there comes from the shipped set."""
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"{folder}: templates_dir is not a folder")
        folders = [folder, DEFAULT_TEMPLATES] if folder else [DEFAULT_TEMPLATES]
        folder = folders[0]
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html"]),
            trim_blocks=False,
        )
        markdown = jinja2.Environment(  # robot.md: scraped text escaped for the robots' Markdown
            loader=jinja2.FileSystemLoader(folders), undefined=jinja2.StrictUndefined, finalize=md_text
        )
        markdown.filters["mdurl"] = md_url
        try:
            self.t = {name: (markdown if name == "robot.md" else env).get_template(name) for name in TEMPLATES}
            for kind in KINDS:
                self.render(kind, sample_payload(kind))
            self.digest([self.render("test", sample_payload("test"))])
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or folder / (exc.name or "")
            raise ConfigError(f"{where}:{exc.lineno}: alert template error: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(
                f"{folder}: alert template {exc.name} is missing (needed: {', '.join(TEMPLATES)})"
            ) from exc
        except (jinja2.UndefinedError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{folder}: an alert template fails to render: {exc}") from exc

    def render(self, kind: str, payload: dict[str, Any]) -> Rendered:
        ctx = context(kind, payload)
        subject = " ".join(self.t["subject.txt"].render(ctx).split())
        ctx["subject"] = subject
        return Rendered(
            subject, self.t["email.txt"].render(ctx), self.t["email.html"].render(ctx), self.t["robot.md"].render(ctx)
        )

    def digest(self, items: list[Rendered]) -> Rendered:
        bodies = [
            {
                "subject": i.subject,
                "text": i.text,
                "html_body": markupsafe.Markup(i.html.split("<body", 1)[-1].split(">", 1)[-1].rsplit("</body>", 1)[0]),
            }
            for i in items
        ]
        subject = " ".join(self.t["digest_subject.txt"].render(items=bodies).split())
        ctx = {"subject": subject, "items": bodies}
        text = self.t["digest.txt"].render(ctx)
        return Rendered(subject, text, self.t["digest.html"].render(ctx), text)


def sample_payload(kind: str) -> dict[str, Any]:
    """A realistic payload (a bureau's report with one wrong 总计) for template checks and `alerts test`."""
    finding = {
        "rule": "appeals.total",
        "severity": "error",
        "table": "appeals",
        "row": "review",
        "column": None,
        "expected": 0,
        "actual": 2,
        "key": "appeals.total|appeals|review|",
        "cells": [["review", "total"]],
        "message": "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2",
    }
    zero = dict.fromkeys(("upheld", "corrected", "other", "pending", "total"), 0)
    payload: dict[str, Any] = {
        "source": "sample",
        "agency": "示例市政务服务和大数据管理局",
        "url": "http://example.gov.cn/nb/t1.html",
        "title": "示例市政务服务和大数据管理局2021年政府信息公开工作年度报告",
        "year": 2021,
        "published": "2022-01-12",
        "tables": {"appeals": {"review": {**zero, "total": 2}, "suit_direct": zero, "suit_after_review": zero}},
        "table_status": {"appeals": "parsed"},
        "findings": [finding],
        "error": "HTTP 503",
        "failures": 3,
    }
    if kind == "revision":
        payload["diff"] = {
            "sections": ["3"],
            "cells": [{"table": "appeals", "row": "review", "column": "total", "old": 0, "new": 2}],
            "fields": {},
        }
        payload["resolved"] = ["行政诉讼(复议后起诉)：结果维持(1)+结果纠正(0)+其他结果(0)+尚未审结(0)=1，但总计为0"]
    return payload
