"""Stage: parse (tables). A section's lines -> a stream of cells -> the statutory tables.

Every page layout is first turned into one stream of cells: labels (text), values
(numbers), blanks and collapse markers (``||||||||``, whose lost cells cannot be
placed). Pipe rows split on ``|``; one-cell-per-line text uses the empty-line rhythm
of the page (one extra empty line = one blank cell).

Rows are then found by the template's order plus keywords, never by exact text, and a
row takes the cells that follow its label. A row whose cells do not fill its columns
exactly is ``ambiguous``: its numbers are kept out of every identity rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.model import APPEAL_COLUMNS, APPEAL_ROWS, APPLICANT_COLUMNS, IMAGE_MARK, Number, Table, Value


@dataclass(frozen=True)
class RowSpec:
    key: str
    match: Callable[[str], bool]
    columns: tuple[str, ...] = APPLICANT_COLUMNS


def _kw(*words: str) -> Callable[[str], bool]:
    return lambda label: any(w in label for w in words)


def _re(pattern: str) -> Callable[[str], bool]:
    rx = re.compile(pattern)
    return lambda label: rx.search(label) is not None


APPLICATION_ROWS: tuple[RowSpec, ...] = (
    RowSpec("new", _kw("新收")),
    RowSpec("carried_over", _kw("上年结转")),
    RowSpec("granted", _kw("予以公开")),
    RowSpec("partly_granted", _kw("部分公开")),
    RowSpec("withheld_state_secret", _kw("国家秘密")),
    RowSpec("withheld_prohibited", _kw("禁止公开", "法律行政", "行政法规")),
    RowSpec("withheld_security", _kw("三安全", "一稳定", "危及")),
    RowSpec("withheld_third_party", _kw("第三方")),
    RowSpec("withheld_internal", _kw("内部事务")),
    RowSpec("withheld_process", _kw("过程性")),
    RowSpec("withheld_enforcement", _kw("执法案卷")),
    RowSpec("withheld_inquiry", _kw("查询事项", "行政查询")),
    RowSpec("unavailable_not_held", _kw("不掌握")),
    RowSpec("unavailable_needs_creation", _kw("另行制作", "没有现成")),
    RowSpec("unavailable_unclear", _kw("不明确", "补正后")),
    RowSpec("rejected_complaint", _kw("信访", "举报投诉")),
    RowSpec("rejected_repeat", _kw("重复申请")),
    RowSpec("rejected_publication", _kw("出版物")),
    RowSpec("rejected_excessive", _kw("大量反复")),
    RowSpec("rejected_confirmation", _kw("重新出具", "确认或")),
    RowSpec("other", _kw("其他处理")),
    RowSpec("other_no_correction", _kw("不补正")),
    RowSpec("other_no_fee", _kw("缴纳费用", "收费通知")),
    RowSpec("other_misc", _re(r"^(\d[.、]?)?其他$")),
    RowSpec("handled_total", _re(r"^(\(七\)|\(\)|七、)?总计$|\(七\)")),
    RowSpec("carried_forward", _kw("结转下年", "下年度继续")),
)
OUTCOME_ROWS = tuple(s.key for s in APPLICATION_ROWS[2:24])  # (一) .. (六), both variants
OTHER_2021 = ("other_no_correction", "other_no_fee", "other_misc")

_C21 = ("issued", "repealed", "in_force")
_C19 = ("made", "published", "published_total")
_SERVICE19 = ("prior_items", "change", "decisions")
ACTIVE_ROWS: dict[str, tuple[RowSpec, ...]] = {
    "2021": (
        RowSpec("rules", _re(r"^规章$"), _C21),
        RowSpec("normative_documents", _kw("规范性文件"), _C21),
        RowSpec("licensing", _kw("行政许可"), ("decisions",)),
        RowSpec("penalty", _kw("行政处罚"), ("decisions",)),
        RowSpec("coercion", _kw("行政强制"), ("decisions",)),
        RowSpec("fees", _kw("事业性收费"), ("amount_wan",)),
    ),
    "2019": (
        RowSpec("rules", _re(r"^规章$"), _C19),
        RowSpec("normative_documents", _kw("规范性文件"), _C19),
        RowSpec("licensing", _kw("行政许可"), _SERVICE19),
        RowSpec("other_services", _kw("对外管理服务"), _SERVICE19),
        RowSpec("penalty", _kw("行政处罚"), _SERVICE19),
        RowSpec("coercion", _kw("行政强制"), _SERVICE19),
        RowSpec("fees", _kw("事业性收费"), ("prior_items", "change")),
        RowSpec("procurement", _kw("集中采购"), ("items", "amount_wan")),
    ),
}
AMOUNT_COLUMNS = {"amount_wan"}
SIGNED_COLUMNS = {"change"}

# ---------------------------------------------------------------- cells
_VALUE = re.compile(r"^[?]*\s*([+-]?)\s*[?]*(\d[\d,]*(?:\.\d+)?)\s*[?]*\s*(万元|元|件|个|条|次|项|人次)?\s*[?]*$")
_BLANK = re.compile(r"^[-—–/\\]+$|^无$")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # how tests and alerts locate a number in a line


@dataclass(frozen=True)
class Cell:
    kind: str  # "label" | "value" | "blank" | "collapse"
    text: str = ""
    line: int = -1
    col: int = 0  # character offset of the cell in its (normalised) line
    width: int = 0  # collapse markers: how many cells were lost


def read_number(text: str, column: str) -> Value:
    """Read a value cell; units become the column's unit (元 -> 万元)."""
    m = _VALUE.match(text.strip())
    if m is None:
        return Value(None, text, -1, 0, invalid=True)
    sign, digits, unit = m.groups()
    digits = digits.replace(",", "")
    number: Number = float(digits) if "." in digits else int(digits)
    if column in AMOUNT_COLUMNS and unit == "元":
        number = round(number / 10_000, 6)
    if sign == "-":
        number = -number
    invalid = (number < 0 and column not in SIGNED_COLUMNS) or (
        isinstance(number, float) and column not in AMOUNT_COLUMNS
    )
    return Value(number, text, -1, 0, debris="?" in text, invalid=invalid)


