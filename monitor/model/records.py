"""The records a report becomes and its findings: ``Value`` (one cell as read: a number, blank, or a doubt),
``Table`` (a statutory table: its state, format and values), ``Report`` (what the reading made of a page, with
``to_json``/``from_json`` for the store) and ``Finding`` (one rule's verdict: one serialised form for ``check --json``,
the store and the alerts). Importing nothing of govmon beyond the statute."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

Number = int | float


SEVERITY_CN = {"error": "错误", "warning": "警告"}
FIELD_CN = {
    "title": "标题",
    "published": "发布日期",
    "year": "年度",
    "format": "格式",
}  # a report's fields a revision names


STATUS_CN = {"parsed": "已读取", "ambiguous": "部分无法定位", "missing": "缺失", "image": "仅有图片/附件"}


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


def _table_json(table: Table) -> dict[str, Any]:
    """A table given again (``Report.more_tables``) as ``to_json`` keeps it."""
    return {"status": table.status, "numbers": table.numbers(), "doubts": table.doubts(), "format": table.format}


def _table_of(status: str, numbers: dict[str, dict[str, Any]], doubts: list[list[str]], form: str | None) -> Table:
    """A table back from ``to_json``'s numbers and doubts: its values, not where each was read."""
    why = {(r, c): w for r, c, w in doubts}
    rows = {
        r: {c: Value(n, "" if n is None else fmt(n), 0, 0, doubt=why.get((r, c), "")) for c, n in cols.items()}
        for r, cols in numbers.items()
    }
    return Table(status, rows, format=form)


def fmt(n: Number | None) -> str:
    if n is None:
        return "空"
    return f"{n:g}" if isinstance(n, float) else str(n)


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
    # read from page images (by govmon's OCR, or a scanner's text layer over them): what was not recognised on
    # them is not known to be absent, and no number is certain
    ocr: bool = False
    pages: int = 0  # PDF pages read (0 for HTML and text)
    # where ``agency`` was read (model.bodies.HOW: title, metadata, preamble); not in to_json (the store keeps
    # a report's body and how it was found beside the document, ``check --json`` is unchanged)
    agency_from: str | None = None
    # a workbook read alone: it holds a report's tables, never its prose (the page that links it holds that)
    tables_only: bool = False
    # a statutory table given again after the first, whole (a city's 市政府本级 table 三, then its 全市汇总 one): checked
    # too (``checks.arithmetic``), never merged into ``tables``
    more_tables: dict[str, tuple[Table, ...]] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def section_text(self, number: int) -> str:
        span = self.sections.get(number)
        return "\n".join(self.lines[span[0] : span[1]]) if span else ""

    def stored(self) -> dict[str, Any]:
        """As a version keeps it: ``to_json`` and each section's text (a revision is compared on it)."""
        data = self.to_json()
        data["section_text"] = {str(n): self.section_text(n) for n in range(1, 7)}
        return data

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
            **({"ocr": True} if self.ocr else {}),
            **(
                {"more_tables": {k: [_table_json(t) for t in ts] for k, ts in self.more_tables.items()}}
                if self.more_tables
                else {}
            ),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], text: str = "") -> Report:
        """A stored report back (``to_json``'s output): its numbers and states, not where each was read,
        and the sections as present or absent (their text is ``text``, kept beside it in the store)."""
        tables = {
            key: _table_of(
                status,
                data.get("tables", {}).get(key, {}),
                data.get("doubts", {}).get(key, []),
                data.get("table_formats", {}).get(key),
            )
            for key, status in data.get("table_status", {}).items()
        }
        more = {
            key: tuple(_table_of(t["status"], t["numbers"], t.get("doubts", []), t.get("format")) for t in ts)
            for key, ts in data.get("more_tables", {}).items()
        }
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
            ocr=bool(data.get("ocr")),
            more_tables=more,
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
