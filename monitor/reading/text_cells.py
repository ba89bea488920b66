"""Stage: parse (text cells). Lines of a table written as text (crawler text, pipe rows from PDF and Markdown,
Word-pasted paragraphs) -> a stream of ``Cell``s: labels, values (through the one cell grammar of ``cells``),
blanks, with a row label's own numbering kept apart from the numbers it labels."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from monitor.model import (
    ACTIVE_ROWS,
    APPLICATION_ROWS,
)
from monitor.reading.cells import UNITS, is_value, read_cell, signed_in_words

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # how tests and alerts locate a number in a line


_DIGIT = re.compile(r"\d")


_WORDS = re.compile(r"\S+")
_SPACED = re.compile(r"\d\s+\d")  # digits apart on a line of text: cells ("1 0 2 0 3"), not one number
_GROUPED = re.compile(r"^\d{1,3}(?: \d{3})+(?:\.\d+)?$")
SIGN_APART = re.compile(r"^[-\u2212\u2013]\s+\d")  # "- 3" in a pipe cell: a dash and a 3 run together, or -3


_LIST_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.、．])$")


# Inline HTML a Markdown converter leaves in its text (pymupdf4llm underlines headings, "<u>二、主动公开…</u>", and
# breaks a cell's lines with <br>): a tag is not the report's words; a break inside a pipe cell is a space.
_INLINE_TAG = re.compile(r"</?(?:u|b|i|em|strong|span|font|sup|sub|small|big|s|ins|del|mark)\b[^<>]*>|<br\s*/?>", re.I)


def without_tags(text: str) -> str:
    """The text without the inline HTML tags of ``_INLINE_TAG`` (a line break tag read as a space)."""
    if "<" not in text:
        return text
    return _INLINE_TAG.sub(lambda m: " " if m.group().lower().startswith("<br") else "", text)


def tab_rows(text: str) -> str:
    """Text whose table rows are cells apart by tabs (a table copied out of a browser or a spreadsheet into a text
    file), each such row written as a pipe row: every field a cell, an empty field a blank cell (the label, a tab,
    a tab, 3: the label, a blank, 3), where tabs read as spaces would leave the blanks out and the numbers without
    their columns. A row is a line of fields of which one after the first is a number or empty. Not cells: empty
    fields before the first written one (a spreadsheet's merged label column, an indent), a list's number before a
    tab ("五、", a tab, the heading: Word's numbering copied as text). A column empty on every line stays: it may
    be a merged cell's other half (005's 商业企业 spans two columns) or a column of blanks (008's 法人 columns), and
    which, the text does not say."""
    if "\t" not in text:
        return text
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if "\t" not in line:
            continue
        written = [f.strip() for f in line.rstrip(" \r").split("\t")]  # its last fields may be blank cells
        fields = list(itertools.dropwhile(lambda f: not f, written))
        if len(fields) > 1 and _LIST_NUMBER.match(fields[0]):
            rest = next((i for i, f in enumerate(fields) if i and f), None)
            if rest is not None:
                fields = [fields[0] + fields[rest], *fields[rest + 1 :]]
        if len(fields) > 1 and any(not f or is_value(f) for f in fields[1:]):
            lines[n] = "|" + "|".join(f or " " for f in fields) + "|"
        else:
            lines[n] = " ".join(f for f in fields if f)
    return "\n".join(lines)


@dataclass(frozen=True)
class Cell:
    kind: str  # "label" | "value" | "blank" | "collapse"
    text: str = ""
    line: int = -1
    col: int = 0  # character offset of the cell in its (normalised) line
    width: int = 0  # collapse markers: how many cells were lost
    inferred: bool = False  # a blank cell inferred from the empty-line rhythm, not written on the page
    glued: bool = False  # a digit string glued to a label: its cells were not separated on the page
    spaced: bool = False  # digits apart by spaces ("105 0", "- 3"): one number, or two cells run together
    piped: bool = False  # a cell of a pipe row
    worded: bool = False  # a change with its sign in words (增加3: ``_worded``)


# A digit string glued to the labels around it (a body on one line: "…申请数量0000000二、上年结转…"). A single
# digit before "." or "、" and a word is the next label's item number ("…00000002.其他法律…" is 0000000, then
# "2.其他法律…"); digits followed by a unit or a date word, or after 第, are words of a sentence, not cells.
_RUN = re.compile(r"\d+(?:\.\d+)?")


_IN_WORDS = re.compile(r"[件条个次项家人户篇年月日号%万元余多]")


_LATIN = re.compile(r"[A-Za-z_]")
_CODE = re.compile(r"[A-Za-z]{3}")


_ROW_START = re.compile(r"[一二三四]、|\([一二三四五六七]\)|\d[.、]\D")  # a row label's own numbering


_LABEL_APART = re.compile(r"\s+(?=" + _ROW_START.pattern + ")")  # a row's label after a space in a run of labels


_NUMBERING = re.compile(
    r"(?<=.)(?=[一二三四]、|\([一二三四五六七]\)[^项]|\d[.、][^\d])"
)  # where a glued row label starts


def _segments(token: str, line: int, offset: int) -> list[Cell]:
    """A token with no spaces in it: its labels, and the digit strings glued between them. Where digits were
    glued, labels are glued too ("…其他一、本年新收…"): a label is cut again where a row's numbering starts."""
    if _CODE.search(token):  # markup's words ("color:rgb(51,51,51)", "mso-font-kerning:0pt"): no row's digits
        return [Cell("label", token, line, offset)]
    cells: list[Cell] = []
    pos = 0

    def labels(end: int) -> None:
        piece = token[pos:end]
        cuts = [0, *(m.start() for m in _NUMBERING.finditer(piece)), len(piece)]
        cells.extend(Cell("label", piece[a:b], line, offset + pos + a) for a, b in itertools.pairwise(cuts) if b > a)

    for m in _RUN.finditer(token):
        start, end = m.span()
        digits = m.group()
        after = token[end : end + 2]
        if len(after) == 2 and after[0] in ".、" and not after[1].isdigit():
            digits = digits[:-1]  # its last digit numbers the next label
        if (
            not digits
            or _IN_WORDS.match(token, start + len(digits))
            or token[start - 1 : start] == "第"
            or _LATIN.match(token[start - 1 : start])
            or _LATIN.match(token, start + len(digits))
        ):
            continue  # a sentence's words, or a name's ("仿宋_GB2312", "ISO9001", "H5"): not a cell
        if start > pos:
            labels(start)
        cells.append(Cell("value", digits, line, offset + start, glued=True))
        pos = start + len(digits)
    labels(len(token))
    named = any(
        a.kind == "label" and b.glued and _names_a_row(a.text) for a, b in itertools.pairwise(cells)
    )  # a table row glued to its digits, not digits in a sentence ("电话0591-86175957")
    return cells if named else [Cell("label", token, line, offset)]


_ALL_ROWS = (*APPLICATION_ROWS, *ACTIVE_ROWS["2021"], *ACTIVE_ROWS["2019"])


def _names_a_row(label: str) -> bool:
    return any(spec.match(label) for spec in _ALL_ROWS)


def _worded(word: str) -> bool:
    """A word that is a change with its sign in words (减少3, 增加2, 持平: a 2019 table 二's 本年增/减), a cell of its
    own: read as a number only under that column (``read_value``), unread under any other, never a row's label."""
    reading = signed_in_words(word)
    return reading is not None and reading.unit is None and not reading.remark and not reading.debris


def _kind(text: str) -> str:
    """A value cell's kind: a blank (nothing, a dash, 无), or a number: a zero written 〇 or 零 too, as a page's table
    reads it (review 95: a text's 〇 was a blank, its row's error untold)."""
    return "blank" if read_cell(text).blank else "value"


def _plain_cells(text: str, line: int, offset: int) -> list[Cell]:
    """One cell of text, or, where it holds several, its labels and values: a label followed by space-separated
    numbers ("(七)总计 960 10 0 …"), and labels with digit strings glued to them."""
    if is_value(text) and not _SPACED.search(text):
        return [Cell(_kind(text), text, line, offset)]
    if _GROUPED.match(text):  # "197 535": a number in groups of three (GB/T 15835), or cells: read, not for certain
        return [Cell("value", text, line, offset, spaced=True)]
    out: list[Cell] = []
    for t in _WORDS.finditer(text):
        word = t.group()
        if word in UNITS and out and out[-1].kind == "value" and not out[-1].glued:  # "75394432.52 元": its unit
            last = out.pop()
            out.append(Cell("value", text[last.col - offset : t.end()], line, last.col))
            continue
        if is_value(word):
            out.append(Cell(_kind(word), word, line, offset + t.start()))
        elif _worded(word):
            out.append(Cell("value", word, line, offset + t.start(), worded=True))
        else:
            out.extend(_segments(word, line, offset + t.start()))
    if not any(c.kind == "value" for c in out):  # labels alone: one, or, where a word starts a row's numbering
        # after a space, each (a converter's cell "(六)其 他处理 2、申请人逾期…": the group's label and the row's)
        cuts = [0, *(m.end() for m in _LABEL_APART.finditer(text)), len(text) + 1]
        return [Cell("label", text[a : b - 1].strip(), line, offset + a) for a, b in itertools.pairwise(cuts)]
    merged: list[Cell] = []
    for cell in out:  # the words of one label, with the spaces between them (not the pieces of a glued token, nor
        # a row's own label after a header's words: "…其他 一、本年新收…")
        if (
            merged
            and cell.kind == "label"
            and merged[-1].kind == "label"
            and text[cell.col - offset - 1].isspace()
            and not _ROW_START.match(cell.text)
        ):
            last = merged.pop()
            merged.append(Cell("label", text[last.col - offset : cell.col - offset + len(cell.text)], line, last.col))
        else:
            merged.append(cell)
    return merged


def _pipe_cells(text: str, line: int) -> list[Cell]:
    """A pipe row's cells, each marked ``piped`` as it is made (a copy of every cell made afterwards cost ~2 us a
    cell, ~0.4 ms a Markdown report); a label's words are read as any line's, then marked."""
    parts, offsets, start = [], [], 0
    for part in text.split("|"):
        parts.append(part)
        offsets.append(start)
        start += len(part) + 1
    if text.endswith("|"):
        parts, offsets = parts[:-1], offsets[:-1]
    if text.startswith("|") and text.strip("| "):
        parts, offsets = parts[1:], offsets[1:]
    cells: list[Cell] = []
    i = 0
    while i < len(parts):
        run = i
        while run < len(parts) and parts[run] == "":
            run += 1
        if run - i >= 2:  # "||": cells lost by the scraper
            cells.append(Cell("collapse", "", line, offsets[i], width=run - i, piped=True))
            i = run
            continue
        part = parts[i].strip()
        lead = len(parts[i]) - len(parts[i].lstrip())
        if not part:
            cells.append(Cell("blank", "", line, offsets[i], piped=True))
        elif is_value(part):
            kind = _kind(part)
            spaced = _SPACED.search(part) is not None or SIGN_APART.match(part) is not None
            cells.append(Cell(kind, part, line, offsets[i] + lead, spaced=spaced, piped=True))
        else:
            cells.extend(replace(c, piped=True) for c in _plain_cells(part, line, offsets[i] + lead))
        i += 1
    return cells


@lru_cache(maxsize=1024)  # a report's lines or two
def _line_cells(text: str, line: int) -> tuple[Cell, ...]:
    """One line's cells, whatever the region around it: a part's text, then the whole report, when a table is not
    under its part's heading (a crawler's or a Markdown page's lines were tokenized two or three times)."""
    if "|" in text:
        return tuple(_pipe_cells(text, line))
    return tuple(_plain_cells(text, line, 0))


def tokenize(lines: Sequence[tuple[int, str]]) -> list[Cell]:
    """Cells of a section. ``lines`` are (line number, normalised text) pairs."""
    return list(_tokenized(tuple(lines)))


@lru_cache(maxsize=8)
def _tokenized(lines: tuple[tuple[int, str], ...]) -> tuple[Cell, ...]:
    """A report's text has no table under its parts' headings: each of its three tables is then looked for in
    the same regions, the whole text among them (a crawler's page: 21 tokenizations of 7 regions), so the cells of
    the last few regions are kept."""
    gap_sizes, empties, seen = [], 0, False
    for _, text in lines:
        if not text:
            empties += 1
            continue
        if seen and "|" not in text:
            gap_sizes.append(empties)
        seen, empties = "|" not in text, 0
    base = min(Counter(gap_sizes).most_common(), key=lambda kv: (-kv[1], kv[0]))[0] if gap_sizes else 0

    cells: list[Cell] = []
    empties, prev_plain = 0, False
    for number, text in lines:
        if not text:
            empties += 1
            continue
        if "|" in text:
            cells.extend(_line_cells(text, number))
            prev_plain = False
        else:
            new = list(_line_cells(text, number))
            if prev_plain and empties > base:
                cells.extend(Cell("blank", "", number, inferred=True) for _ in range(empties - base))
            elif prev_plain and empties < base and cells[-1].kind == "label" and new[0].kind == "label":
                last = cells.pop()  # a header split over lines: "结果\n纠正"
                new[0] = Cell("label", last.text + new[0].text, last.line, last.col)
            cells.extend(new)
            prev_plain = True
        empties = 0
    if prev_plain and empties > base:
        cells.extend(Cell("blank", "", -1, inferred=True) for _ in range(empties - base))
    return tuple(cells)
