"""Stage: parse (tables). A section's lines -> a stream of cells -> the statutory tables.

Every page layout is first turned into one stream of cells: labels (text), values (numbers, read by
the one cell grammar of ``cells.py``), blanks and collapse markers (``||||||||``, whose lost cells cannot
be placed). Pipe rows split on ``|``; one-cell-per-line text uses the empty-line rhythm of the page (one
extra empty line = one blank cell); a body on one line (crawler text) has its labels and digit strings
glued together ("…申请数量0000000二、上年结转…"), and a digit string is split between the labels around it.

Rows are then found by the template's words in its order (``statute.py``), never by exact text, and a
row takes the cells that follow its label. A row whose cells do not fill its columns exactly is
``ambiguous``: its numbers are kept out of every identity rather than guessed. Where a value's place rests
on an inference (blank cells inferred from the line rhythm on both sides of it, a row placed by its
position, a digit string split one digit per cell) the value says so (``Value.doubt``).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.cells import is_value, read_value
from monitor.model import APPEAL_COLUMNS, APPEAL_ROWS, IMAGE_MARK, UNREAD_PAGE, Table, Value
from monitor.statute import (
    ACTIVE_FORMAT_WORDS,
    ACTIVE_ROWS,
    APPLICATION_ROWS,
    OTHER_2021,
    TABLE_WORDS,
    RowSpec,
    gaps,
)

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # how tests and alerts locate a number in a line
DOUBT_RHYTHM = "所在列由空行推定"
DOUBT_POSITION = "行名与规定写法不同，按位置识别"


@dataclass(frozen=True)
class Cell:
    kind: str  # "label" | "value" | "blank" | "collapse"
    text: str = ""
    line: int = -1
    col: int = 0  # character offset of the cell in its (normalised) line
    width: int = 0  # collapse markers: how many cells were lost
    inferred: bool = False  # a blank cell inferred from the empty-line rhythm, not written on the page
    glued: bool = False  # a digit string glued to a label: its cells were not separated on the page


# A digit string glued to the labels around it (a body on one line: "…申请数量0000000二、上年结转…"). A single
# digit before "." or "、" and a word is the next label's item number ("…00000002.其他法律…" is 0000000, then
# "2.其他法律…"); digits followed by a unit or a date word, or after 第, are words of a sentence, not cells.
_RUN = re.compile(r"\d+(?:\.\d+)?")
_IN_WORDS = re.compile(r"[件条个次项家人户篇年月日号%万元余多]")


_ROW_START = re.compile(r"[一二三四]、|\([一二三四五六七]\)|\d[.、]\D")  # a row label's own numbering
_NUMBERING = re.compile(
    r"(?<=.)(?=[一二三四]、|\([一二三四五六七]\)[^项]|\d[.、][^\d])"
)  # where a glued row label starts


def _segments(token: str, line: int, offset: int) -> list[Cell]:
    """A token with no spaces in it: its labels, and the digit strings glued between them. Where digits were
    glued, labels are glued too ("…其他一、本年新收…"): a label is cut again where a row's numbering starts."""
    cells: list[Cell] = []
    pos = 0

    def labels(end: int) -> None:
        piece = token[pos:end]
        cuts = [0, *(m.start() for m in _NUMBERING.finditer(piece)), len(piece)]
        cells.extend(Cell("label", piece[a:b], line, offset + pos + a) for a, b in itertools.pairwise(cuts) if b > a)

    for m in _RUN.finditer(token):
        start, end = m.span()
        digits = m.group()
        after = token[end : end + 2]
        if len(after) == 2 and after[0] in ".、" and not after[1].isdigit():
            digits = digits[:-1]  # its last digit numbers the next label
        if not digits or _IN_WORDS.match(token, start + len(digits)) or token[start - 1 : start] == "第":
            continue
        if start > pos:
            labels(start)
        cells.append(Cell("value", digits, line, offset + start, glued=True))
        pos = start + len(digits)
    labels(len(token))
    named = any(
        a.kind == "label" and b.glued and _names_a_row(a.text) for a, b in itertools.pairwise(cells)
    )  # a table row glued to its digits, not digits in a sentence ("电话0591-86175957")
    return cells if named else [Cell("label", token, line, offset)]


_ALL_ROWS = (*APPLICATION_ROWS, *ACTIVE_ROWS["2021"], *ACTIVE_ROWS["2019"])


def _names_a_row(label: str) -> bool:
    return any(spec.match(label) for spec in _ALL_ROWS)


