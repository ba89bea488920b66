"""Stage: copies. How much of a report's prose repeats another report's (雷同), and how to find the
reports worth comparing among thousands without comparing all pairs.

What is compared (``parts``): section 一 (总体情况), section 五 (存在的主要问题及改进情况) and the whole
prose (every line that reads as a sentence, not a table cell). Text is compared as overlapping
6-character shingles after removing whitespace and turning every run of digits into one ``#``: a
paragraph copied with this year's numbers put in is still a copy. Shingles of the statutory template
(the section and table labels every report must carry, the standard preamble) never count.

``share(a, b)`` is the part of a's shingles that b contains (counted by their crc32: ``Compared``). Finding
candidates is MinHash (as datasketch computes it) with locality-sensitive hashing: each part's signature is cut
into ``BANDS`` bands of ``ROWS`` values; two parts sharing any band hash are candidates. With 42 × 3, parts whose shingle
sets overlap by a Jaccard index of 0.43 (60 % of two equal parts) are found 97 % of the time and
those at 0.1 (what different real reports share) 4 % of the time. The store keeps the band hashes
(``prints``) so a new report's candidates are one indexed query.
"""

from __future__ import annotations

import re
import struct
import sys
import threading
import weakref
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

from monitor.model import CN, LABELS, SECTION_NAMES, TABLE_LABELS, Report
from monitor.reading.normalise import ideographs

SHINGLE = 6
BANDS, ROWS = 42, 3
THRESHOLD = 0.6  # the share of a part's text found in the other report above which it is called a copy
SAME = 0.9  # prose shared (one way; half that the other) above which two reports are one report rendered twice
SAMPLE = 32  # hashes of a part looked up to tell how to count what two parts share (``Held.common``)
MIN_SHINGLES = 60  # parts shorter than this (about 65 characters) say too little to be called copied
PARTS = {"一": f"第一部分“{SECTION_NAMES[1]}”", "五": f"第五部分“{SECTION_NAMES[5]}”", "全文": "报告正文"}

# What every report must contain whoever writes it: 条例第五十条's six sections, the tables of
# 国办公开办函〔2021〕30号 and 〔2019〕60号, and the preamble the template suggests.
TEMPLATE = (
    "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室"
    "关于政府信息公开工作年度报告的有关要求编制。本年度报告由总体情况、主动公开政府信息情况、收到和处理政府信息"
    "公开申请情况、政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六部分组成。"
    "报告中所列数据的统计期限自年月日起至年月日止。本报告电子版可在门户网站下载。如对本报告有疑问，请联系。"
    "因政府信息公开工作被申请行政复议、提起行政诉讼情况。政府信息公开工作存在的主要问题及改进情况。"
    "本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和。"
)


@cache
def _template() -> frozenset[str]:
    words = [TEMPLATE, *SECTION_NAMES.values(), *TABLE_LABELS.values(), *LABELS.values()]
    words += [f"{CN[n]}、{name}" for n, name in SECTION_NAMES.items()]
    return frozenset(s for w in words for s in _raw_shingles(w))


def _normal(text: str) -> str:
    """Words only: no spaces or punctuation (full- and half-width alike), every run of digits one ``#``."""
    return re.sub(r"\d+", "#", re.sub(r"[\W_]+", "", text))


def _raw_shingles(text: str) -> set[str]:
    t = _normal(text)
    return {t[i : i + SHINGLE] for i in range(len(t) - SHINGLE + 1)}


def shingles(text: str) -> frozenset[str]:
    """The shingles of ``text`` that are not the statutory template's."""
    return frozenset(_own_shingles(text))


def _own_shingles(text: str) -> set[str]:
    """``shingles``, as a set of the caller's own: ``_shingled`` hashes them and lets them go, so they need no frozen
    copy, and the template's few hundred are taken out in place, not by a new set of the text's thousands (the two
    were ~0.3 ms of a long report's copy prints)."""
    found = _raw_shingles(text)
    found -= _template()
    return found


_DIGIT = re.compile(r"\d")


def _is_prose(line: str) -> bool:
    """A sentence rather than a table cell or a heading: long, and mostly not digits."""
    if len(line) < 16:
        return False
    han = len(ideographs(line))
    cells = line.count("|") + line.count("\t")  # a table row flattened onto one line
    return han >= 16 and len(_DIGIT.findall(line)) * 4 < han and cells < 3


