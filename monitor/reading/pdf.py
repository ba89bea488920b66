"""Stage: extract (PDF). A report PDF -> a Document: text lines, and each ruled table as a Grid.

pdfplumber finds the ruled tables. Only rows with at least two cells count as grid rows:
agencies often draw a frame around the whole page, and pdfplumber reports that frame as a
one-column "table" whose cells cut prose lines short, so prose (and a table's one-cell title
rows, "第二十条第（一）项") comes from the page's text lines instead. Each run of grid rows becomes a
``Grid`` whose cells keep the rows and columns they span (a merged cell comes back once, at its
first slot), so the table readers place each value by its header, as in HTML. Each grid row also
keeps its words as the text layer gives them, left to right (``Grid.lines``): a second reading of
its numbers that does not depend on the ruling lines. Grids and text lines are merged by their
position on the page, so a table that continues on the next page continues as the next grid.

Reading runs in a forked child with memory and CPU limits and a timeout, so a PDF bomb or a
500-page file costs bounded time and memory and ends in a clear error.
"""

from __future__ import annotations

import bisect
import multiprocessing
import re
from typing import Any

from monitor.errors import InputError
from monitor.model import IMAGE_MARK, UNREAD_PAGE, Block, Document, Grid, GridCell
from monitor.reading import ocr
from monitor.reading.layout import PAGE_NUMBER
from monitor.reading.page_rulings import cut_rulings, own_columns
from monitor.reading.pagebreaks import join_split_headers, join_split_rows, without_running_lines
from monitor.reading.parts import heading_parts
from monitor.reading.pdf_text import EDGE, mostly_turned, text_only, turned
from monitor.reading.sandbox import Limits, run_limited

MAX_PAGES = 100  # real reports have 5-20 pages
MEMORY_LIMIT = 1024 * 2**20
CPU_SECONDS = 60
MIN_PICTURE = 120.0  # points (about 4 cm): smaller pictures are seals, logos and signatures
COVERING = 0.7  # pictures covering this share of their page (within it) are the page: a scan of it, or its background
# characters on a scanned page that are no text layer of it: a scanner app's mark, a portal's upload stamp
# ("Scanned with CamScanner", 本文件由…扫描上传，与原件一致); a scanner's OCR layer over the page has hundreds
STAMP_CHARS = 200
# text drawn invisible (render mode 3, or 7: a clip) as a scanner's OCR layer is, in the page or in a form it draws
_INVISIBLE = re.compile(rb"(?<![\d.])[37]\s+Tr\b")

Item = tuple[float, "str | Grid"]  # (top on the page, a text line or a grid)


def _text(cell: str | None) -> str:
    return " ".join((cell or "").split()).replace("|", "/")


def _runs(table: Any) -> list[list[int]]:
    """The table's grid rows (two cells or more across them), in runs of consecutive rows: a frame's one-cell rows
    split them (they are prose, or a table's title row, and are read as text lines). A cell from a row above that
    spans this one counts: a label's second line ruled off in its own cell beside numbers merged over both (as
    LibreOffice prints a portal page's label: review 108 H3) is a line of the table's row, not a frame's."""
    runs: list[list[int]] = [[]]
    for i, row in enumerate(table.rows):
        top = row.bbox[1]
        bottom = top + _height(table, i) - EDGE
        if sum(1 for b in table.cells if b[1] < bottom - EDGE and b[3] > top + EDGE) >= 2:
            runs[-1].append(i)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _grid(table: Any, texts: list[list[str | None]], run: list[int], words: list[dict[str, Any]]) -> Grid:
    """One run of a table's rows as a Grid: each cell at its first slot, with the rows and columns its box
    spans; and each row's words in the text layer, left to right."""
    boxes = [box for i in run for box in table.rows[i].cells if box is not None]
    starts = own_columns([c.bbox[0] for c in table.columns], boxes)
    tops = [table.rows[i].bbox[1] for i in run]
    slots: list[list[GridCell | None]] = [[None] * len(starts) for _ in run]
    cells: list[GridCell] = []
    for r, i in enumerate(run):
        index = 0
        for k, box in enumerate(table.rows[i].cells):
            if box is None:
                continue
            x0, top, x1, bottom = box
            j = max(0, bisect.bisect_right(starts, x0 + EDGE) - 1)  # its slot among these rows' own columns
            if slots[r][j] is not None:
                continue
            text = texts[i][k]
            colspan = max(1, sum(1 for x in starts if x0 - EDGE <= x < x1 - EDGE))
            rowspan = max(1, sum(1 for t in tops[r:] if top - EDGE <= t < bottom - EDGE))
            if rowspan > 1 and (end := _first_inside(box, boxes)) is not None:  # no ruling line under it: it ends
                text = _text_in(table.page, (x0, top, x1, end))  # where the first cell inside it begins
                rowspan = max(1, sum(1 for t in tops[r:] if top - EDGE <= t < end - EDGE))
            cell = GridCell(_text(text), r, j, rowspan, colspan, index)
            index += 1
            cells.append(cell)
            for dr in range(rowspan):
                for dc in range(min(colspan, len(starts) - j)):
                    slots[r + dr][j + dc] = cell
    lines = []
    for i in run:
        _, top, _, bottom = table.rows[i].bbox
        # across the table: numbers merged over a label's lines, each line ruled off in a cell of its own, are
        # words of the line they are centred on, outside that line's own cell (review 108 H3)
        x0, x1 = table.bbox[0], table.bbox[2]
        # the row's own band: a label cell spanning the rows below would bring their numbers into this one's
        bands = [box for box in table.rows[i].cells if box is not None and box[3] - box[1] <= _height(table, i)]
        if bands:
            top, bottom = min(b[1] for b in bands), max(b[3] for b in bands)
        inside = [w for w in words if top <= (w["top"] + w["bottom"]) / 2 <= bottom and x0 <= w["x0"] < x1]
        lines.append(" ".join(w["text"] for w in sorted(inside, key=lambda w: w["x0"])))
    return Grid(cells, slots, lines=lines, starts=(*starts, max(b[2] for b in boxes)))


