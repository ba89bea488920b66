"""What a browser does not show a reader of a portal page: a block or a row or cell it does not draw (``hidden``,
``rendered``: a year's tab not shown, an old table an editor hid, a print copy, an Excel page's hidden column), which
of the blocks not drawn a reader still reads as the report's (``goes_on``: a script shows them), and, in a table
cell, text a reader does not read as the cell's number (``mark_asides``): footnote marks, struck-through
corrections, Word's hidden or white text. The HTML reader asks all three before it reads the page."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from lxml import etree

from monitor.model import IMAGE_MARK, PART_TABLES
from monitor.reading.cells import DEBRIS
from monitor.reading.normalise import normalise
from monitor.reading.parts import headings

# not drawn (spaces removed, lower case). Not visibility:hidden: a child may set itself visible again, and
# "backface-visibility:hidden" holds the words
_NOT_RENDERED = ("display:none", "mso-hide:all")


def rendered(el: Any) -> bool:
    """Whether a browser draws the row or cell: a hidden column of an Excel page saved as HTML is not there."""
    if el.get("hidden") is not None:
        return False
    style = el.get("style")
    return not style or _drawn(style)


def hidden(el: Any) -> bool:
    """Whether a browser leaves the element (and what is in it) out by its own markup: not ``rendered``."""
    style = el.get("style")
    return (style is not None and not _drawn(style)) or el.get("hidden") is not None


@lru_cache(maxsize=1024)  # a table's rows and cells share a few styles
def _drawn(style: str) -> bool:
    css = "".join(style.split()).lower()
    return not any(x in css for x in _NOT_RENDERED)


_ALL_PARTS = frozenset(range(1, 7))


def goes_on(drawn: list[str], unseen: dict[Any, int], text_of: Callable[[Any], str], table_mark: str) -> set[Any]:
    """The blocks not drawn (``unseen``: each with where it stands in the drawn text's pieces ``drawn``) that a
    reader still reads as the report's, because a script shows them on a click, in the page's order:

    - **the report's other pages:** a block that heads parts the report so far lacks, where they fall in its order:
      from the last part headed before it (a pager's next page may head it again, "三、…（续）") to the first part
      drawn after it (a first half folded away before the drawn 四); until the report heads all six parts;
    - **the full text behind a summary:** where no page goes on, the first block that heads every part the drawn
      page heads and two more at least, with more tables than the drawn page (展开全文);
    - **a table behind a click:** a block that heads no part but holds a table, under a drawn part that has a
      statutory table and shows none, nor a picture (点击查看表格, an accordion's body).

    Any other block is not read: a year's tab not shown or a print copy (the report is whole without it, or it
    heads again what the report has), an old table an editor hid beside the one drawn, a 解读 tab. What may not be
    the report's is never taken: it could only invent an error or hide a missing part."""
    lines, at = _marked_lines(drawn, unseen)
    found = _found(lines)
    texts = {el: text_of(el) for el in unseen}
    heads = {el: _parts_of(text) for el, text in texts.items()}
    have = {n for _, n in found}
    shown: set[Any] = set()
    for el, line in at.items():
        parts = heads[el]
        if have >= _ALL_PARTS:
            break
        before = max([n for i, n in found if i < line] + [max(heads[x]) for x in shown], default=0)
        after = min((n for i, n in found if i >= line), default=len(_ALL_PARTS))
        if parts - have and min(parts) >= before and max(parts) <= after:
            shown.add(el)
            have |= parts
    if not shown:
        tables = sum(x.startswith(table_mark) for x in lines)
        full = (
            el
            for el, parts in heads.items()
            if parts > have and len(parts - have) >= 2 and texts[el].count(table_mark) > tables
        )
        shown |= set(itertools.islice(full, 1))
    for el, line in at.items():
        if heads[el] or el in shown or table_mark not in texts[el]:
            continue
        part = next(((i, n) for i, n in reversed(found) if i < line), None)
        if part is None or part[1] not in PART_TABLES:
            continue
        end = next((i for i, _ in found if i > part[0]), len(lines))
        if not any(x.startswith((table_mark, IMAGE_MARK)) for x in lines[part[0] : end]):
            shown.add(el)
    return shown


def _marked_lines(drawn: list[str], unseen: dict[Any, int]) -> tuple[list[str], dict[Any, int]]:
    """The drawn text's lines as the reader normalises them, and the line each block not drawn stands at (normalising
    keeps the lines: only a carriage return is a newline it changes)."""
    at: dict[Any, int] = {}
    line = done = 0
    for el, piece in sorted(unseen.items(), key=lambda item: item[1]):
        text = "".join(drawn[done:piece])
        line += text.count("\n") + text.count("\r") - text.count("\r\n")
        done = piece
        at[el] = line
    lines = [x.strip() for x in normalise("".join(drawn)).split("\n")]
    return lines, at


def _found(lines: list[str]) -> list[tuple[int, int]]:
    """(line, part) of the part headings in ``lines``, as the report reader finds them (一、, 第X部分, (一), 1. …: a
    table's row "一、本年新收…" is none); none where they stand one under the other, a table of contents."""
    found = headings(lines)
    if len(found) >= 3 and all(b - a <= 2 for (a, _), (b, _) in itertools.pairwise(found)):
        return []
    return found


def _parts_of(text: str) -> set[int]:
    return {n for _, n in _found([x.strip() for x in normalise(text).split("\n")])}


# In a table cell, text a reader does not read as the cell's number: a footnote mark (<sup>), a deletion or a
# struck-through correction (<del>, <s>, <strike>), Word's hidden text. It is replaced by the debris mark, so
# "27<sup>1</sup>" is 27, read, but not for certain.
_HIDDEN_STYLE = (  # CSS a reader does not read as the cell's text (spaces removed, lower case)
    "display:none",
    "mso-hide:all",
    "visibility:hidden",
    "vertical-align:super",
    "vertical-align:sub",
    "color:#fff",
    "color:white",
    "font-size:0;",
    "font-size:0pt",
    "font-size:0px",
)
_ASIDE_TAGS = frozenset({"sup", "sub", "del", "s", "strike"})
_HIDDEN = re.compile(b"|".join(re.escape(x.encode()) for x in _HIDDEN_STYLE))  # any of them, in one search


def _in_cells(root: Any) -> Iterator[Any]:
    """The elements inside a table cell, in document order, each once: every outermost cell's descendants (a cell
    nested in a cell is walked with the outer one). Walked on lxml's C iterators: an XPath asking each element
    of the page for a cell among its ancestors (``//*[…][ancestor::td or ancestor::th]``) cost more than
    parsing the page; merging one node-set per cell (``//td//*[…] | //th//*[…]``) is quadratic in libxml2 (a
    page of 50,000 one-digit cells took 3.3 s, 470 KiB of tables nested 60 deep around 20,000 styled spans
    75 s). The outermost cells are those of one walk that skips each cell's subtree (asking each cell for a cell
    among its ancestors cost twice as much)."""
    walker = etree.iterwalk(root, events=("start",), tag=("td", "th"))
    for _, cell in walker:
        walker.skip_subtree()  # a cell nested in it is walked with it
        yield from cell.iterdescendants(etree.Element)


def _is_aside(el: Any) -> bool:
    if el.tag in _ASIDE_TAGS or el.get("hidden") is not None:
        return True
    style = el.get("style")
    return bool(style) and _hides(style)


@lru_cache(maxsize=1024)  # Word gives a page's thousand spans a handful of styles
def _hides(style: str) -> bool:
    # ASCII spaces out, ASCII letters lower, as XPath's translate() did: bytes.lower() changes only A-Z, and UTF-8
    # gives every other character bytes >= 0x80 (a dict's str.translate cost ~5 us a style of Word's, 4 ms a page)
    css = style.replace(" ", "").encode("utf-8", "surrogatepass").lower()
    return css == b"font-size:0" or _HIDDEN.search(css) is not None


def mark_asides(root: Any) -> None:
    for el in [el for el in _in_cells(root) if _is_aside(el)]:  # judged before the tree changes
        for child in list(el):
            el.remove(child)
        el.text = DEBRIS
