"""Stage: extract (spreadsheets). An .xlsx, .xls or WPS .et workbook -> a Document of text and grids.

Agencies publish the statutory tables as a workbook, and staff paste whole reports into one. A sheet's rows are
read as a reader reads them (``_pieces``): its one-cell rows above and below its tables (a title, 发布日期, 单位),
its parts' headings and its sentences are text; each run of rows between is a ``Grid`` (two tables drawn side by
side, two grids), its merged ranges turned into cells with their rowspan and colspan, as an HTML or DOCX table gives
them; the table readers then place each value by the header cells above it. A number is written as the sheet shows
it (``5``, not ``5.0``). Empty rows and columns around the table are dropped.

``.xlsx`` is read by openpyxl, ``.xls`` (Excel 97-2003) and WPS Spreadsheets ``.et`` (the same BIFF
records in an OLE2 file) by xlrd: both pure Python, both core dependencies. Reading runs in a forked
child under a CPU, memory and time limit; the archive of an .xlsx is checked for a zip bomb first, and a
sheet larger than ``MAX_GRID_CELLS`` slots is refused.
"""

from __future__ import annotations

import multiprocessing
import re
from datetime import date, datetime
from typing import Any

from monitor.errors import InputError
from monitor.model import Block, Document, Grid, GridCell
from monitor.reading.cells import is_value
from monitor.reading.containers import check_zip
from monitor.reading.doc import convert
from monitor.reading.parts import heading_parts
from monitor.reading.sandbox import Limits, run_limited

MAX_GRID_CELLS = 20_000  # per sheet, as for an HTML table
MAX_SHEETS = 50
_LIMITS = Limits(
    60,
    1024 * 2**20,
    too_long="读取工作簿超过65秒，已放弃",
    exhausted="读取工作簿超出内存或时间限制（可能是恶意构造的文件），已放弃",
    failed="表格文件无法读取",
)
Sheet = tuple[dict[tuple[int, int], str], list[tuple[int, int, int, int]]]  # texts by (row, col); merges


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def grid(texts: dict[tuple[int, int], str], merges: list[tuple[int, int, int, int]], number: int) -> Grid | None:
    """A sheet's cells (texts by (row, col), 0-based) and merged ranges (first row, first col, last row,
    last col, inclusive) -> a Grid, trimmed to the rows and columns that hold text. None for an empty sheet."""
    used = [k for k, v in texts.items() if v]
    if not used:
        return None
    r0, r1 = min(r for r, _ in used), max(r for r, _ in used)
    c0, c1 = min(c for _, c in used), max(c for _, c in used)
    rows, cols = r1 - r0 + 1, c1 - c0 + 1
    if rows * cols > MAX_GRID_CELLS:
        raise InputError(f"表格中一张工作表有{rows}×{cols}个单元格，大于任何报告表格，不予读取")
    slots: list[list[GridCell | None]] = [[None] * cols for _ in range(rows)]
    cells: list[GridCell] = []
    for m0, n0, m1, n1 in merges:
        a, b = max(m0, r0) - r0, max(n0, c0) - c0
        e, f = min(m1, r1) - r0, min(n1, c1) - c0
        if a > e or b > f or any(slots[r][c] for r in range(a, e + 1) for c in range(b, f + 1)):
            continue  # outside the used range, or overlapping another merge (a damaged file)
        cell = GridCell(texts.get((m0, n0), ""), a, b, e - a + 1, f - b + 1)
        cells.append(cell)
        for r in range(a, e + 1):
            for c in range(b, f + 1):
                slots[r][c] = cell
    for r in range(rows):
        for c in range(cols):
            if slots[r][c] is None:
                slots[r][c] = GridCell(texts.get((r + r0, c + c0), ""), r, c)
                cells.append(slots[r][c])  # type: ignore[arg-type]
    cells.sort(key=lambda x: (x.row, x.col))
    indexed = {id(x): GridCell(x.text, x.row, x.col, x.rowspan, x.colspan, i) for i, x in enumerate(cells)}
    for r in range(rows):  # index: the cell's position in its own row
        line = [x for x in cells if x.row == r]
        for i, x in enumerate(line):
            indexed[id(x)] = GridCell(x.text, x.row, x.col, x.rowspan, x.colspan, i)
    return Grid(
        [indexed[id(x)] for x in cells], [[indexed[id(x)] if x else None for x in row] for row in slots], number
    )


def _xlsx_sheets(data: bytes) -> list[Sheet]:
    import io  # noqa: PLC0415

    import openpyxl  # noqa: PLC0415

    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    out: list[Sheet] = []
    for ws in book.worksheets[:MAX_SHEETS]:
        if ws.max_row * ws.max_column > 50 * MAX_GRID_CELLS:
            raise InputError(f"表格中一张工作表有{ws.max_row}×{ws.max_column}个单元格，大于任何报告表格，不予读取")
        texts = {
            (c.row - 1, c.column - 1): _text(c.value) for row in ws.iter_rows() for c in row if c.value is not None
        }
        merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        out.append((texts, merges))
    return out


