"""What a page break does to a PDF report, undone: the running header and footer printed on every page
(``without_running_lines``), a table's header cut off at a page's foot from the rows on the next page
(``join_split_headers``), and a table row Word let break across two pages (``join_split_rows``), whose
label's rest (or whose numbers) land in the first row of the table's next page."""

from __future__ import annotations

import re
from dataclasses import replace

from monitor.model import IMAGE_MARK, UNREAD_PAGE, Block, Grid, GridCell
from monitor.reading.cells import is_value

_DIGITS = str.maketrans("0123456789", "##########")


_MARKS = {IMAGE_MARK, UNREAD_PAGE}
SAME_X = 2.0  # points: two pieces' column rules this near are one rule of the table, drawn on both pages


def without_running_lines(pages: list[list[str | Grid]]) -> list[list[str | Grid]]:
    """Each page's items without its running header and footer: a text line that is the first (or the last) line
    of two pages or more, and of at least half of them, once its digits are set aside (``- 3 -``, ``第3页``). A
    header naming the office that typed the report is not its title, and a repeated line is not its prose."""

    def key(item: str | Grid) -> str | None:
        return " ".join(item.split()).translate(_DIGITS) if isinstance(item, str) else None

    ends: dict[str, int] = {}
    for items in pages:
        keys = [k for item in items if (k := key(item))]
        for k in {keys[0], keys[-1]} if keys else set():
            ends[k] = ends.get(k, 0) + 1
    # (a page's marks are no running line: many pages scanned or turned are many pages not read)
    running = {k for k, n in ends.items() if n >= 2 and n * 2 >= len(pages) and k not in _MARKS}
    out: list[list[str | Grid]] = []
    for items in pages:
        at = [i for i, item in enumerate(items) if isinstance(item, str)]
        drop = {i for i in (at[:1] + at[-1:]) if key(items[i]) in running}
        out.append([item for i, item in enumerate(items) if i not in drop])
    return out


# A row label's own numbering: "1.", "（六）", "四、". A row's rest carried to the next page has none.
NUMBERED = re.compile(r"^\s*(?:\d+\s*[.、．]|[(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+\s*、)")


def _texts(row: list[GridCell | None]) -> list[str]:
    return [" ".join(c.text.split()) if c else "" for c in row]


def _label(row: list[GridCell | None]) -> str:
    """The row's most specific label: its rightmost cell that is not a value."""
    return next((t for t in reversed(_texts(row)) if t and not is_value(t)), "")


def _values(row: list[GridCell | None]) -> set[int]:
    """The columns where the row holds a number."""
    return {j for j, t in enumerate(_texts(row)) if t and is_value(t)}


def _labels(row: list[GridCell | None]) -> set[int]:
    return {j for j, t in enumerate(_texts(row)) if t and not is_value(t)}


def _without_row(grid: Grid, k: int) -> Grid:
    """The grid without its row ``k``: cells below move up, a cell spanning it spans one row less."""
    moved: dict[int, GridCell] = {}
    for c in grid.cells:
        if c.row == k and c.rowspan == 1:
            continue
        if c.row <= k < c.row + c.rowspan:
            moved[id(c)] = replace(c, rowspan=c.rowspan - 1)
        else:
            moved[id(c)] = replace(c, row=c.row - 1) if c.row > k else c
    slots = [[moved.get(id(c)) if c else None for c in row] for i, row in enumerate(grid.slots) if i != k]
    lines = [line for i, line in enumerate(grid.lines) if i != k] if grid.lines is not None else None
    return Grid(list(moved.values()), slots, grid.number, lines, grid.starts)


def _joined(into: Grid, r: int, rest: list[GridCell | None], before: bool) -> Grid:
    """Row ``r`` of ``into`` with the label pieces of ``rest`` (the same row's other part) joined to its cells."""
    swap: dict[int, GridCell] = {}
    for j, piece in enumerate(_texts(rest)):
        cell = into.slots[r][j]
        if not piece or is_value(piece) or cell is None or id(cell) in swap or piece == " ".join(cell.text.split()):
            continue
        swap[id(cell)] = replace(cell, text=f"{piece}{cell.text}" if before else f"{cell.text}{piece}")
    cells = [swap.get(id(c), c) for c in into.cells]
    slots = [[swap.get(id(c), c) if c else None for c in row] for row in into.slots]
    return Grid(cells, slots, into.number, into.lines, into.starts)


