"""Stage: extract (DOCX). A Word report -> a Document: paragraphs as text, tables as grids.

Paragraphs and tables are read in body order with python-docx; a merged cell comes back in
every grid slot it covers, and is turned back into one cell with its rowspan and colspan, as
an HTML table gives it. The archive is checked before it is opened: a zip bomb (huge declared sizes or a
suspicious compression ratio) is refused with a clear error.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from monitor.errors import InputError
from monitor.model import IMAGE_MARK, Block, Document, Grid, GridCell
from monitor.reading.cells import DEBRIS

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


def _grid(table: object, number: int) -> Grid:
    """python-docx repeats a merged cell in each slot it covers: the same XML cell, found again."""
    slots: list[list[GridCell | None]] = []
    made: dict[object, GridCell] = {}  # keyed by the XML element, held alive here so its identity stays
    cells: list[GridCell] = []
    rows = list(table.rows)  # type: ignore[attr-defined]
    for r, row in enumerate(rows):
        line: list[GridCell | None] = []
        index = 0
        for c, tc in enumerate(row.cells):
            key = tc._tc
            if key not in made:
                made[key] = GridCell(" ".join(visible_text(key, cell=True).split()), r, c, index=index)
                cells.append(made[key])
                index += 1
            line.append(made[key])
        slots.append(line)
    covered: dict[int, tuple[set[int], set[int]]] = {id(cell): (set(), set()) for cell in cells}
    for r, line in enumerate(slots):  # one pass over the slots (a pass per cell was quadratic: 44 s at 200x200)
        for c, x in enumerate(line):
            if x is not None:
                covered[id(x)][0].add(r)
                covered[id(x)][1].add(c)
    spans = {}
    for cell in cells:
        rs, cs = covered[id(cell)]
        spans[id(cell)] = GridCell(cell.text, cell.row, cell.col, len(rs), len(cs), cell.index)
    width = max((len(line) for line in slots), default=0)
    slots = [[spans[id(x)] if x else None for x in line] + [None] * (width - len(line)) for line in slots]
    return Grid([spans[id(c)] for c in cells], slots, number)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_GONE = {W + "del", W + "moveFrom"}  # tracked deletions: not what Word shows
_CHANGED = (W + "ins", W + "del", W + "moveTo", W + "moveFrom")


def _hidden(t: Any) -> bool:
    """A text run Word does not show: inside a tracked deletion, or formatted hidden (w:vanish)."""
    for up in t.iterancestors():
        if up.tag in _GONE:
            return True
        if up.tag == W + "r":
            props = up.find(W + "rPr")
            if props is not None and props.find(W + "vanish") is not None:
                return True
    return False


def visible_text(el: Any, cell: bool = False) -> str:
    """The text Word shows in a paragraph or cell: tracked insertions in, deletions and hidden text out (python-docx
    leaves insertions out). In a table cell, a tracked change or hidden text makes its number not certain: the
    cell is marked with the debris character the cell grammar reads as such."""
    parts = []
    unsure = False
    for node in el.iter(W + "t", W + "tab", W + "br", W + "cr"):
        if _hidden(node):
            unsure = True
            continue
        parts.append(node.text or "" if node.tag == W + "t" else " ")
    if cell and (unsure or next(el.iter(*_CHANGED), None) is not None):
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
    from docx.table import Table  # noqa: PLC0415

    for block in container.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            if next(block.iter(W + "drawing", W + "pict", W + "object"), None) is not None:
                lines.append(IMAGE_MARK)
            lines.append(visible_text(block).strip())
        elif tag == "tbl" and _is_layout(block):
            for tc in block.iter(W + "tc"):
                if not any(up.tag == W + "tc" for up in tc.iterancestors() if up is not block):
                    _body(tc, document, blocks, lines)
        elif tag == "tbl":
            if lines:
                blocks.append(Block("\n".join(lines)))
                lines.clear()
            blocks.append(Block(grid=_grid(Table(block, document), len([b for b in blocks if b.grid]))))
        elif tag in ("sdt", "customXml", "sdtContent"):  # content controls wrap paragraphs and tables
            _body(block.find(W + "sdtContent") if tag == "sdt" else block, document, blocks, lines)


def docx_document(data: bytes) -> Document:
    _check_archive(data)
    import docx  # noqa: PLC0415 - python-docx, loaded only for Word files

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on damaged files
        raise InputError(f"DOCX文件无法读取：{type(exc).__name__}: {str(exc)[:200]}") from exc
    blocks: list[Block] = []
    lines: list[str] = []
    _body(document.element.body, document, blocks, lines)
    if lines:
        blocks.append(Block("\n".join(lines)))
    return Document(blocks, kind="docx", encoding="docx")
