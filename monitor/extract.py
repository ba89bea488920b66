"""Stage: extract. The bytes of a report (file or HTTP body) -> a ``Document`` (``model.py``).

What the bytes are is decided from the bytes (``sniff``), never from the URL or a header
alone: a ".pdf" URL that serves an HTML error page is read as HTML. PDF and DOCX have their
own extractors (``extract_pdf.py``, ``extract_docx.py``).

HTML: every data ``<table>`` becomes a ``Grid`` block whose cells keep their rowspan and
colspan, so the table reader can place a value by the header cells above it. Text between
tables becomes text blocks. The CMS ``<meta>`` tags (PubDate, ArticleTitle, ContentSource …)
are read before ``<head>`` is dropped as chrome. Scripts, navigation and forms are dropped;
images become an ``[图片]`` marker so a table that is only a picture is reported as such,
never read as zeros.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from monitor.errors import InputError
from monitor.extract_docx import docx_document
from monitor.extract_pdf import pdf_document
from monitor.model import IMAGE_MARK, MAX_BYTES, Block, Document, Grid, GridCell, text_document

MAX_GRID_CELLS = 20_000  # per table, after rowspan/colspan expansion

_GB = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "hz-gb-2312"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_HINT = re.compile(r"<\s*(html|!doctype|body|table|div|p|head|meta|span|tr)\b", re.I)
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
_CHROME_TAGS = ("script", "style", "noscript", "iframe", "nav", "form", "select", "button", "head", "object")


def _codec(name: str) -> str | None:
    name = name.strip().lower()
    if name in _GB:
        return "gb18030"  # a superset: GBK/GB2312 pages routinely use characters outside them
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a body: BOM, then strict UTF-8, then the declared or <meta> charset, then detection."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff"), enc
    candidates = ["utf-8"]
    if declared:
        candidates.append(declared)
    meta = _META_CHARSET.search(data[:8192])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    for name in candidates:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data[:262_144]).best()
    if best is None or best.encoding is None:
        raise InputError("cannot tell the text encoding of this file (not UTF-8, GBK/GB18030 or any known charset)")
    enc = _codec(best.encoding) or best.encoding
    return data.decode(enc, errors="replace"), enc


def sniff(data: bytes) -> str:
    """What the bytes are, decided from the bytes themselves: pdf, docx, html, text or binary."""
    head = data[:8192]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary"
    probe = head.decode("latin-1")
    return "html" if _HTML_HINT.search(probe) else "text"


def extract(data: bytes, declared_charset: str | None = None) -> Document:
    """Bytes -> Document. Raises InputError for input that is not a readable report."""
    if not data.strip():
        raise InputError("the file is empty")
    if len(data) > MAX_BYTES:
        raise InputError(f"the input is {len(data) / 1e6:.1f} MB; reports over {MAX_BYTES // 2**20} MiB are refused")
    kind = sniff(data)
    if kind == "pdf":
        return pdf_document(data)
    if kind == "docx":
        return docx_document(data)
    if kind == "doc":
        raise InputError("this is a legacy Word .doc file; it is not supported: save it as .docx or PDF and check that")
    if kind == "binary":
        raise InputError("this is a binary file, not an HTML or text report")
    text, enc = decode(data, declared_charset)
    if kind == "html":
        return html_document(text, enc)
    return text_document(text, encoding=enc)


def _cell_text(cell: Tag) -> str:
    return " ".join(cell.get_text(" ").split())


def read_grid(table: Tag, number: int = 0) -> Grid:
    """The table's cells with their slots; rowspan/colspan cover every slot they span."""
    cells: list[GridCell] = []
    slots: list[list[GridCell | None]] = []
    budget = MAX_GRID_CELLS
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for r, tr in enumerate(rows):
        while len(slots) <= r:
            slots.append([])
        col = 0
        for index, td in enumerate(tr.find_all(["td", "th"], recursive=False)):
            while col < len(slots[r]) and slots[r][col] is not None:
                col += 1
            rowspan = min(_span(td.get("rowspan"), 200), len(rows) - r)
            colspan = _span(td.get("colspan"), 50)
            budget -= rowspan * colspan
            if budget < 0:
                raise InputError("a table in this page is too large to be a report table")
            cell = GridCell(_cell_text(td), r, col, rowspan, colspan, index)
            cells.append(cell)
            for dr in range(rowspan):
                while len(slots) <= r + dr:
                    slots.append([])
                target = slots[r + dr]
                while len(target) < col + colspan:
                    target.append(None)
                for dc in range(colspan):
                    target[col + dc] = cell
            col += colspan
    width = max((len(row) for row in slots), default=0)
    return Grid(cells, [row + [None] * (width - len(row)) for row in slots if row], number)