def _first_inside(box: tuple[float, float, float, float], boxes: list[Any]) -> float | None:
    """Where the first cell lying inside ``box``, below its top, begins; None where none does. A cell's box holds no
    other cell: pdfplumber gives one that does where a ruling line under a cell is not drawn (a repeated header's
    top-left cell, over the labels of the rows a split table carries on, as LibreOffice prints it; audit 16 F9),
    and the cells inside are the rows', not its."""
    x0, top, x1, bottom = box
    inside = [
        b[1] for b in boxes if b[0] >= x0 - EDGE and b[2] <= x1 + EDGE and b[1] > top + EDGE and b[3] <= bottom + EDGE
    ]
    return min(inside, default=None)


def _text_in(page: Any, box: tuple[float, float, float, float]) -> str:
    """The text of the characters within ``box``, by their centres, as pdfplumber gives a cell's (``Table.extract``):
    a character touching the next cell stays in its own."""
    from pdfplumber.utils.text import extract_text  # noqa: PLC0415  (in the reader's child, as pdfplumber is)

    x0, top, x1, bottom = box
    inside = [
        c for c in page.chars if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= (c["top"] + c["bottom"]) / 2 < bottom
    ]
    return str(extract_text(inside)) if inside else ""


def _height(table: Any, i: int) -> float:
    """The height of row ``i`` alone: from its top to the next row's top (the table's bottom for the last)."""
    top = table.rows[i].bbox[1]
    below = [row.bbox[1] for row in table.rows if row.bbox[1] > top + EDGE]
    return float(min(below) if below else table.bbox[3]) - float(top) + EDGE


def _covered(page: Any) -> bool:
    """Whether pictures cover the page (each counted within the page: a tiled background's tiles off it are not)."""
    width, height = float(page.width), float(page.height)
    area = 0.0
    for i in page.images:
        x0, x1, top, bottom = max(i["x0"], 0), min(i["x1"], width), max(i["top"], 0), min(i["bottom"], height)
        area += max(x1 - x0, 0) * max(bottom - top, 0)
    return area >= COVERING * width * height


def _invisible_layer(page: Any) -> bool:
    """Whether the page draws text invisible (``3 Tr``), as a scanner's "searchable PDF" lays its OCR over its
    picture of the page; an office's export never does."""
    from pdfminer.pdftypes import resolve1  # noqa: PLC0415

    try:
        streams = [resolve1(s) for s in page.page_obj.contents]
        forms = resolve1(resolve1(page.page_obj.resources or {}).get("XObject") or {})
        streams += [x for x in map(resolve1, forms.values()) if x.get("Subtype") and x["Subtype"].name == "Form"]
        return any(_INVISIBLE.search(s.get_data()) for s in streams)
    except Exception:  # a damaged stream: no layer known
        return False


def _page_items(page: Any, overlaid: bool = False) -> list[Item]:
    """The page's lines and tables in reading order. A scanned page (pictures cover it, and no more than a stamp's
    characters lie over them; or an OCR layer no reader sees, in a PDF mostly typed) is a picture and a page not
    read, beside what text it has; a page set sideways is read turned upright, as a reader turns it (or, if no turn
    stands its text upright, not read)."""
    if mostly_turned(page.chars):  # (sideways, upside down)
        page = turned(page)
        if page is None:
            return [(0.0, UNREAD_PAGE)]  # text set sideways every way: its lines and cells cannot be read in order
    if overlaid:
        return [(0.0, IMAGE_MARK), (0.0, UNREAD_PAGE)]  # its words are a scanner's OCR's, not what a reader sees
    if len(page.chars) < STAMP_CHARS and _covered(page):  # a scan among typed pages (or a short page on a
        return [(0.0, IMAGE_MARK), (0.0, UNREAD_PAGE), *_read_items(page)]  # background picture): its text kept
    return _read_items(page)


