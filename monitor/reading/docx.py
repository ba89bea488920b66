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
from typing import Any

from monitor.errors import InputError
from monitor.model import IMAGE_MARK, Block, Document, Grid, GridCell
from monitor.model.failures import damaged
from monitor.reading.cells import DEBRIS, lines_apart
from monitor.reading.word_runs import LOOKS, W, hidden, left_in_white, looks, marked_after, raised, white

MAX_UNPACKED = 64 * 2**20
MAX_RATIO = 200


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise InputError("文件像是DOCX（zip压缩包），但压缩包已损坏") from exc
    if "word/document.xml" not in {i.filename for i in infos}:
        raise InputError("Word文档已损坏：其中没有正文（word/document.xml），无法读取")
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
            text = visible_text(tc, cell=True)
            cell = [lines_apart(text.split("\n")) or " ".join(text.split()), r, col, 1, span, index]
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


_WRAPPERS = (W + "sdt", W + "customXml")  # content controls and custom XML: they wrap rows, cells, paragraphs
# a tracked change that takes text away: the cell had another number (review 100: a draft typed with 修订 on, its
# numbers all insertions and nothing taken away, reads as Word shows it, for certain)
_REMOVED = (W + "del", W + "moveFrom")


MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_BOX = W + "txbxContent"  # a text box's paragraphs


def _elsewhere(node: Any, top: Any, boxes: bool) -> bool:
    """Whether ``node`` is text Word does not show at this place in ``top``: the second copy of a drawing Word
    writes for older readers (mc:Fallback: a text box's VML twin, the same words again), without ``boxes`` the
    words of a text box drawn over the page (read as lines of their own), or a form's content control not filled
    in, showing its placeholder (review 100: "单击或点击此处输入文字。" in a number's cell is a cell left blank)."""
    for up in node.iterancestors():
        if up is top:
            return False
        if (
            up.tag == MC + "Fallback"
            or (up.tag == _BOX and not boxes)
            or (up.tag == W + "sdtContent" and _unfilled(up))
        ):
            return True
    return False


def _unfilled(content: Any) -> bool:
    """Whether a content control shows its placeholder: so marked, and holding no figure (a program filling a
    template writes the number and may leave the mark: Word shows the number; review 101)."""
    control = content.getparent()
    props = control.find(W + "sdtPr") if control is not None else None
    if props is None or props.find(W + "showingPlcHdr") is None:
        return False
    return not any(c.isdigit() for t in content.iter(W + "t") for c in t.text or "")


def _partly_inserted(cell: Any) -> bool:
    """Whether a cell's figures are some inserted and some not (a digit typed beside the number with 修订 on: "12"
    and an inserted "4" read 124 as Word shows it, 12 before; review 101): two readings. A number inserted whole has
    one."""
    kinds = {
        any(up.tag in _INSERTED for up in t.iterancestors())
        for t in cell.iter(W + "t")
        if any(c.isdigit() for c in t.text or "")
    }
    return len(kinds) > 1


_INSERTED = (W + "ins", W + "moveTo")


def visible_text(el: Any, cell: bool = False) -> str:
    """The text Word shows in a paragraph or cell: tracked insertions in, deletions and hidden text out (python-docx
    leaves insertions out); a text box's words once (in a cell, where they stand; in a paragraph, not: they are
    lines of their own, ``text_boxes``). In a table cell, a tracked change or hidden text makes its number not
    certain: the cell is marked with the debris character the cell grammar reads as such."""
    parts: list[str] = []
    whites: list[int] = []  # in a cell: the parts in white (``word_runs.white``)
    ups: list[int] = []  # and those raised or lowered (``word_runs.raised``)
    unsure = False
    for node in el.iter(W + "t", W + "tab", W + "br", W + "cr", *((W + "p",) if cell else ())):
        if _elsewhere(node, el, boxes=cell):
            continue
        if node.tag == W + "p" or (cell and node.tag in (W + "br", W + "cr")):  # a cell's lines: ``lines_apart``
            parts.append("\n")
            continue
        if hidden(node):
            unsure = True
            continue
        if cell and node.tag == W + "t" and white(node):
            whites.append(len(parts))
        if cell and node.tag == W + "t" and raised(node):
            ups.append(len(parts))
        parts.append(node.text or "" if node.tag == W + "t" else " ")
    for aside, judged in ((whites, left_in_white), (ups, marked_after)):  # "20" and a white "0", "62" and a raised
        if aside and judged(parts, aside):  # "1": 20 and 62, not for certain
            unsure = True
            parts = [p if i not in set(aside) else "" for i, p in enumerate(parts)]
    if cell and (unsure or next(el.iter(*_REMOVED), None) is not None or _partly_inserted(el)):
        parts.append(DEBRIS)
    return "".join(parts)


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
    held = LOOKS.set(looks(document))
    try:
        _body(document.element.body, document, blocks, lines)
    finally:
        LOOKS.reset(held)
    if lines:
        blocks.append(Block("\n".join(lines)))
    return Document(blocks, kind="docx", encoding="docx")
