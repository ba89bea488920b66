"""Fixed-layout pages -> text lines and table rows: the geometry shared by the OFD reader and OCR.

A page arrives as positioned text (``Box``: a run of text with its rectangle, and where known each
character's left and right edge) and its ruling lines (horizontal ``(y, x0, x1)`` and vertical
``(x, y0, y1)`` segments), y growing downwards. Tables are found by their ruling lines, as the PDF
reader finds them: segments that touch form one table; the distinct y's and x's of its lines cut it into
slots; two neighbouring slots with no line between them are one merged cell, so a cell keeps its rowspan
and colspan. A run of text that crosses a column line (an OCR box read across two cells) is split there
by its characters' positions. Text outside tables becomes lines by vertical overlap; on a line, a wide gap
between runs is a space, which is how a table drawn without lines still gives its cells (by alignment) to
the text-table reader.

Each table row is written as the PDF reader writes it (``extract_pdf.py``), so the same table reader
reads a scan, an OFD and a text-layer PDF alike: only rows with at least two cells; the columns left of
the first column that holds a number are labels (empty label slots dropped), from it on every slot is a
value (empty: a blank). A table that continues on the next page simply continues in the text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.model import Grid, GridCell
from monitor.reading.cells import is_number

PAGE_NUMBER = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$|^第\s*\d+\s*页")  # a page's number, not its text
MAX_SLOTS = 20_000  # per table, as for an HTML table

HLine = tuple[float, float, float]  # y, x0, x1
VLine = tuple[float, float, float]  # x, y0, y1
Reread = Callable[[float, float, float, float], str]  # a cell's rectangle read again (OCR: an empty cell)
_LOOKALIKE = str.maketrans(
    {"o": "0", "O": "0", "D": "0", "Q": "0", "〇": "0", "l": "1", "I": "1", "，": ",", "。": "."}
)


@dataclass
class Box:
    """A run of text on the page. ``chars``: each character's (x0, x1), where the source gives them."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    chars: list[tuple[float, float]] = field(default_factory=list)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def _cluster(values: list[float], tol: float) -> list[float]:
    """Values within ``tol`` of their neighbour are one (a line drawn 2 px thick, two strokes of one rule)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _tables(hs: list[HLine], vs: list[VLine], tol: float) -> list[tuple[list[HLine], list[VLine]]]:
    """Segments grouped into tables: a horizontal and a vertical segment that touch are in one table."""
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, x0, x1) in enumerate(hs):
        for j, (x, y0, y1) in enumerate(vs):
            if x0 - tol <= x <= x1 + tol and y0 - tol <= y <= y1 + tol:
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[HLine], list[VLine]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    return [(g_h, g_v) for g_h, g_v in groups.values() if len(g_h) >= 2 and len(g_v) >= 2]


@dataclass
class _Table:
    xs: list[float]
    ys: list[float]
    grid: Grid

    def contains(self, box: Box) -> bool:
        return self.xs[0] <= box.cx <= self.xs[-1] and self.ys[0] <= box.cy <= self.ys[-1]


def _covered(segments: list[tuple[float, float, float]], at: float, lo: float, hi: float, tol: float) -> bool:
    """Is there a segment at ``at`` covering the middle of [lo, hi]?"""
    mid = (lo + hi) / 2
    return any(abs(p - at) <= tol and a - tol <= mid <= b + tol for p, a, b in segments)


def _edges(hs: list[HLine], vs: list[VLine], tol: float) -> tuple[list[float], list[float]]:
    """The table's row edges (y) and column edges (x); an outer edge left undrawn is where its lines end
    (a table continued from the page before has no line above its first row)."""
    ys = _cluster([h[0] for h in hs], tol)
    xs = _cluster([v[0] for v in vs], tol)
    top, bottom = min(v[1] for v in vs), max(v[2] for v in vs)
    left, right = min(h[1] for h in hs), max(h[2] for h in hs)
    ys = ([top] if top < ys[0] - 3 * tol else []) + ys + ([bottom] if bottom > ys[-1] + 3 * tol else [])
    xs = ([left] if left < xs[0] - 3 * tol else []) + xs + ([right] if right > xs[-1] + 3 * tol else [])
    return xs, ys


def _build(hs: list[HLine], vs: list[VLine], tol: float) -> _Table | None:
    """The table's slots; two neighbouring slots with no ruling line between them are one merged cell."""
    xs, ys = _edges(hs, vs, tol)
    rows, cols = len(ys) - 1, len(xs) - 1
    if rows < 1 or cols < 1 or rows * cols > MAX_SLOTS:
        return None
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(rows * cols):
        r, c = divmod(i, cols)
        if c + 1 < cols and not _covered(vs, xs[c + 1], ys[r], ys[r + 1], tol):
            parent[find(i)] = find(i + 1)
        if r + 1 < rows and not _covered(hs, ys[r + 1], xs[c], xs[c + 1], tol):
            parent[find(i)] = find(i + cols)
    spans: dict[int, list[int]] = {}
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        got = spans.setdefault(find(i), [r, c, r, c])
        got[:] = [min(got[0], r), min(got[1], c), max(got[2], r), max(got[3], c)]
    slots: list[list[GridCell | None]] = [[None] * cols for _ in range(rows)]
    cells = []
    for r0, c0, r1, c1 in sorted(spans.values()):
        cell = GridCell("", r0, c0, r1 - r0 + 1, c1 - c0 + 1)
        cells.append(cell)
        for i in range(r0 * cols + c0, r1 * cols + c1 + 1):
            r, c = divmod(i, cols)
            if c0 <= c <= c1 and slots[r][c] is None:
                slots[r][c] = cell
    return _Table(xs, ys, Grid(cells, slots))