def _plain_cells(text: str, line: int, offset: int) -> list[Cell]:
    """One cell of text, or, where it holds several, its labels and values: a label followed by space-separated
    numbers ("(七)总计 960 10 0 …"), and labels with digit strings glued to them."""
    if is_value(text):
        return [Cell("value" if re.search(r"\d", text) else "blank", text, line, offset)]
    out: list[Cell] = []
    for t in re.finditer(r"\S+", text):
        word = t.group()
        if is_value(word):
            out.append(Cell("value" if re.search(r"\d", word) else "blank", word, line, offset + t.start()))
        else:
            out.extend(_segments(word, line, offset + t.start()))
    if not any(c.kind == "value" for c in out):
        return [Cell("label", text, line, offset)]
    merged: list[Cell] = []
    for cell in out:  # the words of one label, with the spaces between them (not the pieces of a glued token, nor
        # a row's own label after a header's words: "…其他 一、本年新收…")
        if (
            merged
            and cell.kind == "label"
            and merged[-1].kind == "label"
            and text[cell.col - offset - 1].isspace()
            and not _ROW_START.match(cell.text)
        ):
            last = merged.pop()
            merged.append(Cell("label", text[last.col - offset : cell.col - offset + len(cell.text)], line, last.col))
        else:
            merged.append(cell)
    return merged


def _pipe_cells(text: str, line: int) -> list[Cell]:
    parts, offsets, start = [], [], 0
    for part in text.split("|"):
        parts.append(part)
        offsets.append(start)
        start += len(part) + 1
    if text.endswith("|"):
        parts, offsets = parts[:-1], offsets[:-1]
    if text.startswith("|") and text.strip("| "):
        parts, offsets = parts[1:], offsets[1:]
    cells: list[Cell] = []
    i = 0
    while i < len(parts):
        run = i
        while run < len(parts) and parts[run] == "":
            run += 1
        if run - i >= 2:  # "||": cells lost by the scraper
            cells.append(Cell("collapse", "", line, offsets[i], width=run - i))
            i = run
            continue
        part = parts[i].strip()
        lead = len(parts[i]) - len(parts[i].lstrip())
        if not part:
            cells.append(Cell("blank", "", line, offsets[i]))
        elif is_value(part):
            cells.append(Cell("value" if re.search(r"\d", part) else "blank", part, line, offsets[i] + lead))
        else:
            cells.extend(_plain_cells(part, line, offsets[i] + lead))
        i += 1
    return cells


def tokenize(lines: Sequence[tuple[int, str]]) -> list[Cell]:
    """Cells of a section. ``lines`` are (line number, normalised text) pairs."""
    gap_sizes, empties, seen = [], 0, False
    for _, text in lines:
        if not text:
            empties += 1
            continue
        if seen and "|" not in text:
            gap_sizes.append(empties)
        seen, empties = "|" not in text, 0
    base = min(Counter(gap_sizes).most_common(), key=lambda kv: (-kv[1], kv[0]))[0] if gap_sizes else 0

    cells: list[Cell] = []
    empties, prev_plain = 0, False
    for number, text in lines:
        if not text:
            empties += 1
            continue
        if "|" in text:
            cells.extend(_pipe_cells(text, number))
            prev_plain = False
        else:
            new = _plain_cells(text, number, 0)
            if prev_plain and empties > base:
                cells.extend(Cell("blank", "", number, inferred=True) for _ in range(empties - base))
            elif prev_plain and empties < base and cells[-1].kind == "label" and new[0].kind == "label":
                last = cells.pop()  # a header split over lines: "结果\n纠正"
                new[0] = Cell("label", last.text + new[0].text, last.line, last.col)
            cells.extend(new)
            prev_plain = True
        empties = 0
    if prev_plain and empties > base:
        cells.extend(Cell("blank", "", -1, inferred=True) for _ in range(empties - base))
    return cells


# ---------------------------------------------------------------- placing cells into rows
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _row_label(text: str) -> bool:
    """Short enough, and not a sentence, to be a row's label (the longest statutory label has 34 characters,
    with its note in brackets ~45)."""
    return len(text) <= 64 and "。" not in text


def _split_glued(seq: Sequence[Cell], columns: Sequence[str]) -> list[Cell] | None:
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
    span = 6 if len(columns) == 7 else 4
    return all(nums[i] == sum(nums[i - span : i]) for i, c in enumerate(columns) if c == "total" and i >= span)


