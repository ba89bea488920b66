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
      the first block that heads every part the drawn page heads and two more at least, and either says what the drawn page says first under each heading (the
      full text's beginning drawn) or, standing after the drawn headings, says three times as much (a summary, then
      展开全文). Another year's tab says another year's sentences, as much as the drawn report says;
    - **a table behind a click:** the one block under a drawn part 二–四 that heads no other part and holds a table,
      where the part shows no table, picture or attachment, and a click shows the block (a toggle beside it, words
      such as 点击 or 展开, or nothing of the part drawn but its heading: an accordion).

    Any other block is not read: a year's tab not shown or a print copy (the report is whole without it, or it
    heads again what the report has, or says other sentences), an old table an editor hid, two hidden tables under
    one part, a 解读 tab. What may not be the report's is never taken: it could only invent an error or hide a
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
    shown: set[Any] = set()
    reached = 0  # the last part a page taken heads
    for el, line in at.items():
        if have >= _ALL_PARTS:
            break
        parts = heads[el]
        if not parts - have:
            continue
        k = bisect.bisect_left(starts, line)  # the drawn headings before the block: found[:k]
        before = max([reached, *(n for _, n in found[:k])])
        after = min((n for _, n in found[k:]), default=len(_ALL_PARTS))
        if min(parts) >= before and max(parts) <= after:
            shown.add(el)
            have |= parts
            reached = max([reached, *parts])
    return shown


_SAMPLE = 16  # characters of the first line under a drawn heading a full text must say too


_SHORT = 3  # a summary: the drawn report's words a third of the full text's at most


def _full_text(page: _Page, marks: tuple[str, ...]) -> set[Any]:
    have = {n for _, n in page.found}
    if have != set(range(1, len(have) + 1)):
        return set()  # a summary heads the first parts: one lacking 一 and 六 is a report lacking them
    for el, parts in page.heads.items():
        if parts > have and len(parts - have) >= 2 and (_repeats(page, el, marks) or _summarises(page, el, marks)):
            return {el}
    return set()


def _repeats(page: _Page, el: Any, marks: tuple[str, ...]) -> bool:
    """Whether the block says what the drawn page says first under each of its headings, one at least (the full
    text's beginning, drawn)."""
    said = _squash(normalise(page.texts[el]))
    stop = page.at[el] if page.found and page.at[el] > page.found[-1][0] else len(page.lines)
    firsts = [x for k in range(len(page.found)) if (x := _first_line(page, k, stop, marks)) is not None]
    return bool(firsts) and all(_squash(x).rstrip(".…。")[:_SAMPLE] in said for x in firsts)


def _summarises(page: _Page, el: Any, marks: tuple[str, ...]) -> bool:
    """Whether the drawn report, before the block, is a short summary of it (a few sentences under its headings,
    then 展开全文): the block stands after the drawn headings and says three times as much."""
    start, stop = page.found[0][0] if page.found else 0, page.at[el]
    if page.found and stop <= page.found[-1][0]:
        return False
    drawn = sum(len(_squash(x)) for x in page.lines[start:stop] if x and not x.startswith(marks))
    said = sum(len(_squash(x)) for x in page.texts[el].split("\n") if x.strip() and not x.strip().startswith(marks))
    return drawn * _SHORT <= said


def _first_line(page: _Page, k: int, stop: int, marks: tuple[str, ...]) -> str | None:
    """The first line of words under the ``k``th drawn heading, before the next and before line ``stop``."""
    end = min(stop, page.found[k + 1][0] if k + 1 < len(page.found) else len(page.lines))
    return next((x for x in page.lines[page.found[k][0] + 1 : end] if x and not x.startswith(marks)), None)


_TOGGLE_WORDS = re.compile("点击|展开|收起|查看")
_TOGGLE_ATTRIBUTES = ("onclick", "data-toggle", "data-bs-toggle", "aria-expanded", "aria-controls", "data-target")
_TOGGLE_NAMES = re.compile("collaps|fold|toggle|accordion|expand|zhankai", re.IGNORECASE)


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
    folded: set[Any] = set()
    for k, blocks in under.items():
        end = found[k + 1][0] if k + 1 < len(found) else len(page.lines)
        drawn = [x for x in page.lines[found[k][0] + 1 : end] if x]
        if len(blocks) != 1 or any(x.startswith(marks) for x in drawn):
            continue
        if not drawn or _toggled(blocks[0]) or any(_TOGGLE_WORDS.search(x) for x in drawn):
            folded.add(blocks[0])
    return folded


def _toggled(el: Any) -> bool:
    """Whether the block, its parent or the element before it (and the first few inside that) is made to be
    clicked or folded: an onclick, a Bootstrap data-toggle, aria-expanded, a class named collapse or fold."""
    before = el.getprevious()
    near = [el, el.getparent(), *([before, *itertools.islice(before.iter(), 1, 12)] if before is not None else [])]
    for x in near:
        if x is None or not isinstance(x.tag, str):
            continue
        named = f"{x.get('class') or ''} {x.get('id') or ''}"
        if any(a in x.attrib for a in _TOGGLE_ATTRIBUTES) or _TOGGLE_NAMES.search(named):
            return True
        if str(x.get("href") or "").strip().lower().startswith("javascript"):
            return True
    return False


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
