"""Stage: parse (grids), its first half: a grid's data rows, each value placed under the header cell that names its
column.

A value's column is the header cell above it, not its position in the row: the header rows over a run of data rows
are read slot by slot, and each slot takes the deepest header cell that names a column (自然人, 商业企业 …, 总计;
本年制发件数 …; 结果维持 … under 行政复议 / 直接起诉 / 复议后起诉). A value cell spanning two slots under one header
cell is one value. So a page whose 自然人 header spans two slots while its data rows give 商业企业 two slots reads
right. Each row also keeps its value cells in order (``GridRow.ordered``), the only reading where no header names
them. Which table a grid is, and its rows read into the template's, is ``grids``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from monitor.model import LABELS, ORG_SUBTOTAL, Grid, GridCell, RowSpec, item_number, naming
from monitor.reading.cells import is_value
from monitor.reading.normalise import squash
from monitor.reading.pagebreaks import NUMBERED

Namer = Callable[[str], str | None]  # squashed header text -> column key, or None


@dataclass
class GridRow:
    """One data row: its label cells (outer to inner) and its value cells.

    ``placed`` maps column -> cell when the header named every value cell; ``ordered`` lists the
    value cells left to right (each once, blanks included): the row read in order, which is the only reading
    where no header named them and a second reading where one did. ``conflict`` when they cannot be placed."""

    labels: list[str]
    placed: dict[str, GridCell]
    ordered: list[GridCell]
    conflict: bool = False
    grid: int = 0
    line: str | None = None  # the row's words as the page's text layer gives them (PDF): a further reading
    own: bool = True  # its innermost label is its own (a cell of this row alone), not one spanning other rows

    @property
    def label(self) -> str:
        return "".join(self.labels)


def _header_map(
    grid: Grid, header: list[int], name: Namer, group: Namer | None, first: str | None = None
) -> dict[int, str]:
    """Slot -> column key from the header rows: the deepest header cell that names a column; and ``first`` (the
    table's first column) for a slot left blank just before the first one named, where no header names it (a
    table 三 whose 自然人 cell was left empty, as a real page has it: its numbers are not the rows' labels)."""
    width = len(grid.slots[0]) if grid.slots else 0
    out: dict[int, str] = {}
    for c in range(width):
        leaf = None
        for r in reversed(header):
            cell = grid.slots[r][c]
            # (the organisations' sum names one column, at the header's foot: 法人或其他组织 over five, or above a row
            # of the five's names, is their group, not a sum)
            sum_of_one = cell is not None and cell.colspan == 1 and cell.row + cell.rowspan > header[-1]
            if cell is not None and (leaf := name(squash(cell.text))) and (leaf != ORG_SUBTOTAL or sum_of_one):
                break
            leaf = None
        if leaf is None:
            continue
        if group is not None:
            groups = {g for r in header if (x := grid.slots[r][c]) is not None and (g := group(squash(x.text)))}
            specific = groups - {"review"} if len(groups) > 1 else groups
            if len(specific) == 1:
                leaf = f"{specific.pop()}:{leaf}"
        out[c] = leaf
    if list(out.values()).count(ORG_SUBTOTAL) > 1:  # one sum of the organisations, or the header says no such thing
        out = {c: k for c, k in out.items() if k != ORG_SUBTOTAL}
    for c, k in list(out.items()):  # a 小计 under no 法人或其他组织, the only total there is: the table's 总计
        above = (squash(x.text) for r in header if (x := grid.slots[r][c]) is not None)
        if k == ORG_SUBTOTAL and "total" not in out.values() and not any("法人" in t for t in above):
            out[c] = "total"
    if first is not None and out and first not in out.values() and (c := min(out) - 1) >= 0:
        cells = [grid.slots[r][c] for r in header]
        left = grid.slots[header[-1]][c - 1] if c else None
        if cells[-1] is not None and cells[-1].blank and cells[-1] is not left:
            out[c] = first
    return out


def _blank_row(row: list[GridCell], colmap: dict[int, str]) -> bool:
    """A labelled row whose cells under the named columns are all blank."""
    under = {id(c): c for c in row if any(s in colmap for s in range(c.col, c.col + c.colspan))}
    return bool(under) and all(c.blank for c in under.values()) and any(not c.blank for c in row if id(c) not in under)


def _data_row(row: list[GridCell]) -> bool:
    return any(not c.blank and is_value(c.text) for c in row)


def _left_blank(row: list[GridCell]) -> bool:
    """A row of labels and then only blank cells: below a table's data rows, a row whose numbers were left blank
    (a header's words stand above or among the numbers' columns, never only left of them). The labels may stand
    after blank cells: a group's label column is a merge, blank on the page the table runs on to."""
    written = [i for i, c in enumerate(row) if not c.blank]
    return (
        bool(written)
        and written[-1] == written[0] + len(written) - 1  # together
        and written[-1] < len(row) - 1  # and blank cells after them
        and all(WORDED.search(row[i].text) for i in written)
    )


def _names_columns(row: list[GridCell], name: Namer) -> bool:
    """Whether a cell of the row right of its first written one names one of the table's columns (自然人 |
    法人或其他组织 | 总计; 信息内容 | 本年处理决定数量), not as an item's label does ((七)总计): the header of a table drawn
    below another in one grid, never a row whose numbers were left blank (review 108: a sheet's 总计 was read as
    (七)总计's, every number of that row blank; table 二's one-number rows placed under the first header's three)."""
    written = [c for c in row if not c.blank]
    return any(name(squash(c.text)) is not None and not NUMBERED.match(c.text) for c in written[1:])


def _row_begins(rows: Sequence[list[GridCell]], r: int, specs: tuple[RowSpec, ...], mine: set[str]) -> bool:
    """Whether grid row ``r`` begins a row of its own: a label there numbered as an item is (1., （二）, 四、), or
    naming another of the table's rows than ``mine`` (the row above's: a label wrapped onto a second line ends in
    its own key word, 另行制作, 不明确: review 83)."""
    return r < len(rows) and any(
        c.row == r
        and not c.blank
        and not is_value(c.text)
        and (NUMBERED.match(c.text) is not None or any(s.key not in mine for s in naming(specs, squash(c.text))))
        for c in rows[r]
    )


def _item(row: list[GridCell]) -> bool:
    """Whether the row's innermost label is numbered as a table's item is."""
    return NUMBERED.match(next((c.text for c in reversed(row) if not c.blank), "")) is not None


def grid_rows(
    grids: Iterable[Grid],
    name: Namer,
    group: Namer | None = None,
    first: str | None = None,
    specs: tuple[RowSpec, ...] = (),
) -> list[GridRow]:
    """The data rows of a run of grids, each with its values placed by the header above it (``specs``: the table's
    rows, whose labels tell a row of its own)."""
    out: list[GridRow] = []
    colmap: dict[int, str] = {}
    width = -1
    data = False
    for grid in grids:
        rows = grid.rows()
        header: list[int] = []
        # the table run on from the grid before (as wide, data rows read there): its rows go on here, header or not
        carried = data and bool(grid.slots) and len(grid.slots[0]) == width
        if grid.slots and len(grid.slots[0]) != width:  # a header placed another grid's slots, not these
            colmap = {}
        width = len(grid.slots[0]) if grid.slots else width
        data = False  # a data row read in this grid: a header is above them
        rests: set[int] = set()  # rows that are the label of the row above wrapped onto rows of its own
        for r, row in enumerate(rows):
            if r in rests:
                continue
            if not _data_row(row):
                cmap = (_header_map(grid, header, name, group, first) if header else {}) or colmap
                # a row left blank below this grid's data rows, its labels from the row's first cell on; one whose
                # label is an item's (1., （六）, 四、) after a blank group column too, and at the top of the page the
                # table runs on to: not a header repeated there, nor a label's rest
                item = (data or carried) and _item(row)
                left_blank = (
                    not header
                    and _left_blank(row)
                    and ((data and not row[0].blank) or item)
                    and not _names_columns(row, name)
                )
                # a row naming columns the rows above left unnamed is the header's own (its foot, under a cell
                # spanning five: 商业企业 … under 法人或其他组织, blank under 自然人 and 总计), not a row left blank
                grows = bool(header) and len(_header_map(grid, [*header, r], name, group, first)) > len(cmap)
                if (grows or not _blank_row(row, cmap)) and not left_blank:
                    header.append(r)
                    continue
                colmap, header = cmap, []  # a row left blank under a header that names its columns, or in order
            data = True
            if header:
                fresh = _header_map(grid, header, name, group, first)
                if fresh:
                    colmap = fresh
                header = []
            # (the group the row read last stands in, in the table run on from the page before: its label there)
            above = next((g for x in reversed(out[-1].labels) if (g := _group(x))), None) if out and carried else None
            wrapped = _label_rest(rows, r, specs, above)
            if wrapped is not None:  # the label read whole, and its rest's rows not read as rows
                rests.update(range(r + 1, r + 1 + len(wrapped[1])))
            own, rest = wrapped or (None, [])
            cells = [replace(c, text=c.text + "".join(x.text for x in rest)) if c is own else c for c in row]
            placed = _place(cells, r, colmap, rows, specs)
            placed.grid = grid.number
            # (its words on the page: the lines its label's rest took too, where its numbers may stand)
            lines = grid.lines if grid.lines is not None and r < len(grid.lines) else None
            placed.line = " ".join(lines[r : r + 1 + len(rest)]) if lines is not None else None
            out.append(placed)
    return out


WORDED = re.compile("[\u4e00-\u9fff]")  # a label has words


def _label(row: list[GridCell]) -> GridCell | None:
    """The row's innermost label: the last cell with words before its first number."""
    number = next((i for i, c in enumerate(row) if not c.blank and is_value(c.text)), len(row))
    return next((c for c in reversed(row[:number]) if not c.blank and WORDED.search(c.text)), None)


def _label_rest(
    rows: Sequence[list[GridCell]], r: int, specs: tuple[RowSpec, ...], above: str | None = None
) -> tuple[GridCell, list[GridCell]] | None:
    """Row ``r``'s label and the label's rest, wrapped onto the grid rows below it, each a row of its own beside
    numbers merged over them all ("2.申请人逾期未按" / "收费通知要求缴纳费用…", review 84's W1-W4; a label's every line
    ruled off in a cell of its own, as LibreOffice prints a portal page's, review 108 H3): those rows hold no number of
    their own and no numbering, and what their words name is the item row ``r``'s number begins in the group its
    label stands in (2. under （六）其他处理 is (六)2, not (四)2's 另行制作 nor (二)部分公开, whose rows are their own).
    ``above``: the group of the row read before it, where the group's label stands on the page before (the table run
    on to this page, its group column left blank here: a merge carried on)."""
    own = _label(rows[r]) if r < len(rows) and specs else None
    if own is None or own.row != r:
        return None
    # the rows the numbers merged over (none: a spacer row below, or a label of a row left blank)
    span = max((c.rowspan for c in rows[r] if c.row == r and c.col > own.col and is_value(c.text)), default=1)
    if span == 1 or r + span > len(rows):
        return None
    rests = []
    for k in range(r + 1, r + span):
        mine = [c for c in rows[k] if c.row == k and not c.blank]
        if len(mine) != 1 or is_value(mine[0].text) or NUMBERED.match(mine[0].text):
            return None  # a number, a numbered label, or two words of its own: a row of its own
        rests.append(mine[0])
    number = item_number(squash(own.text))
    group = next((g for c in reversed(rows[r]) if c.col < own.col and (g := _group(c.text))), None)
    if group is None and all(c.blank for c in rows[r] if c.col < own.col):
        group = above
    named = naming(specs, squash("".join(c.text for c in rests)))
    if number is None or group is None or not named:
        return None
    # ... the item of the group the row stands in (review 86: "2.其他法律" under (三), its rest naming (四)2's words)
    if all(s.item == number and LABELS.get(s.key, "").startswith(f"({group})") for s in named):
        return own, rests
    return None


_GROUP = re.compile(r"^\s*(?:[(（]([一二三四五六])[)）]|([一二三四五六])\s*[、.．])")  # （三）不予公开, 三、不予公开
_GROUP_WORDS = {"不予公开": "三", "无法提供": "四", "不予处理": "五", "其他处理": "六"}  # a group's label unnumbered


def _group(text: str) -> str | None:
    """The group (三..六 of table 三's outcomes) a label cell names: by its number, or by its words (review 87)."""
    if m := _GROUP.match(text):
        return m.group(1) or m.group(2)
    return next((n for words, n in _GROUP_WORDS.items() if squash(text) == words), None)


def _place(
    row: list[GridCell],
    r: int,
    colmap: dict[int, str],
    rows: Sequence[list[GridCell]] = (),
    specs: tuple[RowSpec, ...] = (),
) -> GridRow:
    number = next((i for i, c in enumerate(row) if not c.blank and is_value(c.text)), len(row))
    mapped = [  # a label left of the row's numbers under a number's header is still a label: a page drawing its
        # columns otherwise than the header carried over from the table's first page ("1.属于国家秘密" where 自然人
        # stood); text among the numbers ("见附件"), or of no words ("26 / 27"), is an unreadable number's cell
        c
        for i, c in enumerate(row)
        if any(s in colmap for s in range(c.col, c.col + c.colspan))
        and (i > number or c.blank or is_value(c.text) or not WORDED.search(c.text))
    ]
    if mapped:
        ids = {id(c) for c in mapped}  # by identity: a dataclass == compares every field, and each cell is one
        # its labels: the cells under no named column, but for numbers right of its first (a header placing fewer
        # columns than the row has numbers: they are unplaced numbers, not words naming the row; review 108)
        named = [
            c for i, c in enumerate(row) if id(c) not in ids and not c.blank and (i < number or not is_value(c.text))
        ]
        labels = [squash(c.text) for c in named]
        own = _own(named)
        mine = {s.key for t in {*labels[-1:], "".join(labels)} for s in naming(specs, t)}  # its own row's
        placed: dict[str, GridCell] = {}
        conflict = False
        for cell in mapped:
            keys = {colmap[s] for s in range(cell.col, cell.col + cell.colspan) if s in colmap}
            # a number spanning rows belongs to none of them alone: not the rows after its first, nor, beside a label
            # of one row, its first where another row it spans is a row of its own, numbered or named (review 80:
            # 予以公开's and 部分公开's numbers merged, 予以公开 took them as its own; review 82: their labels not
            # numbered); over a label's rest or a spacer row, it is its row's (review 81)
            spans_items = (
                own
                and cell.rowspan > 1
                and any(_row_begins(rows, x, specs, mine) for x in range(r + 1, r + cell.rowspan))
            )
            shared = (cell.row != r or spans_items) and not cell.blank
            if shared or (len(keys) > 1 and not cell.blank) or any(k in placed for k in keys):
                conflict = True
            for k in keys:
                placed[k] = cell
        # a number right of the named columns' first under no header of them: the row has a cell more than the
        # header has columns (an empty or a numbered cell drawn among its numbers, each number after it a column to
        # the right; or a stray one past 总计: which, the page does not say), so which number stands under which
        # header is not known; read in order, it fits the columns or is not placed
        start = min(c.col for c in mapped)
        conflict = conflict or any(id(c) not in ids and c.col > start and not c.blank and is_value(c.text) for c in row)
        first = max((i + 1 for i, c in enumerate(row) if id(c) not in ids and not is_value(c.text)), default=0)
        return GridRow(labels, placed, [c for c in row[first:] if c.row == r or c.blank], conflict, own=own)
    first = max((i + 1 for i in range(number) if not is_value(row[i].text)), default=0)
    labels = [squash(c.text) for c in row[:first] if not c.blank]
    values = row[first:]
    conflict = any(not is_value(c.text) or (c.row != r and not c.blank) for c in values)
    return GridRow(labels, {}, values, conflict, own=_own([c for c in row[:first] if not c.blank]))


def _own(labels: list[GridCell]) -> bool:
    """Whether the innermost label cell is the row's own: one spanning several rows (a group label, or a label
    column a missing ruling line ran together) names none of them alone."""
    return bool(labels) and labels[-1].rowspan == 1
