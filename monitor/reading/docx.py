"""Stage: extract (DOCX). A Word report -> a Document: paragraphs as text, tables as grids.

Paragraphs and tables are read in body order from the document's XML (python-docx opens it): a merged cell
is one cell with its rowspan and colspan, as an HTML table gives it; what Word shows is read (tracked
insertions in, deletions, hidden and struck-through text and note marks out, a cell with any of them not
certain). The archive is checked before it is opened: a zip bomb (huge declared sizes or a
suspicious compression ratio) is refused with a clear error.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from monitor.errors import InputError
from monitor.model import IMAGE_MARK, Block, Document, Grid, GridCell
from monitor.model.failures import damaged
from monitor.reading.cells import DEBRIS
from monitor.reading.normalise import ideographs

MAX_UNPACKED = 64 * 2**20
MAX_RATIO = 200


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise InputError("文件像是DOCX（zip压缩包），但压缩包已损坏") from exc
    if "word/document.xml" not in {i.filename for i in infos}:
        raise InputError("这个zip压缩包不是Word .docx文档（没有word/document.xml）")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNPACKED or total / packed > MAX_RATIO:
        raise InputError(f"DOCX解压后有{total / 2**20:.0f} MiB（压缩比{total // packed}:1），疑为压缩炸弹，不予读取")


def _grid(tbl: Any, number: int) -> Grid:
    """A Word table from its XML: each <w:tc> at its first slot, spanning its w:gridSpan columns and, with
    w:vMerge, the rows below it that continue it. A continuation with nothing above it (a table Word split at
    a merge) starts a cell of its own, as Word shows it."""
    grid: list[list[list[Any] | None]] = []  # per row, per slot: the cell [text, row, col, rowspan, colspan, index]
    cells: list[list[Any]] = []
    for r, tr in enumerate(_within(tbl, W + "tr")):
        line: list[list[Any] | None] = []
        before = tr.find(f"{W}trPr/{W}gridBefore")
        line += [None] * _int(before, 0)
        index = 0
        for tc in _within(tr, W + "tc"):
            props = tc.find(W + "tcPr")
            span = _int(props.find(W + "gridSpan") if props is not None else None, 1)
            merge = props.find(W + "vMerge") if props is not None else None
            col = len(line)
            above = grid[r - 1][col] if r and col < len(grid[r - 1]) else None
            if merge is not None and merge.get(W + "val") in (None, "continue") and above is not None:
                above[3] += 1  # the cell above goes on down
                line += [above] * span
                continue
            cell = [" ".join(visible_text(tc, cell=True).split()), r, col, 1, span, index]
            index += 1
            cells.append(cell)
            line += [cell] * span
        grid.append(line)
    width = max((len(line) for line in grid), default=0)
    made = {id(c): GridCell(c[0], c[1], c[2], c[3], c[4], c[5]) for c in cells}
    slots = [[made[id(x)] if x else None for x in line] + [None] * (width - len(line)) for line in grid]
    return Grid([made[id(c)] for c in cells], slots, number)


def _within(el: Any, tag: str) -> Iterator[Any]:
    """``el``'s children of ``tag``, and those a content control (Word's repeating section of a form template:
    w:sdt/w:sdtContent) or custom XML wraps: a row so wrapped is on the page like any other."""
    for child in el.iterchildren(tag, *_WRAPPERS):
        inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
        if child.tag == tag:
            yield child
        elif inner is not None:
            yield from _within(inner, tag)


def _int(el: Any, default: int) -> int:
    try:
        return max(1, int(el.get(W + "val"))) if el is not None else default
    except (TypeError, ValueError):
        return default


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WRAPPERS = (W + "sdt", W + "customXml")  # content controls and custom XML: they wrap rows, cells, paragraphs
_GONE = {W + "del", W + "moveFrom"}  # tracked deletions: not what Word shows
_CHANGED = (W + "ins", W + "del", W + "moveTo", W + "moveFrom")


def _hidden(t: Any) -> bool:
    """A text run a reader does not read as what it says: inside a tracked deletion, formatted hidden (w:vanish),
    struck through (a correction typed over by hand: "<s>9</s>10" is 10, not 910), or raised or lowered (a note
    mark, not the cell's number: "6¹" is 6). White text is read: on a shaded cell or a dark banner it is seen (but
    see ``_white``)."""
    for up in t.iterancestors():
        if up.tag in _GONE:
            return True
        if up.tag == W + "r":
            props = up.find(W + "rPr")
            if props is None:
                return False
            style = props.find(W + "rStyle")
            return _unseen(props) or (style is not None and style.get(W + "val") in _UNSEEN_STYLES.get())
    return False


def _white(t: Any, top: Any) -> bool:
    """Text set in white with no shading under it of its run, its paragraph or ``top`` (the cell): on a white page a
    reader does not see it. A table style's shading is not known here, so a cell's white text is left out only beside
    text that is not white (``visible_text``)."""
    run = t.getparent()
    color = run.find(f"{W}rPr/{W}color")
    if color is None or str(color.get(W + "val", "")).upper() not in ("FFFFFF", "WHITE"):
        return False
    for up in run.iterancestors():
        props = up.find(W + ("tcPr" if up.tag == W + "tc" else "pPr"))
        if up.tag in (W + "p", W + "tc") and props is not None and _shaded(props):
            return False
        if up is top:
            break
    return not _shaded(run.find(W + "rPr"))


def _shaded(props: Any) -> bool:
    """Whether properties (a run's, a paragraph's, a cell's) put a colour under their text: shading or a highlight."""
    shading, highlight = props.find(W + "shd"), props.find(W + "highlight")
    fill = str(shading.get(W + "fill", "auto")).upper() if shading is not None else "AUTO"
    pattern = str(shading.get(W + "val", "clear")) if shading is not None else "clear"
    marked = highlight is not None and str(highlight.get(W + "val", "none")) not in ("none", "white")
    return marked or fill not in ("AUTO", "FFFFFF") or pattern not in ("clear", "nil")


def _unseen(props: Any) -> bool:
    """Whether run properties (a run's, or a character style's) make its text one a reader does not read as it."""
    if any(_on(props.find(W + name)) for name in ("vanish", "strike", "dstrike")):
        return True
    align = props.find(W + "vertAlign")
    return align is not None and align.get(W + "val") in ("superscript", "subscript")


# the character styles of the document being read that make a run unseen (a 脚注引用 style raising note marks)
_UNSEEN_STYLES: ContextVar[frozenset[str]] = ContextVar("unseen_styles", default=frozenset())


def _unseen_styles(styles: Any) -> frozenset[str]:
    found = set()
    for style in styles.iter(W + "style"):
        props = style.find(W + "rPr")
        if style.get(W + "type") == "character" and props is not None and _unseen(props):
            found.add(str(style.get(W + "styleId")))
    return frozenset(found)


def _on(toggle: Any) -> bool:
    """Whether a toggle property (<w:strike/>, <w:vanish w:val="0"/>) is set: present, and not turned off."""
    return toggle is not None and str(toggle.get(W + "val", "true")).lower() not in ("0", "false", "off")


MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_BOX = W + "txbxContent"  # a text box's paragraphs


def _elsewhere(node: Any, top: Any, boxes: bool) -> bool:
    """Whether ``node`` is text Word does not show at this place in ``top``: the second copy of a drawing Word
    writes for older readers (mc:Fallback: a text box's VML twin, the same words again), or, without ``boxes``, the
    words of a text box drawn over the page (read as lines of their own)."""
    for up in node.iterancestors():
        if up is top:
            return False
        if up.tag == MC + "Fallback" or (up.tag == _BOX and not boxes):
            return True
    return False


def visible_text(el: Any, cell: bool = False) -> str:
    """The text Word shows in a paragraph or cell: tracked insertions in, deletions and hidden text out (python-docx
    leaves insertions out); a text box's words once (in a cell, where they stand; in a paragraph, not: they are
    lines of their own, ``text_boxes``). In a table cell, a tracked change or hidden text makes its number not
    certain: the cell is marked with the debris character the cell grammar reads as such."""
    parts: list[str] = []
    white: list[int] = []  # in a cell: the parts in white (``_white``)
    unsure = False
    for node in el.iter(W + "t", W + "tab", W + "br", W + "cr"):
        if _elsewhere(node, el, boxes=cell):
            continue
        if _hidden(node):
            unsure = True
            continue
        if cell and node.tag == W + "t" and _white(node, el):
            white.append(len(parts))
        parts.append(node.text or "" if node.tag == W + "t" else " ")
    if white and _left_in_white(parts, white):  # "20" and a white "0": 20, not 200, and not for certain
        unsure = True
        parts = [p for i, p in enumerate(parts) if i not in set(white)]
    if cell and (unsure or next(el.iter(*_CHANGED), None) is not None):
        parts.append(DEBRIS)
    return "".join(parts)


def _left_in_white(parts: list[str], white: list[int]) -> bool:
    """Whether a cell's white parts are a figure left beside its seen text (a "0" after "20", no words): where the
    whole cell is white, it is on a shading a table style gives (a header row's white words on dark)."""
    seen = "".join(p for i, p in enumerate(parts) if i not in set(white))
    left = "".join(parts[i] for i in white)
    return bool(seen.strip()) and not ideographs(left) and any(c.isdigit() for c in left)


def _is_layout(tbl: Any) -> bool:
    """A table used to lay out the page (one cell, or cells holding tables or whole paragraphs of prose): its
    contents are read as the body they are, not as a grid."""
    cells = list(tbl.iter(W + "tc"))
    if len(cells) <= 1:
        return True
    return any(c.find(".//" + W + "tbl") is not None for c in cells) or any(len(visible_text(c)) > 150 for c in cells)


def _body(container: Any, document: Any, blocks: list[Block], lines: list[str]) -> None:
    """The paragraphs and tables of a body (or of a layout table's cells) in order: text lines, a picture as its
    marker, each data table as a grid."""
    for block in container.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            if next(block.iter(W + "drawing", W + "pict", W + "object"), None) is not None:
                lines.append(IMAGE_MARK)
            lines.append(visible_text(block).strip())
            for box in block.iter(_BOX):  # each text box once, its paragraphs (and tables) after the paragraph's own
                if not _elsewhere(box, block, boxes=False):
                    _body(box, document, blocks, lines)
        elif tag == "tbl" and _is_layout(block):
            for tc in block.iter(W + "tc"):
                if not any(up.tag == W + "tc" for up in tc.iterancestors() if up is not block):
                    _body(tc, document, blocks, lines)
        elif tag == "tbl":
            if lines:
                blocks.append(Block("\n".join(lines)))
                lines.clear()
            blocks.append(Block(grid=_grid(block, len([b for b in blocks if b.grid]))))
        elif tag in ("sdt", "customXml", "sdtContent"):  # content controls wrap paragraphs and tables
            _body(block.find(W + "sdtContent") if tag == "sdt" else block, document, blocks, lines)


def docx_document(data: bytes) -> Document:
    _check_archive(data)
    import docx  # noqa: PLC0415 - python-docx, loaded only for Word files

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on damaged files
        raise InputError(damaged("DOCX文件无法读取", exc)) from exc
    blocks: list[Block] = []
    lines: list[str] = []
    unseen = _UNSEEN_STYLES.set(_unseen_styles(document.styles.element))
    try:
        _body(document.element.body, document, blocks, lines)
    finally:
        _UNSEEN_STYLES.reset(unseen)
    if lines:
        blocks.append(Block("\n".join(lines)))
    return Document(blocks, kind="docx", encoding="docx")