def _read_items(page: Any) -> list[Item]:
    page = text_only(page)
    items: list[Item] = []
    boxes = []
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
    for table in page.find_tables({"explicit_horizontal_lines": cut_rulings(page)}):
        texts = table.extract()
        for run in _runs(table):
            if len(run) == 1 and _boxed_heading(texts[run[0]]):
                continue  # read as the page's text line it is
            items.append((table.rows[run[0]].bbox[1], _grid(table, texts, run, words)))
            boxes += [table.rows[i].bbox for i in run]

    def outside(obj: dict[str, Any]) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    for image in page.images:  # a picture the size of a table may be one: never read as zeros, and said so
        if image["x1"] - image["x0"] >= MIN_PICTURE and image["bottom"] - image["top"] >= MIN_PICTURE:
            items.append((image["top"], IMAGE_MARK))
    text_page = page.filter(lambda o: o.get("object_type") != "char" or outside(o)) if boxes else page
    for line in text_page.extract_text_lines():
        text = line["text"].strip()
        if text and not PAGE_NUMBER.match(text):
            items.append((line["top"], text))
    return sorted(items, key=lambda item: item[0])


def _boxed_heading(cells: list[str | None]) -> bool:
    """Whether a ruled row alone is a part's heading in a box ("| | 五、存在的主要问题及改进情况 |": a page pasted from
    Word keeps its headings in ruled cells, review 110): its one written cell heads a part, and no table holds it."""
    written = [_text(c) for c in cells if _text(c)]
    return len(written) == 1 and bool(heading_parts(written[0]))


def _read(data: bytes) -> tuple[list[Block], int, bool, bool]:
    """The PDF's blocks in reading order, its page count, whether it has a text layer at all (a page scanned with
    a stamp or a scanner app's mark on it has none), and whether that layer lies over scanned pages (a "searchable"
    scan: a scanner's OCR wrote it, and its words are no more certain than govmon's OCR's)."""
    import io  # noqa: PLC0415 - imported in the child
    import logging  # noqa: PLC0415

    import pdfplumber  # noqa: PLC0415
    from pdfminer.pdfdocument import PDFPasswordIncorrect  # noqa: PLC0415

    # pdfminer's own warnings (a font without its FontBBox: every PDF Chromium prints) are not the reader's: in
    # English, before `govmon check`'s answer, or in the journal once a font
    logging.getLogger("pdfminer").setLevel(logging.ERROR)

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfplumber wraps pdfminer's errors: PdfminerException(PDFPasswordIncorrect())
        if any(isinstance(e, PDFPasswordIncorrect) for e in (exc, *exc.args)):
            raise InputError("PDF已加密（设有密码），无法读取") from exc
        raise
    with pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise InputError(f"PDF有{len(pdf.pages)}页，超过{MAX_PAGES}页的报告不予读取")
        blocks: list[Block] = []
        lines: list[str] = []
        chars = scans = 0
        layers = []  # the pages a scanner's OCR layer lies over
        for page in pdf.pages:
            covered = _covered(page)
            scans += covered and len(page.chars) < STAMP_CHARS
            layers.append(covered and bool(page.chars) and _invisible_layer(page))
            chars += len(page.chars)
        # most pages with text such pages: a searchable scan (a typed cover, maybe), read from its layer as from OCR
        # (no number certain); a few among typed ones (a stamped page scanned in and "recognised"): pictures not read
        overlaid = sum(layers) * 2 > sum(1 for page in pdf.pages if page.chars)
        pages = []
        for page, layer in zip(pdf.pages, layers, strict=True):
            pages.append([item for _, item in _page_items(page, layer and not overlaid)])
            page.flush_cache()
        for item in join_split_headers([item for items in without_running_lines(pages) for item in items]):
            if isinstance(item, str):
                lines.append(item)
                continue
            if lines:
                blocks.append(Block("\n".join(lines)))
                lines = []
            item.number = sum(1 for b in blocks if b.grid is not None)
            blocks.append(Block(grid=item))
        if lines:
            blocks.append(Block("\n".join(lines)))
        if chars < 20 * len(pdf.pages) or scans == len(pdf.pages):  # no text layer: a scan, which needs OCR
            return [], len(pdf.pages), False, False
        return join_split_rows(blocks), len(pdf.pages), True, overlaid


_LIMITS = Limits(
    CPU_SECONDS,
    MEMORY_LIMIT,
    too_long=f"读取PDF超过{CPU_SECONDS + 5}秒，已放弃",
    exhausted="读取PDF超出内存或时间限制（可能是恶意构造的PDF），已放弃",
    failed="PDF文件无法读取",  # pdfminer raises many kinds of errors on damaged files
)


def pdf_document(data: bytes) -> Document:
    """The PDF's text lines and ruled tables (a scan: read by OCR where installed). Raises InputError for
    unreadable PDFs."""
    blocks, pages, layer, overlaid = run_limited(multiprocessing.get_context("fork"), _LIMITS, _read, (data,))
    if not layer and ocr.available():  # a scan: read by OCR (ocr.py); without the engine it stays "needs OCR"
        return ocr.pdf_ocr(data, pages)
    return Document(blocks, kind="pdf", encoding="pdf", pages=pages, scanned=not layer, ocr=overlaid)
