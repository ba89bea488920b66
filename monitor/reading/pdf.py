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
import itertools
import multiprocessing
import re
from typing import Any

from monitor.errors import InputError
from monitor.model import IMAGE_MARK, UNREAD_PAGE, Block, Document, Grid, GridCell
from monitor.reading import ocr
from monitor.reading.layout import PAGE_NUMBER
from monitor.reading.page_rulings import cut_rulings, own_columns
from monitor.reading.pagebreaks import join_split_headers, join_split_rows, without_running_lines
from monitor.reading.sandbox import Limits, run_limited

MAX_PAGES = 100  # real reports have 5-20 pages
MEMORY_LIMIT = 1024 * 2**20
CPU_SECONDS = 60
EDGE = 1.0  # points: how far apart two ruling lines may be and still be one
TURNED = 0.05  # a character's rotation (its text matrix's b or c) above which it is not the page's text
WATERMARK = 2.5  # characters this many times the page's usual size are a watermark, not its text
RAISED = 0.8  # a character smaller than this share of the one before it, and raised, is a note mark
STRIKE_WIDTH = 1.5  # points: a line or filled bar at most this thick may strike text through
WHITE = 0.97  # a colour this light (0 black, 1 white) is white on a white page
DARK = 0.6  # a fill this dark or darker shows white text on it (not the light greys tables are shaded with)
STRIKE_END = 1.5  # points: a strike begins and ends with the characters it crosses (a ruling runs on to the edge)
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


