"""Stage: parse (text tables). A cell merged over rows of table 三 that a text writes once: the rows it spans are
each a number short and not placed, and the row holding it does not add up. Which rows such merges can explain, so
that an error a merge cannot explain stands and one it can is not told for certain.

A crawler writes a merged cell on its first row (review 81); a PDF's converter where the cell is centred: its last
row of two, its middle one of three (review 83's T10). A merge (``_Merge``) is one row holding the number, the short
rows next to it, and the column: each short row's share there (what its missing cell must be for its own total to
hold) is at least 0, the shares are what the holding row has too much there, and its cell is at least that; and the
column, the number counted once, adds up (``_holds``): to (七)总计 for the outcome rows, 新收 + 结转 to (七)总计 + 四 for
一 and 二 (a row no merge can hold, whose error is told anyway, counted as it reads or as it would be right). Each
short row goes to one merge (it lacks one cell), as explains the most rows (``_assigned``). Reviews 84-90 each found
a coincidence that a looser or a stricter reading got wrong; a few remain possible (README)."""

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
    gaps = _slots(found, placed, width)  # short rows whose missing cell is known: the slot under a merge
    for key, gap in gaps.items():
        short[key] = _without(placed.pop(key), gap)
    for key in _SUMS:  # its last cell only the empty line after it (one cell a line): a cell short, any of its
        # readings (review 91's T1, review 92's H1: its cells stand one column off)
        if (cells := found.get(key)) is not None and len(cells) == width and cells[-1].inferred:
            del placed[key]
            short[key] = [_number(c) for c in cells[:-1]]
    ways = [
        (spec.key, found_ways)
        for at, spec in enumerate(specs)
        if spec.key in placed and spec.key in _MERGEABLE and (found_ways := _ways(specs, at, placed, short, gaps))
    ]
    claimed = frozenset((key, m.column) for _, found_ways in ways for m in found_ways for key in m.shorts)
    # rows no merge can hold, each cell a number read for certain: their errors are told as errors whatever the merges
    # (review 91's A1: a row with a doubted cell is told only as a warning), and may stand in as right in any column;
    # a sum row only in those where 新收 + 结转 = (七)总计 + 四 fails as written (review 91's A0: (七)'s 自然人 wrong, read
    # as right in its 总计 instead), in any where the four are not all read
    told = frozenset(k for k, cells in found.items() if cells is not None and all(map(_certain, cells))) - {
        key for key, _ in ways
    }
    off = _unbalanced(placed, width)
    sure = {k: off if k in _SUMS else frozenset(range(width)) for k in told}
    claims = [
        (key, [m for m in found_ways if _holds(m, placed, short, claimed=claimed, sure=sure, gaps=gaps, width=width)])
        for key, found_ways in ways
    ]
    return {m.holder: m.doubt for m in _assigned([(key, ms) for key, ms in claims if ms])}


def _unbalanced(placed: dict[str, Numbers], width: int) -> frozenset[int]:
    """The columns where 新收 + 结转 = (七)总计 + 四 fails as read; all where the four rows are not all read."""
    rows = [placed.get(key) for key in (*_RECEIVED, *_SUMS)]
    if any(row is None or None in row or len(row) != width for row in rows):
        return frozenset(range(width))
    new, carried, handled, forward = ([n or 0 for n in row or ()] for row in rows)
    return frozenset(c for c in range(width) if new[c] + carried[c] != handled[c] + forward[c])


def _certain(cell: Cell) -> bool:
    """Whether a placed cell is read for certain: a number (a unit after it too), or a blank or dash written (review
    92's M2: such a row's error is told as an error all the same); not one with debris or a remark, nor two cells run
    together, nor a blank only inferred from the empty lines."""
    if cell.kind == "blank":
        return not cell.inferred
    if cell.kind != "value" or cell.spaced or cell.glued or cell.inferred:
        return False
    r = read_cell(cell.text)
    return r.number is not None and not (r.debris or r.remark or r.dashed)


def _number(cell: Cell) -> Number | None:
    return read_cell(cell.text).number if cell.kind == "value" else 0


