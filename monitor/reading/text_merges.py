"""Stage: parse (text tables). A cell merged over rows of table 三 that a text writes once: the rows it spans are
each a number short and not placed, and the row holding it does not add up. Which rows such merges can explain, so
that an error a merge cannot explain stands and one it can is not told for certain.

A crawler writes a merged cell on its first row (review 81); a PDF's converter where the cell is centred: its last
row of two, its middle one of three (review 83's T10). A merge (``_Merge``) is one row holding the number, the short
rows next to it, and the column: each short row's share there (what its missing cell must be for its own total to
hold) is at least 0, the shares are what the holding row has too much there, and its cell is at least that; and the
column, the number counted once, adds up (``_holds``): to (七)总计 for the outcome rows, 新收 + 结转 to (七)总计 + 四 for
一 and 二. Each short row goes to one merge (it lacks one cell), as explains the most rows (``_assigned``). Reviews
84-87 each found a coincidence that a looser reading let through; a few remain possible (README)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.model import OTHER_2021, OUTCOME_ROWS, Number, RowSpec
from monitor.reading.cells import read_cell
from monitor.reading.text_cells import Cell

DOUBT_MERGED = "下面的行各少一个数字，此行的数字可能与下面的行合并填写（跨行的单元格），无法确定属于哪一行"
DOUBT_MERGED_ABOVE = "上面的行各少一个数字，此行的数字可能与上面的行合并填写（跨行的单元格），无法确定属于哪一行"
DOUBT_MERGED_AROUND = "上下的行各少一个数字，此行的数字可能与上下的行合并填写（跨行的单元格），无法确定属于哪一行"

# The rows a cell may be merged over, in runs: the outcome rows (一)..(六) with one another, 一、本年新收 with 二、上年结转.
# Never (七)总计 nor 四、结转下年度: they are sums, and a cell merged into one of them is no table's (review 85).
_RECEIVED = ("new", "carried_over")
_SUMS = ("handled_total", "carried_forward")
_MERGEABLE = {key: n for n, keys in enumerate((_RECEIVED, OUTCOME_ROWS)) for key in keys}
_MOST_TRIED = 5_000  # sets of merges weighed (a table has a few short rows; beyond, the best found so far)

Numbers = list[Number | None]


@dataclass(frozen=True)
class _Merge:
    holder: str  # the row holding the number
    shorts: frozenset[str]  # the short rows it spans
    column: int
    doubt: str


def merged(
    specs: Sequence[RowSpec], found: Mapping[str, Sequence[Cell] | None], runs: Mapping[str, Sequence[Cell]]
) -> dict[str, str]:
    """The rows placed whose numbers a cell merged over them and the rows next to them may hold, with why."""
    if not specs or specs[0].columns[-1] != "total" or len(specs[0].columns) not in (3, 7):
        return {}
    width = len(specs[0].columns)
    placed = {key: [_number(c) for c in cells] for key, cells in found.items() if cells is not None}
    for key in _SUMS:  # a sum row written with its label alone, or blanks: its blank cells dropped, each 0
        if key not in placed and (run := runs.get(key)) is not None and all(c.kind == "blank" for c in run):
            placed[key] = [0] * width
    short = {
        s.key: [_number(c) for c in run]
        for s in specs
        if (run := runs.get(s.key)) is not None and found.get(s.key) is None and len(run) == width - 1
    }
    ways = [
        (spec.key, found_ways)
        for at, spec in enumerate(specs)
        if spec.key in placed and spec.key in _MERGEABLE and (found_ways := _ways(specs, at, placed, short))
    ]
    claimed = frozenset(key for _, found_ways in ways for m in found_ways for key in m.shorts)
    claims = [(key, [m for m in found_ways if _holds(m, placed, short, claimed, width)]) for key, found_ways in ways]
    return {m.holder: m.doubt for m in _assigned([(key, ms) for key, ms in claims if ms])}


def _number(cell: Cell) -> Number | None:
    return read_cell(cell.text).number if cell.kind == "value" else 0


def _ways(specs: Sequence[RowSpec], at: int, placed: dict[str, Numbers], short: dict[str, Numbers]) -> list[_Merge]:
    """The merges the row ``specs[at]`` may hold: over it and the nearest short rows above, below or both (of its run
    of rows: outcome rows, or 一 and 二)."""
    key = specs[at].key
    a = placed[key]
    if None in a:
        return []  # (its total is not certain anyway)

    def near(steps: range) -> list[str]:
        out = []
        for i in steps:
            other = specs[i].key
            if other not in short or _MERGEABLE.get(other) != _MERGEABLE[key] or None in short[other]:
                break
            out.append(other)
        return out

    before, after = near(range(at - 1, -1, -1)), near(range(at + 1, len(specs)))
    last = len(a) - 1
    diff = sum(n or 0 for n in a[:-1]) - (a[-1] or 0)
    out = []
    for up, down in itertools.product(range(len(before) + 1), range(len(after) + 1)):
        used = [*before[:up], *after[:down]]
        if not used or not diff:
            continue
        doubt = DOUBT_MERGED_AROUND if up and down else DOUBT_MERGED_ABOVE if up else DOUBT_MERGED
        for column in range(len(a)):
            # each short row's share: what its cell there must be for its own total to hold
            shares = [
                sum(n or 0 for n in b) if column == last else (b[-1] or 0) - sum(n or 0 for n in b[:-1])
                for b in (short[k] for k in used)
            ]
            wanted = -diff if column == last else diff  # what the row holds there beyond its own
            if wanted > 0 and min(shares) >= 0 and sum(shares) == wanted and (a[column] or 0) >= wanted:
                out.append(_Merge(key, frozenset(used), column, doubt))
    return out


def _assigned(claims: Sequence[tuple[str, Sequence[_Merge]]]) -> list[_Merge]:
    """The merges, at most one a row and no short row in two, that explain the most rows (review 86: two merges each
    written on its lower row); then the most written on their first row, a crawler's way (review 85: a row short
    between two errors); then the first found."""
    best: tuple[int, int] = (0, 0)
    chosen: list[_Merge] = []
    tried = 0

    def search(k: int, used: frozenset[str], picked: list[_Merge]) -> None:
        nonlocal best, chosen, tried
        if tried > _MOST_TRIED or len(picked) + len(claims) - k < best[0]:
            return
        if k == len(claims):
            tried += 1
            score = (len(picked), sum(m.doubt == DOUBT_MERGED for m in picked))
            if score > best:
                best, chosen = score, picked
            return
        for way in claims[k][1]:
            if not way.shorts & used:
                search(k + 1, used | way.shorts, [*picked, way])
        search(k + 1, used, picked)

    search(0, frozenset(), [])
    return chosen


def _holds(
    merge: _Merge, placed: dict[str, Numbers], short: dict[str, Numbers], claimed: frozenset[str], width: int
) -> bool:
    """Whether the merge's column adds up, its number counted once (its short rows' shares in it). Another short row
    no merge could take counts as a row whose blank a crawler dropped, where it can only be that; else, as a number
    not read, at least 0 (review 88); a sum row not read, what the rest allow (review 87: the outcome rows at most
    新收 + 结转)."""
    table: dict[str, Numbers] = dict(placed)
    for key, row in short.items():
        if key in merge.shorts:
            table[key] = [0] * width  # counted once, in the holder's number
        else:
            table[key] = (None if key in claimed else _blank_dropped(row, width)) or [None] * width
    return _adds_up(table, merge.column, "received" if merge.holder in _RECEIVED else "outcome")


def _blank_dropped(row: Numbers, width: int) -> Numbers | None:
    """A short row read as one whose blank organisation cell a crawler dropped (1 0 0 0 0 1: 1 0 0 0 0 0 1), where
    that is so whichever it was: its organisations' cells all 0 and its 自然人 its total; else not known (None)."""
    if None in row or any(row[1:-1]) or row[0] != row[-1]:
        return None
    return [row[0], *[0] * (width - 2), row[-1]]