def _split(box: Box, xs: list[float]) -> list[Box]:
    """A run crossing column lines, cut there by its characters (kept whole without their positions)."""
    inner = [x for x in xs[1:-1] if box.x0 < x < box.x1]
    if not inner or len(box.chars) != len(box.text):
        return [box]
    pieces: list[Box] = []
    cuts = [box.x0, *inner, box.x1]
    for a, b in itertools.pairwise(cuts):
        idx = [i for i, (c0, c1) in enumerate(box.chars) if a <= (c0 + c1) / 2 < b]
        if idx:
            chars = [box.chars[i] for i in idx]
            text = "".join(box.text[i] for i in idx)
            pieces.append(Box(chars[0][0], box.y0, chars[-1][1], box.y1, text, chars))
    return pieces


def _cell_text(text: str) -> str:
    """A cell's words without spaces (as the PDF reader cleans them); a value OCR read with look-alike
    letters (``o`` for 0, ``l`` for 1) is the number it shows."""
    text = re.sub(r"\s+", "", text).replace("|", "/")
    plain = text.translate(_LOOKALIKE)
    return plain if plain != text and is_number(plain) else text


def _fill(table: _Table, boxes: list[Box], reread: Reread | None) -> None:
    """Each box's text into the cell under its centre, in reading order; an empty cell read again."""
    texts: dict[int, list[Box]] = {}
    for box in boxes:
        for piece in _split(box, table.xs):
            r = next((i for i in range(len(table.ys) - 1) if piece.cy <= table.ys[i + 1]), len(table.ys) - 2)
            c = next((i for i in range(len(table.xs) - 1) if piece.cx <= table.xs[i + 1]), len(table.xs) - 2)
            cell = table.grid.slots[r][c]
            if cell is not None:
                texts.setdefault(id(cell), []).append(piece)
    cells = []
    for cell in table.grid.cells:
        text = "".join("".join(parts) for _, parts in _lines(texts.get(id(cell), []), joiner=""))
        if not text and reread is not None:
            x0, y0 = table.xs[cell.col], table.ys[cell.row]
            text = reread(x0, y0, table.xs[cell.col + cell.colspan], table.ys[cell.row + cell.rowspan])
        cells.append(GridCell(_cell_text(text), cell.row, cell.col, cell.rowspan, cell.colspan))
    new = {id(old): cell for old, cell in zip(table.grid.cells, cells, strict=True)}
    table.grid = Grid(cells, [[new[id(c)] if c else None for c in row] for row in table.grid.slots])