def _fit(run: Sequence[Cell], columns: Sequence[str]) -> list[Cell] | None:
    """The row's cells if they fill its columns exactly, else None (ambiguous)."""
    width = len(columns)
    seq: list[Cell] = []
    for cell in run:
        if cell.kind == "collapse":
            if len(seq) >= width:
                break
            return None
        seq.append(cell)
    while len(seq) > width and seq[-1].kind == "blank":
        seq.pop()
    if len(seq) == width:
        return seq
    if width > 1 and any(c.glued for c in seq):
        return _split_glued(seq, columns)
    return None


def _values(cells: Sequence[Cell] | None, columns: Sequence[str]) -> dict[str, Value] | None:
    if cells is None:
        return None
    out = {}
    inferred = [i for i, c in enumerate(cells) if c.inferred]
    for i, (cell, column) in enumerate(zip(cells, columns, strict=True)):
        if cell.kind == "blank":
            value = Value(None, "", cell.line, cell.col)
        else:
            value = read_value(cell.text, column, line=cell.line, col=cell.col)
            if inferred and inferred[0] < i < inferred[-1]:  # blanks inferred on both sides: its column too
                value = value.doubted(DOUBT_RHYTHM)
        out[column] = value
    return out


_APPEALS_FLAT = tuple(c for _ in APPEAL_ROWS for c in APPEAL_COLUMNS)


def place_rows(
    cells: Sequence[Cell], specs: Sequence[RowSpec], ordered: bool = True
) -> tuple[dict[str, list[Cell] | None], list[str], set[str]]:
    """Find each row's label in order (or anywhere, for section 二, whose rows a PDF converter may
    reorder); return row -> fitted cells (None = ambiguous), the missing rows, and the rows placed by
    their position because no label named them."""
    label_at = [i for i, c in enumerate(cells) if c.kind == "label"]
    names = [i for i in label_at if _row_label(cells[i].text)]  # not a sentence of prose that names a row
    hits: dict[str, int] = {}
    pos = 0
    used: set[int] = set()
    for spec in specs:
        hit = next((i for i in names if i >= pos and spec.match(_squash(cells[i].text))), None)
        if hit is None and not ordered:
            hit = next((i for i in names if i not in used and spec.match(_squash(cells[i].text))), None)
        if hit is None:
            continue
        used.add(hit)
        while hit + 1 < len(cells) and cells[hit + 1].kind == "label" and spec.match(_squash(cells[hit + 1].text)):
            hit += 1  # the same label again: a colspan copied into several grid slots
        if ordered:
            pos = hit + 1
        hits[spec.key] = hit
    by_position: set[str] = set()
    if ordered and hits:
        unnamed = {
            i: _squash(cells[i].text)
            for i in names
            if i not in used and i + 1 < len(cells) and cells[i + 1].kind == "value" and min(hits.values()) < i
        }
        for key, at in gaps(tuple(specs), hits, unnamed).items():
            hits[key] = at
            by_position.add(key)
    found: dict[str, list[Cell] | None] = {}
    for spec in specs:
        if spec.key not in hits:
            continue
        hit = hits[spec.key]
        end = next((i for i in label_at if i > hit), len(cells))
        run = cells[hit + 1 : end]
        if not any(c.kind != "blank" for c in run) and spec.key == "other":
            continue  # 2021 layout: "(六)其他处理" heads sub-rows and holds no numbers
        found[spec.key] = _fit(run, spec.columns) if run else None
    missing = [s.key for s in specs if s.key not in found and s.key not in hits]
    return found, missing, by_position


ATTACHMENT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd|zip|rar)\b|\[附件\]|详见附件|附件\d*[:：]", re.I)


def _status(found: dict[str, list[Cell] | None], section: Sequence[tuple[int, str]], key: str) -> str | None:
    """What a section holds when no row of the table was placed: an image or an attachment in its place; the
    table's own words among numbers (there, but its cells cannot be placed: never "missing"); or nothing."""
    if found:
        return None
    if any(IMAGE_MARK in t or UNREAD_PAGE in t or ATTACHMENT.search(t) for _, t in section):
        return "image"
    text = "".join(t for _, t in section)
    if sum(w in text for w in TABLE_WORDS[key]) >= 3 and re.search(r"\d", text):
        return "ambiguous"
    return "missing"


def applications_format(found: Mapping[str, object]) -> str | None:
    """The format section 三 shows: three (六) rows is 2021, one (六)其他处理 row with numbers is 2019;
    neither seen, no claim."""
    if any(k in found for k in OTHER_2021):
        return "2021"
    return "2019" if found.get("other") is not None else None  # (六) one row, its numbers read: not just its label


