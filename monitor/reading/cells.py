"""The one cell grammar: how a number is written in ONE table cell, for every reader (HTML and DOCX grids, PDF,
text). The text arrives NFKC-normalised (full-width digits and signs are ASCII by then).

What one cell may hold, all seen on real pages (report-format.md §5):
- a number: ``23``, ``1,234`` (thousands separators), ``+3``/``-3``/``−3`` (signed columns), ``7730.28`` (万元);
- with a unit: ``23件``, ``10（件）``, ``75394432.52元`` (in a 万元 column: 7539.443252), ``6247.84万元``;
- with a remark on what it counts in brackets after it: ``6（含转办1件）``, ``12（其中网上申请8件）``;
- split by markup: Word wraps digit runs, the decimal point and the unit each in a ``<span>`` of its own, so
  ``<span>1</span><span>2</span><span>3456</span><span>.</span><span>78</span><font>元</font>`` reads
  ``1 2 3456 . 78 元``: inside one cell, pieces separated only by spaces are one number (123456.78 元);
- conversion debris: ``0?``, ``?3`` — read, but not with certainty (``Value.doubt``);
- zero written as the Chinese numeral ``〇`` or ``零``, or typed as the letter ``O``;
- a blank: empty, ``-``, ``—``, ``/``, ``无``.
Anything else is not a number: the cell is unreadable (never a 0, never an "invalid count").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from monitor.model import AMOUNT_COLUMNS, SIGNED_COLUMNS, Number, Table, Value

UNITS = ("万元", "元", "人次", "件", "个", "条", "次", "项", "家", "宗", "户", "篇", "份", "人", "起", "例")
# a remark after the number on what it counts (NFKC made the brackets ASCII): the number is the cell's; one that
# may change what it counts (上年结转, 未办结, 重复, 不含, 除外, 另有…) leaves the number uncertain
_REMARK = re.compile(r"\s*\((?:含|其中|包括|包含)[^()]*\)$")
_RECOUNTS = re.compile(
    r"结转|上年|去年|往年|前年|跨年|以前年度|(?:19|20)\d{2}年|未办结|重复|重新提交|补正|不含|不包括|除外|除去|另有|另计"
)
# a note mark after the number (review 99: "8（注）", "8（注1）" on a line of its own, "8*", "232※"): the number is
# the cell's, read as one beside a circled mark is, not for certain
_NOTE = re.compile(r"\s*(?:\(\s*注\s*\d{0,2}\s*\)|\[\s*注\s*\d{0,2}\s*\]|注\s*\d{0,2}|[*※]+)$")
_UNIT = re.compile(r"\s*(?:\(\s*(?P<paren>" + "|".join(UNITS) + r")\s*\)|(?P<bare>" + "|".join(UNITS) + r"))$")
# a blank: nothing, 无, or a dash or slash written for nothing: as typed, and as other tools write one (a hyphen's
# and a figure dash's code points, a lone minus sign, a box-drawing rule, two- and three-em dashes, the katakana
# long mark an IME offers for "—", Big5's "／" as cp950 decodes it: review 95)
_BLANK = re.compile(r"^(?:[-—–/\\_\u2010-\u2012\u2212\u2500\u2501\u2e3a\u2e3b\u30fc\u2215]+|无)?$")
_DIGIT = re.compile(r"\d")
_ASIDE = re.compile(f"(?:{_REMARK.pattern[:-1]}|{_NOTE.pattern[:-1]})$")
_BODY = re.compile(r"^\d[\d\s,]*(?:\s*\.\s*\d[\d\s]*)?$")
# about so many (review 99: "约9", "9余" were taken for a row's label, the row unplaced "缺失或合并"): a value's cell
# whose number a reader cannot check
_APPROX = re.compile(r"^(?:约|大约|近|逾|超过|不足)\s*\d[\d,.]*$|^\d[\d,.]*\s*(?:余|多|左右|以上|以下)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")
# a hyphen, a minus sign or an en dash before a number, as Word and WPS write "−3" (NFKC keeps them); an en dash
# alone is a blank, so before a number it is a minus only where a column is signed (本年增/减): elsewhere "–3" is
# not known to be -3. (Tuples: "" is in every string.)
_DASHES = ("\u2013", "\u2010", "\u2011", "\u2012")  # an en dash, a hyphen, a non-breaking hyphen, a figure dash
_MINUS = ("-", "\u2212", *_DASHES)
_SIGNS = ("+", *_MINUS)
# a count of none written as the numeral, as some offices fill their tables, or typed as the letter O (audit 16: a
# reader sees the zero it looks like)
_ZERO = ("〇", "零", "O", "o", "○", "◯")  # (○, a white circle: GB2312 and Big5 have no 〇, review 95)
# a change (本年增/减) written in words, as some offices fill the 2019 table (audit 14): 增加2 is +2, 减少6 and 减1 are
# -6 and -1, 持平 is none; only in a signed column, where a number's sign is what the cell says. A number with a sign
# of its own after the word (减少 -3, the sign maybe in a span of its own) says it twice: not read.
# 減 and 無變化 as a traditional hand types them into a simplified page (a traditional page is converted whole)
_CHANGE = re.compile(r"^(?:(?P<up>增加了?|新增|增)|(?P<down>[减減]少了?|[减減]))(?P<count>.+)$")
_UNCHANGED = frozenset(("持平", "无变化", "没有变化", "不变", "未变", "無變化", "沒有變化", "不變", "未變"))
DEBRIS = "?"  # what traditional -> simplified converters and scrapers leave glued to numbers

DOUBT_DEBRIS = "单元格带有乱码、修订痕迹或注释标记"
DOUBT_TEXT = "单元格内容不是数字"
DOUBT_UNIT = "金额未写明单位（元还是万元）"
DOUBT_APPROX = "单元格是约数（如“约9”“9余”），不能核对"
DOUBT_REMARK = "单元格在数字后带有可能改变计数的附注（如“其中…上年结转”）"


@dataclass(frozen=True)
class Reading:
    """One cell's text read by the grammar: a number (with its unit and sign), a blank, or neither."""

    number: Number | None
    blank: bool
    unit: str | None = None
    debris: bool = False
    dashed: bool = False  # its sign an en dash (or a hyphen's or a figure dash's code point: minus only where signed)
    remark: bool = False  # a remark after it that may change what it counts: read, but not for certain
    approximate: bool = False  # a count given as about so many (约9, 9余): a value's cell, its number not known

    @property
    def readable(self) -> bool:
        return self.blank or self.number is not None or self.approximate


