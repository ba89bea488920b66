"""Stage: extract. The bytes of a report (file or HTTP body) -> plain text.

What the bytes are is decided from the bytes (``sniff``), never from the URL or a header
alone: a ".pdf" URL that serves an HTML error page is read as HTML. PDF and DOCX have their
own extractors (``extract_pdf.py``, ``extract_docx.py``) that produce the same text form.

HTML tables are expanded into a grid (rowspan/colspan) and written as pipe rows
("规章 | 1 | 0 | 5 |"), so the table reader in ``tables.py`` sees HTML, pipe text and
one-cell-per-line text through one tokenizer. Site chrome (scripts, navigation, forms)
is dropped; images become an ``[图片]`` marker so a table that is only a picture is
reported as such, never read as zeros.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from bs4 import BeautifulSoup, NavigableString, Tag

from monitor.errors import InputError
from monitor.extract_docx import docx_to_text
from monitor.extract_pdf import pdf_to_text

MAX_BYTES = 8 * 1024 * 1024  # real reports are < 2 MB even with Word-pasted markup
MAX_GRID_CELLS = 20_000  # per table, after rowspan/colspan expansion
IMAGE_MARK = "[图片]"

_GB = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "hz-gb-2312"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTML_HINT = re.compile(r"<\s*(html|!doctype|body|table|div|p|head|meta|span|tr)\b", re.I)
_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "blockquote", "pre", "hr", "dt", "dd", "center", "table",
)  # fmt: skip
_CHROME_TAGS = ("script", "style", "noscript", "iframe", "nav", "form", "select", "button", "head", "object")


@dataclass(frozen=True)
class Extracted:
    """What extraction hands to the parser: the text and what the markup said about it."""

    text: str
    html_title: str | None = None
    encoding: str = "utf-8"
    kind: str = "text"  # html | text | pdf | docx
    pages: int = 0  # PDF pages read


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
        enc = _codec(name)
        if enc is None:
            continue
        try:
            return data.decode(enc), enc
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


def extract(data: bytes, declared_charset: str | None = None) -> Extracted:
    """Bytes -> text. Raises InputError for input that is not a readable report."""
    if not data.strip():
        raise InputError("the file is empty")
    if len(data) > MAX_BYTES:
        raise InputError(f"the input is {len(data) / 1e6:.1f} MB; reports over {MAX_BYTES // 2**20} MiB are refused")
    kind = sniff(data)
    if kind == "pdf":
        text, pages = pdf_to_text(data)
        return Extracted(text, None, "pdf", kind="pdf", pages=pages)
    if kind == "docx":
        return Extracted(docx_to_text(data), None, "docx", kind="docx")
    if kind == "doc":
        raise InputError("this is a legacy Word .doc file; it is not supported: save it as .docx or PDF and check that")
    if kind == "binary":
        raise InputError("this is a binary file, not an HTML or text report")
    text, enc = decode(data, declared_charset)
    if kind == "html":
        body, title = html_to_text(text)
        return Extracted(body, title, enc, kind="html")
    return Extracted(text, None, enc)


def _cell_text(cell: Tag) -> str:
    text = " ".join(cell.get_text(" ").split())
    return text.replace("|", "/")


def expand_grid(table: Tag) -> list[list[str]]:
    """Rows of cell texts with rowspan/colspan copied into every grid slot they cover."""
    grid: list[list[str | None]] = []
    budget = MAX_GRID_CELLS
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for r, tr in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        col = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while col < len(grid[r]) and grid[r][col] is not None:
                col += 1
            text = _cell_text(cell)
            rowspan = _span(cell.get("rowspan"), 200)
            colspan = _span(cell.get("colspan"), 50)
            budget -= rowspan * colspan
            if budget < 0:
                raise InputError("a table in this page is too large to be a report table")
            for dr in range(rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                target = grid[r + dr]
                while len(target) < col + colspan:
                    target.append(None)
                for dc in range(colspan):
                    target[col + dc] = text
            col += colspan
    width = max((len(row) for row in grid), default=0)
    return [[c or "" for c in row] + [""] * (width - len(row)) for row in grid if row]


def _span(value: object, cap: int) -> int:
    try:
        return max(1, min(cap, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _is_layout(grid: list[list[str]]) -> bool:
    """A table used for page layout (long prose in a cell) is read as text, not as a grid."""
    return len(grid) < 2 or any(len(cell) > 150 for row in grid for cell in row)


def html_to_text(html: str) -> tuple[str, str | None]:
    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup.find_all(_CHROME_TAGS):
        tag.decompose()
    for img in soup.find_all("img"):
        img.replace_with(NavigableString(f"\n{IMAGE_MARK}\n"))
    for table in reversed(soup.find_all("table")):  # innermost first
        grid = expand_grid(table)
        if _is_layout(grid):
            for cell in table.find_all(["td", "th", "tr"]):
                cell.insert_after(NavigableString("\n"))
            table.unwrap()
            continue
        rows = "\n".join(" | ".join(row) + " |" for row in grid)
        table.replace_with(NavigableString(f"\n{rows}\n"))
    for tag in soup.find_all(_BLOCK_TAGS):
        if tag.name == "br":
            tag.replace_with(NavigableString("\n"))
        else:
            tag.insert_before(NavigableString("\n"))
            tag.insert_after(NavigableString("\n"))
    lines = [line.strip() for line in soup.get_text().replace("\xa0", " ").splitlines()]
    out: list[str] = []
    for line in lines:  # HTML whitespace carries no meaning: one empty line at most
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n", title