def _ways(
    specs: Sequence[RowSpec], at: int, placed: dict[str, Numbers], short: dict[str, Numbers], gaps: dict[str, int]
) -> list[_Merge]:
    """The merges the row ``specs[at]`` may hold: over it and the nearest short rows above, below or both (of its run
    of rows: outcome rows, or 一 and 二; past the 2021 heading （六）其他处理)."""
    key = specs[at].key
    a = placed[key]
    if None in a:
        return []  # (its total is not certain anyway)

    def near(steps: range) -> list[str]:
        out = []
        for i in steps:
            other = specs[i].key
            if other == "other" and other not in placed and other not in short:
                continue  # the 2021 heading （六）其他处理, holding no number: a cell may be merged across it (review 89)
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
            if any(gaps.get(k, column) != column for k in used):
                continue  # (a short row whose missing cell is known: only there)
            # each short row's share: what its cell there must be for its own total to hold
            shares = [_share(short[k], column, len(a)) for k in used]
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
    merge: _Merge,
    placed: dict[str, Numbers],
    short: dict[str, Numbers],
    *,
    claimed: frozenset[tuple[str, int]],
    sure: Mapping[str, frozenset[int]],
    gaps: Mapping[str, int],
    width: int,
) -> bool:
    """Whether the merge's column can add up, its number counted once (its short rows' shares in it), and no other
    column that could add up is put wrong by the short rows' cells standing past the merge's (review 88's C1: a true
    error's excess taken for a share put a row's total in 其他). Another short row counts as any of its readings
    (``_readings``: review 89, where review 88 counted it at least 0 and let a true error through); a row no merge
    can hold (``sure``, in the columns it gives: its error is told whatever the merges) as it reads or as it would be
    right (``_placed``); a number not read, at least 0; a sum row not read, what the rest allow (review 87: the
    outcome rows at most 新收 + 结转)."""
    block = "received" if merge.holder in _RECEIVED else "outcome"
    own: dict[str, Values] = {key: {0} for key in merge.shorts}  # in its column: counted in the holder's number
    for column in range(width):
        values: dict[str, Values] = {
            key: _placed(row, column)
            if column in sure.get(key, ())
            else _one(row[column] if column < len(row) else None)
            for key, row in placed.items()
        }
        for key, row in short.items():
            values[key] = _readings(row, column, width, merged=(key, column) in claimed, gap=gaps.get(key))
        if column == merge.column:
            if not _adds_up({**values, **own}, block):
                return False
            continue
        # Elsewhere the short rows' cells stand past the gap: a column that can add up with them where their own
        # totals let their missing cells be (review 92's M1: not where a cell there would be below 0), and cannot with
        # them so placed, refutes the merge (review 88's C1); one that cannot either way is another error's.
        moved = {key: _one(short[key][column - (column > merge.column)]) for key in merge.shorts}
        if not _adds_up({**values, **moved}, block):
            unmoved = {key: _elsewhere(short[key], column, merge.column, width, gaps.get(key)) for key in merge.shorts}
            if all(unmoved.values()) and _adds_up({**values, **unmoved}, block):
                return False
    return True


def _elsewhere(row: Numbers, column: int, merged: int, width: int, known: int | None) -> set[Number]:
    """A short row's possible numbers in ``column`` were its missing cell anywhere but ``merged`` where its own total
    lets it be (the cell there at least 0); none where a number of it is not read."""
    shown = [n for n in row if n is not None]
    out: set[Number] = set()
    if len(shown) < len(row):
        return out
    for gap in range(width):
        share = _share(row, gap, width)
        if gap != merged and share >= 0 and known in (None, gap):
            out.add(share if gap == column else shown[column - (column > gap)])
    return out


Values = set[Number] | None  # a row's possible numbers in a column; None: not known (at least 0)
_MOST_SUMS = 512  # possible sums kept (beyond, not known)


def _one(n: Number | None) -> Values:
    return None if n is None else {n}


def _placed(row: Numbers, column: int) -> Values:
    """A placed row's possible numbers in ``column``: its cell there, and, where the row does not add up, also what
    would put it right there. For a row no merge can hold, whose error is told anyway: the column is not held against
    a merge for it (review 90's A: a true error in a genuine merge's column had the merge's row told as well)."""
    numbers = [n for n in row if n is not None]
    if column >= len(row) or len(numbers) < len(row):
        return _one(row[column] if column < len(row) else None)
    shown, excess = numbers[column], sum(numbers[:-1]) - numbers[-1]
    if not excess:
        return {shown}
    right = shown + excess if column == len(row) - 1 else shown - excess
    return {shown, right} if right >= 0 else {shown}


