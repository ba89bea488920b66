"""Stage: extract (HTML), the walk of a page's tree into its text (``walk``, ``strings``): chrome skipped, what a
browser does not draw gathered apart, an image as ``[图片]``, an embedded document as one, a link to an attachment
marked, a data table as its placeholder, a layout table's cells as lines; and where each block begins and ends, and
the short bold blocks that may head a part. ``html`` reads the tables and puts the page together.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from monitor.model import ATTACHED, IMAGE_MARK
from monitor.reading.hidden import hidden
from monitor.reading.normalise import normalise
from monitor.reading.parts import heading_parts

_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "blockquote",
    "pre",
    "hr",
    "dt",
    "dd",
    "center",
    "table",
)


# (a <template>'s content is inert, never drawn: review 116, a "9" in one before 239 was read 9239)
CHROME_TAGS = ("script", "style", "noscript", "iframe", "nav", "select", "button", "head", "object", "template")


SKIP = frozenset(CHROME_TAGS)  # dropped with what is inside them; their tails are text


RUBY = frozenset(("rt", "rp"))  # ruby annotations: their words are not part of the sentence


_BLOCKS = frozenset(_BLOCK_TAGS)


_CELLS = frozenset(("td", "th", "tr"))


_EVENTS = ("start", "end", "comment", "pi")


_PRE = frozenset(("pre", "textarea"))


_ASCII_SPACE = " \n\t\f\r"


PLACEHOLDER = "\x00table"


END = "\x00end\x00"  # in the walk's text: where the element holding the report ends (an ``end`` block)


_HEADING_PIECES = 8  # text nodes and marks in a block that may be a heading ("一、" <span>总体情况</span>)


# a paragraph that opens in bold: "<p><strong>一、总体情况</strong>2023年，我局…</p>" is a heading and its part's text
# to a reader, not one line: a long paragraph's line is never a heading (``parts.heading_parts``)
_BOLD = frozenset(("strong", "b"))
_LOOK_BACK = 16
_NUMERAL = re.compile(r"^(?:第|\()?([一二三四五六])")


_EMBEDS = frozenset(("iframe", "embed", "object"))


ATTACHMENT_LINK = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd|zip|rar)(\?|#|$)", re.I)


Tables = dict[Any, int | None]  # each <table> read so far: its grid's index, or None for a layout table


class Text:
    """The walk of ``strings``: where it is (inside layout tables, <pre>, <rt>) and what it has read. With
    ``unseen``, what the browser does not draw is left out and gathered there, each block with where it would stand
    in ``out`` (hidden inside a table's cell, ``mark_asides`` marked it), but for the blocks in ``shown``."""

    def __init__(
        self,
        tables: Tables,
        blocks: bool,
        unseen: dict[Any, int] | None = None,
        shown: frozenset[Any] | set[Any] = frozenset(),
    ) -> None:
        self.tables, self.blocks, self.unseen, self.shown = tables, blocks, unseen, shown
        self.out: list[str] = []
        # with ``blocks``: where each block's (and layout cell's) text begins and ends in ``out``, and the short blocks
        # that may be a part's heading (``article.holder``)
        self.opened: dict[Any, int] = {}
        self.ends: dict[Any, int] = {}
        self.headed: list[tuple[Any, str]] = []
        self.layout = self.pre = self.ruby = 0  # layout tables around (each ends its cells' lines); <pre>; <rt>
        self.leads: dict[Any, int] = {}  # bold that begins a line: where its text begins in ``out``

    def add(self, text: str | None) -> None:
        if text and not self.ruby:
            keep = self.pre or text.strip(_ASCII_SPACE)
            self.out.append(text if keep else "\n" if "\n" in text else " ")

    def open(self, el: Any) -> bool:
        """Entering ``el``; False when what is inside it is not text."""
        tag = el.tag
        if self.unseen is not None and not self.layout and el not in self.shown and hidden(el):
            self.unseen[el] = len(self.out)
            return False
        if tag in _EMBEDS:  # a PDF viewer or an embedded document: what is in it is not read here
            self.out.append(f"\n{IMAGE_MARK}\n")
            return False
        if tag in SKIP:
            return False
        if tag == "img":
            self.out.append(f"\n{IMAGE_MARK}\n")
        elif tag == "a" and ATTACHMENT_LINK.search(str(el.get("href") or "")):
            self.out.append(ATTACHED)  # a link to an attachment: the tables may be in it
        elif tag == "table" and self.tables.get(el) is not None:
            self.out.append(f"\n{PLACEHOLDER}{self.tables[el]}\x00\n")
            return False
        elif tag == "table":
            self.layout += 1
        elif self.blocks and tag in _BLOCKS:
            self.out.append("\n")
            self.opened[el] = len(self.out)
        elif self.blocks and tag in _CELLS:  # a layout table's cell (a heading in a page laid out in a table)
            self.opened[el] = len(self.out)
        self._enter(el, tag)
        self.add(el.text)
        return True

    def _enter(self, el: Any, tag: str) -> None:
        if tag in _PRE:
            self.pre += 1
        elif tag in RUBY:
            self.ruby += 1
        elif self.blocks and tag in _BOLD and self._line_begins():
            self.leads[el] = len(self.out)

    def _line_begins(self) -> bool:
        # the pieces since the line's start are blank; a few looked at (a page of 60,000 empty <b> on one line)
        for piece in reversed(self.out[-_LOOK_BACK:]):
            if "\n" in piece:
                return not piece[piece.rindex("\n") :].strip()
            if piece.strip():
                return False
        return len(self.out) <= _LOOK_BACK

    def close(self, el: Any) -> None:
        if self.unseen and el in self.unseen:
            self.add(el.tail)
            return
        tag = el.tag
        if tag == "table" and self.tables.get(el) is None:
            self.layout -= 1
        elif self.blocks and tag in _BLOCKS and tag not in {"br", "table"}:
            self.out.append("\n")
        elif self.blocks and tag in _CELLS:
            self.out.append("\n" * self.layout)
        elif (lead := self.leads.get(el)) is not None and _run_in(el, "".join(self.out[lead:])):
            self.out.append("\n")  # the heading run in, on a line of its own
        if tag in _PRE:  # (never a skipped tag: each close undoes its open)
            self.pre -= 1
        elif tag in RUBY:
            self.ruby -= 1
        if self.blocks and (start := self.opened.get(el)) is not None:
            end = self.ends[el] = len(self.out)
            if end - start <= _HEADING_PIECES:
                words = "".join(self.out[start:])
                if ("情况" in words or "事项" in words) and len(words) <= 200:  # every part's name ends in one
                    self.headed.append((el, words))
        self.add(el.tail)


def _run_in(el: Any, words: str) -> bool:
    """Whether the bold ``words`` are a part's heading, numbered as the part it names ("一、总体情况"; not a sub-item
    of part 一 "一、主动公开"), with the part's text after them."""
    words = words.strip()  # (a heading is short: most bold is not one, and is not normalised to be asked)
    if not el.tail or not el.tail.strip() or len(words) > 60:
        return False
    words = normalise(words)
    numeral = _NUMERAL.match(words)
    return numeral is not None and "一二三四五六".index(numeral.group(1)) + 1 in heading_parts(words)


def strings(top: Any, tables: Tables, blocks: bool = False) -> list[str]:
    """The text inside ``top`` in document order, one string per text node: chrome skipped, an image as
    the ``[图片]`` marker, a data table as its placeholder. With ``blocks``, block elements and <br>
    also start a line, and the cells of a layout table (read as text) end one. Whitespace between tags
    counts as one newline (or one space), outside <pre>: how the page is indented is not its text."""
    return walk(top, tables, blocks).out


def walk(
    top: Any,
    tables: Tables,
    blocks: bool,
    unseen: dict[Any, int] | None = None,
    shown: frozenset[Any] | set[Any] = frozenset(),
) -> Text:
    text = Text(tables, blocks, unseen, shown)
    text.add(top.text)
    walker = etree.iterwalk(top, events=_EVENTS)
    next(walker)  # top itself
    for event, el in walker:
        if event in ("comment", "pi"):
            text.add(el.tail)
        elif el is top:
            break
        elif event == "end":
            text.close(el)
        elif not text.open(el):
            walker.skip_subtree()
    return text
