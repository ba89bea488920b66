"""Stage: alerts, the words. An event's ``Payload`` -> what its templates see (``context``) -> the subject, the
plain text, the HTML and the robots' Markdown (``Renderer``, from the templates in the top-level alerts/ folder,
or an admin's ``templates_dir``). The public face below (``hot_cells``, ``table_view``, ``finding_views``,
``diff_view``, ``DEFAULT_TEMPLATES``) is shared with the overview site, which shows findings and tables the way
the alerts do.
"""

from __future__ import annotations

import importlib.util
import logging
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from monitor.errors import ConfigError
from monitor.model import (
    APPEAL_LABELS,
    FIELD_CN,
    LABELS,
    SEVERITY_CN,
    TABLE_LABELS,
    AboutReport,
    Finding,
    ListedReport,
    Payload,
    SourceHealth,
    fmt,
    said_cn,
)

__all__ = [
    "DEFAULT_TEMPLATES",
    "KINDS",
    "TEMPLATES",
    "Rendered",
    "Renderer",
    "context",
    "diff_view",
    "finding_views",
    "hot_cells",
    "sample_payload",
    "table_view",
]

log = logging.getLogger(__name__)

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


KINDS = (
    "new_report",
    "new_finding",
    "revision",
    "missing",
    "first_poll",
    "source_failing",
    "source_recovered",
    "report_unreadable",
    "test",
)


# Scraped text in a robot's Markdown (DingTalk, WeCom): every character their Markdown acts on becomes its
# full-width twin, which reads the same in Chinese text and is never markup; line breaks become spaces (no
# heading or list can start) and "://" is broken, so a title cannot become a link to another site.
_MD = str.maketrans("[]()*_`#<>|~!\\", "［］（）＊＿｀＃＜＞｜～！＼")


class _MdUrl(str):
    """A URL the robot template places as a link target (``{{ url | mdurl }}``): percent-encoded, not escaped."""


def _md_url(value: object) -> _MdUrl:
    return _MdUrl(urllib.parse.quote(str(value), safe=":/?&=%#+,;@$'-._~"))


def _md_text(value: object) -> object:
    """What every ``{{ ... }}`` of robot.md prints (jinja2's ``finalize``)."""
    if isinstance(value, _MdUrl):
        return value
    return " ".join(str(value).split()).translate(_MD).replace("://", "：//")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    markdown: str


def table_view(key: str, numbers: dict[str, dict[str, Any]], hot: set[tuple[str, str]]) -> dict[str, Any]:
    """One statutory table as the templates show it: its name, its columns' labels, and each row's label and
    cells (the number in Chinese conventions, ``hot`` where a finding names it)."""
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


def hot_cells(findings: Iterable[Finding]) -> dict[str, set[tuple[str, str]]]:
    """Per table, the cells the findings name: what an alert and the overview highlight."""
    hot: dict[str, set[tuple[str, str]]] = {}
    for f in findings:
        if f.table and f.cells:
            hot.setdefault(f.table, set()).update(f.cells)
    return hot


def finding_views(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """The findings as the templates show them: each one's fields, with its severity in Chinese."""
    return [{**f.to_json(), "severity_cn": SEVERITY_CN.get(f.severity, f.severity)} for f in findings]


def diff_view(diff: dict[str, Any]) -> dict[str, Any]:
    """A revision's changes as the templates show them: the sections in Chinese numerals, each changed cell
    labelled (table, row and column) with its old and new number, each changed field (标题, 年度, 发布日期)."""

    def labels(table: str) -> dict[str, str]:
        return APPEAL_LABELS if table == "appeals" else LABELS

    return {
        "sections": ["一二三四五六"[int(n) - 1] for n in diff.get("sections", [])],
        "cells": [
            {
                **c,
                "label": f"{TABLE_LABELS[c['table']].split('(')[0]}"
                f"{labels(c['table']).get(c['row'], c['row'])}·{labels(c['table']).get(c['column'], c['column'])}",
                "old": fmt(c["old"]),
                "new": fmt(c["new"]),
            }
            for c in diff.get("cells", [])
        ],
        "fields": [  # the title, 年度, 发布日期 changed (None: not read)
            {"label": FIELD_CN.get(k, k), "old": "未识别" if a is None else a, "new": "未识别" if b is None else b}
            for k, (a, b) in diff.get("fields", {}).items()
        ],
    }


# What a template may read that not every payload has.
_DEFAULTS: dict[str, Any] = {
    "agency": "",
    "url": "",
    "title": None,
    "year": None,
    "published": None,
    "error": None,
    "failures": 0,
    "resolved": [],
    "reports": [],
}


def context(kind: str, payload: Payload) -> dict[str, Any]:
    """What a template sees: the event's payload plus counts, Chinese labels and the highlighted tables."""
    findings = payload.findings or ()
    tables = payload.tables or {}
    views = [table_view(k, tables[k], cells) for k, cells in hot_cells(findings).items() if k in tables]
    return {
        **_DEFAULTS,
        **payload.to_json(),
        "kind": kind,
        "error": said_cn(payload.health.error) if payload.health and payload.health.error else None,
        "findings": finding_views(findings),
        "diff": diff_view(payload.diff) if payload.diff else payload.diff,
        "views": views,
        "errors": sum(f.severity == "error" for f in findings),
        "warnings": sum(f.severity != "error" for f in findings),
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
            loader=jinja2.FileSystemLoader(folders), undefined=jinja2.StrictUndefined, finalize=_md_text
        )
        markdown.filters["mdurl"] = _md_url
        try:
            self.t = {name: (markdown if name == "robot.md" else env).get_template(name) for name in TEMPLATES}
            self.unbranched: frozenset[str] = frozenset()
            self.shipped = self
            if folder is not DEFAULT_TEMPLATES:
                shipped = Renderer()
                self.unbranched = _unbranched(self.t["subject.txt"], shipped.t["subject.txt"], folder)
                self.shipped = shipped if self.unbranched else self
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

    def render(self, kind: str, payload: Payload) -> Rendered:
        if kind in self.unbranched:
            return self.shipped.render(kind, payload)
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
                "text": i.text.removeprefix(i.subject).lstrip("\n"),  # (its subject heads it in the digest)
                "html_body": markupsafe.Markup(i.html.split("<body", 1)[-1].split(">", 1)[-1].rsplit("</body>", 1)[0]),
            }
            for i in items
        ]
        subject = " ".join(self.t["digest_subject.txt"].render(items=bodies).split())
        ctx = {"subject": subject, "items": bodies}
        text = self.t["digest.txt"].render(ctx)
        return Rendered(subject, text, self.t["digest.html"].render(ctx), text)


