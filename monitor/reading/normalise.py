"""Stage: normalise. Scraped report text -> clean simplified Chinese with half-width forms.

Real pages arrive in traditional characters with conversion debris ("復(fù)議" with pinyin
glosses, doubled commas "一,、總體情況"), full-width digits and punctuation, and odd spaces.
This module removes that debris so the parser can match headings and labels; it never
touches digits, so a number is never changed here. `?` glued to numbers is left for the
table reader, which reads the number and remembers that the cell carried debris.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from functools import lru_cache

import opencc

from monitor.model import Block, Document, Grid, GridCell

# A pinyin gloss: a syllable with a tone mark in parentheses right after a Chinese character.
_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zü]{0,6}[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]{0,6}\)")
_TONED = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")  # what every gloss holds: a text without one has no gloss to look for
_COMMA_BEFORE = re.compile(r",+(?=[、。;:!?])")
_COMMA_AFTER = re.compile(r"(?<=[、。;:]),+")
_COMMAS = re.compile(r",{2,}")
# where any of the three comma rules changes the text: a comma doubled, before a stop, or after one. Most texts have
# none, and the rules' three passes cost ~0.1 ms a report
_COMMA_DEBRIS = re.compile(r",[,、。;:!?]|[、。;:],")
# Circled and superscript digits are note marks, not digits of a number ("27①" is 27 and a note): NFKC would
# make them digits ("271"), so they become the debris mark first.
_MARKS = dict.fromkeys(
    [
        *range(0x2460, 0x24A0),
        0x00B9,
        0x00B2,
        0x00B3,
        *range(0x2070, 0x208F),
        *range(0x2776, 0x2794),
        *range(0x3251, 0x3260),  # ㉑-㉟ and ㊱-㊿: NFKC made 1396㉑ the number 139621 (review 95)
        *range(0x32B1, 0x32C0),
    ],
    "?",
)
_MARKED = re.compile(
    "[\u2460-\u249f\u00b9\u00b2\u00b3\u2070-\u208e\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"
)  # any of them: a page rarely
# has one, and a dict's translate costs ~60 ns a character
_BAR = "\u2015"  # (a cell of "――", blank as "——" is; a page footer "― 1 ―")
_SPACES = re.compile(r"[ \t\u2000-\u200b\u3000]+")
# characters that show nothing, as editors leave them inside words and numbers ("1\u2060052"): a soft hyphen,
# joiners, direction marks, a word joiner, a BOM mid-text
_INVISIBLE = re.compile("[\u00ad\u200c-\u200f\u2060-\u2064\ufeff]")
# Pandoc's Markdown keeps a Word page's styles as attributes on bracketed spans: "[一、总体情况]{style="font-family:
# 黑体; …"}" (spans within spans). A span on one line is its text; the attributes are not the report's words. One
# whose braces run over lines is left: a pandoc table lays its cells side by side, each over several lines, and a
# span read across lines would take in its neighbours' numbers (the table is then not placed, and says so).
_PANDOC_SPAN = re.compile(r"\[([^\[\]\n]*)\]\{[^{}\n]*\}")
_NOT_CJK = re.compile(r"[^\u4e00-\u9fff]+")  # ~1 ms to compile (21,000 characters): nfkc and ideographs share it


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def warm() -> None:
    """Load what every document needs once (the OpenCC dictionary: 7.4 ms), before a reader's first document."""
    _converter()


def squash(text: str) -> str:
    r"""``text`` without its spaces: what re.sub(r"\s+", "", text) gives (str.split and re's \s agree on what
    Unicode whitespace is), without re."""
    return "".join(text.split())


def ideographs(text: str) -> str:
    """The text's CJK ideographs (U+4E00-U+9FFF), in order."""
    return _NOT_CJK.sub("", text)


