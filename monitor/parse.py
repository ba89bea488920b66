"""Stage: parse. Normalised report text -> the Report model.

Finds the six statutory sections by their full heading text (table rows reuse the
numerals 一、二、三、四, so a numeral alone never makes a heading), reads the metadata
(title, agency, year covered, publication date, kind) and hands sections 二, 三 and 四
to ``tables.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from monitor.config import DEFAULT_LINK_PATTERN
from monitor.errors import InputError
from monitor.extract import Extracted, extract
from monitor.extract_pdf import SCANNED
from monitor.normalise import normalise
from monitor.tables import Table, read_active, read_appeals, read_applications

SECTION_NAMES = {
    1: "总体情况", 2: "主动公开政府信息情况", 3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况", 5: "存在的主要问题及改进情况", 6: "其他需要报告的事项",
}  # fmt: skip
_SECTION_WORDS = {
    1: ("总体情况", "概述", "总体工作情况"), 2: ("主动公开",), 3: ("收到和处理", "依申请公开", "申请情况"),
    4: ("行政复议", "行政诉讼"), 5: ("存在的主要问题", "存在问题", "主要问题", "存在的问题", "改进情况", "改进措施"),
    6: ("其他需要报告", "其他事项"),
}  # fmt: skip
_NUMERALS = "一二三四五六"
_HEADING = re.compile(r"^([一二三四五六])\s*[、.,:．]\s*(.{2,40})$")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_YEAR = r"((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年"
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_LABEL = re.compile(r"(发布时间|发布日期|发文日期|公开日期|日期|时间)")
_PLACE = re.compile(r"(省|市|县|区|旗|州|盟|镇|乡)$")
_AGENCY = re.compile(r"(人民政府|政府|办公室|办公厅|局|委员会|委|厅|中心|院|署|办|所|站|队)$")
_REPORT_PHRASE = re.compile(
    r"(政府)?(信息公开|政务公开)(工作)?(年度)?(报告|年报)|年度(政府)?(信息公开|政务公开)(工作)?报告"
)
_TITLE = re.compile(DEFAULT_LINK_PATTERN)


@dataclass
class Report:
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
            "tables": {k: t.numbers() for k, t in self.tables.items() if t.rows},
            "table_status": {k: t.status for k, t in self.tables.items()},
        }


def _heading(line: str) -> int | None:
    text = line.split("|", maxsplit=1)[0].strip() if "|" in line else line.strip()
    m = _HEADING.match(text)
    if m:
        number = _NUMERALS.index(m.group(1)) + 1
        return number if any(w in m.group(2) for w in _SECTION_WORDS[number]) else None
    bare = re.sub(r"[\s()]", "", text)
    for number, name in SECTION_NAMES.items():
        if bare == name or bare == "政府信息公开工作" + name:
            return number
    return None


def find_sections(lines: list[str]) -> dict[int, tuple[int, int] | None]:
    """Each section's (first line, end line), found in statutory order."""
    headings = [(i, n) for i, line in enumerate(lines) if line and len(line) <= 60 and (n := _heading(line))]
    starts: dict[int, int] = {}
    pos = 0
    for number in range(1, 7):
        hit = next((i for i, n in headings if i >= pos and n == number), None)
        if hit is not None:
            starts[number] = hit
            pos = hit + 1
    found = sorted(starts.items(), key=lambda kv: kv[1])
    spans: dict[int, tuple[int, int] | None] = dict.fromkeys(range(1, 7))
    for k, (number, start) in enumerate(found):
        end = found[k + 1][1] if k + 1 < len(found) else len(lines)
        spans[number] = (start + 1, end)
    return spans


def _to_year(text: str) -> int:
    return int(text.translate(_CN_DIGITS))


def find_title(lines: list[str], html_title: str | None) -> str | None:
    previous = ""
    for line in lines[:40]:
        text = line.strip()
        if (
            _TITLE.search(text)
            and len(text) <= 60
            and not text.startswith(("根据", "按照", "本报告"))
            and "|" not in text
        ):
            title = re.sub(r"^(标题|题目)\s*:\s*", "", text)
            two_lines = re.match(r"^(19|20)\d{2}\s*年", title) and len(previous) <= 30
            if two_lines and (_AGENCY.search(previous) or _PLACE.search(previous)):
                title = previous + title  # a title set on two lines: "淮安市人民政府" / "2024 年…年度报告"
            return title
        if text:
            previous = text
    if html_title:
        for part in re.split(r"\s*[_|\-–—]\s*", html_title):
            if _TITLE.search(part):
                return part.strip()
    return None