def read_applications(section: Sequence[tuple[int, str]]) -> Table:
    found, missing, by_position = place_rows(tokenize(section), APPLICATION_ROWS)
    status = _status(found, section, "applications")
    if status:
        return Table(status)
    fmt = applications_format(found)
    variant_rows = {"other"} if fmt != "2019" else set(OTHER_2021)
    missing = [r for r in missing if r not in variant_rows]
    if fmt is None:  # neither form of (六) was read: both are unread, not one assumed
        missing = [r for r in missing if r not in OTHER_2021]
    return build_table(_placed(found, APPLICATION_ROWS, by_position), APPLICATION_ROWS, missing, fmt)


def active_format(labels: str) -> str | None:
    """2021 or 2019 from the words of section 二's headers, None when it has neither."""
    labels = _squash(labels)
    votes = {f: sum(w in labels for w in words) for f, words in ACTIVE_FORMAT_WORDS.items()}
    if not any(votes.values()):
        return None
    return "2021" if votes["2021"] >= votes["2019"] else "2019"


def read_active(section: Sequence[tuple[int, str]]) -> Table:
    cells = tokenize(section)
    fmt = active_format("".join(c.text for c in cells if c.kind == "label"))
    if fmt is None:
        return Table(_status({}, section, "active") or "missing")
    found, missing, _ = place_rows(cells, ACTIVE_ROWS[fmt], ordered=False)
    if not found:
        return Table("ambiguous", format=fmt)
    return build_table(_placed(found, ACTIVE_ROWS[fmt]), ACTIVE_ROWS[fmt], missing, fmt)


def _placed(
    found: dict[str, list[Cell] | None],
    specs: Sequence[RowSpec],
    by_position: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, dict[str, Value] | None]:
    columns = {s.key: s.columns for s in specs}
    out = {key: _values(cells, columns[key]) for key, cells in found.items()}
    for key in by_position:
        values = out.get(key)
        if values is not None:
            out[key] = {c: v.doubted(DOUBT_POSITION) for c, v in values.items()}
    return out


def build_table(
    found: dict[str, dict[str, Value] | None], specs: Sequence[RowSpec], missing: list[str], fmt: str | None
) -> Table:
    """The table from each found row's values (None: the row's cells could not be placed)."""
    if not any(v is not None for v in found.values()):  # not one row placed: say so once, not row by row
        return Table("ambiguous", format=fmt)
    table = Table("parsed", missing_rows=missing, format=fmt)
    for spec in specs:
        if spec.key not in found:
            continue
        values = found[spec.key]
        if values is None:
            table.ambiguous_rows.append(spec.key)
        else:
            table.rows[spec.key] = values
    if table.ambiguous_rows:
        table.status = "ambiguous"
    return table


def read_appeals(section: Sequence[tuple[int, str]]) -> Table:
    """Section 四: fifteen cells in the statutory order (three groups of five), after its headers (行政复议 …
    结果维持 …), wherever in the region they stand (under another part's heading, after section 三's table)."""
    cells = tokenize(section)
    upheld = next((i for i, c in enumerate(cells) if c.kind == "label" and "维持" in c.text), None)
    if upheld is not None:  # the table starts at its group header, the last 复议 label before its first 维持
        cells = cells[next((i for i in range(upheld, -1, -1) if "复议" in cells[i].text), upheld) :]
    at = [i for i, c in enumerate(cells) if c.kind == "value"]
    width = len(APPEAL_ROWS) * len(APPEAL_COLUMNS)
    if not at:
        headers = any("维持" in c.text or "纠正" in c.text for c in cells if c.kind == "label")
        return Table("ambiguous" if headers else (_status({}, section, "appeals") or "missing"))
    if any(c.kind == "label" for c in cells[at[0] : at[-1] + 1]):
        return Table("ambiguous")  # labels among the numbers: not the statutory row of fifteen (transposed, split)
    core = cells[at[0] : at[-1] + 1]
    after = cells[at[-1] + 1 :]
    trailing = 0
    while trailing < len(after) and after[trailing].kind == "blank":
        trailing += 1
    leading = at[0] > 0 and cells[at[0] - 1].kind == "blank"
    if any(c.glued for c in core) and len(core) != width:
        core = _split_glued(core, _APPEALS_FLAT) or []
        if not core:
            return Table("ambiguous")
    if any(c.kind == "collapse" for c in core) or len(core) > width:
        return Table("ambiguous")
    if len(core) < width:
        if leading or len(core) + trailing < width:
            return Table("ambiguous")
        core += after[: width - len(core)]
    table = Table("parsed")
    for n, row in enumerate(APPEAL_ROWS):
        table.rows[row] = _values(core[n * 5 : n * 5 + 5], APPEAL_COLUMNS) or {}
    return table
