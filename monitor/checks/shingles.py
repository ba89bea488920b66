"""Stage: copies, a text's shingles and what is stored of them. Text is compared as overlapping 6-character
shingles after removing whitespace and turning every run of digits into one ``#``: a paragraph copied with this
year's numbers put in is still a copy. Shingles of the statutory template (the section and table labels every
report must carry, the standard preamble) never count. A part's shingles are held as their crc32 (``Held``).

Finding candidates is MinHash (as datasketch computes it) with locality-sensitive hashing: each part's signature is
cut into ``BANDS`` bands of ``ROWS`` values; two parts sharing any band hash are candidates. With 42 × 3, parts whose
shingle sets overlap by a Jaccard index of 0.43 (60 % of two equal parts) are found 97 % of the time and those at 0.1
(what different real reports share) 4 % of the time. The store keeps the band hashes (``band_hashes``, a report's
``copies.prints``) so a new report's candidates are one indexed query. ``copies`` compares what is held here.
"""

from __future__ import annotations

import re
import struct
import sys
import zlib
from array import array
from collections.abc import Set as AbstractSet
from functools import cache, lru_cache
from typing import Any

from monitor.model import CN, LABELS, SECTION_NAMES, TABLE_LABELS
from monitor.reading.normalise import ideographs

SHINGLE = 6
BANDS, ROWS = 42, 3
SAMPLE = 32  # hashes of a part looked up to tell how to count what two parts share (``Held.common``)
MIN_SHINGLES = 60  # parts shorter than this (about 65 characters) say too little to be called copied

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


def normal(text: str) -> str:
    """Words only: no spaces or punctuation (full- and half-width alike), every run of digits one ``#``."""
    return re.sub(r"\d+", "#", re.sub(r"[\W_]+", "", text))


def _raw_shingles(text: str) -> set[str]:
    t = normal(text)
    return {t[i : i + SHINGLE] for i in range(len(t) - SHINGLE + 1)}


def shingles(text: str) -> frozenset[str]:
    """The shingles of ``text`` that are not the statutory template's."""
    return frozenset(own_shingles(text))


def own_shingles(text: str) -> set[str]:
    """``shingles``, as a set of the caller's own: ``hashed`` hashes them and lets them go, so they need no frozen
    copy, and the template's few hundred are taken out in place, not by a new set of the text's thousands (the two
    were ~0.3 ms of a long report's copy prints)."""
    found = _raw_shingles(text)
    found -= _template()
    return found


_DIGIT = re.compile(r"\d")


def is_prose(line: str) -> bool:
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


def held_of(shingled: AbstractSet[str]) -> Held:
    """Shingles as their crc32 (MinHash's hash of them)."""
    members = frozenset(map(zlib.crc32, map(str.encode, shingled)))
    return Held(array("I", members).tobytes(), members)


def hashed(text: str) -> Held | None:
    """``held_of(shingles(text))``, or None where the text has fewer than MIN_SHINGLES shingles of its own. Where a
    process makes many prints (the readers: their forkserver loads ``crcs``) at numpy's speed, each window hashed
    where it stands and the template's taken out by their hash and then their words; elsewhere (`govmon check`,
    which loads no numpy) by the shingles' strings."""
    tables = sys.modules.get("monitor.checks.crcs")
    if tables is None:
        own = own_shingles(text)
        return held_of(own) if len(own) >= MIN_SHINGLES else None
    import numpy as np  # noqa: PLC0415  (as in ``signature``)

    words = normal(text)
    found = tables.window_crcs(words, SHINGLE)
    maybe = _template_halves()[found >> 16].nonzero()[0]  # a template hash's high half (~2 % of the rest have one)
    found = np.delete(found, [i for i in maybe.tolist() if words[i : i + SHINGLE] in _template()])  # their words
    found.sort()
    distinct = found[np.concatenate(([True], found[1:] != found[:-1]))] if len(found) else found
    # two shingles may share a hash: only a count below the least is counted again by their words
    if len(distinct) < MIN_SHINGLES and len(own_shingles(text)) < MIN_SHINGLES:
        return None
    return Held(distinct.tobytes())


@cache
def _template_halves() -> Any:
    """Which high halves (hash >> 16) the template's shingles' hashes have."""
    import numpy as np  # noqa: PLC0415

    near = np.zeros(1 << 16, dtype=bool)
    near[[h >> 16 for h in held_of(_template()).members]] = True
    return near


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


def band_hashes(held: dict[str, Held]) -> list[int]:
    """The LSH band hashes of a report's parts, one per band and part, as signed 64-bit integers (SQLite's)."""
    from hashlib import blake2b  # noqa: PLC0415  (OpenSSL's: 2-3 ms to load, which check does not need)

    out = []
    width = ROWS * 4  # bytes of one band
    for part, one in held.items():
        values = signature(one)
        for band in range(BANDS):
            chunk = values[band * width : (band + 1) * width]
            digest = blake2b(f"{part}{band}".encode() + chunk, digest_size=8).digest()
            out.append(struct.unpack("<q", digest)[0])
    return out