def _join_pair(a: Grid, b: Grid) -> tuple[Grid, Grid] | None:
    """``a`` ends a page and ``b`` continues it: the row broken between them made whole again, or None."""
    width = len(a.slots[0]) if a.slots else 0
    if not width or not b.slots or len(b.slots[0]) != width:
        return None
    h = 0  # the header rows the next page repeats
    while h < min(len(a.slots), len(b.slots) - 1) and _texts(a.slots[h]) == _texts(b.slots[h]):
        h += 1
    if h == len(b.slots) or len(a.slots) <= h:
        return None
    last, first = a.slots[-1], b.slots[h]
    if NUMBERED.match(_label(first)) or not NUMBERED.match(_label(last)):
        return None  # the next page starts a row of its own (or the page ended on a header)
    if not _values(first) and _labels(first) and not (_labels(first) & _values(last)):  # the label's rest
        return _joined(a, len(a.slots) - 1, first, before=False), _without_row(b, h)
    if not _values(last) and _values(first) and not (_values(first) & _labels(last)):  # the numbers, next page
        return _without_row(a, len(a.slots) - 1), _joined(b, h, last, before=True)
    return None


def join_split_rows(blocks: list[Block]) -> list[Block]:
    """Two grids in a row (a table running onto the next page): a row Word broke between them made one row,
    in the grid that holds its numbers. A label piece alone is otherwise read as a row of blanks, and the
    numbers under a truncated label named as another row."""
    out = list(blocks)
    for i in range(len(out) - 1):
        a, b = out[i].grid, out[i + 1].grid
        if a is None or b is None:
            continue
        joined = _join_pair(a, b)
        if joined:
            out[i], out[i + 1] = Block(grid=joined[0]), Block(grid=joined[1])
    return out


def _header_only(grid: Grid) -> bool:
    """Whether a grid holds no number: a table's header (or its top rows) and nothing else."""
    return all(c.blank or not is_value(c.text) for c in grid.cells) and any(not c.blank for c in grid.cells)


def _onto(a: Grid, b: Grid) -> list[int] | None:
    """For each column rule of ``a`` (its left edge, each column's start, its right edge), the same rule's index among
    ``b``'s; None where one of ``a``'s is not one of ``b``'s, or the two do not begin and end together."""
    rules = b.starts
    if a.starts is None or rules is None or len(a.starts) > len(rules):
        return None
    out = []
    for x in a.starts:
        k = min(range(len(rules)), key=lambda i: abs(rules[i] - x))
        if abs(rules[k] - x) > SAME_X:
            return None
        out.append(k)
    if out[0] != 0 or out[-1] != len(rules) - 1 or out != sorted(set(out)):
        return None
    return out


def _stacked(a: Grid, b: Grid, onto: list[int]) -> Grid:
    """``a``'s rows set over ``b``'s, each of ``a``'s cells spanning the columns of ``b`` its rules enclose."""
    width, height = len(b.starts or ()) - 1, len(a.slots)
    moved = {id(c): replace(c, col=onto[c.col], colspan=onto[c.col + c.colspan] - onto[c.col]) for c in a.cells}
    slots: list[list[GridCell | None]] = [[None] * width for _ in range(height)]
    for c in moved.values():
        for r in range(c.row, min(c.row + c.rowspan, height)):
            for j in range(c.col, c.col + c.colspan):
                slots[r][j] = c
    lowered = {id(c): replace(c, row=c.row + height) for c in b.cells}
    slots += [[lowered[id(c)] if c else None for c in row] for row in b.slots]
    lines = a.lines + b.lines if a.lines is not None and b.lines is not None else None
    return Grid([*moved.values(), *lowered.values()], slots, b.number, lines, b.starts)


def join_split_headers(items: list[str | Grid]) -> list[str | Grid]:
    """A grid holding only a table's header (its top rows: no number), right before a grid whose column rules
    include all of its own and begin and end with them, is that table's header: one grid with it. A page break can
    fall inside a table's header (Word and LibreOffice let a row break across pages: "（本列数据的勾稽关系为：第一项加
    第二项之" at a page's foot, 自然人 | 法人或其他组织 | 总计 over it; 商业企业 … on the next page, review 108 H1),
    and the piece at the foot, drawn without the columns under 法人或其他组织, is narrower than the rows it heads:
    alone, it named no column of them (自然人 and 总计 stood over none), and its rows were read in order or not at all."""
    out: list[str | Grid] = []
    for item in items:
        before = out[-1] if out else None
        if isinstance(item, Grid) and isinstance(before, Grid) and _header_only(before):
            onto = _onto(before, item)
            if onto is not None:
                out[-1] = _stacked(before, item, onto)
                continue
        out.append(item)
    return out
