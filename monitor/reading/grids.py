"""Stage: parse (grids), its second half: which statutory table each grid is (``classify``), and its rows
(``grid_rows``: each value under the header cell that names its column) read into the template's rows and columns.

When no header names the value cells (a header left empty, a table split from its header), the row's value cells
are given in order and counted against the template; where the header placed them and the row read in order fills
the columns too, the two readings are compared, and a number they disagree on is not certain. A row placed neither
way is ``ambiguous``. Nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache

from monitor.model import (
    ACTIVE_ROWS,
    ACTIVE_WORDS,
    APPEAL_COLUMNS,
    APPEAL_GROUP_WORDS,
    APPEAL_ROWS,
    APPEAL_WORDS,
    APPLICANT_COLUMNS,
    APPLICANT_OTHER,
    APPLICANT_WORDS,
    APPLICATION_ROWS,
    HEADER_WORDS,
    ORG_SUBTOTAL,
    ORGANISATIONS,
    OTHER_2021,
    SIGNED_COLUMNS,
    TABLE_WORDS,
    UNSPLIT_COLUMNS,
    Grid,
    GridCell,
    Number,
    RowSpec,
    Table,
    Value,
    gaps,
)
from monitor.reading.cells import amounts_in_units, read_cell, read_value, signed_in_words
from monitor.reading.grid_rows import WORDED, GridRow, Namer, grid_rows
from monitor.reading.normalise import squash
from monitor.reading.text_tables import DOUBT_POSITION, active_format, applications_format, build_table, settle_other

DOUBT_READINGS = "按表头定位与按顺序读取的数字不一致"
DOUBT_TEXT_LAYER = "表格线划出的单元格与文字层读出的数字不一致"


def _first(words: tuple[tuple[str, tuple[str, ...]], ...]) -> Namer:
    @lru_cache(maxsize=4096)  # a report's headers repeat, slot after slot
    def name(text: str) -> str | None:
        return next((key for key, ws in words if any(w in text for w in ws)), None)

    return name


_applicant = _first(APPLICANT_WORDS)


# the organisations' sum (ORG_SUBTOTAL): a 小计 column some tables 三 add under 法人或其他组织 (audit 14), read into no
# statutory column; or, in a table 三 that does not split the organisations (自然人 | 法人或其他组织 | 总计: audit 14),
# their one column


def applicant_column(text: str) -> str | None:
    if text == "小计" or ORGANISATIONS.match(text):
        return ORG_SUBTOTAL
    return _applicant(text) or ("other_org" if text in APPLICANT_OTHER else None)


active_column = _first(ACTIVE_WORDS)
appeal_column = _first(APPEAL_WORDS)
appeal_group = _first(APPEAL_GROUP_WORDS)


def classify(grids: list[Grid], adjacent: list[bool] | None = None) -> list[str | None]:
    """Which statutory table each grid is, by its words: applications, appeals, active or None.
    A small piece (section 二 is often one <table> per 第二十条 item) takes the kind of the table
    before it when its words point the same way. A piece with none of any table's words but labels of its own (a
    PDF page that holds only (六)其他处理's rows) continues the table before it when nothing but grids stands
    between them (``adjacent``: the block before each grid is a grid) and it has that table's columns; numbers
    alone do not say whose they are."""
    kinds: list[str | None] = []
    last: str | None = None  # the kind of the last grid with any text: an empty one (a PDF's ruling lines drawn
    # round nothing at a page's foot) does not end the table it stands in
    width = -1
    for i, grid in enumerate(grids):
        text = squash("".join(c.text for c in grid.cells))
        scores = {
            kind: sum(w in text for w in (*words, *HEADER_WORDS.get(kind, ()))) for kind, words in TABLE_WORDS.items()
        }
        kind = max(scores, key=lambda k: scores[k])
        follows = last == kind and scores[kind] >= 1
        if (
            not any(scores.values())
            and adjacent
            and adjacent[i]
            and any(WORDED.search(c.text) for c in grid.cells)  # rows with their labels, not numbers alone
            and len(grid.slots[0]) == width
        ):
            kind, follows = last or kind, last is not None
        kinds.append(kind if scores[kind] >= 3 or follows else None)
        if text:
            last, width = kinds[-1], len(grid.slots[0]) if grid.slots else -1
    return kinds


def _match(specs: tuple[RowSpec, ...], pos: int, row: GridRow) -> int | None:
    """The next row of the template this grid row is: by its innermost label, else all its labels; never by a
    label that spans other rows too (it does not say which of them this is). A label holding (六)其他处理 and one
    of its items ("（六）其他处理<br>1.申请人无正当理由…", one label column) is the item's row (review 116: it was
    taken for the 2019 format's single (六) row, and the 2021 table lost its (六)1)."""
    if not row.own:
        return None
    for text in (row.labels[-1:], [row.label]):
        if text and text[0]:
            if group := _OTHER_THEN.match(text[0]):
                rest = text[0][group.end() :]
                item = (i for i in range(pos, len(specs)) if specs[i].key in OTHER_2021 and specs[i].match(rest))
                if (hit := next(item, None)) is not None:
                    return hit
            hit = next((i for i in range(pos, len(specs)) if specs[i].match(text[0])), None)
            if hit is not None:
                return hit
    return None