def _plain_cells(text: str, line: int, offset: int) -> list[Cell]:
    """One cell of text; a label followed by space-separated numbers splits into several."""
    if _VALUE.match(text):
        return [Cell("value", text, line, offset)]
    if _BLANK.match(text):
        return [Cell("blank", text, line, offset)]
    tokens = list(re.finditer(r"\S+", text))
    tail = len(tokens)
    while tail > 0 and _VALUE.match(tokens[tail - 1].group()):
        tail -= 1
    if tail < len(tokens) and tokens[tail].start() <= 80:
        cells = [Cell("label", text[: tokens[tail].start()].strip(), line, offset)] if tail else []
        return cells + [Cell("value", t.group(), line, offset + t.start()) for t in tokens[tail:]]
    return [Cell("label", text, line, offset)]


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
        cells.extend(_plain_cells(part, line, offsets[i] + lead) if part else [Cell("blank", "", line, offsets[i])])
        i += 1
    return cells


def tokenize(lines: Sequence[tuple[int, str]]) -> list[Cell]:
    """Cells of a section. ``lines`` are (line number, normalised text) pairs."""
    gaps, empties, seen = [], 0, False
    for _, text in lines:
        if not text:
            empties += 1
            continue
        if seen and "|" not in text:
            gaps.append(empties)
        seen, empties = "|" not in text, 0
    base = min(Counter(gaps).most_common(), key=lambda kv: (-kv[1], kv[0]))[0] if gaps else 0

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
                cells.extend(Cell("blank", "", number) for _ in range(empties - base))
            elif prev_plain and empties < base and cells[-1].kind == "label" and new[0].kind == "label":
                last = cells.pop()  # a header split over lines: "结果\n纠正"
                new[0] = Cell("label", last.text + new[0].text, last.line, last.col)
            cells.extend(new)
            prev_plain = True
        empties = 0
    if prev_plain and empties > base:
        cells.extend(Cell("blank", "", -1) for _ in range(empties - base))
    return cells


# ---------------------------------------------------------------- placing cells into rows
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fit(run: Sequence[Cell], width: int) -> list[Cell] | None:
    """The row's cells if they fill its columns exactly, else None (ambiguous)."""
    seq: list[Cell] = []
    for cell in run:
        if cell.kind == "collapse":
            if len(seq) >= width:
                break
            return None
        seq.append(cell)
    while len(seq) > width and seq[-1].kind == "blank":
        seq.pop()
    return seq if len(seq) == width else None


def _values(cells: Sequence[Cell] | None, columns: Sequence[str]) -> dict[str, Value] | None:
    if cells is None:
        return None
    out = {}
    for cell, column in zip(cells, columns, strict=True):
        if cell.kind == "blank":
            out[column] = Value(None, "", cell.line, cell.col)
        else:
            v = read_number(cell.text, column)
            out[column] = Value(v.number, v.raw, cell.line, cell.col, v.debris, v.invalid)
    return out


