"""Stage: extract (PDF). A report PDF -> a Document of one text block (tables as pipe rows).

pdfplumber finds the ruled tables. Only rows with at least two cells count as grid rows:
agencies often draw a frame around the whole page, and pdfplumber reports that frame as a
one-column "table" whose cells cut prose lines short, so prose comes from the page's
text lines instead. Within a table, the columns left of the first column that holds
numbers are label columns (merged label cells come back empty there and are dropped); from
it on, an empty cell is a blank. Grid rows and text lines are merged by their position on
the page, so a table that continues on the next page simply continues in the text.

Reading runs in a forked child with memory and CPU limits and a timeout, so a PDF bomb or a
500-page file costs bounded time and memory and ends in a clear error.
"""

from __future__ import annotations

import multiprocessing
import re
from typing import Any

from monitor import ocr
from monitor.errors import InputError
from monitor.limits import Limits, run_limited
from monitor.model import Document, text_document

MAX_PAGES = 100  # real reports have 5-20 pages
MEMORY_LIMIT = 1024 * 2**20
CPU_SECONDS = 60

_NUMERIC = re.compile(r"^[?]*[+-]?\d[\d,]*(\.\d+)?\s*(万元|元)?[?]*$")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$|^第\s*\d+\s*页")


def _clean(cell: str | None) -> str:
    return re.sub(r"\s+", "", cell or "").replace("|", "/")


def _table_lines(table: Any) -> list[tuple[float, str]]:
    """(top, pipe row) for each grid row of a pdfplumber table."""
    data = table.extract()
    rows = [
        (row.bbox[1], cells)
        for row, cells in zip(table.rows, data, strict=False)
        if sum(c is not None for c in row.cells) >= 2
    ]
    if not rows:
        return []
    width = max(len(cells) for _, cells in rows)
    numeric = [any(j < len(c) and _NUMERIC.match(_clean(c[j])) for _, c in rows) for j in range(width)]
    start = numeric.index(True) if True in numeric else width
    out = []
    for top, cells in rows:
        labels = [_clean(c) for c in cells[:start] if _clean(c)]
        values = [_clean(c) for c in cells[start:]]
        if not any(values) and len(labels) <= 1:
            continue  # a title row of the table: its text comes with the page's text lines
        out.append((top, " | ".join(labels + values) + " |"))
    return out


def _page_lines(page: Any) -> list[str]:
    items: list[tuple[float, str]] = []
    boxes = []
    for table in page.find_tables():
        lines = _table_lines(table)
        items += lines
        boxes += [row.bbox for row in table.rows if sum(c is not None for c in row.cells) >= 2]

    def outside(obj: dict[str, Any]) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    text_page = page.filter(lambda o: o.get("object_type") != "char" or outside(o)) if boxes else page
    for line in text_page.extract_text_lines():
        text = line["text"].strip()
        if text and not _PAGE_NUMBER.match(text):
            items.append((line["top"], text))
    return [text for _, text in sorted(items, key=lambda item: item[0])]


def _read(data: bytes) -> tuple[str, int]:
    import io  # noqa: PLC0415 - imported in the child

    import pdfplumber  # noqa: PLC0415
    from pdfminer.pdfdocument import PDFPasswordIncorrect  # noqa: PLC0415

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect as exc:
        raise InputError("the PDF is encrypted (password protected); it cannot be read") from exc
    with pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise InputError(f"the PDF has {len(pdf.pages)} pages; reports over {MAX_PAGES} pages are refused")
        lines: list[str] = []
        chars = 0
        for page in pdf.pages:
            chars += len(page.chars)
            lines += _page_lines(page)
            page.flush_cache()
        if chars < 20 * len(pdf.pages):  # no text layer: a scan, which needs OCR before anything can be read
            return "", len(pdf.pages)
        return "\n".join(lines) + "\n", len(pdf.pages)


_LIMITS = Limits(
    CPU_SECONDS,
    MEMORY_LIMIT,
    too_long=f"reading the PDF took more than {CPU_SECONDS + 5} s; gave up",
    exhausted="reading the PDF exhausted its memory or time limit (a PDF bomb?)",
    failed="the PDF cannot be read",  # pdfminer raises many kinds of errors on damaged files
)


def pdf_document(data: bytes) -> Document:
    """The PDF's text (tables as pipe rows). Raises InputError for unreadable PDFs."""
    result = run_limited(multiprocessing.get_context("fork"), _LIMITS, _read, (data,))
    text, pages = result
    if not text and ocr.available():  # a scan: read by OCR (ocr.py); without the engine it stays "needs OCR"
        return ocr.pdf_ocr(data, pages)
    doc = text_document(text, kind="pdf", encoding="pdf", pages=pages)
    doc.scanned = not text
    return doc