_COUNT = re.compile(r"^\s*\d+\s*$")
_OTHER_THEN = re.compile(r"^(?:\(六\)|六、)?其他处理[:：]?(?=.)")  # the group's name with an item after it


def _in_order(row: GridRow, width: int) -> list[GridCell]:
    """The row's value cells as read in order, less blank cells past its width at its end, or (every cell after them
    a count) at its start: a label's merged cells split and left empty (review 116: an export that drops colspan
    writes "一、本年新收", "", "", 232, …). Blank at both ends, it could be shifted either way (a split label's cell
    or a blank 总计, review 118): none, only a header places it."""
    ordered = list(row.ordered)
    if len(ordered) > width and ordered[0].blank and ordered[-1].blank:
        return []
    while len(ordered) > width and ordered[-1].blank:
        ordered.pop()
    extra = len(ordered) - width
    if extra > 0 and all(c.blank for c in ordered[:extra]) and all(_COUNT.match(c.text) for c in ordered[extra:]):
        ordered = ordered[extra:]
    return ordered


def _values(row: GridRow, columns: tuple[str, ...], rename: Callable[[str], str] = str) -> dict[str, Value] | None:
    """The row's values in the template's columns, or None when its cells do not fill them. Where the header
    placed them and the row read in order fills the columns too, the two readings are compared: a number the
    two disagree on is not certain. Where a header placed them but not into the template's columns (a header
    carried over from a table's first page to a page whose columns are drawn otherwise), the row read in order
    is the reading, if it fills the columns exactly and no number in it spans rows."""
    ordered = _in_order(row, len(columns))
    subtotal = row.placed.get(ORG_SUBTOTAL)  # (a table drawing a 小计 column: its rows are not the template's in order)
    fits = subtotal is None and len(ordered) == len(columns) and all(c.rowspan == 1 or c.blank for c in ordered)
    in_order = dict(zip(columns, ordered, strict=True)) if fits else None
    cells = {rename(k): c for k, c in row.placed.items() if k != ORG_SUBTOTAL}
    if subtotal is not None and set(cells) == {columns[0], columns[-1]}:  # the organisations not split: their sum
        columns, cells = UNSPLIT_COLUMNS, {**cells, ORG_SUBTOTAL: subtotal}
    if row.placed and not row.conflict and set(cells) == set(columns):
        if sorted(columns, key=lambda c: (cells[c].col, cells[c].index)) != list(columns):
            in_order = None  # a header naming every column in an order of its own (总计 first, review 99): the
            # row read in the template's order is no second reading of it
    elif in_order is not None and (not row.placed or row.conflict or set(cells) != set(columns)):
        cells, in_order = in_order, None
    else:
        return None
    out = {}
    for column in columns:
        cell = cells[column]
        v = read_value(cell.text, column)
        value = Value(
            v.number, cell.text, -1, 0, v.debris, v.invalid, (row.grid, cell.row, cell.index), v.doubt, v.unreadable
        )
        if in_order is not None and in_order[column] is not cell:
            other = read_value(in_order[column].text, column)
            if (other.number, other.blank) != (value.number, value.blank):
                value = value.doubted(DOUBT_READINGS)
        out[column] = value
    if row.line is not None and not _same_numbers(out.values(), row.line, signed=not SIGNED_COLUMNS.isdisjoint(out)):
        out = {c: v.doubted(DOUBT_TEXT_LAYER) for c, v in out.items()}
    if subtotal is not None and not _adds_up(subtotal, out):
        return None  # the headers stand over other columns than the numbers, or a number is miswritten: not placed
    return out