def place_rows(
    cells: Sequence[Cell], specs: Sequence[RowSpec], ordered: bool = True
) -> tuple[dict[str, list[Cell] | None], list[str]]:
    """Find each row's label in order (or anywhere, for section 二, whose rows a PDF converter may
    reorder); return row -> fitted cells (None = ambiguous) and missing rows."""
    label_at = [i for i, c in enumerate(cells) if c.kind == "label"]
    found: dict[str, list[Cell] | None] = {}
    missing: list[str] = []
    pos = 0
    used: set[int] = set()
    for spec in specs:
        hit = next((i for i in label_at if i >= pos and spec.match(_squash(cells[i].text))), None)
        if hit is None and not ordered:
            hit = next((i for i in label_at if i not in used and spec.match(_squash(cells[i].text))), None)
        if hit is None:
            missing.append(spec.key)
            continue
        used.add(hit)
        while hit + 1 < len(cells) and cells[hit + 1].kind == "label" and spec.match(_squash(cells[hit + 1].text)):
            hit += 1  # the same label again: a colspan copied into several grid slots
        pos = hit + 1
        end = next((i for i in label_at if i > hit), len(cells))
        run = cells[hit + 1 : end]
        if not any(c.kind != "blank" for c in run) and spec.key == "other":
            continue  # 2021 layout: "(六)其他处理" heads sub-rows and holds no numbers
        found[spec.key] = _fit(run, len(spec.columns)) if run else None
    return found, missing


def _status(found: dict[str, list[Cell] | None], section: Sequence[tuple[int, str]]) -> str | None:
    if not found:
        return (
            "image"
            if any(IMAGE_MARK in t or re.search(r"\.(pdf|docx?|xlsx?|wps)\b", t, re.I) for _, t in section)
            else "missing"
        )
    return None


def read_applications(section: Sequence[tuple[int, str]]) -> Table:
    found, missing = place_rows(tokenize(section), APPLICATION_ROWS)
    status = _status(found, section)
    if status:
        return Table(status)
    single = "other" in found
    variant_rows = {"other"} if not single else set(OTHER_2021)
    missing = [r for r in missing if r not in variant_rows]
    return build_table(_placed(found, APPLICATION_ROWS), APPLICATION_ROWS, missing, "2019" if single else "2021")


def active_format(labels: str) -> str | None:
    """2021 or 2019 from the words of section 二's headers, None when it has neither."""
    labels = _squash(labels)
    votes21 = sum(w in labels for w in ("制发", "收费金额", "废止"))
    votes19 = sum(w in labels for w in ("新制作", "上一年项目", "集中采购", "新公开"))
    if not votes21 and not votes19:
        return None
    return "2021" if votes21 >= votes19 else "2019"


def read_active(section: Sequence[tuple[int, str]]) -> Table:
    cells = tokenize(section)
    fmt = active_format("".join(c.text for c in cells if c.kind == "label"))
    if fmt is None:
        return Table(_status({}, section) or "missing")
    found, missing = place_rows(cells, ACTIVE_ROWS[fmt], ordered=False)
    if not found:
        return Table("ambiguous", format=fmt)
    return build_table(_placed(found, ACTIVE_ROWS[fmt]), ACTIVE_ROWS[fmt], missing, fmt)


def _placed(found: dict[str, list[Cell] | None], specs: Sequence[RowSpec]) -> dict[str, dict[str, Value] | None]:
    columns = {s.key: s.columns for s in specs}
    return {key: _values(cells, columns[key]) for key, cells in found.items()}


def build_table(
    found: dict[str, dict[str, Value] | None], specs: Sequence[RowSpec], missing: list[str], fmt: str
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
    """Section 四: fifteen cells in the statutory order (three groups of five)."""
    cells = tokenize(section)
    at = [i for i, c in enumerate(cells) if c.kind == "value"]
    width = len(APPEAL_ROWS) * len(APPEAL_COLUMNS)
    if not at:
        headers = any("维持" in c.text or "纠正" in c.text for c in cells if c.kind == "label")
        return Table("ambiguous" if headers else (_status({}, section) or "missing"))
    core = [c for c in cells[at[0] : at[-1] + 1] if c.kind != "label"]
    after = cells[at[-1] + 1 :]
    trailing = 0
    while trailing < len(after) and after[trailing].kind == "blank":
        trailing += 1
    leading = at[0] > 0 and cells[at[0] - 1].kind == "blank"
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
