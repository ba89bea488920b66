"""A read document before it is a report: ``Document`` (text ``Block``s in reading order, and tables as
``Grid``s of ``GridCell``s where the format knows its cells), and the marks readers leave for what they could not
read (``[图片]``, ``[无法读取的页面]``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_BYTES = 8 * 1024 * 1024  # real reports are < 2 MB even with Word-pasted markup


IMAGE_MARK = "[图片]"  # where a page shows an image: a table that is only a picture is never read as zeros
ATTACHED = "[附件]"  # where a page links an attachment (a PDF, a Word file…): its tables may be in it
UNREAD_PAGE = "[无法读取的页面]"  # a page whose text cannot be read in order (turned sideways): nothing on it is known
# an article its CMS cut into pages (TRS's createPageHTML, "共2页 下一页"), of which this page is one: what is on the
# others was not read here
PAGED = re.compile(r"\[报告分页发布[:：]本页为第(\d+)页[,，]共(\d+)页\]")  # its punctuation as NFKC leaves it, or not
ATTACHMENT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd|zip|rar)\b|\[附件\]|详见附件|附件\d*[:：]", re.I)


# where a converter left a table out of its text: pandoc writes "[TABLE]" for a table its plain or GFM output
# cannot hold (cells spanning rows or columns, as every statutory table has)
LEFT_OUT = re.compile(r"^\s*\[TABLE\]\s*$", re.M)


def shows_more(text: str) -> bool:
    """Whether the text shows something that is not text where it stands: an image, a page not read, an
    attachment, a table a converter left out (a table may be in any of them)."""
    return (
        IMAGE_MARK in text
        or UNREAD_PAGE in text
        or PAGED.search(text) is not None
        or ATTACHMENT.search(text) is not None
        or ("[TABLE]" in text and LEFT_OUT.search(text) is not None)
    )


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
    # PDF: where each column begins on the page, and where the last one ends: a table's pieces on two pages, drawn
    # with other columns (a header cut off at a page's foot), are put together by them. None elsewhere.
    starts: tuple[float, ...] | None = None

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
    """A run of text lines, or one table; or, with ``end``, where the element holding a page's report ends (its
    footer, sidebars and 附件下载 box after it are not the report's last part: ``reading/article.py``)."""

    text: str = ""
    grid: Grid | None = None
    end: bool = False


ARTICLE_END = "\x00正文完\x00"  # an ``end`` block in ``Document.text``: a line of its own, taken out by the parse


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
        parts = [
            ARTICLE_END if b.end else b.text if b.grid is None else "\n".join(b.grid.pipe_rows()) for b in self.blocks
        ]
        return "\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def text_document(text: str, kind: str = "text", encoding: str = "utf-8", pages: int = 0) -> Document:
    return Document([Block(text)], kind=kind, encoding=encoding, pages=pages)
