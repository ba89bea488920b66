"""Stage: parse (text tables). A row's cells fitted to its columns: exactly, or with glued digits split one a cell
where each 总计 adds up, else None (ambiguous); then read as values, doubted where the columns were inferred from
blank lines or two numbers may have run into one cell."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.model import SIGNED_COLUMNS, Value
from monitor.reading.cells import read_cell, read_value
from monitor.reading.text_cells import SIGN_APART, Cell

DOUBT_RHYTHM = "所在列由空行推定"
DOUBT_SPACED = "某单元格内的数字被空格隔开（可能是一个数，也可能是相邻两格连在一起），本行各数所在列无法确定"


def split_glued(seq: Sequence[Cell], columns: Sequence[str]) -> list[Cell] | None:
    """A row whose digits were glued to its label: its digit string, when it has exactly one digit per cell,
    is one digit per cell, accepted where it adds up (each 总计 equals its parts). Any other split would be a
    guess: None."""
    digits = "".join(c.text for c in seq if c.kind == "value")
    if len(digits) != len(columns) or not digits.isdigit() or any(c.kind != "value" for c in seq):
        return None
    first = seq[0]
    split = [Cell("value", d, first.line, first.col + i, glued=True) for i, d in enumerate(digits)]
    return split if _consistent([int(d) for d in digits], columns) else None


def _consistent(nums: Sequence[int], columns: Sequence[str]) -> bool:
    """Each 总计 of a row equals the cells before it that it sums: the six applicant columns, or the four
    results of one of section 四's groups."""
    span = {7: 6, 3: 2}.get(len(columns), 4)  # (table 三, or its organisations in one column; else 四's five)
    return all(nums[i] == sum(nums[i - span : i]) for i, c in enumerate(columns) if c == "total" and i >= span)


def fit_row(run: Sequence[Cell], columns: Sequence[str], line: int = -1, last: bool = False) -> list[Cell] | None:
    """The row's cells if they fill its columns exactly, else None (ambiguous). ``line``: the line of its label;
    ``last``: the table's last row."""
    width = len(columns)
    seq: list[Cell] = []
    for cell in run:
        if cell.kind == "collapse":
            if len(seq) >= width:
                break
            return None
        seq.append(cell)
    dropped = 0
    remarks = not SIGNED_COLUMNS.intersection(columns)
    while len(seq) > width and (seq[-1].kind == "blank" or (remarks and seq[-1].worded)):
        # (a change in words after a row's numbers, in a table with no 本年增/减 (a 2021 table 二's "52 | 增加3"):
        # a remark on them, as the label it was read as before such words were cells)
        dropped += seq.pop().kind == "blank"
    extra = len(seq) - width
    if (
        not dropped
        and extra > 0
        and all(c.kind == "blank" and c.line == line for c in seq[:extra])
        and seq[extra].kind == "value"
        and seq[extra].line == line
    ):
        # blanks between the label and the first number on its line, more than the row has room for: the label's
        # own cells (a converter writes a label spanning three columns as the label and two empty cells). Where
        # the label stands on a line of its own, its row's numbers could as well be the line before's.
        seq = seq[extra:]
    if len(seq) == width:
        # blank cells past the row's width dropped, or the table's last row ending in only an empty line (one cell a
        # line: the line before the next heading, review 92's P1; within a table it is the row's blank, review 93),
        # and its last column blank as well: a cell lost further left (a converter that keeps every row's width pads
        # it at the end) is as likely as a blank 总计: not placed
        end = seq[-1]
        lost = end.kind == "blank" and (dropped or (last and end.inferred)) and any(c.kind == "value" for c in seq)
        return None if lost else seq
    if width > 1 and any(c.glued for c in seq):
        return split_glued(seq, columns)
    return None


def row_values(cells: Sequence[Cell] | None, columns: Sequence[str]) -> dict[str, Value] | None:
    if cells is None:
        return None
    out = {}
    inferred = [i for i, c in enumerate(cells) if c.inferred]
    spaced = any(c.spaced for c in cells)
    for i, (cell, column) in enumerate(zip(cells, columns, strict=True)):
        if cell.kind == "blank":  # in a row whose columns are not known (two cells run into one), nor is its
            # (a dash or slash written is kept: staff told "为空" look and see a mark, audit 16)
            written = cell.text if read_cell(cell.text).blank else ""
            value = Value(None, written, cell.line, cell.col, doubt=DOUBT_SPACED if spaced else "")
        else:
            value = read_value(cell.text, column, line=cell.line, col=cell.col)
            if inferred and inferred[0] < i < inferred[-1]:  # blanks inferred on both sides: its column too
                value = value.doubted(DOUBT_RHYTHM)
            if cell.spaced and SIGN_APART.match(cell.text):
                value = Value(None, cell.text, cell.line, cell.col, doubt=DOUBT_SPACED, unreadable=True)
            elif spaced and value.number is not None:  # two cells run into one: the row's columns are not known
                value = value.doubted(DOUBT_SPACED)
        out[column] = value
    return out