def _span(value: object, cap: int) -> int:
    try:
        return max(1, min(cap, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _is_layout(grid: Grid) -> bool:
    """A table used for page layout (long prose in a cell) is read as text, not as a grid."""
    return len(grid.slots) < 2 or any(len(c.text) > 150 or _PLACEHOLDER in c.text for c in grid.cells)


_META_NAMES = {
    "title": ("articletitle", "dc.title", "og:title"),
    "published": ("pubdate", "publishdate", "firstpublishedtime", "publishtime", "dc.date", "releasedate"),
    "source": ("contentsource", "source", "author"),
}
_PLACEHOLDER = "\x00table"


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or tag.get("property") or "").strip().lower()
        content = " ".join(str(tag.get("content") or "").split())
        if not content:
            continue
        for key, names in _META_NAMES.items():
            if name in names and key not in found:
                found[key] = content
    if soup.title:
        found["page_title"] = soup.title.get_text(" ", strip=True)
    return found


def _take_grids(soup: BeautifulSoup) -> list[Grid]:
    """Every data table read as a Grid and replaced in the text by a numbered placeholder; layout tables
    (a page laid out in one big <table>) are unwrapped so their text reads as text."""
    grids: list[Grid] = []
    for table in reversed(soup.find_all("table")):  # innermost first
        grid = read_grid(table)
        if _is_layout(grid):
            for cell in table.find_all(["td", "th", "tr"]):
                cell.insert_after(NavigableString("\n"))
            table.unwrap()
            continue
        table.replace_with(NavigableString(f"\n{_PLACEHOLDER}{len(grids)}\x00\n"))
        grids.append(grid)
    return grids


def html_document(html: str, encoding: str = "utf-8") -> Document:
    soup = BeautifulSoup(html, "lxml")
    meta = _meta(soup)
    for tag in soup.find_all(_CHROME_TAGS):
        tag.decompose()
    for img in soup.find_all("img"):
        img.replace_with(NavigableString(f"\n{IMAGE_MARK}\n"))
    grids = _take_grids(soup)
    for tag in soup.find_all(_BLOCK_TAGS):
        if tag.name == "br":
            tag.replace_with(NavigableString("\n"))
        else:
            tag.insert_before(NavigableString("\n"))
            tag.insert_after(NavigableString("\n"))
    blocks: list[Block] = []
    lines: list[str] = []
    order = 0
    for raw in soup.get_text().replace("\xa0", " ").splitlines():
        line = raw.strip()
        if line.startswith(_PLACEHOLDER):
            if lines:
                blocks.append(Block("\n".join(lines)))
                lines = []
            grid = grids[int(line[len(_PLACEHOLDER) :].rstrip("\x00"))]
            grid.number = order
            order += 1
            blocks.append(Block(grid=grid))
        elif line or (lines and lines[-1]):  # HTML whitespace carries no meaning: one empty line at most
            lines.append(line)
    if lines:
        blocks.append(Block("\n".join(lines)))
    return Document(blocks, kind="html", encoding=encoding, meta=meta)
