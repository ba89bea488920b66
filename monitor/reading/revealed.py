"""Which of the blocks a browser does not draw a reader still reads as the report's, because a script shows them:
a pager's next pages, the full text behind 展开全文, a table behind 点击查看表格, an accordion's bodies. The HTML reader
asks ``goes_on`` with the drawn text and where each block not drawn stands in it; what is not shown is never read
otherwise (``hidden``)."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.model import ATTACHED, IMAGE_MARK, PART_TABLES
from monitor.reading.hidden import hidden
from monitor.reading.normalise import normalise, squash
from monitor.reading.parts import headings

_ALL_PARTS = frozenset(range(1, 7))


def goes_on(drawn: list[str], unseen: dict[Any, int], text_of: Callable[[Any], str], table_mark: str) -> set[Any]:
    """The blocks not drawn (``unseen``: each with where it stands in the drawn text's pieces ``drawn``) that a
    reader reads as the report's, in the page's order:

    - **the report's other pages:** a block that heads parts the report so far lacks, where they fall in its order:
      from the last part headed before it (a pager's next page may head it again, "三、…（续）") to the first part
      drawn after it (a first half folded away before the drawn 四); until the report heads all six parts; on a page
      that draws no part, not one titled as another year's report than the page's;
    - **the full text behind a summary:** where no page goes on and the drawn page heads the first parts (or none),
      the first block after the drawn headings that heads every part they head and two more at least, with a
      control to open it between them and it (展开全文, 阅读全文, a toggle beside it), holding what the drawn report
      says (four lines in five) or three times as much (a summary of its own words);
    - **a table behind a click:** the one block under a drawn part 二–四 that heads no other part and holds a table
      (of two, the one a control just before shows),
      where the part shows no table, picture or attachment, and a control shows it: the element just before it is
      one, or names it, or the part draws a short 点击/展开/查看 line, or draws only its heading where other parts
      do so too (an accordion).

    Any other block is not read: a year's tab not shown or a print copy (the report is whole without it, heads again
    what the report has, or nothing opens it), an old table an editor hid, two hidden tables under one part, a 解读
    tab. What may not be the report's is never taken: it could only invent an error or hide a
    missing part."""
    texts = {el: normalise(text_of(el)) for el in unseen}
    heads = {el: _parts_of(t) for el, t in texts.items()}
    if not any(heads.values()) and not any(table_mark in t for t in texts.values()):
        return set()  # (a login box, a search's history: a block is taken only if it heads a part or holds a table)
    lines, at = _marked_lines(drawn, unseen)
    page = _Page(lines, _found(lines, sorted(set(at.values()))), at, heads, texts)
    marks = (table_mark, IMAGE_MARK, ATTACHED)
    shown = _pages(page) or _full_text(page, marks)
    return shown | _folded_tables(page, marks, shown) | _appended_tables(page, marks, shown)


@dataclass(frozen=True)
class _Page:
    """The drawn page and the blocks not drawn, as ``goes_on`` weighs them."""

    lines: list[str]  # the drawn text's lines, normalised
    found: list[tuple[int, int]]  # (line, part) of its part headings
    at: dict[Any, int]  # each block not drawn: the line it stands at, in the page's order
    heads: dict[Any, set[int]]  # each block: the parts it heads
    texts: dict[Any, str]  # each block: its text


def _pages(page: _Page) -> set[Any]:
    found, at, heads = page.found, page.at, page.heads
    have = {n for _, n in found}
    starts = [i for i, _ in found]
    # the highest part headed in found[:k] and the lowest in found[k:], for every k (a page of thousands of blocks)
    highest = list(itertools.accumulate((n for _, n in found), max, initial=0))
    lowest = list(itertools.accumulate((n for _, n in reversed(found)), min, initial=len(_ALL_PARTS)))[::-1]
    shown: set[Any] = set()
    reached = 0  # the last part a page taken heads
    for el, line in at.items():
        if have >= _ALL_PARTS:
            break
        parts = heads[el]
        if not parts - have or (not found and _titled_otherwise(page, el)):
            continue
        k = bisect.bisect_left(starts, line)  # the drawn headings before the block: found[:k]
        if min(parts) >= max(reached, highest[k]) and max(parts) <= lowest[k]:
            shown.add(el)
            have |= parts
            reached = max([reached, *parts])
    return shown


_SHORT = 3  # a summary: the drawn report's words a third of the full text's at most
_HELD = 0.8  # a full text holds this share of the drawn report's lines at least, or is a summary's
_TOGGLE_LINE = 12  # characters: a control's words ("展开全文", "点击查看表格"), not a sentence


def _full_text(page: _Page, marks: tuple[str, ...]) -> set[Any]:
    """The block behind 展开全文: after the drawn headings, a control to open it just before or after it (a year's
    tab, a print copy have none), the same year's, holding what the drawn report says or three times as much."""
    have = {n for _, n in page.found}
    if have != set(range(1, len(have) + 1)):
        return set()  # a summary heads the first parts: one lacking 一 and 六 is a report lacking them
    first, last = (page.found[0][0], page.found[-1][0]) if page.found else (0, -1)
    for el, parts in page.heads.items():
        stop = page.at[el]
        if stop <= last or not (parts > have and len(parts - have) >= 2) or _other_year(page, el) or _a_copy(el):
            continue
        drawn = [x for x in (squash(x) for x in page.lines[first:stop]) if x]
        if not _a_summary(page, drawn, stop, marks):
            continue
        near = [_last_line(page.lines[last + 1 : stop]), _first_line(page.lines[stop:])]
        if not (_toggled(el, _OPEN_ALL) or any(x is not None and _opens_all(x) for x in near)):
            continue
        drawn = [x for x in drawn if x and not _opens_all(x)]
        said = squash(page.texts[el])
        held = sum(x.rstrip(".…。") in said for x in drawn)
        if held >= _HELD * len(drawn) or _SHORT * sum(map(len, drawn)) <= len(said):
            return {el}
    return set()


def _a_summary(page: _Page, drawn: list[str], stop: int, marks: tuple[str, ...]) -> bool:
    """Whether what is drawn from the first heading to the block (``drawn``, its lines of words) may be a summary: it
    shows no table and no file, nor pictures under two of its parts 二–四 (a report whose tables are pictures,
    lacking parts, lacks them; a summary's photo, logo or QR code is no table)."""
    if any(x.startswith((marks[0], ATTACHED)) for x in drawn):
        return False
    pictured = 0
    for k, (start, part) in enumerate(page.found):
        end = min(stop, page.found[k + 1][0] if k + 1 < len(page.found) else stop)
        pictured += part in PART_TABLES and any(x.startswith(IMAGE_MARK) for x in page.lines[start:end])
    return pictured < 2


_COPY = re.compile("print|mobile|wap|phone|dayin|copy", re.IGNORECASE)


def _a_copy(el: Any) -> bool:
    """Whether the block is named a print or mobile copy (class or id): never the full text a summary opens."""
    return _COPY.search(f"{el.get('class') or ''} {el.get('id') or ''}") is not None


# the words of the control that opens a full text: 展开全文, 阅读全文, 点击查看全文 (not 更多, 全文检索, 打印全文,
# 展开评论, 展开图文解读: a share bar's, a search's, a comment box's)
_OPEN_ALL = re.compile(r"^(点击)?(展开|阅读|查看|显示)全文[∨∧>》»↓\s]*$")
_ENDS_OPEN_ALL = re.compile(r"(展开|阅读|查看|显示)全文[∨>》»↓\s]*$")


def _opens_all(line: str) -> bool:
    """Whether a drawn line is the control that opens the full text: its words, alone or ending the line."""
    return (_OPEN_ALL.match(line) is not None or _ENDS_OPEN_ALL.search(line) is not None) and not _names_year(line)


def _last_line(lines: list[str]) -> str | None:
    return next((x for x in reversed(lines) if x), None)


def _first_line(lines: list[str]) -> str | None:
    return next((x for x in lines if x), None)


_YEAR_IN = re.compile(r"((?:19|20)\d{2})\s*年")


def _other_year(page: _Page, el: Any) -> bool:
    """Whether the block is another year's report: the drawn page's title names a report's year (…2023年…年度报告)
    and the block names years but never that one, or its own title names another (a year's tab, last year's copy; a
    folded table names none). Counting
    the years named most fails both ways: a full text compares with last year (较2022年) often, a portal's
    header says today's date."""
    head = page.lines[: page.found[0][0]] if page.found else page.lines
    mine = _title_year(head[::-1])  # the last title before part 一: the article's, not a left column's link
    if mine is None:
        return False
    its = _title_year(page.texts[el].split("\n"))
    named = {m.group(1) for m in _YEAR_IN.finditer(page.texts[el])}
    return (its is not None and its != mine) or (bool(named) and mine not in named)


_REPORT_TITLE = re.compile(r"((?:19|20)\d{2})\s*年(?:度)?.{0,30}(?:工作)?(?:年度)?(?:报告|年报)")


def _titled_otherwise(page: _Page, el: Any) -> bool:
    """Whether the block is another year's report than every report title the page draws: titled so, or the first
    year it names none of theirs (a page that draws no part, a scan or its PDF only, beside a year's tab not shown)."""
    drawn = {m.group(1) for x in page.lines if len(x) <= 80 and "信息公开" in x and (m := _REPORT_TITLE.search(x))}
    if not drawn:
        return False
    its = _title_year(page.texts[el].split("\n"))
    first = _YEAR_IN.search(page.texts[el])  # a report names its year first ("2023年，我局…", 统计期限自2023年…)
    return (its is not None and its not in drawn) or (first is not None and first.group(1) not in drawn)


def _title_year(lines: list[str]) -> str | None:
    """The year a report's title names, in the first line that is one (…2023年政府信息公开工作年度报告)."""
    for line in lines:
        if len(line) <= 80 and "信息公开" in line and (m := _REPORT_TITLE.search(line)):
            return m.group(1)
    return None


def _control(line: str, words: re.Pattern[str]) -> bool:
    """Whether a drawn line is a control's words: short, with one of ``words``."""
    return 0 < len(line) <= _TOGGLE_LINE and words.search(line) is not None


# a folded table's control: 点击查看表格, 展开表格, 展开, 收起 (not 查看附件, 点击查看原文: what they open is elsewhere)
_SHOW_TABLE = re.compile(
    r"^(点击)?((展开|收起|查看|显示)(表格|统计表|数据表|全表|表[一二三四1-4])|展开|收起)[∨∧>》»↓\s]*$"
)
# a tab that shows a part's table, as its label or the drawn tab's words name it: 文字版 | 表格版, （见表格版）, 统计附表
_TABLE_TAB = re.compile(r"表格版|统计附表|见(附)?表格")
_BARE_HEADING = 30  # characters: a heading line with nothing run on after it


def _folded_tables(page: _Page, marks: tuple[str, ...], shown: set[Any]) -> set[Any]:
    found = page.found
    starts = [i for i, _ in found]
    under: dict[int, list[Any]] = {}  # each drawn heading's hidden blocks holding a table
    for el, line in page.at.items():
        k = bisect.bisect_left(starts, line) - 1
        part = found[k][1] if k >= 0 else 0
        # (a table's title may say its part's name: it heads no other part)
        if part in PART_TABLES and el not in shown and marks[0] in page.texts[el] and not page.heads[el] - {part}:
            under.setdefault(k, []).append(el)
    drawn: dict[int, list[str]] = {}  # each drawn heading's lines of words, to the next
    for k, (start, _) in enumerate(found):
        end = found[k + 1][0] if k + 1 < len(found) else len(page.lines)
        drawn[k] = [x for x in page.lines[start + 1 : end] if x]
    # parts that draw their heading only, nothing run on after it, a block not drawn under it: an accordion has
    # several (a part left empty by its editor is none)
    under_any = {bisect.bisect_left(starts, line) - 1 for line in page.at.values()}
    bare = {
        k
        for k, lines in drawn.items()
        if not lines and k in under_any and len(page.lines[found[k][0]]) <= _BARE_HEADING
    }
    folded: set[Any] = set()
    for k, blocks in under.items():
        # of two hidden tables under one part, only the one a control just before shows
        chosen = blocks if len(blocks) == 1 else [el for el in blocks if _toggled(el, _SHOW_TABLE)]
        if len(chosen) != 1 or any(x.startswith(marks) for x in drawn[k]) or _other_year(page, chosen[0]):
            continue
        shows = _toggled(chosen[0], _SHOW_TABLE) or any(
            _control(x, _SHOW_TABLE) or (len(x) <= _TOGGLE_LINE and _TABLE_TAB.search(x)) for x in drawn[k]
        )
        if shows or (k in bare and len(bare) >= 2):
            folded.add(chosen[0])
    return folded


_APPENDED = re.compile(r"附表")  # "详见附表二": the part's table stands appended to the report


def _appended_tables(page: _Page, marks: tuple[str, ...], shown: set[Any]) -> set[Any]:
    """The tables appended to a report in a tab not drawn (报告正文 | 统计附表): the drawn report heads all six parts,
    its parts 二–四 draw no table, picture or attachment and one says its table is appended (详见附表二); the one
    block not drawn after its last heading holds tables and heads no part, and a control on the page names tables
    (review 116: three false 未找到…表; review 118: without a tab, a hidden copy an editor left is not read)."""
    found = page.found
    if {n for _, n in found} != _ALL_PARTS:
        return set()
    said: list[str] = []
    for k, (start, part) in enumerate(found):
        if part in PART_TABLES:
            end = found[k + 1][0] if k + 1 < len(found) else len(page.lines)
            lines = [x for x in page.lines[start + 1 : end] if x]
            if any(x.startswith(marks) for x in lines):
                return set()
            said += lines
    if not any(_APPENDED.search(x) for x in said):
        return set()
    after = [
        el
        for el, line in page.at.items()
        if line >= found[-1][0] and el not in shown and marks[0] in page.texts[el] and not page.heads[el]
    ]
    if len(after) != 1 or _other_year(page, after[0]) or not _tab_of_tables(after[0]):
        return set()
    return set(after)


_TABLES_NAMED = re.compile(r"附表|表格|统计表")
_CONTROLS = "//*[@onclick or @data-toggle or @data-bs-toggle or @aria-controls or starts-with(@href, 'javascript')]"


def _tab_of_tables(el: Any) -> bool:
    """Whether a control just before the block (in one of the three elements before it: a tab bar over its panes; a
    tab, a button, a link with a trigger) has short words naming tables (not a menu's or a sidebar's 统计表 elsewhere
    on the page: review 120)."""
    near = itertools.islice((x for x in el.itersiblings(preceding=True) if isinstance(x.tag, str)), 3)
    for control in (c for x in near for c in ([x] if _trigger(x) else []) + x.xpath("." + _CONTROLS)):
        said = squash("".join(control.itertext()))
        if len(said) <= _TOGGLE_LINE and _TABLES_NAMED.search(said) and not _names_year(said):
            return True
    return False


_TRIGGERS = ("onclick", "data-toggle", "data-bs-toggle", "aria-expanded")  # what makes an element a control
_NAMES_YEAR = re.compile(r"(19|20)\d{2}|[一二][〇○零一二三四五六七八九]{3}|往年|上一?年|历年")


def _toggled(el: Any, words: re.Pattern[str]) -> bool:
    """Whether a control shows the block: the element just before it is one (a link or button, or short words,
    with an onclick, a Bootstrap data-toggle, aria-expanded or a javascript: link, or saying ``words``), or one
    names the block's id (data-target, aria-controls; href="#id" with a trigger). A class alone (collapse, tab-pane)
    is no control, nor an article's header with its 打印/字号 links, nor one naming a year (a year's tab, 往年年报)."""
    before = el.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    if before is not None and _a_control(before, words):
        return True
    name = el.get("id")
    if not name:
        return False
    path = "//*[@data-target=$h or @data-bs-target=$h or @aria-controls=$n or (@href=$h and (@onclick or @data-toggle or @data-bs-toggle or @aria-expanded))]"
    return any(
        not _names_year(squash("".join(x.itertext())))
        for x in el.getroottree().getroot().xpath(path, h=f"#{name}", n=name)
    )


def _a_control(el: Any, words: re.Pattern[str]) -> bool:
    said = squash("".join(el.itertext()))
    if _names_year(said) or hidden(el) or not (el.tag in ("a", "button") or len(said) <= _TOGGLE_LINE):
        return False
    if any(_goes_elsewhere(x) for x in itertools.islice(el.iter("a"), 12)):
        return False  # a link to another page or file opens that, whatever it says
    triggered = any(isinstance(x.tag, str) and _trigger(x) for x in itertools.islice(el.iter(), 12))
    return triggered or _control(said, words)


def _names_year(words: str) -> bool:
    return _NAMES_YEAR.search(words) is not None


def _goes_elsewhere(link: Any) -> bool:
    href = str(link.get("href") or "").strip().lower()
    return bool(href) and not href.startswith(("#", "javascript"))


def _trigger(el: Any) -> bool:
    return any(a in el.attrib for a in _TRIGGERS) or str(el.get("href") or "").strip().lower().startswith("javascript")


def _marked_lines(drawn: list[str], unseen: dict[Any, int]) -> tuple[list[str], dict[Any, int]]:
    """The drawn text's lines as the reader normalises them, and the line each block not drawn stands at (normalising
    keeps the lines: only a carriage return is a newline it changes)."""
    at: dict[Any, int] = {}
    line = done = 0
    for el, piece in sorted(unseen.items(), key=lambda item: item[1]):
        text = "".join(drawn[done:piece])
        line += text.count("\n") + text.count("\r") - text.count("\r\n")
        done = piece
        at[el] = line
    lines = [x.strip() for x in normalise("".join(drawn)).split("\n")]
    return lines, at


def _found(lines: list[str], marks: Sequence[int] = ()) -> list[tuple[int, int]]:
    """(line, part) of the part headings in ``lines``, as the report reader finds them (一、, 第X部分, (一), 1. …: a
    table's row "一、本年新收…" is none); none where they stand one under the other, a table of contents, unless
    blocks not drawn stand between them (``marks``: their lines; an accordion's bodies)."""
    found = headings(lines)
    pairs = list(itertools.pairwise(found))
    if len(found) >= 3 and all(b - a <= 2 and not _between(marks, a, b) for (a, _), (b, _) in pairs):
        return []
    return found


def _between(marks: Sequence[int], a: int, b: int) -> bool:
    k = bisect.bisect_right(marks, a)
    return k < len(marks) and marks[k] <= b


def _parts_of(text: str) -> set[int]:
    return {n for _, n in _found([x.strip() for x in normalise(text).split("\n")])}
