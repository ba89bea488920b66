"""Stage: copies. How much of a report's prose repeats another report's (雷同), and how to find the
reports worth comparing among thousands without comparing all pairs.

What is compared (``parts``): section 一 (总体情况), section 五 (存在的主要问题及改进情况) and the whole
prose (every line that reads as a sentence, not a table cell), each as its shingles' hashes (``shingles``: how a
text is cut into shingles, the template's taken out, and the MinHash prints that find the candidates).
``share(a, b)`` is the part of a's shingles that b contains (counted by their crc32: ``Compared``).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from monitor.checks.shingles import Held, band_hashes, hashed, held_of, is_prose, normal, shingles
from monitor.model import SECTION_NAMES, Report

THRESHOLD = 0.6  # the share of a part's text found in the other report above which it is called a copy
SAME = 0.9  # prose shared (one way; half that the other) above which two reports are one report rendered twice
PARTS = {"一": f"第一部分“{SECTION_NAMES[1]}”", "五": f"第五部分“{SECTION_NAMES[5]}”", "全文": "报告正文"}


@dataclass(frozen=True)
class Compared:
    """What the copy checks compare of one report, worked out once a report: a candidate is compared with
    every new report whose bands it shares (a province's template copies are each other's candidates again and
    again), and each pair both ways. ``held``: each part's shingles' hashes; ``cells``: the numbers read, by
    table, row and column."""

    texts: dict[str, str]
    held: dict[str, Held]
    cells: dict[tuple[str, str, str], float]

    @cached_property
    def numbered(self) -> frozenset[tuple[tuple[str, str, str], float]]:
        """The cells as (place, number) pairs: what two reports' cells differ in is a set difference (a template's
        copies each read ~150 cells alike, compared with each candidate: ~0.7 ms a report one by one)."""
        return frozenset(self.cells.items())


KEPT = 256  # reports whose ``Compared`` is kept: more than the store keeps decoded and the watcher checks at once
_COMPARED: OrderedDict[int, tuple[str, tuple[Any, ...], Compared]] = OrderedDict()  # id(report) -> text, spans, it
_WATCHED: set[int] = set()  # the reports whose end forgets them (one finalizer each, however often kept again)
_KEEPING = threading.RLock()  # the watcher checks reports in threads; a collection may end one meanwhile


def compared(report: Report) -> Compared:
    """``Compared`` for ``report``, kept while the report lives (the store keeps candidates decoded), for the
    KEPT reports last asked about."""
    text, spans = report.text, _spans(report)
    with _KEEPING:
        kept = _COMPARED.get(id(report))
        if kept is not None and kept[0] is text and kept[1] == spans:
            _COMPARED.move_to_end(id(report))
            return kept[2]
    found = _shingled(text, spans)
    made = Compared({part: t for part, (t, _) in found.items()}, {p: h for p, (_, h) in found.items()}, numbers(report))
    return _keep(report, made, text, spans)


def numbers(report: Report) -> dict[tuple[str, str, str], float]:
    """Every number a report's tables hold, by table, row and column."""
    return {
        (key, r, c): v.number
        for key, table in report.tables.items()
        for r, cols in table.rows.items()
        for c, v in cols.items()
        if v.number is not None
    }


def remember(report: Report, made: Compared) -> Compared:
    """Keep ``made`` as ``report``'s ``Compared`` while the report lives: the watcher's copy of a report read in a
    reader process is given what the reader worked out with its prints."""
    return _keep(report, made, report.text, _spans(report))


def _keep(report: Report, made: Compared, text: str, spans: tuple[Any, ...]) -> Compared:
    """``made``, worked out of ``text`` and ``spans`` (as they were when it was begun), kept for ``report``."""
    with _KEEPING:
        if id(report) not in _WATCHED:
            _WATCHED.add(id(report))
            weakref.finalize(report, _forget, id(report))
        _COMPARED[id(report)] = (text, spans, made)
        while len(_COMPARED) > KEPT:
            _COMPARED.popitem(last=False)
    return made


def _forget(key: int) -> None:
    with _KEEPING:
        _COMPARED.pop(key, None)
        _WATCHED.discard(key)


def parts(report: Report) -> dict[str, str]:
    """The texts compared: sections 一 and 五 (when the report's sections were found) and the prose."""
    return compared(report).texts


def _spans(report: Report) -> tuple[tuple[int, int], ...]:
    return tuple(report.sections.get(n) or (0, 0) for n in (1, 5))


def _shingled(text: str, spans: tuple[tuple[int, int], ...]) -> dict[str, tuple[str, Held]]:
    """Each part long enough to compare: its text and its shingles' hashes."""
    lines = text.split("\n")
    out = {"一": "\n".join(lines[spans[0][0] : spans[0][1]]), "五": "\n".join(lines[spans[1][0] : spans[1][1]])}
    out["全文"] = "\n".join(line for line in lines if is_prose(line))
    found = {part: (t, hashed(t)) for part, t in out.items()}
    return {part: (t, held) for part, (t, held) in found.items() if held is not None}


