"""The words every stage shares: canonical keys and labels, the report-name and year patterns, the
deadlines, the document model, table values, and the records every stage passes on: ``Report``,
``Finding`` and ``Event``.

This module imports nothing else of ``monitor``; every stage may import it.

The document model is what extraction hands to the parser. A ``Document`` is an ordered list
of blocks: text (paragraphs and headings, one line each) and tables. A table is a ``Grid`` of
the cells as the markup gave them: each ``GridCell`` knows its row and column slot, its
rowspan and colspan, its text and whether it was blank. The table readers read grids; only
inputs that really are text (scraped text, Markdown, PDF text) go through the cell-stream
tokenizer in ``tables.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

Number = int | float

# A 政府信息公开工作年度报告 by any of its real names: "…政府信息公开工作年度报告", "…年度政府信息公开工作报告",
# "…政府信息公开年报". Not "…工作要点" or "…第三方评估报告". Used for listing links and for titles.
DEFAULT_LINK_PATTERN = (
    r"(政府信息公开|政务公开|信息公开)(工作)?(年度)?(报告|年报)|年度(政府信息公开|政务公开|信息公开)(工作)?报告"
)
YEAR = re.compile(r"((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年")  # 2021年, 二〇二一年
CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
CN = "〇一二三四五六"  # the six parts' numerals: 第三部分


def year_of(text: str) -> int | None:
    """The first year a text names (2021年 or 二〇二一年), or None."""
    m = YEAR.search(text)
    return int(m.group(1).translate(CN_DIGITS)) if m else None


def deadline(year: int, kind: str) -> date:
    """第四十九条: departments by 31 January, governments by 31 March of the following year."""
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


MAX_BYTES = 8 * 1024 * 1024  # real reports are < 2 MB even with Word-pasted markup
IMAGE_MARK = "[图片]"
UNREAD_PAGE = "[无法读取的页面]"  # a page whose text cannot be read in order (turned sideways): nothing on it is known  # where a page shows an image: a table that is only a picture is never read as zeros

SEVERITY_CN = {"error": "错误", "warning": "警告"}
STATUS_CN = {"parsed": "已读取", "ambiguous": "部分无法定位", "missing": "缺失", "image": "仅有图片/附件"}
KIND_CN = {"government": "人民政府", "department": "部门"}
FORMAT_CN = {"2021": "2021版格式", "2019": "2019版格式", "legacy": "旧版(2019年前)格式"}

SECTION_NAMES = {
    1: "总体情况",
    2: "主动公开政府信息情况",
    3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况",
    5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}

APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org", "total")
APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
APPEAL_ROWS = ("review", "suit_direct", "suit_after_review")

LABELS: dict[str, str] = {
    # applications columns
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "nonprofit": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
    # applications rows
    "new": "一、本年新收",
    "carried_over": "二、上年结转",
    "granted": "(一)予以公开",
    "partly_granted": "(二)部分公开",
    "withheld_state_secret": "(三)1.属于国家秘密",
    "withheld_prohibited": "(三)2.其他法律行政法规禁止公开",
    "withheld_security": "(三)3.危及“三安全一稳定”",
    "withheld_third_party": "(三)4.保护第三方合法权益",
    "withheld_internal": "(三)5.属于三类内部事务信息",
    "withheld_process": "(三)6.属于四类过程性信息",
    "withheld_enforcement": "(三)7.属于行政执法案卷",
    "withheld_inquiry": "(三)8.属于行政查询事项",
    "unavailable_not_held": "(四)1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "(四)2.没有现成信息需要另行制作",
    "unavailable_unclear": "(四)3.补正后申请内容仍不明确",
    "rejected_complaint": "(五)1.信访举报投诉类申请",
    "rejected_repeat": "(五)2.重复申请",
    "rejected_publication": "(五)3.要求提供公开出版物",
    "rejected_excessive": "(五)4.无正当理由大量反复申请",
    "rejected_confirmation": "(五)5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "(六)1.逾期不补正",
    "other_no_fee": "(六)2.逾期未按收费通知缴费",
    "other_misc": "(六)3.其他",
    "other": "(六)其他处理",
    "handled_total": "(七)总计",
    "carried_forward": "四、结转下年度继续办理",
    # appeals
    "review": "行政复议",
    "suit_direct": "行政诉讼(未经复议直接起诉)",
    "suit_after_review": "行政诉讼(复议后起诉)",
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "pending": "尚未审结",
    # active
    "rules": "规章",
    "normative_documents": "行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "处理决定数量",
    "amount_wan": "金额(万元)",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "published_total": "对外公开总数量",
    "prior_items": "上一年项目数量",
    "change": "本年增/减",
    "items": "采购项目数量",
}
TABLE_LABELS = {
    "active": "主动公开情况表(第二部分)",
    "applications": "政府信息公开申请情况表(第三部分)",
    "appeals": "行政复议、行政诉讼情况表(第四部分)",
}
APPEAL_LABELS = {**LABELS, "other": "其他结果"}


# ---------------------------------------------------------------- the document model
@dataclass(frozen=True)
class GridCell:
    """One cell as the markup gave it: ``row``/``col`` are its first grid slot."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    index: int = 0  # its position among the cells of its <tr> (where a test or a reader finds it again)

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass
class Grid:
    """A table: its cells, and ``slots[r][c]``, the cell covering each grid slot (None: no cell)."""

    cells: list[GridCell]
    slots: list[list[GridCell | None]]
    number: int = 0  # the how-many-th table of the document
    # Each row's words as the page shows them, left to right (PDF: the text layer, independent of the ruling
    # lines that made the cells): a second reading of the row's numbers. None where the markup is the text.
    lines: list[str] | None = None

    def rows(self) -> list[list[GridCell]]:
        """Each row's cells left to right, every cell once per row it covers (rowspans included)."""
        out = []
        for slot_row in self.slots:
            seen: list[GridCell] = []
            for c in slot_row:
                if c is not None and (not seen or seen[-1] is not c):
                    seen.append(c)
            out.append(seen)
        return out

    def pipe_rows(self) -> list[str]:
        """The grid written as pipe rows ("规章 | 1 | 0 | 5 |"), spans copied into every slot."""
        return [" | ".join((c.text if c else "").replace("|", "/") for c in row) + " |" for row in self.slots]