def _adds_up(subtotal: GridCell, values: dict[str, Value]) -> bool:
    """Whether a 小计 cell is the sum of the organisations' columns beside it (where all are numbers): one that is
    not tells the headers stand over other columns than the page's numbers, or that a number is miswritten."""
    wanted = read_value(subtotal.text, "total").number
    parts = [values[c].number for c in APPLICANT_COLUMNS[1:6] if c in values]
    if wanted is None or len(parts) != 5 or any(p is None for p in parts):
        return True  # (nothing to hold it against: a blank, a dash, a cell not read)
    return sum(p for p in parts if p is not None) == wanted


def _same_numbers(values: Iterable[Value], line: str, *, signed: bool = False) -> bool:
    """Whether the row's words in the text layer hold the numbers its cells were read as (in any order: what
    is compared is the numbers, not where the ruling lines put them). In a row with a signed column, a word
    whose sign is a word (减少6) is the number its cell is read as."""
    cells = sorted(v.number for v in values if v.number is not None)
    words = sorted(n for w in line.split() if (n := _word_number(w, signed)) is not None)
    return cells == words


def _word_number(word: str, signed: bool) -> Number | None:
    number = read_cell(word).number
    if number is None and signed and (worded := signed_in_words(word)) is not None:
        return worded.number
    return number


def _read(
    rows: list[GridRow], specs: tuple[RowSpec, ...]
) -> tuple[dict[str, dict[str, Value] | None], list[str], set[str]]:
    """Each template row's values (None: its cells could not be placed), the rows not found, and those
    placed by their position between recognised rows because no label named them."""
    hits: dict[str, int] = {}
    pos = 0
    for n, row in enumerate(rows):
        hit = _match(specs, pos, row)
        if hit is None:
            continue
        pos = hit + 1
        hits[specs[hit].key] = n
    unnamed = {n: row.labels[-1] for n, row in enumerate(rows) if n not in hits.values() and row.labels and row.own}
    extra = gaps(specs, hits, unnamed) if hits else {}
    by_position, placed = set(extra), {**hits, **extra}
    found: dict[str, dict[str, Value] | None] = {}
    for spec in specs:
        if spec.key in placed:
            values = _values(rows[placed[spec.key]], spec.columns)
            if values is not None and spec.key in by_position:
                values = {c: v.doubted(DOUBT_POSITION) for c, v in values.items()}
            found[spec.key] = values
    return found, [s.key for s in specs if s.key not in found], by_position


def read_applications_grids(grids: list[Grid]) -> Table | None:
    rows = grid_rows(grids, applicant_column, first=APPLICANT_COLUMNS[0], specs=APPLICATION_ROWS)
    found, missing, _ = _read(rows, APPLICATION_ROWS)
    if not found:
        return None
    settle_other(found)
    fmt = applications_format(found)
    variant = {"other"} if fmt != "2019" else set(OTHER_2021)
    missing = [r for r in missing if r not in variant and (fmt is not None or r not in OTHER_2021)]
    return build_table(found, APPLICATION_ROWS, missing, fmt)