def _text_only(page: Any) -> Any:
    """The page without what is not its text: characters drawn twice (a bold faked by printing twice reads
    "一一、、总总"), a watermark's (set at an angle, or far larger than the page's text), and those a reader does not
    read as what they say (struck through, a raised note mark). White characters are read: what lies under them (a
    shaded cell, a banner drawn as a curve, a picture) is not known for certain; but a white digit run on from a
    seen one over nothing drawn is not seen ("20" and a white "0" is 20: ``_white_digits``)."""
    page = page.dedupe_chars(tolerance=1)
    sizes = sorted(c["size"] for c in page.chars)
    usual = sizes[len(sizes) // 2] if sizes else 0

    unseen = _struck(page) | _raised(page) | _white_digits(page)

    def text(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        matrix = obj.get("matrix") or (1, 0, 0, 1, 0, 0)
        turned = abs(matrix[1]) > TURNED or abs(matrix[2]) > TURNED  # drawn at an angle: a watermark's
        if unseen and (obj["x0"], obj["top"]) in unseen:
            return False
        return bool(obj.get("upright", True)) and not turned and obj["size"] <= usual * WATERMARK

    return page.filter(text)


def _raised(page: Any) -> set[tuple[float, float]]:
    """Note marks, as (x0, top): a character set small and raised right after another ("6¹" is 6, not 61)."""
    return {
        (c["x0"], c["top"])
        for before, c in itertools.pairwise(page.chars)
        if c["size"] < RAISED * before["size"]
        and abs(c["x0"] - before["x1"]) <= 2 * EDGE
        and c["bottom"] < before["bottom"] - 0.2 * before["size"]
    }


def _lightness(color: Any) -> float | None:
    """A fill colour's lightness (0 black, 1 white) from grey, RGB or CMYK components; None where it is not known (a
    pattern's, none)."""
    if not isinstance(color, (tuple, list)) or not color or not all(isinstance(v, (int, float)) for v in color):
        return None
    if len(color) == 1:
        return float(color[0])
    if len(color) == 3:
        r, g, b = (float(v) for v in color)
    elif len(color) == 4:
        c, m, y, k = (float(v) for v in color)
        r, g, b = (1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)
    else:
        return None
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _is_white(char: dict[str, Any]) -> bool:
    """Whether a character is filled white (or as near as a reader cannot tell it from the page)."""
    light = _lightness(char.get("non_stroking_color"))
    return light is not None and light >= WHITE


def _white_digits(page: Any) -> set[tuple[float, float]]:
    """White digits, as (x0, top), run on from a digit a reader sees on the same line (a figure left in white after
    another: a reader of the page sees the other alone), where nothing is drawn under them: a dark rectangle or
    curve, or a picture, under a white character may be its shading, and it is read."""
    chars = page.chars
    return {
        (c["x0"], c["top"])
        for i, c in enumerate(chars)
        if c["text"].isdigit() and _is_white(c) and _runs_on(page, i) and not _under(page, c)
    }


def _runs_on(page: Any, i: int) -> bool:
    """Whether the digits joined to character ``i`` on its line (spaces between them passed over), either way, reach
    one a reader sees: not white, or white on something drawn under it."""
    chars = page.chars
    for step in (-1, 1):
        j, last = i + step, chars[i]
        while 0 <= j < len(chars) and (chars[j]["text"].isdigit() or chars[j]["text"].isspace()):
            if chars[j]["text"].isspace():
                j += step
                continue
            if not _beside(last, chars[j]):
                break
            if not _is_white(chars[j]) or _under(page, chars[j]):
                return True
            last, j = chars[j], j + step
    return False


def _beside(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two characters on one line at most a character's size apart (a space, letter-spacing)."""
    gap = min(abs(float(a["x1"]) - float(b["x0"])), abs(float(b["x1"]) - float(a["x0"])))
    return abs(float(a["top"]) - float(b["top"])) <= EDGE and gap <= max(float(a["size"]), 2 * EDGE)


def _under(page: Any, c: dict[str, Any]) -> bool:
    """Whether something is drawn under a character's middle that white shows on: a filled rectangle or curve of a
    dark colour or one not known, a picture."""
    x, y = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    for o in (*page.rects, *page.curves, *page.images):
        if not (o["x0"] <= x <= o["x1"] and o["top"] <= y <= o["bottom"]):
            continue
        if o.get("object_type") == "image":
            return True
        light = _lightness(o.get("non_stroking_color"))
        if o.get("fill") and (light is None or light <= DARK):
            return True
    return False


def _struck(page: Any) -> set[tuple[float, float]]:
    """The characters struck through, as (x0, top): a number corrected by hand, or a draft exported with its tracked
    changes showing ("<s>9</s>10" is 10, not 910). A strike is a horizontal line through the middle of characters that
    begins and ends with them; a table's ruling runs past its text to the cell's edges, an underline (a tracked
    insertion's) lies below the characters."""
    segments = [
        (o["x0"], o["x1"], (o["top"] + o["bottom"]) / 2)
        for o in (*page.lines, *page.rects)
        if o["bottom"] - o["top"] <= STRIKE_WIDTH and o["x1"] - o["x0"] >= 1
    ]
    if not segments or not page.chars:
        return set()
    chars = sorted(page.chars, key=lambda c: c["top"])
    tops = [c["top"] for c in chars]
    tallest = max(c["bottom"] - c["top"] for c in chars)
    found: set[tuple[float, float]] = set()
    for x0, x1, y in segments:
        through = [
            c
            for c in chars[bisect.bisect_left(tops, y - tallest) : bisect.bisect_right(tops, y)]
            if c["top"] + 0.3 * (c["bottom"] - c["top"]) <= y <= c["top"] + 0.9 * (c["bottom"] - c["top"])
            and x0 - EDGE <= (c["x0"] + c["x1"]) / 2 <= x1 + EDGE
        ]
        if (
            through
            and abs(min(c["x0"] for c in through) - x0) <= STRIKE_END
            and abs(max(c["x1"] for c in through) - x1) <= STRIKE_END
        ):
            found |= {(c["x0"], c["top"]) for c in through}
    return found


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
    if _mostly_turned(page.chars):  # (sideways, upside down)
        page = _turned(page)
        if page is None:
            return [(0.0, UNREAD_PAGE)]  # text set sideways every way: its lines and cells cannot be read in order
    if overlaid:
        return [(0.0, IMAGE_MARK), (0.0, UNREAD_PAGE)]  # its words are a scanner's OCR's, not what a reader sees
    if len(page.chars) < STAMP_CHARS and _covered(page):  # a scan among typed pages (or a short page on a
        return [(0.0, IMAGE_MARK), (0.0, UNREAD_PAGE), *_read_items(page)]  # background picture): its text kept
    return _read_items(page)


def _turned(page: Any) -> Any:
    """The page turned a quarter, three quarters or half round, the way its text stands upright (review 100: a page
    given /Rotate 90, or a landscape table printed on a portrait page, was "只有图片或附件"), or None. pdfminer draws a
    page in its /Rotate: each turn is tried by that, the page's layout made while it holds."""
    from pdfplumber.page import Page  # noqa: PLC0415

    held = page.page_obj.rotate
    try:
        for turn in (90, 270, 180):
            page.page_obj.rotate = (held + turn) % 360
            turned = Page(page.pdf, page.page_obj, page_number=page.page_number, initial_doctop=page.initial_doctop)
            if not _mostly_turned(turned.chars):  # (its layout made now, with this turn)
                return turned
    finally:
        page.page_obj.rotate = held
    return None


def _mostly_turned(chars: list[dict[str, Any]]) -> bool:
    """Whether more of a page's characters are set a quarter or a half turn round than upright. A character set
    at a slant (a watermark's, a stamp's) counts neither way (a download stamp over a short page outnumbered its
    words)."""
    standing = turned = 0
    for char in chars:
        a, b, c, d = char.get("matrix", (1, 0, 0, 1))[:4]
        size = max(abs(a), abs(b), abs(c), abs(d)) or 1
        if abs(b) <= TURNED * size and abs(c) <= TURNED * size:  # upright, or upside down
            standing += a > 0 and d > 0
            turned += not (a > 0 and d > 0)
        elif abs(a) <= TURNED * size and abs(d) <= TURNED * size:  # a quarter turn either way
            turned += 1
    return turned > standing


def _read_items(page: Any) -> list[Item]:
    page = _text_only(page)
    items: list[Item] = []
    boxes = []
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
    for table in page.find_tables({"explicit_horizontal_lines": cut_rulings(page)}):
        texts = table.extract()
        for run in _runs(table):
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