@dataclass
class Block:
    """A run of text lines, or one table."""

    text: str = ""
    grid: Grid | None = None


@dataclass
class Document:
    """What extraction returns: metadata and blocks in reading order."""

    blocks: list[Block]
    kind: str = "text"  # html | text | pdf | docx
    encoding: str = "utf-8"
    meta: dict[str, str] = field(default_factory=dict)  # title, published, source: from <meta> or the page head
    pages: int = 0  # PDF pages read
    scanned: bool = False  # a PDF with no text layer: needs OCR before anything can be checked
    ocr: bool = False  # read by OCR from page images: no value read from it is certain

    @property
    def text(self) -> str:
        """The whole document as text, tables as pipe rows."""
        parts = [b.text if b.grid is None else "\n".join(b.grid.pipe_rows()) for b in self.blocks]
        return "\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def text_document(text: str, kind: str = "text", encoding: str = "utf-8", pages: int = 0) -> Document:
    return Document([Block(text)], kind=kind, encoding=encoding, pages=pages)


# ---------------------------------------------------------------- values and tables
@dataclass(frozen=True)
class Value:
    """A placed cell: the number (None for blank or unreadable), whether it carried debris, where it came from,
    and how sure the reading is.

    ``line``/``col`` locate a value read from text (normalised line, character offset); ``origin``
    locates one read from a grid: (table number, row, index of the cell in its row). ``doubt`` says, for staff,
    why the number is not certain (debris repaired, its row or column placed by position, two readings of the
    table that disagree, OCR); empty when it was read with certainty. Only certain values make an error."""

    number: Number | None
    raw: str
    line: int
    col: int
    debris: bool = False
    invalid: bool = False
    origin: tuple[int, int, int] | None = None
    doubt: str = ""
    unreadable: bool = False  # the cell holds text that is not a number: neither a value nor a blank

    @property
    def blank(self) -> bool:
        """Left blank on the page: no number, and no text that failed to read as one."""
        return self.number is None and not self.unreadable

    def doubted(self, why: str) -> Value:
        """The same value, no longer certain (the first reason is kept)."""
        return self if self.doubt else replace(self, doubt=why)


@dataclass
class Table:
    """A parsed statutory table. Rows that could not be placed are listed, never guessed."""

    status: str  # parsed | ambiguous | missing | image
    rows: dict[str, dict[str, Value]] = field(default_factory=dict)
    ambiguous_rows: list[str] = field(default_factory=list)
    missing_rows: list[str] = field(default_factory=list)
    format: str | None = None

    def numbers(self) -> dict[str, dict[str, Number | None]]:
        return {r: {c: v.number for c, v in cols.items()} for r, cols in self.rows.items()}

    def doubts(self) -> list[list[str]]:
        """[row, column, why] for each value not read with certainty."""
        return [[r, c, v.doubt] for r, cols in self.rows.items() for c, v in cols.items() if v.doubt]


