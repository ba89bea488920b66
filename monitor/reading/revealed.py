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
from monitor.reading.normalise import normalise
from monitor.reading.parts import headings

_ALL_PARTS = frozenset(range(1, 7))


def goes_on(drawn: list[str], unseen: dict[Any, int], text_of: Callable[[Any], str], table_mark: str) -> set[Any]:
    """The blocks not drawn (``unseen``: each with where it stands in the drawn text's pieces ``drawn``) that a
    reader reads as the report's, in the page's order:

    - **the report's other pages:** a block that heads parts the report so far lacks, where they fall in its order:
      from the last part headed before it (a pager's next page may head it again, "三、…（续）") to the first part
      drawn after it (a first half folded away before the drawn 四); until the report heads all six parts;
    - **the full text behind a summary:** where no page goes on and the drawn page heads the first parts (or none),
      the first block after the drawn headings that heads every part they head and two more at least, with a
      control to open it between them and it (展开全文, 阅读全文, a toggle beside it), holding what the drawn report
      says (four lines in five) or three times as much (a summary of its own words);
    - **a table behind a click:** the one block under a drawn part 二–四 that heads no other part and holds a table,
      where the part shows no table, picture or attachment, and a control shows it: the element just before it is
      one, or names it, or the part draws a short 点击/展开/查看 line, or draws only its heading where other parts
      do so too (an accordion).

    Any other block is not read: a year's tab not shown or a print copy (the report is whole without it, heads again
    what the report has, or nothing opens it), an old table an editor hid, two hidden tables under one part, a 解读
    tab. What may not be the report's is never taken: it could only invent an error or hide a
    missing part."""
    lines, at = _marked_lines(drawn, unseen)
    texts = {el: text_of(el) for el in unseen}
    page = _Page(
        lines, _found(lines, sorted(set(at.values()))), at, {el: _parts_of(t) for el, t in texts.items()}, texts
    )
    marks = (table_mark, IMAGE_MARK, ATTACHED)
    shown = _pages(page) or _full_text(page, marks)
    return shown | _folded_tables(page, marks, shown)


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
        if not parts - have:
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
_MORE = re.compile("展开|全文|更多")


def _full_text(page: _Page, marks: tuple[str, ...]) -> set[Any]:
    """The block behind 展开全文: after the drawn headings, with a control to open it between them and it (a year's
    tab, a print copy are none), holding what the drawn report says or three times as much."""
    have = {n for _, n in page.found}
    if have != set(range(1, len(have) + 1)):
        return set()  # a summary heads the first parts: one lacking 一 and 六 is a report lacking them
    first, last = (page.found[0][0], page.found[-1][0]) if page.found else (0, -1)
    for el, parts in page.heads.items():
        stop = page.at[el]
        if stop <= last or not (parts > have and len(parts - have) >= 2):
            continue
        if not (_toggled(el) or any(_control(x, _MORE) for x in page.lines[last + 1 : stop])):
            continue
        drawn = [_squash(x) for x in page.lines[first:stop]]
        drawn = [x for x in drawn if x and not x.startswith(marks) and not _control(x, _MORE)]
        said = _squash(normalise(page.texts[el]))
        held = sum(x.rstrip(".…。") in said for x in drawn)
        if held >= _HELD * len(drawn) or _SHORT * sum(map(len, drawn)) <= len(said):
            return {el}
    return set()


def _control(line: str, words: re.Pattern[str]) -> bool:
    """Whether a drawn line is a control's words: short, with one of ``words``."""
    return 0 < len(line) <= _TOGGLE_LINE and words.search(line) is not None


_CLICK = re.compile("^(点击|展开|收起|查看)")  # a control's words: 点击查看表格, 展开, 查看详情


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
    bare = sum(not lines for lines in drawn.values())  # parts that draw their heading only: an accordion has several
    folded: set[Any] = set()
    for k, blocks in under.items():
        if len(blocks) != 1 or any(x.startswith(marks) for x in drawn[k]):
            continue
        if (not drawn[k] and bare >= 2) or _toggled(blocks[0]) or any(_control(x, _CLICK) for x in drawn[k]):
            folded.add(blocks[0])
    return folded


_TRIGGERS = ("onclick", "data-toggle", "data-bs-toggle", "aria-expanded")  # what makes an element a control


def _toggled(el: Any) -> bool:
    """Whether a control shows the block: the element just before it is one (an onclick, a Bootstrap data-toggle,
    aria-expanded, a javascript: link, or a short 点击/展开 line), or one names the block's id (href="#id",
    data-target, aria-controls). A class alone (collapse, tab-pane) is no control, nor one naming a year only: a
    year's tab has them too."""
    before = el.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    if before is not None:
        for x in itertools.islice(before.iter(), 12):
            if isinstance(x.tag, str) and _trigger(x) and not _a_year(x):
                return True
        words = _squash("".join(before.itertext()))
        if _control(words, _CLICK) or _control(words, _MORE):
            return True
    name = el.get("id")
    if not name:
        return False
    path = "//*[@href=$h or @data-target=$h or @data-bs-target=$h or @aria-controls=$n]"
    return any(not _a_year(x) for x in el.getroottree().getroot().xpath(path, h=f"#{name}", n=name))


_YEAR_TAB = re.compile(r"^((19|20)\d{2}|[一二][〇○零一二三四五六七八九]{3})年?度?$")


def _a_year(el: Any) -> bool:
    """Whether a control names a year only ("2022年度"): it shows a year's tab, not a part's folded table."""
    return _YEAR_TAB.match(_squash("".join(el.itertext()))) is not None


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


def _squash(text: str) -> str:
    return "".join(text.split())