def _readings(row: Numbers, column: int, width: int, merged: bool, gap: int | None = None) -> Values:
    """A short row's possible numbers in ``column``: its missing cell in each place in turn, there what puts its
    total right (a blank dropped, a number lost), or, where another merge may take the row in that column
    (``merged``; review 90's K), 0 (merged into that row's number); elsewhere its cell shown there. A row whose blank
    a crawler dropped (1 0 0 0 0 1) is what it reads whichever blank went; one whose 自然人 went into a merge of its
    own as 0 (0 2 0 0 0 0 2 shown 2 0 0 0 0 2) may be 2 or 0 there (review 89's Z1)."""
    shown = [n for n in row if n is not None]
    if len(shown) < len(row):
        return None
    out: set[Number] = set()
    for place in range(width) if gap is None else (gap,):  # (its missing cell's place, where known)
        if place == column:
            share = _share(row, place, width)
            out |= ({0} if merged else set()) | ({share} if share >= 0 else set())
        else:
            out.add(shown[column - (column > place)])
    return out


def _slots(found: Mapping[str, Sequence[Cell] | None], placed: dict[str, Numbers], width: int) -> dict[str, int]:
    """The rows where a converter that keeps the grid wrote the slot under a merged cell, blank or - (review 93's
    G1): each cell read for certain, one blank where the row's own total needs a number, not in 总计 (a total is not
    merged over rows; review 94's H1). None where the table writes blanks or dashes for nothing elsewhere: there one
    is more likely the body's nothing (review 94's H2)."""
    out: dict[str, int] = {}
    for key, cells in found.items():
        blanks = [i for i, c in enumerate(cells or ()) if c.kind == "blank"]
        if not blanks or cells is None:
            continue
        gap = blanks[0]
        if (
            key not in _MERGEABLE
            or len(blanks) > 1
            or gap == width - 1
            or not all(map(_certain, cells))
            or _share(_without(placed[key], gap), gap, width) <= 0
        ):
            return {}
        out[key] = gap
    return out


def _without(row: Numbers, gap: int) -> Numbers:
    return row[:gap] + row[gap + 1 :]


def _share(row: Numbers, gap: int, width: int) -> Number:
    """What a short row's missing cell at ``gap`` must be for its own total to hold (unread numbers as 0)."""
    shown = [n or 0 for n in row]
    return sum(shown) if gap == width - 1 else shown[-1] - sum(shown[:-1])


def _sum(parts: Sequence[Values]) -> tuple[set[Number], bool]:
    """The possible sums of the parts' known numbers, and whether a part is not known (then at least those)."""
    sums: set[Number] = {0}
    unknown = False
    for options in parts:
        if options is None:
            unknown = True
            continue
        sums = {s + n for s in sums for n in options}
        if len(sums) > _MOST_SUMS:
            return {min(sums)}, True
    return sums, unknown


def _adds_up(values: dict[str, Values], block: str) -> bool:
    """Whether the outcome rows, or 一 and 二 (``block``), can add up in the column to the sums the table gives."""
    outcome_keys = [k for k in OUTCOME_ROWS if k in values]
    if any(k in outcome_keys for k in OTHER_2021):
        outcome_keys = [k for k in outcome_keys if k != "other"]
    outcomes = _sum([values[k] for k in outcome_keys])
    received = _sum([values[k] for k in _RECEIVED if k in values])  # (a row not on the page counts nothing)
    handled, forward = values.get("handled_total"), values.get("carried_forward")
    if block == "outcome":
        parts = outcomes
        if handled is not None:
            target: set[Number] = handled
        elif forward is not None and not received[1]:
            target = {r - f for r in received[0] for f in forward}
        else:  # the outcome rows at most what came in
            return received[1] or min(parts[0]) <= max(received[0])
    else:
        parts = received
        if not outcomes[1] and (handled is None or handled & outcomes[0]):
            handled = outcomes[0]
        if handled is None:
            return True
        if forward is None:  # what came in at least what was handled
            return parts[1] or max(parts[0]) >= min(handled)
        target = {h + f for h in handled for f in forward}
    sums, unknown = parts
    return any(s <= t if unknown else s == t for s in sums for t in target)