def _xls_sheets(data: bytes) -> list[Sheet]:
    import xlrd  # noqa: PLC0415

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        raise InputError(f"表格文件无法读取：{str(exc)[:200]}") from exc
    out: list[Sheet] = []
    for i in range(min(book.nsheets, MAX_SHEETS)):
        ws = book.sheet_by_index(i)
        if ws.nrows * ws.ncols > 50 * MAX_GRID_CELLS:
            raise InputError(f"表格中一张工作表有{ws.nrows}×{ws.ncols}个单元格，大于任何报告表格，不予读取")
        texts = {}
        for r in range(ws.nrows):
            for c, cell in enumerate(ws.row(r)):
                value: Any = cell.value
                if cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                if cell.ctype not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    texts[(r, c)] = _text(value)
        merges = [(a, c, b - 1, d - 1) for a, b, c, d in ws.merged_cells]
        out.append((texts, merges))
    return out


PROSE = 40  # characters: a row of one cell this long is a sentence of the report, not a table's label
# a table's numbered row label, however long ("（六）其他处理：2.申请人逾期未按…": review 110)
_ITEM = re.compile(r"\s*[(（]?[一二三四五六七八九十\d]{1,2}[)）.、．]")


def _pieces(texts: dict[tuple[int, int], str], merges: list[tuple[int, int, int, int]]) -> list[Block]:
    """A sheet as a report's blocks: its rows of one written cell (not a number) before its first table row and after
    its last (a title, 发布日期, 单位), and its parts' headings and its sentences anywhere, as text (a report pasted into
    a sheet whole, or its three tables drawn in one sheet under their parts' headings, review 108: its title and
    parts were never read, its tables read as one); each run of rows between as one grid, merges kept."""
    by_row: dict[int, list[str]] = {}
    for (r, _), text in sorted(texts.items()):
        if text:
            by_row.setdefault(r, []).append(text)
    wide = [r for r, written in by_row.items() if len(written) > 1]
    first, last = (min(wide), max(wide)) if wide else (max(by_row, default=0) + 1, -1)

    def worded(r: int) -> bool:
        (text,) = by_row[r]
        sentence = len(text) >= PROSE and ("。" in text or not _ITEM.match(text))  # not a table's long row label
        return not is_value(text) and (r < first or r > last or sentence or bool(heading_parts(text)))

    blocks: list[Block] = []
    run: list[int] = []
    for r in sorted(by_row):
        if len(by_row[r]) == 1 and worded(r):
            blocks += _run_grid(texts, merges, run, len(blocks))
            run = []
            blocks.append(Block(by_row[r][0]))
        else:
            run.append(r)
    return blocks + _run_grid(texts, merges, run, len(blocks))


def _run_grid(
    texts: dict[tuple[int, int], str], merges: list[tuple[int, int, int, int]], run: list[int], number: int
) -> list[Block]:
    """The grids of a run of a sheet's rows (merges cut to it): one, or one for each table drawn beside another
    (table 四 to the right of table 二, as an office fits two tables on one printed page: review 110), where a column
    empty all down the run, no merge over it, parts tables that each hold words and numbers."""
    if not run:
        return []
    inside = {k: v for k, v in texts.items() if run[0] <= k[0] <= run[-1] and v}
    blocks: list[Block] = []
    for left, right in _side_by_side(inside, [m for m in merges if m[0] <= run[-1] and m[2] >= run[0]]):
        g = grid({k: v for k, v in inside.items() if left <= k[1] <= right}, merges, number + len(blocks))
        blocks += [Block(grid=g)] if g is not None else []
    return blocks


def _side_by_side(texts: dict[tuple[int, int], str], merges: list[tuple[int, int, int, int]]) -> list[tuple[int, int]]:
    """The column ranges of the tables a run of rows draws side by side: split at the columns nothing is written in
    and no merge covers, where each part holds a table's words and numbers (a spacer column inside one table leaves
    its labels without numbers: not split); else the one range of them all."""
    if not texts:
        return []
    cols = sorted({c for _, c in texts})
    covered = {c for _, n0, _, n1 in merges for c in range(n0, n1 + 1)}
    parts: list[tuple[int, int]] = []
    start = cols[0]
    for c in range(cols[0], cols[-1] + 1):
        if c not in cols and c not in covered:
            if c > start:
                parts.append((start, c - 1))
            start = c + 1
    parts.append((start, cols[-1]))

    def a_table(left: int, right: int) -> bool:
        mine = [v for (_, c), v in texts.items() if left <= c <= right]
        return any(is_value(v) for v in mine) and any(not is_value(v) for v in mine)

    if len(parts) > 1 and all(a_table(*part) for part in parts):
        return parts
    return [(cols[0], cols[-1])]


def _document(sheets: list[Sheet], kind: str) -> Document:
    blocks: list[Block] = []
    for texts, merges in sheets:
        blocks += _pieces(texts, merges)
    return Document(blocks, kind=kind, encoding=kind)


def xlsx_document(data: bytes) -> Document:
    check_zip(data, "表格文件")
    sheets = run_limited(multiprocessing.get_context("fork"), _LIMITS, _xlsx_sheets, (data,))
    return _document(sheets, "xlsx")


def ods_document(data: bytes) -> Document:
    """An OpenDocument spreadsheet (.ods): converted to XLSX by LibreOffice, read as one."""
    missing = "需要安装LibreOffice才能读取此OpenDocument表格文件(.ods)；LibreOffice is not installed"
    doc = xlsx_document(convert(data, "ods", "xlsx", missing))
    doc.kind, doc.encoding = "ods", "ods"
    return doc


def xls_document(data: bytes) -> Document:
    sheets = run_limited(multiprocessing.get_context("fork"), _LIMITS, _xls_sheets, (data,))
    return _document(sheets, "xls")