def share(a: str, b: str) -> float:
    """The part of a's text (its non-template shingles) that b contains, counted as ``compare`` counts it."""
    return _share(held_of(shingles(a)), held_of(shingles(b)))


def _share(mine: Held, theirs: Held) -> float:
    return mine.common(theirs) / len(mine) if mine else 0.0


_COMMA = re.compile(r"[，,、]")


@lru_cache(maxsize=256)
def sample(a: str, b: str, longest: int = 80) -> str:
    """The longest sentence of a that b repeats (numbers aside), cut at ``longest`` characters."""
    theirs = normal(b)
    sentences = (s for s in re.split(r"[。；;！!？?]", a.replace("\n", "")) if len(normal(s)) >= 12)
    found = sorted(  # prose first: a page's menu on one line is a long "sentence" with no comma
        (s.strip() for s in sentences if normal(s) in theirs),
        key=lambda s: (bool(_COMMA.search(s)), len(s)),
        reverse=True,
    )
    if not found:
        return ""
    return found[0] if len(found[0]) <= longest else found[0][:longest] + "……"


@dataclass(frozen=True)
class Copy:
    part: str  # a key of PARTS
    share: float
    passage: str


def same_body(a: Report, b: Report) -> bool:
    """Two reports by one body, as far as their names tell (淮安市洪泽区人民政府 is 洪泽区人民政府)."""
    return bool(a.agency and b.agency and (a.agency.endswith(b.agency) or b.agency.endswith(a.agency)))


def same_report(a: Report, b: Report) -> bool:
    """Two renderings of one report (a portal page and a crawler's text of it, a page and its PDF): nearly all
    the prose of each is in the other, and no table cell read in both differs."""
    mine, theirs = compared(a), compared(b)
    return _same(mine, theirs, _count(mine.held.get("全文"), theirs.held.get("全文"), same=True))


def _same(mine: Compared, theirs: Compared, common: int | None) -> bool:
    """``same_report`` of the two, given how many prose shingles they share (None: too few could be shared)."""
    pa, pb = mine.held.get("全文"), theirs.held.get("全文")
    if not (pa and pb and common):
        return False
    shares = (common / len(pa), common / len(pb))
    if max(shares) < SAME or min(shares) < SAME / 2:  # a PDF wraps its prose, a page adds its chrome
        return False
    # a cell of a that b read too, with another number, tells two reports apart
    return not any(at in theirs.cells for at, _ in mine.numbered - theirs.numbered)


def year_before(report: Report, previous: Report) -> bool:
    """Whether ``previous`` can be the same body's report for the year before ``report``'s: its year is one
    less, and its body is the same where both say (a report without a body named is not refused on a guess)."""
    if report.year is not None and previous.year is not None and previous.year != report.year - 1:
        return False
    return not (report.agency and previous.agency) or same_body(report, previous)


def comparable(report: Report, other: Report) -> bool:
    """Whether ``report`` should be compared with ``other``: the same body's earlier years, or another
    body's report of the same year (one body's two copies of one year are the same report, not a copy)."""
    if other is report or not (report.year and other.year):
        return False
    if same_body(report, other):
        return other.year < report.year
    return other.year == report.year


def compare(report: Report, other: Report) -> Iterator[Copy]:
    """The parts of ``report`` whose text ``other`` repeats above THRESHOLD."""
    yield from _copies(compared(report), compared(other))


def copied(report: Report, other: Report) -> list[Copy] | None:
    """``compare(report, other)``, or None when the two are one report rendered twice (``same_report``): what the
    copy rule asks of each candidate. The prose's shared shingles are counted first and once (they serve both
    questions; a second rendering needs no more), and a part's not at all where the smaller part could not reach
    the share asked (~0.1 ms a count of two real reports' prose)."""
    mine, theirs = compared(report), compared(other)
    prose = _count(mine.held.get("全文"), theirs.held.get("全文"), same=True)
    return None if _same(mine, theirs, prose) else list(_copies(mine, theirs, prose))


def _copies(mine: Compared, theirs: Compared, prose: int | None = None) -> Iterator[Copy]:
    """The parts of ``mine`` that ``theirs`` repeats above THRESHOLD (``prose``: the prose's count, if made)."""
    for part, held in mine.held.items():
        n = prose if part == "全文" and prose is not None else _count(held, theirs.held.get(part))
        if n is not None and n / len(held) >= THRESHOLD:
            yield Copy(part, n / len(held), sample(mine.texts[part], theirs.texts[part]))


def _count(mine: Held | None, theirs: Held | None, same: bool = False) -> int | None:
    """How many shingle hashes two parts share; None where they cannot share THRESHOLD of ``mine`` (nor, with
    ``same``, enough to be one report rendered twice)."""
    if not mine or not theirs:
        return None
    least = min(len(mine), len(theirs))  # the most they can share
    if least / len(mine) >= THRESHOLD or (same and least / max(len(mine), len(theirs)) >= SAME / 2):
        return mine.common(theirs)
    return None


def prints(report: Report) -> list[int]:
    """The report's LSH band hashes (``shingles.band_hashes``): what the store finds its candidates by."""
    return band_hashes(compared(report).held)