def _lines(boxes: list[Box], joiner: str = " ") -> list[tuple[float, list[str]]]:
    """Boxes grouped into lines by vertical overlap: each line's top and its texts left to right, a wide gap
    between two runs written as ``joiner``."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        line = lines[-1] if lines else None
        if line is not None:
            y0, y1 = min(b.y0 for b in line), max(b.y1 for b in line)
            overlap = min(y1, box.y1) - max(y0, box.y0)
            if overlap > 0.5 * min(y1 - y0, box.y1 - box.y0):
                line.append(box)
                continue
        lines.append([box])
    out = []
    for line in lines:
        line.sort(key=lambda b: b.x0)
        parts: list[str] = []
        height = max(b.y1 - b.y0 for b in line)
        for i, b in enumerate(line):
            if i and b.x0 - line[i - 1].x1 > height and joiner:
                parts.append(joiner)
            parts.append(b.text)
        out.append((min(b.y0 for b in line), parts))
    return out


def table_rows(grid: Grid) -> list[tuple[int, str]]:
    """(row, pipe row) for the grid's rows with at least two cells, written as the PDF reader writes them."""
    first: list[list[str | None]] = []  # a cell's text in its first row, None in the rows it spans below
    for r, row in enumerate(grid.slots):
        seen: set[int] = set()
        line: list[str | None] = []
        for c in row:
            if c is None or id(c) in seen:
                line.append(None)
                continue
            seen.add(id(c))
            line.append(c.text if c.row == r else None)
        first.append(line)
    counts = [len({id(c) for c in row if c is not None}) for row in grid.slots]
    rows = [(r, cells) for r, cells in enumerate(first) if counts[r] >= 2]
    if not rows:
        return []
    width = max(len(cells) for _, cells in rows)
    numeric = [any(j < len(c) and is_number(c[j] or "") for _, c in rows) for j in range(width)]
    start = numeric.index(True) if True in numeric else width
    out = []
    for r, cells in rows:
        labels = [c for c in cells[:start] if c]
        values = [c or "" for c in cells[start:]]
        if not any(values) and len(labels) <= 1:
            continue  # a title row of the table: its text is the table's, not a row of values
        out.append((r, " | ".join(labels + values) + " |"))
    return out


def page_lines(
    boxes: list[Box], hs: list[HLine], vs: list[VLine], tol: float, reread: Reread | None = None
) -> tuple[list[str], list[Grid]]:
    """One page: its lines in reading order (table rows as pipe rows) and its tables as grids. ``reread``
    reads an empty cell's rectangle again (OCR's detector misses a lone small digit)."""
    tables = [t for t in (_build(h, v, tol) for h, v in _tables(hs, vs, tol)) if t is not None]
    inside: dict[int, list[Box]] = {}
    outside: list[Box] = []
    for box in boxes:
        owner = next((i for i, t in enumerate(tables) if t.contains(box)), None)
        if owner is None:
            outside.append(box)
        else:
            inside.setdefault(owner, []).append(box)
    items: list[tuple[float, str]] = []
    grids = []
    for i, table in enumerate(tables):
        _fill(table, inside.get(i, []), reread)
        rows = table_rows(table.grid)
        if not rows:  # a frame around the page, a box around a title: its text is text
            outside += inside.get(i, [])
            continue
        grids.append(table.grid)
        items += [(table.ys[r] + 0.01 * k, line) for k, (r, line) in enumerate(rows)]
        # a table's title row (one cell, no values) keeps its words as a line of text
        titled = {r for r, _ in rows}
        for r, row in enumerate(table.grid.rows()):
            text = "".join(c.text for c in row if c.row == r)
            if r not in titled and text:
                items.append((table.ys[r], text))
    for top, parts in _lines(outside):
        text = "".join(parts).strip()
        if text and not PAGE_NUMBER.match(text):
            items.append((top, text))
    return [text for _, text in sorted(items, key=lambda item: item[0])], grids