def find_published(lines: list[str], head_end: int) -> date | None:
    """The date from a 发布时间/发布日期/日期 field in the page head, else None."""
    head = list(lines[: max(head_end, 1)][:80])
    for priority in (re.compile(r"发布(时间|日期)|公开日期"), _DATE_LABEL, re.compile(r"来源")):
        for i, line in enumerate(head):
            if not priority.search(line):
                continue
            window = [line, *[x for x in head[i + 1 : i + 6] if x.strip()][:2]]
            for text in window:
                m = _DATE.search(text)
                if m and (text is line or len(text) <= 25):
                    try:
                        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                    except ValueError:
                        continue
    return None


def find_year(title: str | None, text: str, published: date | None, section1: str) -> int | None:
    if title:
        m = re.search(_YEAR, title)
        if m:
            return _to_year(m.group(1))
    m = re.search(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(起)?\s*(至|到|-)", text)
    if m:
        return int(m.group(1))
    if published:
        return published.year - 1
    m = re.search(r"((?:19|20)\d{2})年", section1)
    return int(m.group(1)) if m else None


def find_agency(lines: list[str], title: str | None, head_end: int) -> str | None:
    head = lines[: max(head_end, 1)][:80]
    for i, line in enumerate(head):
        m = re.search(r"发布机构\s*[:|]?\s*([^|:\s]+)", line)
        if m:
            return m.group(1)
        if re.fullmatch(r"发布机构\s*:?\s*", line.strip()) and i + 1 < len(head):
            return head[i + 1].strip() or None
    if title:
        name = re.sub(_YEAR + r"度?", "", title)
        name = _REPORT_PHRASE.split(name)[0].strip(" :")
        if _PLACE.search(name):
            return name + "人民政府"
        if name and _AGENCY.search(name):
            return name
    for i, line in enumerate(head):
        if re.fullmatch(r"(信息)?来源\s*:?\s*", line.strip()):
            nxt = next((x.strip() for x in head[i + 1 : i + 4] if x.strip()), "")
            if _AGENCY.search(nxt):
                return nxt
        m = re.search(r"(信息)?来源\s*:\s*(\S+)", line)
        if m and _AGENCY.search(m.group(2)):
            return m.group(2)
    return None


def infer_kind(agency: str | None) -> str | None:
    if not agency:
        return None
    if agency.endswith("人民政府") or re.search(r"(街道办事处|街道)$", agency):
        return "government"
    return "department" if _AGENCY.search(agency) else None


def parse(extracted: Extracted, source: str, kind: str | None = None) -> Report:
    """Normalise and parse one report. Never raises on odd text: what it cannot find is None."""
    text = normalise(extracted.text)
    lines = text.split("\n")
    sections = find_sections(lines)
    first = next((span[0] - 1 for span in sections.values() if span), len(lines))
    title = find_title(lines, extracted.html_title)
    published = find_published(lines, first)
    report = Report(input=source, text=text, title=title, sections=sections, published=published)
    report.year = find_year(title, text, published, report.section_text(1))
    report.agency = find_agency(lines, title, first)
    report.kind = kind or infer_kind(report.agency)

    def numbered(n: int) -> list[tuple[int, str]]:
        span = sections[n]
        return [(i, lines[i]) for i in range(*span)] if span else []

    report.tables = {
        "active": read_active(numbered(2)),
        "applications": read_applications(numbered(3)),
        "appeals": read_appeals(numbered(4)),
    }
    formats = [t.format for t in (report.tables["active"], report.tables["applications"]) if t.format]
    if formats:
        report.format = formats[0]
    elif report.year and report.year < 2019:
        report.format = "legacy"
    return report


def read_page(data: bytes, source: str, kind: str | None = None, charset: str | None = None) -> Report:
    """Bytes -> Report, whatever the page holds (what cannot be found is None or missing)."""
    extracted = extract(data, charset)
    if extracted.text == SCANNED:  # a PDF with no text layer: nothing can be read, nothing is guessed
        return Report(input=source, text="", kind=kind, scanned=True, sections=dict.fromkeys(range(1, 7)),
                      tables={k: Table("image") for k in ("active", "applications", "appeals")})  # fmt: skip
    report = parse(extracted, source, kind)
    report.pages = extracted.pages
    return report


def is_report(report: Report) -> bool:
    return report.scanned or any(report.sections.values()) or any(t.status != "missing" for t in report.tables.values())


def read_report(data: bytes, source: str, kind: str | None = None, charset: str | None = None) -> Report:
    """Bytes -> Report, or InputError when the bytes are not a readable annual report."""
    report = read_page(data, source, kind, charset)
    if not is_report(report):
        raise InputError(
            "this does not look like a 政府信息公开工作年度报告: no section headings and no statutory tables"
        )
    return report