def _adds_up(table: dict[str, Numbers], column: int, block: str) -> bool:
    """Whether ``column`` of the outcome rows, or of 一 and 二 (``block``), adds up to the sums the table gives."""

    def at(key: str) -> Number | None:
        row = table.get(key)
        return row[column] if row is not None and column < len(row) else None

    outcome_keys = [k for k in OUTCOME_ROWS if k in table]
    if any(k in outcome_keys for k in OTHER_2021):
        outcome_keys = [k for k in outcome_keys if k != "other"]
    outcomes = [at(k) for k in outcome_keys]
    handled, forward = at("handled_total"), at("carried_forward")
    received = [at(k) if k in table else 0 for k in _RECEIVED]  # (a row not on the page counts nothing)
    if block == "outcome":
        parts, target = outcomes, handled
        if target is None and None not in received and forward is not None:
            target = sum(n or 0 for n in received) - forward
        bound = None if None in received else sum(n or 0 for n in received)  # the outcome rows at most what came in
    else:
        parts = received
        if handled is None and None not in outcomes:
            handled = sum(n or 0 for n in outcomes)
        target = None if handled is None or forward is None else handled + forward
        bound = None
        if target is None and handled is not None:  # what came in at least what was handled
            return sum(n or 0 for n in parts) >= handled or None in parts
    known = sum(n or 0 for n in parts)
    if target is not None:
        return known == target if None not in parts else known <= target
    return bound is None or known <= bound