def is_traditional(text: str) -> bool:
    """Whether the text really is traditional: t2s also rewrites a few simplified-text variants
    (乾/干, 著/着) that must stay as written in a simplified report, so convert only then."""
    sample = ideographs(text[:20_000])[:4000]
    converted = _converter().convert(sample)
    if converted == sample:  # a simplified text, as most are: nothing to count (~50 ns a character)
        return False
    changed = sum(map(operator.ne, sample, converted))  # position by position, as far as the shorter goes
    return bool(changed >= 2 and changed * 20 >= len(sample))


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, in half the time on Chinese text. An ideograph of U+4E00-U+9FFF is
    a stable code point of NFKC (unchanged, combining class 0, in no composition: UAX #15 "Stable Code Points"):
    text split there normalises piece by piece to the same result, so only the runs between ideographs are
    normalised. CPython composes a character only after a linear search of a table (~1,000 instructions each),
    and most characters of a report are ideographs."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    return _NOT_CJK.sub(_nfkc_run, text)


def _nfkc_run(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group())


# Characters an encoder could not write in GBK, each written "?" (Java's getBytes("GBK") in a CMS's export): a run
# of them not glued to a digit or a letter, a run ending a line, or those starting a line before its words stood
# for spaces (en and em spaces, a no-break space): "????一、总体情况", "?五、存在的主要问题…", "0????????". One "?"
# against a number within a line ("0?"), or a run between digits, stays: a cell's debris, not known to be a space.
# (Before NFKC, which makes a full-width question mark "？" an ASCII one.)
_LOST = re.compile(r"(?<![0-9A-Za-z?])\?{2,}(?![0-9A-Za-z?])|\?{2,}(?=[ \t]*$)|^[ \t]*\?+(?=[^\x00-\x7f])", re.M)


def normalise(text: str, traditional: bool | None = None) -> str:
    """Return the text in simplified characters, NFKC forms, without glosses and comma debris."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for _ in range(4):  # spans within spans, the innermost first
        if "]{" not in text:
            break
        text = _PANDOC_SPAN.sub(r"\1", text)
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    if "?" in text:
        text = _LOST.sub(" ", text)
    text = nfkc(text.translate(_MARKS) if _MARKED.search(text) else text)
    if _BAR in text:  # GB2312's "——" as its decoders map it (iconv's, Python's gb2312): a bar, where GBK's is a dash
        text = text.replace(_BAR, "\u2014")
    if _TONED.search(text):
        text = _GLOSS.sub("", text)
    if traditional is None:
        traditional = is_traditional(text)
    if traditional:
        text = _converter().convert(text)
    if _COMMA_DEBRIS.search(text):
        text = _COMMAS.sub(",", text)
        text = _COMMA_BEFORE.sub("", text)
        text = _COMMA_AFTER.sub("", text)
    return "\n".join(line.strip() for line in _SPACES.sub(" ", text).split("\n"))  # _SPACES has no newline: one pass


def normalise_document(doc: Document) -> Document:
    """Every text block and table cell normalised, with one traditional/simplified decision."""
    traditional = is_traditional(nfkc(doc.text[:20_000]))  # it samples the head only
    blocks = [
        Block(normalise(b.text, traditional), end=b.end) if b.grid is None else Block(grid=_grid(b.grid, traditional))
        for b in doc.blocks
    ]
    meta = {k: normalise(v, traditional) for k, v in doc.meta.items()}
    return Document(blocks, doc.kind, doc.encoding, meta, doc.pages, doc.scanned, doc.ocr)


_cell = lru_cache(maxsize=8192)(normalise)  # a report's cells repeat ("0", the labels): each read once


def _grid(grid: Grid, traditional: bool) -> Grid:
    # a cell whose text is already normal is kept as it is (cells are frozen): most are, numbers and labels in
    # simplified characters, and making each anew cost ~0.25 ms a portal page
    new: dict[int, GridCell] = {}
    for c in grid.cells:
        text = _cell(c.text, traditional)
        new[id(c)] = c if text == c.text else GridCell(text, c.row, c.col, c.rowspan, c.colspan, c.index)
    slots = [[new[id(c)] if c is not None else None for c in row] for row in grid.slots]
    lines = [_cell(line, traditional) for line in grid.lines] if grid.lines is not None else None
    return Grid(list(new.values()), slots, grid.number, lines)