@lru_cache(maxsize=1024)  # a page asks of one text ~12 times (the readers of three tables, labels and values)
def read_cell(text: str) -> Reading:
    """The cell's number as written, or a blank, or an unreadable cell (number None, not blank)."""
    t = text.strip()
    debris = DEBRIS in t
    if debris:
        t = t.replace(DEBRIS, "").strip()
    if _BLANK.match(t):
        return Reading(None, blank=not debris or t != "", debris=debris)
    if t in _ZERO:
        return Reading(0, blank=False, debris=debris)
    unit = None
    if (note := _NOTE.search(t)) is not None and note.start() > 0:
        t, debris = t[: note.start()], True
    found = _REMARK.search(t) if "(" in t else None
    remark = found is not None and _RECOUNTS.search(found.group()) is not None
    if found is not None:
        t = t[: found.start()]
    m = _UNIT.search(t)
    if m:  # "23件", or "10（件）" (NFKC made the brackets ASCII)
        unit, t = m.group("paren") or m.group("bare"), t[: m.start()].rstrip()
    sign = t[:1] if t[:1] in _SIGNS else ""
    if sign:
        t = t[1:].lstrip()
    if not _BODY.match(t):
        return Reading(None, blank=False, debris=debris, approximate=_APPROX.match(t) is not None)
    digits = "".join(t.split())
    if "," in digits:
        if not _THOUSANDS.match(digits):
            return Reading(None, blank=False, debris=debris)
        digits = digits.replace(",", "")
    if not _PLAIN.match(digits):
        return Reading(None, blank=False, debris=debris)
    number: Number = float(digits) if "." in digits else int(digits)
    return Reading(
        -number if sign in _MINUS else number,
        blank=False,
        unit=unit,
        debris=debris,
        dashed=sign in _DASHES,
        remark=remark,
    )