def fmt(n: Number | None) -> str:
    if n is None:
        return "空"
    return f"{n:g}" if isinstance(n, float) else str(n)


def label(table: str, key: str) -> str:
    return (APPEAL_LABELS if table == "appeals" else LABELS)[key]


# ---------------------------------------------------------------- the report, its findings, the events
@dataclass
class Report:
    """A parsed report: what ``govmon check --json`` prints, what a version stores."""

    input: str
    text: str
    title: str | None = None
    agency: str | None = None
    year: int | None = None
    published: date | None = None
    kind: str | None = None
    format: str | None = None
    sections: dict[int, tuple[int, int] | None] = field(default_factory=dict)  # number -> (first, end) lines
    tables: dict[str, Table] = field(default_factory=dict)
    scanned: bool = False  # a PDF without a text layer: needs OCR before anything can be checked
    pages: int = 0  # PDF pages read (0 for HTML and text)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def section_text(self, number: int) -> str:
        span = self.sections.get(number)
        return "\n".join(self.lines[span[0] : span[1]]) if span else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "title": self.title,
            "agency": self.agency,
            "year": self.year,
            "published": self.published.isoformat() if self.published else None,
            "kind": self.kind,
            "format": self.format,
            "sections": {str(n): self.sections.get(n) is not None for n in range(1, 7)},
            "section_lines": {str(n): list(span) for n, span in self.sections.items() if span},  # [first, end)
            "tables": {k: t.numbers() for k, t in self.tables.items() if t.rows},
            "table_status": {k: t.status for k, t in self.tables.items()},
            "table_formats": {k: t.format for k, t in self.tables.items() if t.format},  # as each table shows it
            "doubts": {k: d for k, t in self.tables.items() if (d := t.doubts())},  # numbers read without certainty
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], text: str = "") -> Report:
        """A stored report back (``to_json``'s output): its numbers and states, not where each was read,
        and the sections as present or absent (their text is ``text``, kept beside it in the store)."""
        tables = {}
        for key, status in data.get("table_status", {}).items():
            doubts = {(r, c): why for r, c, why in data.get("doubts", {}).get(key, [])}
            rows = {
                r: {
                    c: Value(n, "" if n is None else fmt(n), 0, 0, doubt=doubts.get((r, c), ""))
                    for c, n in cols.items()
                }
                for r, cols in data.get("tables", {}).get(key, {}).items()
            }
            tables[key] = Table(status, rows, format=data.get("table_formats", {}).get(key))
        published = data.get("published")
        spans = data.get("section_lines", {})
        return cls(
            input=data.get("input", ""),
            text=text,
            title=data.get("title"),
            agency=data.get("agency"),
            year=data.get("year"),
            published=date.fromisoformat(published) if published else None,
            kind=data.get("kind"),
            format=data.get("format"),
            sections={
                int(n): tuple(spans.get(n, (0, 0))) if present else None
                for n, present in data.get("sections", {}).items()
            },
            tables=tables,
        )


@dataclass(frozen=True)
class Finding:
    """One problem a rule found. ``to_json`` is its one serialised form: ``check --json``, the store and
    the alerts all use it."""

    rule: str
    severity: str
    message: str
    table: str | None = None
    row: str | int | None = None
    column: str | None = None
    expected: Number | None = None
    actual: Number | None = None
    cells: tuple[tuple[str, str], ...] = ()  # (row, column) cells involved: what an alert highlights

    @property
    def key(self) -> str:
        """Stable identity of the finding within one report (for de-duplicating alerts)."""
        return f"{self.rule}|{self.table or ''}|{self.row if self.row is not None else ''}|{self.column or ''}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
            "key": self.key,
            "cells": [list(c) for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            data["rule"],
            data["severity"],
            data["message"],
            data.get("table"),
            data.get("row"),
            data.get("column"),
            data.get("expected"),
            data.get("actual"),
            tuple((r, c) for r, c in data.get("cells", [])),
        )


@dataclass(frozen=True)
class Event:
    """Something worth an alert. `key` makes it idempotent: the same key is stored (and sent) once."""

    key: str
    kind: str  # new_report | new_finding | revision | late | missing | source_failing | source_recovered | test
    source: str | None
    payload: dict[str, Any]
    recipients: tuple[tuple[str, str], ...]  # (channel, recipient)