def read_active_grids(grids: list[Grid]) -> Table | None:
    text = "".join(c.text for g in grids for c in g.cells)
    fmt = active_format(text)
    if fmt is None:
        return None
    found, missing, _ = _read(grid_rows(grids, active_column, specs=ACTIVE_ROWS[fmt]), ACTIVE_ROWS[fmt])
    return amounts_in_units(build_table(found, ACTIVE_ROWS[fmt], missing, fmt), text) if found else None


def read_appeals_grids(grids: list[Grid]) -> Table | None:
    """Section 四: three groups of five, placed by the group and result headers (or a row label), or laid out long
    (a portrait page's: fifteen rows of a group, a result and its number)."""
    width = len(APPEAL_ROWS) * len(APPEAL_COLUMNS)
    table = Table("parsed")
    rows = grid_rows(grids, appeal_column, appeal_group)
    long = {id(row): column for row in rows if (column := _one_result(row)) is not None}
    for row in rows:
        if id(row) in long:
            continue
        group = appeal_group(row.label)
        grouped = bool(row.placed) and all(":" in k for k in row.placed)
        if grouped or (group is None and len(row.ordered) >= width):
            # (a header that names the results but not their groups: the fifteen cells in the statutory order)
            if not _groups_read(row if grouped else replace(row, placed={}, conflict=False), table):
                return Table("ambiguous")
            if set(table.rows) == set(APPEAL_ROWS):  # whole: a table drawn again below (全区's after 本机关's) is
                return table  # another scope's, never this one's (review 110)
            continue
        if group is not None:  # one group per row, its label in the row
            values = _values(row, APPEAL_COLUMNS, lambda k: k.rsplit(":", 1)[-1])
            if values is None:
                return Table("ambiguous")
            table.rows[group] = values
    if long and not _laid_long(table, [(row, long[id(row)]) for row in rows if id(row) in long]):
        return Table("ambiguous")
    if not table.rows:
        return None
    if set(table.rows) != set(APPEAL_ROWS):
        return Table("ambiguous")
    return table


def _groups_read(row: GridRow, table: Table) -> bool:
    """The groups a row's header names put into ``table``: all three, or 行政复议 in one table and 行政诉讼 in the next
    (a page too narrow for fifteen columns, review 108); a row no header placed, all three in order. False where its
    cells do not fill them or one is read twice."""
    named = [g for g in APPEAL_ROWS if not row.placed or any(k.startswith(f"{g}:") for k in row.placed)]
    values = _values(row, tuple(f"{g}:{c}" for g in named for c in APPEAL_COLUMNS))
    if values is None or any(g in table.rows for g in named):
        return False
    for g in named:
        table.rows[g] = {c: values[f"{g}:{c}"] for c in APPEAL_COLUMNS}
    return True


def _one_result(row: GridRow) -> str | None:
    """The result a row of table 四 laid out long gives (结果维持, 总计…): its innermost label names one, another its
    group, and it holds one number and nothing else; None for any other row."""
    if len(row.labels) < 2 or row.placed or appeal_group(row.label) is None or appeal_group(row.labels[-1]):
        return None
    # one cell, no more: a blank beside it may be the column of the year the report is for (review 76)
    return appeal_column(row.labels[-1]) if len(row.ordered) == 1 else None


def _laid_long(table: Table, rows: list[tuple[GridRow, str]]) -> bool:
    """The groups of table 四 laid out long, put into ``table``; False where a result is given twice or a group
    lacks one (or stands in the table already)."""
    laid: dict[str, dict[str, Value]] = {}
    for row, column in rows:
        group = appeal_group(row.label) or ""
        values = _values(row, (column,))
        if values is None or column in laid.get(group, {}):
            return False
        laid.setdefault(group, {}).update(values)
    if any(group in table.rows or set(values) != set(APPEAL_COLUMNS) for group, values in laid.items()):
        return False
    table.rows.update({group: {c: values[c] for c in APPEAL_COLUMNS} for group, values in laid.items()})
    return True