def signed_in_words(text: str) -> Reading | None:
    """A signed column's cell whose sign is a word (增加2, 减少6, 持平), or None."""
    if text in _UNCHANGED:
        return Reading(0, blank=False)
    m = _CHANGE.match(text)
    written = m.group("count").strip() if m else ""
    if m is None or not written or written[0] in _SIGNS or written[0] in "－﹣+＋":
        return None
    count = read_cell(written)
    if count.number is None:
        return None
    number = -count.number if m.group("down") else count.number
    # a remark that changes it again (增加3（含减少1）): read, not for certain
    remark = count.remark or any(word in written for word in "增减減")
    return Reading(number, blank=False, unit=count.unit, debris=count.debris, remark=remark)


def lines_apart(lines: Iterable[str]) -> str | None:
    """A cell's lines (its paragraphs, or lines a break ends: Word's manual break, Excel's Alt+Enter pasted) as its
    text, where two or more hold digits ("26" over "27": a value and its correction; "1\u00ad0": a number whatever
    its invisible characters, review 96): kept apart by " / ", so they are never read as one number (2627; review 95:
    "5<br>4" was 54); None for any other cell (its text is one)."""
    texts = [" ".join(t.split()) for t in lines]
    if sum(1 for t in texts if _DIGIT.search(t) and not _ASIDE.fullmatch(unicodedata.normalize("NFKC", t))) < 2:
        return None  # (a remark or a note mark on a line of its own, "（含转办1件）" or "（注1）" under "6", is the number's)
    return " / ".join(t for t in texts if t)


def is_number(text: str) -> bool:
    """Whether a cell's text is a number (not a blank, not a label)."""
    return read_cell(text).number is not None


def is_value(text: str) -> bool:
    """Whether a cell's text is a number or a blank (a value cell), not a label."""
    return read_cell(text).readable


def read_value(text: str, column: str, *, line: int = -1, col: int = 0) -> Value:
    """A cell read for a column of the template: 元 become 万元 in a 万元 column, and a count that is negative or
    not whole is ``invalid``; debris or an unreadable text make the value uncertain (``doubt``)."""
    r = read_cell(text)
    if column in SIGNED_COLUMNS and not r.readable:
        r = signed_in_words(text.strip()) or r
    if r.dashed and column not in SIGNED_COLUMNS:
        r = Reading(None, blank=False, debris=r.debris)
    if r.number is None:
        doubt = DOUBT_DEBRIS if r.debris else ("" if r.blank else DOUBT_APPROX if r.approximate else DOUBT_TEXT)
        return Value(None, text, line, col, debris=r.debris, doubt=doubt, unreadable=not r.blank)
    number = r.number
    if column in AMOUNT_COLUMNS and r.unit == "元":
        number = round(number / 10_000, 6)
    if isinstance(number, float) and number.is_integer() and column not in AMOUNT_COLUMNS:
        number = int(number)  # "69.00": a whole count written as a spreadsheet prints it
    invalid = (number < 0 and column not in SIGNED_COLUMNS) or (
        isinstance(number, float) and column not in AMOUNT_COLUMNS
    )
    doubt = DOUBT_DEBRIS if r.debris else DOUBT_REMARK if r.remark else ""
    return Value(number, text, line, col, debris=r.debris, invalid=invalid, doubt=doubt)


def amounts_in_units(table: Table, text: str) -> Table:
    """The table, its amounts uncertain where no unit is written: neither in the cell (``75394432.52元``) nor in
    the table's words (``采购总金额（万元）``; the 2019 template names none). A bare 75394432.52 taken as 万元 is
    7,500 亿元 where the page most likely meant 7,539 万元."""
    if "万元" in text:
        return table
    for cols in table.rows.values():
        for column, value in cols.items():
            if column in AMOUNT_COLUMNS and value.number is not None and read_cell(value.raw).unit is None:
                cols[column] = value.doubted(DOUBT_UNIT)
    return table