def _unbranched(own: jinja2.Template, shipped: jinja2.Template, folder: Path) -> frozenset[str]:
    """The kinds an admin's subject.txt gives the subject it gives a test message, where the shipped one tells them
    apart and that subject says 测试: a copy made before a kind was added to govmon (as report_unreadable), whose
    ``else`` is the test's subject (an unreadable report's alert went out as 测试提醒：告警通道工作正常). They are
    rendered with the shipped templates, said once. An admin's own subject for every kind, or for all but one, is
    the admin's choice (review 119)."""

    def subject(template: jinja2.Template, kind: str) -> str:
        return " ".join(template.render(context(kind, sample_payload(kind))).split())

    test = subject(own, "test")
    if "测试" not in test:
        return frozenset()
    kinds = frozenset(
        k for k in KINDS if k != "test" and subject(own, k) == test and subject(shipped, k) != subject(shipped, "test")
    )
    if len(kinds) == len(KINDS) - 1:
        return frozenset()  # one subject for every kind ("【测试环境】{{ agency }}…": review 120): the admin's own
    if kinds:
        log.warning(
            "%s has no branch for %s: the shipped templates are used", folder / "subject.txt", ", ".join(sorted(kinds))
        )
    return kinds


def sample_payload(kind: str) -> Payload:
    """A realistic payload (a bureau's report with one wrong 总计) for template checks and `alerts test`."""
    finding = Finding(
        "appeals.total",
        "error",
        "行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2",
        table="appeals",
        row="review",
        expected=0,
        actual=2,
        cells=(("review", "total"),),
    )
    zero: dict[str, int | float | None] = dict.fromkeys(("upheld", "corrected", "other", "pending", "total"), 0)
    payload = Payload(
        "sample",
        "示例市政务服务和大数据管理局",
        "http://example.gov.cn/nb/t1.html",
        health=SourceHealth("HTTP 503", 3),
        report=AboutReport("示例市政务服务和大数据管理局2021年政府信息公开工作年度报告", 2021, "2022-01-12"),
        tables={"appeals": {"review": {**zero, "total": 2}, "suit_direct": zero, "suit_after_review": zero}},
        table_status={"appeals": "parsed"},
        findings=(finding,),
    )
    if kind == "first_poll":
        listed = (
            ListedReport(payload.report.title if payload.report else None, 2021, payload.url, 1, 0, (finding.message,)),
            ListedReport("示例市政务服务和大数据管理局2020年政府信息公开工作年度报告", 2020, payload.url, 0, 2),
        )
        return replace(payload, health=None, report=None, reports=listed, findings=())
    if kind == "report_unreadable":
        health = SourceHealth("http://example.gov.cn/nb/t1.html: HTTP 412 Precondition Failed", 2)
        return replace(payload, health=health, tables=None, table_status=None, findings=())
    if kind != "revision":
        return payload
    return replace(
        payload,
        diff={
            "sections": ["3"],
            "cells": [{"table": "appeals", "row": "review", "column": "total", "old": 0, "new": 2}],
            "fields": {},
        },
        resolved=("行政诉讼(复议后起诉)：结果维持(1)+结果纠正(0)+其他结果(0)+尚未审结(0)=1，但总计为0",),
    )
