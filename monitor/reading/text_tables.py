"""Stage: parse (text tables). A part's cells -> its statutory table: rows found in template order by their
labels (or by position and item number, with a doubt), values fitted to the columns (glued digits split only when
the totals add up), a row whose cells do not fill its columns left ambiguous; which format (2019/2021) the rows show."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from monitor.model import (
    ACTIVE_FORMAT_WORDS,
    ACTIVE_ROWS,
    ACTIVE_WORDS,
    APPEAL_COLUMNS,
    APPEAL_ROWS,
    APPLICANT_OTHER,
    APPLICANT_WORDS,
    APPLICATION_ROWS,
    HEADER_WORDS,
    ORGANISATION_WORDS,
    ORGANISATIONS,
    OTHER_2021,
    TABLE_WORDS,
    UNSPLIT_COLUMNS,
    RowSpec,
    Table,
    Value,
    gaps,
    shows_more,
)
from monitor.reading.cells import amounts_in_units
from monitor.reading.normalise import squash
from monitor.reading.text_cells import Cell, tokenize
from monitor.reading.text_fit import fit_row, row_values, split_glued
from monitor.reading.text_merges import merged

DOUBT_POSITION = "行名与规定写法不同，按位置识别"
DOUBT_SHIFT = "表中有数字写在行名之前、不属于其上方任何一行，各行数字可能整体错位，所在行无法确定"


# ---------------------------------------------------------------- placing cells into rows
def _row_label(text: str) -> bool:
    """Short enough, and not a sentence, to be a row's label (the longest statutory label has 34 characters,
    with its note in brackets ~45)."""
    return len(text) <= 64 and "。" not in text


_APPEALS_FLAT = tuple(c for _ in APPEAL_ROWS for c in APPEAL_COLUMNS)


def place_rows(
    cells: Sequence[Cell], specs: Sequence[RowSpec], ordered: bool = True
) -> tuple[dict[str, list[Cell] | None], list[str], dict[str, str]]:
    """Find each row's label in order (or anywhere, for section 二, whose rows a PDF converter may
    reorder); return row -> fitted cells (None = ambiguous), the missing rows, and why a placed row's numbers
    are not certain: placed by their position because no label named them, or numbers standing before a row's
    label that no row above claims (a converter that wrote each row's numbers before its label: every row
    would take the next one's)."""
    label_at = [i for i, c in enumerate(cells) if c.kind == "label"]
    names = [i for i in label_at if _row_label(cells[i].text)]  # not a sentence of prose that names a row
    squashed = {i: squash(cells[i].text) for i in label_at}  # each label once, not once a row looked for
    hits: dict[str, int] = {}
    pos = 0
    used: set[int] = set()
    for spec in specs:
        hit = next((i for i in names if i >= pos and spec.match(squashed[i])), None)
        if hit is None and not ordered:
            hit = next((i for i in names if i not in used and spec.match(squashed[i])), None)
        if hit is None:
            continue
        used.add(hit)
        while hit + 1 < len(cells) and cells[hit + 1].kind == "label" and spec.match(squashed[hit + 1]):
            hit += 1  # the same label again: a colspan copied into several grid slots
        if ordered:
            pos = hit + 1
        hits[spec.key] = hit
    by_position = _by_position(cells, specs, hits, {i: squashed[i] for i in names if i not in used}) if ordered else {}
    hits.update(by_position)
    doubts = dict.fromkeys(by_position, DOUBT_POSITION)
    found: dict[str, list[Cell] | None] = {}
    runs: dict[str, Sequence[Cell]] = {}
    for spec in specs:
        if spec.key not in hits:
            continue
        hit = hits[spec.key]
        run = _run(cells, hit, next((i for i in label_at if i > hit), len(cells)))
        if not cells[hit].piped and run and all(c.piped for c in run):
            found[spec.key] = None  # a label on a line of its own above a table's row: a converter's, whose rows
            continue  # stand as often above their labels as below (markitdown's PDFs): not known to be its row
        if spec.key == "other" and all(c.kind == "blank" and c.inferred for c in run):
            continue  # 2021 layout: "(六)其他处理" heads sub-rows; its blank cells written on the page are read
            # (a 2019 row left blank, "（六）其他处理\t\t…"), and dropped by settle_other where the sub-rows follow
        last = not any(other > hit for other in hits.values())
        found[spec.key] = fit_row(run, spec.columns, cells[hit].line, last) if run else None
        runs[spec.key] = run
    for key, doubt in merged(specs, found, runs).items():
        doubts.setdefault(key, doubt)
    missing = [s.key for s in specs if s.key not in found and s.key not in hits]
    if _shifted(cells, hits, found, specs, ordered):
        doubts = dict.fromkeys(found, DOUBT_SHIFT)
    return found, missing, doubts


def _by_position(
    cells: Sequence[Cell], specs: Sequence[RowSpec], hits: dict[str, int], unused: dict[int, str]
) -> dict[str, int]:
    """Rows no label named, placed by their position between the rows found (``vocabulary.gaps``): an unused
    label after the first row found, with a number after it."""
    if not hits:
        return {}
    first = min(hits.values())
    unnamed = {i: t for i, t in unused.items() if first < i and i + 1 < len(cells) and cells[i + 1].kind == "value"}
    return gaps(tuple(specs), hits, unnamed)


def _shifted(
    cells: Sequence[Cell],
    hits: dict[str, int],
    found: dict[str, list[Cell] | None],
    specs: Sequence[RowSpec],
    ordered: bool = True,
) -> bool:
    """Whether a row took a full row of numbers after its label though numbers stand right before it, after a
    label that is no row's (the header's words): numbers no row claims, so each row may have taken the next one's.
    In section 三 (``ordered``) only its first row is asked: before a later row's label numbers are as often the
    row above's, its label wrapped after them ("(二)部分公开（区分处理的，只计这一情形，不 / 4 0 … / 计其他情形）").
    Section 二's rows stand in groups under headers of their own (第二十条第(五)项 / 信息内容 / 本年处理决定数量):
    each row is asked, numbers after a header's words standing before it."""
    asked = [min(hits, key=lambda k: hits[k])] if ordered and hits else list(hits)
    for key in asked:
        if found.get(key) is None:
            continue
        i, stray = hits[key] - 1, 0
        while i >= 0 and cells[i].kind != "label":
            stray += cells[i].kind == "value"
            i -= 1
        # two numbers or more (one is as often a page's number), after the header's own words (after a row's label
        # no word names, "一、本年收到…申请数量", they are that row's; after the header run together with a row's
        # label, "…现行有效件数规章", that row's)
        words = squash(cells[i].text) if i >= 0 else ""
        if stray >= 2 and _header(words) and not any(spec.match(words) for spec in specs):
            return True
    return False


_HEADERS = (
    *(w for _, words in (*APPLICANT_WORDS, *ACTIVE_WORDS) for w in words),
    *HEADER_WORDS["applications"],
    *("企业", "机构", "组织"),  # the header's words one a line, as a PDF's narrow columns wrap them
    *("信息内容", "第二十条"),
)


def _header(squashed: str) -> bool:
    """Whether a label is a table header's words (自然人, 其他, 总计; 本年制发件数, 本年处理决定数量, 信息内容…)."""
    return squashed in APPLICANT_OTHER or (len(squashed) <= 24 and any(w in squashed for w in _HEADERS))


def _run(cells: Sequence[Cell], hit: int, end: int) -> Sequence[Cell]:
    """The cells of the row whose label is ``cells[hit]``, up to the next label at ``end``, without the blank cells
    written on the next label's line before it ("|  | (二)部分公开 | …": that row's, not this one's)."""
    if end < len(cells) and cells[end].line > cells[hit].line:
        while end > hit + 1 and cells[end - 1].line == cells[end].line and _written_blank(cells[end - 1]):
            end -= 1
    return cells[hit + 1 : end]


def _written_blank(cell: Cell) -> bool:
    return cell.kind == "blank" and not cell.inferred


def _status(found: dict[str, list[Cell] | None], section: Sequence[tuple[int, str]], key: str) -> str | None:
    """What a section holds when no row of the table was placed: an image or an attachment in its place; the
    table's own words among numbers (there, but its cells cannot be placed: never "missing"); or nothing."""
    if found:
        return None
    if any(shows_more(t) for _, t in section):
        return "image"
    text = "".join(t for _, t in section)
    if sum(w in text for w in TABLE_WORDS[key]) >= 3 and re.search(r"\d", text):
        return "ambiguous"
    return "missing"


DOUBT_OTHER = "2021版格式中(六)其他处理只是三个子项的标题，此行的数字属于哪一子项无法确定"


def settle_other(found: dict[str, dict[str, Value] | None]) -> None:
    """(六)其他处理 in the 2021 layout, where its sub-rows (六)1-3 were read too: a heading, dropped when it holds no
    numbers; numbers on its line (a sub-row whose label was lost, as where a table split in two keeps its rowspan
    label) are not known to be its own, nor which sub-row's they are: kept, uncertain."""
    other = found.get("other")
    if other is None or not any(k in found for k in OTHER_2021):
        return
    if all(v.number is None for v in other.values()):
        del found["other"]
    else:
        found["other"] = {c: v.doubted(DOUBT_OTHER) for c, v in other.items()}


def applications_format(found: Mapping[str, object]) -> str | None:
    """The format section 三 shows: three (六) rows is 2021, one (六)其他处理 row with numbers is 2019;
    neither seen, no claim."""
    if any(k in found for k in OTHER_2021):
        return "2021"
    return "2019" if found.get("other") is not None else None  # (六) one row with its cells (numbers, or blanks
    # written on the page: a label alone is no row)


# table 三's rows where it does not split the organisations: 自然人 | 法人或其他组织 | 总计 (audit 14)
HEADER_LABEL = 24  # characters of a header's label (a line of them, spaced): longer is a sentence
_WHOLE_ROWS = tuple(replace(s, columns=UNSPLIT_COLUMNS) for s in APPLICATION_ROWS)


def read_applications(section: Sequence[tuple[int, str]]) -> Table:
    cells = tokenize(section)
    specs = APPLICATION_ROWS
    found, missing, doubts = place_rows(cells, specs)
    if not any(v is not None for v in found.values()) and _organisations_whole(cells):
        whole = place_rows(cells, _WHOLE_ROWS)  # the reading that places its rows, where the template's placed none
        if any(v is not None for v in whole[0].values()):
            specs, (found, missing, doubts) = _WHOLE_ROWS, whole
    status = _status(found, section, "applications")
    if status:
        return Table(status)
    fmt = applications_format(found)
    variant_rows = {"other"} if fmt != "2019" else set(OTHER_2021)
    missing = [r for r in missing if r not in variant_rows]
    if fmt is None:  # neither form of (六) was read: both are unread, not one assumed
        missing = [r for r in missing if r not in OTHER_2021]
    placed = _placed(found, specs, doubts)
    settle_other(placed)
    return build_table(placed, specs, missing, fmt)


def _organisations_whole(cells: Sequence[Cell]) -> bool:
    """The header (the short labels before the table's first number) names 自然人, then 法人或其他组织 as a word of its
    own, then 总计, in that order, and no organisation's own column: not even written a character a line, as a PDF's
    narrow columns wrap them (its short labels are read run together). Review 81: a header in another order would
    put each number under another column; a sentence of prose above the table says nothing of its columns."""
    first = next((i for i, c in enumerate(cells) if c.kind == "value"), len(cells))
    header = [c.text for c in cells[:first] if c.kind == "label" and len(squash(c.text)) <= HEADER_LABEL]
    if any(w in "".join(squash(t) for t in header) for w in ORGANISATION_WORDS):
        return False
    words = [squash(w) for t in header for w in t.split()]
    at = [
        next((i for i, w in enumerate(words) if test(w)), -1)
        for test in (lambda w: w == "自然人", ORGANISATIONS.match, lambda w: w in ("总计", "合计"))
    ]
    return -1 not in at and at == sorted(at)


def active_format(labels: str) -> str | None:
    """2021 or 2019 from the words of section 二's headers, None when it has neither."""
    labels = squash(labels)
    votes = {f: sum(w in labels for w in words) for f, words in ACTIVE_FORMAT_WORDS.items()}
    if not any(votes.values()):
        return None
    return "2021" if votes["2021"] >= votes["2019"] else "2019"


def read_active(section: Sequence[tuple[int, str]]) -> Table:
    cells = tokenize(section)
    fmt = active_format("".join(c.text for c in cells if c.kind == "label"))
    if fmt is None:
        return Table(_status({}, section, "active") or "missing")
    found, missing, doubts = place_rows(cells, ACTIVE_ROWS[fmt], ordered=False)
    if not found:
        return Table("ambiguous", format=fmt)
    table = build_table(_placed(found, ACTIVE_ROWS[fmt], doubts), ACTIVE_ROWS[fmt], missing, fmt)
    return amounts_in_units(table, "".join(t for _, t in section))


def _placed(
    found: dict[str, list[Cell] | None],
    specs: Sequence[RowSpec],
    doubts: Mapping[str, str],
) -> dict[str, dict[str, Value] | None]:
    columns = {s.key: s.columns for s in specs}
    out = {key: row_values(cells, columns[key]) for key, cells in found.items()}
    for key, why in doubts.items():
        values = out.get(key)
        if values is not None:
            out[key] = {c: v.doubted(why) for c, v in values.items()}
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
        core = split_glued(core, _APPEALS_FLAT) or []
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
        table.rows[row] = row_values(core[n * 5 : n * 5 + 5], APPEAL_COLUMNS) or {}
    return table