class Held:
    """A part's shingles as their crc32 (MinHash's hashes of them; two texts of 4,000 shingles share a hash by
    chance ~0.004 times), each once, packed as uint32s. A reader works them out with its prints and sends them
    to the watcher: pickled as a set of ~8,000 ints they cost a long report ~0.35 ms to send and ~0.5 ms to
    receive, packed ~0.01 ms. The set is made where they are counted (``common``), at most once and only for a
    part counted, and is never sent."""

    __slots__ = ("_members", "hashes")

    def __init__(self, hashes: bytes, members: frozenset[int] | None = None) -> None:
        self.hashes = hashes  # in no particular order (a set's)
        self._members = members

    def __len__(self) -> int:
        return len(self.hashes) // 4

    def __eq__(self, other: object) -> bool:  # as sets: packed in the order of a set made in another process
        return isinstance(other, Held) and self.members == other.members

    def __hash__(self) -> int:
        return hash(self.members)

    def __reduce__(self) -> tuple[type[Held], tuple[bytes]]:
        return Held, (self.hashes,)

    def __repr__(self) -> str:
        return f"Held({len(self)} hashes)"

    @property
    def members(self) -> frozenset[int]:
        if self._members is None:
            self._members = frozenset(memoryview(self.hashes).cast("I"))
        return self._members

    def common(self, other: Held) -> int:
        """How many hashes the two share, as sets, each made once (looking packed hashes up in a set cost three
        times a sets' intersection). Making the set of the shared hashes is most of the cost; where a sample
        says ``other`` has most of these, the few it lacks are counted instead (a candidate copied from one
        template: two parts of 4,000 sharing 3,970, 0.10 ms against 0.15; one sharing a band by chance is
        counted as before, 0.04 ms against 0.10)."""
        mine, theirs = self.members, other.members
        sample = memoryview(self.hashes).cast("I")[:SAMPLE]  # a set's order: as good as random
        if sum(h in theirs for h in sample) * 2 > len(sample):
            return len(mine) - len(mine - theirs)
        return len(mine & theirs)


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


def _held(shingled: AbstractSet[str]) -> Held:
    """Shingles as their crc32 (MinHash's hash of them)."""
    members = frozenset(map(zlib.crc32, map(str.encode, shingled)))
    return Held(array("I", members).tobytes(), members)


def parts(report: Report) -> dict[str, str]:
    """The texts compared: sections 一 and 五 (when the report's sections were found) and the prose."""
    return compared(report).texts


def _spans(report: Report) -> tuple[tuple[int, int], ...]:
    return tuple(report.sections.get(n) or (0, 0) for n in (1, 5))


def _shingled(text: str, spans: tuple[tuple[int, int], ...]) -> dict[str, tuple[str, Held]]:
    """Each part long enough to compare: its text and its shingles' hashes."""
    lines = text.split("\n")
    out = {"一": "\n".join(lines[spans[0][0] : spans[0][1]]), "五": "\n".join(lines[spans[1][0] : spans[1][1]])}
    out["全文"] = "\n".join(line for line in lines if _is_prose(line))
    found = {part: (t, _hashed(t)) for part, t in out.items()}
    return {part: (t, held) for part, (t, held) in found.items() if held is not None}


def _hashed(text: str) -> Held | None:
    """``_held(shingles(text))``, or None where the text has fewer than MIN_SHINGLES shingles of its own. Where a
    process makes many prints (the readers: their forkserver loads ``crcs``) at numpy's speed, each window hashed
    where it stands and the template's taken out by their hash and then their words; elsewhere (`govmon check`,
    which loads no numpy) by the shingles' strings."""
    tables = sys.modules.get("monitor.checks.crcs")
    if tables is None:
        own = _own_shingles(text)
        return _held(own) if len(own) >= MIN_SHINGLES else None
    import numpy as np  # noqa: PLC0415  (as in ``signature``)

    normal = _normal(text)
    found = tables.window_crcs(normal, SHINGLE)
    maybe = _template_halves()[found >> 16].nonzero()[0]  # a template hash's high half (~2 % of the rest have one)
    found = np.delete(found, [i for i in maybe.tolist() if normal[i : i + SHINGLE] in _template()])  # their words
    found.sort()
    distinct = found[np.concatenate(([True], found[1:] != found[:-1]))] if len(found) else found
    # two shingles may share a hash: only a count below the least is counted again by their words
    if len(distinct) < MIN_SHINGLES and len(_own_shingles(text)) < MIN_SHINGLES:
        return None
    return Held(distinct.tobytes())


