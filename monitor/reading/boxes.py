"""Stage: extract (text drawn in boxes). A table a text browser drew with box-drawing characters -> a Grid.

``w3m -dump`` (and elinks, and crawlers built on them) write a page's tables as boxes: ``│`` between cells, ``├──┼──┤``
between rows, every cell's words wrapped inside its box, one or two characters a line in a narrow column (结 / 果 /
维 / 持), and a cell that spans rows drawn across the rules of the rows beside it. Read line by line, a row is several
lines and a header is scattered characters; read as the drawing it is, each box is a cell: the connected room the
box-drawing characters wall in. Its words are its lines' fragments, top to bottom; its place in the grid is which
row and column starts it meets. The grid is read as an HTML table's would be (``grids``), header and spans included.

Columns are counted in display width (an ideograph takes two, a box character one), as the browser drew them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque

from monitor.model import Block, Document, Grid, GridCell

_WALLS = frozenset("│┃║─━═┌┐└┘├┤┬┴┼┏┓┗┛┣┫┳┻╋╔╗╚╝╠╣╦╩╬╒╕╘╛╞╡╤╧╪╓╖╙╜╟╢╥╨╫")
_VERTICAL = frozenset("│┃║")
_HORIZONTAL = frozenset("─━═")
_BOXED = re.compile("[" + "".join(sorted(_WALLS)) + "]")
_PAD = "\x00"  # the second column of a wide character


def _columns(line: str, wide_boxes: bool = False) -> list[str]:
    """The line as the terminal shows it: a wide character, then a pad for its second column (a box character is
    one column, or two where the browser drew it so)."""
    out: list[str] = []
    for ch in line:
        out.append(ch)
        if wide_boxes and ch in _WALLS:
            out.append(ch)  # a wall two columns thick
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            out.append(_PAD)
    return out


def _wide_boxes(lines: list[str]) -> bool:
    """Whether the drawing's box characters take two columns (w3m's ``east_asian_width=1``): its lines that end on
    its right border are of one width when counted so, not when counted one column a box character."""
    bordered = [x.rstrip() for x in lines if x.rstrip()[-1:] in _WALLS]

    def spread(wide: bool) -> int:
        widths = [len(_columns(x, wide)) for x in bordered]
        return max(widths) - min(widths) if widths else 0

    return spread(True) < spread(False)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """The runs of lines that draw a table: each line with a box character, the run with walls both ways."""
    runs: list[tuple[int, int]] = []
    start = None
    for n, line in enumerate([*lines, ""]):
        if _BOXED.search(line):
            start = n if start is None else start
            continue
        if start is not None:
            drawn = "".join(lines[start:n])
            if n - start >= 3 and _VERTICAL & set(drawn) and _HORIZONTAL & set(drawn):
                runs.append((start, n))
            start = None
    return runs


def _rooms(rows: list[list[str]]) -> list[list[tuple[int, int]]]:
    """The rooms the walls enclose: connected runs of what is not a wall, those reaching the drawing's edge (the
    margin around the table) left out."""
    height, width = len(rows), max(len(r) for r in rows)
    grid = [r + [" "] * (width - len(r)) for r in rows]
    seen = [[ch in _WALLS for ch in r] for r in grid]
    rooms = []
    for y in range(height):
        for x in range(width):
            if seen[y][x]:
                continue
            seen[y][x] = True
            room, queue, outside = [], deque([(y, x)]), False
            while queue:
                cy, cx = queue.popleft()
                room.append((cy, cx))
                for ny, nx in ((cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)):
                    if not (0 <= ny < height and 0 <= nx < width):
                        outside = True
                    elif not seen[ny][nx]:
                        seen[ny][nx] = True
                        queue.append((ny, nx))
            if not outside:
                rooms.append(room)
    return rooms


def _grid(rows: list[list[str]], number: int) -> Grid | None:
    """The cells of one drawn table, placed by the row and column starts each covers; None: no box in it."""
    rooms = _rooms(rows)
    if not rooms:
        return None
    spans = []
    for room in rooms:
        ys, xs = [y for y, _ in room], [x for _, x in room]
        by_line: dict[int, list[tuple[int, int]]] = {}
        for y, x in room:
            by_line.setdefault(y, []).append((x, y))
        words = "".join(
            "".join(rows[y][x] for x, _ in sorted(cells) if x < len(rows[y]) and rows[y][x] != _PAD).strip()
            for y, cells in sorted(by_line.items())
        )
        spans.append((min(ys), max(ys), min(xs), max(xs), words))
    tops, lefts = sorted({s[0] for s in spans}), sorted({s[2] for s in spans})
    cells: list[GridCell] = []
    slots = [[None for _ in lefts] for _ in tops]  # type: list[list[GridCell | None]]
    index: dict[int, int] = {}
    for y0, y1, x0, x1, words in sorted(spans, key=lambda s: (s[0], s[2])):
        r, c = tops.index(y0), lefts.index(x0)
        rowspan = sum(1 for t in tops if y0 <= t <= y1)
        colspan = sum(1 for left in lefts if x0 <= left <= x1)
        cell = GridCell(words, r, c, rowspan, colspan, index.get(r, 0))
        index[r] = index.get(r, 0) + 1
        cells.append(cell)
        for dr in range(rowspan):
            for dc in range(colspan):
                slots[r + dr][c + dc] = cell
    return Grid(cells, slots, number)


def box_document(text: str, encoding: str) -> Document | None:
    """The text with each table drawn in boxes read as a grid, or None where it draws none."""
    blocks = _boxed_blocks(text, depth=0)
    if blocks is None:
        return None
    for number, block in enumerate(b for b in blocks if b.grid is not None):
        block.grid.number = number  # type: ignore[union-attr]
    return Document(blocks, kind="text", encoding=encoding)


def _boxed_blocks(text: str, depth: int) -> list[Block] | None:
    """The text's blocks, each drawn table a grid; a page laid out in a bordered table (a room of prose) is read
    as its text, its frame taken away, and the tables drawn inside it as grids. None: no table drawn."""
    if not _BOXED.search(text):
        return None
    lines = text.split("\n")
    blocks: list[Block] = []
    at = 0
    for start, end in _blocks(lines):
        wide = _wide_boxes(lines[start:end])
        grid = _grid([_columns(line, wide) for line in lines[start:end]], 0)
        if grid is None:
            continue
        if any(len(c.text) > 600 for c in grid.cells):  # a layout, not a table (a note row under a table is shorter)
            if depth >= 2:
                continue
            inner = "\n".join(_unframed(lines[start:end]))
            blocks += [Block("\n".join(lines[at:start])), *(_boxed_blocks(inner, depth + 1) or [Block(inner)])]
        else:
            blocks += [Block("\n".join(lines[at:start])), Block(grid=grid)]
        at = end
    if not any(b.grid is not None for b in blocks):
        return None
    return [*blocks, Block("\n".join(lines[at:]))]


def _unframed(lines: list[str]) -> list[str]:
    """A layout table's lines without its frame: the wall starting and ending each line, and the rules across it."""
    out = []
    for line in lines:
        body = line.strip()
        if not set(body) - _WALLS - {" "}:
            out.append("")
            continue
        if body[:1] in _WALLS:
            body = body[1:]
        if body[-1:] in _WALLS:
            body = body[:-1]
        out.append(body.strip())
    return out