@cache
def _template_halves() -> Any:
    """Which high halves (hash >> 16) the template's shingles' hashes have."""
    import numpy as np  # noqa: PLC0415

    near = np.zeros(1 << 16, dtype=bool)
    near[[h >> 16 for h in _held(_template()).members]] = True
    return near


def share(a: str, b: str) -> float:
    """The part of a's text (its non-template shingles) that b contains, counted as ``compare`` counts it."""
    return _share(_held(shingles(a)), _held(shingles(b)))


def _share(mine: Held, theirs: Held) -> float:
    return mine.common(theirs) / len(mine) if mine else 0.0


@lru_cache(maxsize=256)
def sample(a: str, b: str, longest: int = 80) -> str:
    """The longest sentence of a that b repeats (numbers aside), cut at ``longest`` characters."""
    theirs = _normal(b)
    sentences = (s for s in re.split(r"[。；;！!？?]", a.replace("\n", "")) if len(_normal(s)) >= 12)
    found = sorted((s.strip() for s in sentences if _normal(s) in theirs), key=len, reverse=True)
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


# ---------------------------------------------------------------- finding candidates at scale
# MinHash as datasketch 2 computes it (its default "affine32" scheme, seed 1, each shingle hashed by crc32): the
# prints stored by earlier versions stay comparable, and a test holds the two equal. Kept here rather than
# imported because importing datasketch imports scipy (0.5 s of CPU and ~40 MiB in every reader process), and
# because a datasketch upgrade that changed its default scheme would silently stop new prints from matching
# stored ones; numpy is all it needs.
_FMIX = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)  # MurmurHash3's 32-bit finaliser: shifts and multipliers


@lru_cache(maxsize=1)
def _permutations() -> tuple[Any, Any]:
    """The affine permutations h -> a·h + b (mod 2^32), ``a`` odd: drawn once, from the seed datasketch uses."""
    import numpy as np  # noqa: PLC0415  numpy loads only where prints are made, not in `govmon check`

    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, BANDS * ROWS, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, BANDS * ROWS, dtype=np.uint32)
    return a, b


def signature(held: Held) -> bytes:
    """The MinHash of a part's shingles (their crc32, ``Held``): per permutation the least permuted hash,
    as little-endian uint32s."""
    import numpy as np  # noqa: PLC0415

    a, b = _permutations()
    hv = np.frombuffer(held.hashes, dtype=np.uint32).reshape(-1, 1).copy()  # a copy: hashed in place below
    s1, m1, s2, m2, s3 = _FMIX
    hv ^= hv >> np.uint32(s1)
    hv *= np.uint32(m1)
    hv ^= hv >> np.uint32(s2)
    hv *= np.uint32(m2)
    hv ^= hv >> np.uint32(s3)
    low = np.full(len(a), 0xFFFFFFFF, dtype=np.uint32)
    for i in range(0, len(hv), 512):  # 512 shingles x 126 permutations at a time: the products stay in the cache
        permuted = hv[i : i + 512] * a
        permuted += b
        np.minimum(low, permuted.min(axis=0), out=low)
    out: bytes = low.astype("<u4").tobytes()
    return out


def prints(report: Report) -> list[int]:
    """The report's LSH band hashes, one per band and part, as signed 64-bit integers (SQLite's)."""
    from hashlib import blake2b  # noqa: PLC0415  (OpenSSL's: 2-3 ms to load, which check does not need)

    out = []
    width = ROWS * 4  # bytes of one band
    for part, held in compared(report).held.items():
        values = signature(held)
        for band in range(BANDS):
            chunk = values[band * width : (band + 1) * width]
            digest = blake2b(f"{part}{band}".encode() + chunk, digest_size=8).digest()
            out.append(struct.unpack("<q", digest)[0])
    return out
