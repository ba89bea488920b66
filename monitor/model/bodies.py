"""The publishing body (发布机关) as a record: a report belongs to the body that published it, not to the listing
it was found on (a city's 年报 column carries its districts' and departments' reports). A body has one name,
normalised (no spacing, simplified characters); a source's roster (``sources.toml`` ``bodies``) gives its bodies
with their kind and the other names they go by (a renamed body, a short form).

Two names are one body when they are equal, when one is an alias of the other, or when one ends with the
other and the shorter still names a place or body (淮安市洪泽区人民政府 = 洪泽区人民政府; not 人民政府 alone). A title's
short form of a configured body's name (上海市科委 for 上海市科学技术委员会) is that body (``shortened``, ``attribute``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import opencc

HOW = ("title", "metadata", "preamble", "read", "assumed")  # read: by an older govmon; assumed: the source agency
_SPACE = re.compile(r"[\s\u3000]+")
_GENERIC = re.compile(r"^(人民政府|政府|办公室|办公厅|公安局|局|委员会|委)$")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def normal_name(name: str) -> str:
    """One spelling of a body's name: no spaces, simplified characters (臺灣 -> 台湾), no colon around it."""
    return str(_t2s().convert(_SPACE.sub("", name))).strip(":：")


# a place's government, by any of its names: 哲里木盟人民政府, XX县政府, and a zone's 管委会 (平潭综合实验区管委会 is
# 平潭综合实验区人民政府: review 105, a source's agency written so was not its stored body, its sidebar's body late)
_PLACE_GOVERNMENT = re.compile(r"(?<=[省市县区旗州盟镇乡])(?:人民政府|政府)$|(?<=区)(?:党工委)?(?:管委会|管理委员会)$")


def name_key(name: str) -> str:
    """A body's name as ``same_name`` compares it when equal: one spelling, a place's government as its place."""
    return _PLACE_GOVERNMENT.sub("", normal_name(name))


def place_key(name: str) -> str:
    """``name_key`` of a name already in simplified characters (as stored, as configured on the mainland), without
    OpenCC's conversion: 150,000 sources' names in ~0.15 s, not ~0.85."""
    return _PLACE_GOVERNMENT.sub("", _SPACE.sub("", name).strip(":："))


def same_name(a: str, b: str) -> bool:
    """The same body by name: equal (a place's 人民政府 or not: 哲里木盟 = 哲里木盟人民政府), or one ends with the
    other, which is more than a generic word."""
    a, b = name_key(a), name_key(b)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and not _GENERIC.match(short) and long.endswith(short)


_LEVELS = frozenset("省市县区旗州盟")  # a place's level, ending its name (a 镇 or 乡 has no 局 of its own)
# the words a short form shortens as a whole: a place's 人民政府 as 政府, a body's last word as its first character
_WORD_FORMS = (("人民政府", "政府"), ("委员会", "委"), ("办公室", "办"))


def _short_forms(name: str) -> str:
    for word, short in _WORD_FORMS:
        name = name.replace(word, short) if word != "人民政府" else name.replace(word, short, 1)
    return name


def shortened(short: str, long: str) -> bool:
    """Whether ``short`` is ``long`` as people shorten a body's name, its words cut to their first characters: the
    characters of ``short`` in order in ``long``, the first and the last the same, and what is left out of the body's
    words (after its place) left out of two words or more (沭阳县发改局: 发[展和]改[革]局; 人社局, 卫健委, 市场监管局), or
    of one word kept by its first character alone (上海市科委: 科[学技术]委员会); of the place, only its level's words
    (平潭公安局: 平潭[综合实验区]公安局; 淮安[市]公安局). Not a body whose own full name lacks a word of the other's
    (XX市公安局 and XX市公安[交通管理]局, 交通运输[综合行政执法]局, XX市[地方]税务局, XX市教育[体育]局: real bodies,
    each publishing its report), a place below the short name's own (淮安区 and 淮安市淮阴区), a unit of it
    (XX市公安局XX分局), nor a place and one word (XX市委 is not XX市卫健委). Asked only of the names a source's
    configuration gives (``attribute``), each once."""
    short, long = _short_forms(name_key(short)), _short_forms(name_key(long))
    if len(short) < 4 or len(short) >= len(long) or short[0] != long[0] or short[-1] != long[-1]:
        return False
    named = max((i for i, c in enumerate(short) if c in _LEVELS), default=-1)  # where the short's place ends
    if long.startswith(short) or len(short) - 1 - named < 2:
        return False
    at = [0]  # where each of the short's characters stands in the long
    for c in short[1:-1]:
        found = long.find(c, at[-1] + 1, len(long) - 1)
        if found < 0:
            return False
        at.append(found)
    at.append(len(long) - 1)
    words: list[tuple[str, int]] = []  # (what is left out of the body's words, how many are kept just before it)
    for k in range(len(short) - 1):
        gap = long[at[k] + 1 : at[k + 1]]
        if not gap:
            continue
        if not words and k < len(short) - 2 and _place_level(gap) and (named < 0 or k < named):
            continue  # the place's level (市, 综合实验区), not said in the short form
        if k <= named:
            return False  # a place left out within the short's own: one below it (淮安[市淮阴]区)
        kept = next((n for n in range(k + 1) if k - n <= named or at[k - n] != at[k] - n), k + 1)
        words.append((gap, kept))
    if len(words) == 1:
        return words[0][1] == 1  # one word cut, kept by its first character; not a word put in (公安[交通管理]局)
    return all(kept >= 1 for _, kept in words)  # (never a word before the body's own: [地方]税务局)


def _place_level(gap: str) -> bool:
    """Whether characters a short name leaves out are its place's level alone (市; 综合实验区): one place's level
    word, no other place's in it (市淮阴 of 淮安市淮阴区 names another)."""
    return gap[-1] in _LEVELS and _LEVELS.isdisjoint(gap[:-1])


def within(government: str, body: str) -> bool:
    """Whether ``body`` is by its name one of the bodies of ``government``'s region: its name begins with the
    region's (平潭综合实验区公安局 within 平潭综合实验区人民政府; 淮安市洪泽区人民政府 within 淮安市人民政府). A
    body whose name does not say (洪泽区人民政府 for 淮安市) is not counted: only what the names show is."""
    place = _PLACE_GOVERNMENT.sub("", normal_name(government))
    name = normal_name(body)
    return (
        place != normal_name(government) and len(place) >= 2 and name.startswith(place) and not same_name(name, place)
    )


def one_body_forms(bodies: Iterable[tuple[str, int, str]]) -> list[tuple[int, int]]:
    """Of (source, body id, name) in the order stored, the bodies of one source whose names are one body's
    (洪泽区人民政府 and 淮安市洪泽区人民政府): (the body kept, the one merged into it), the first stored kept."""
    kept: dict[str, list[tuple[int, str]]] = {}
    merges = []
    for source, body_id, name in bodies:
        seen = kept.setdefault(source, [])
        into = next((k for k, n in seen if same_name(n, name)), None)
        if into is None:
            seen.append((body_id, name))
        else:
            merges.append((into, body_id))
    return merges


@dataclass(frozen=True)
class Body:
    """A body of a source's roster: its name, kind (government: due 3/31; department: due 1/31) and the other
    names its reports may carry (a former name, a short form)."""

    name: str
    kind: str
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (normal_name(self.name), *map(normal_name, self.aliases))

    def is_named(self, name: str) -> bool:
        return any(same_name(name, n) for n in self.names())


@dataclass(frozen=True)
class Attribution:
    """Whose report this is: the body's normalised name, its kind, and where it was read (``HOW``)."""

    body: str
    kind: str | None
    how: str

    @property
    def assumed(self) -> bool:
        return self.how == "assumed"


def attribute(
    read: str | None,
    how: str | None,
    kind: str | None,
    *,
    roster: Iterable[Body],
    agency: str,
    agency_kind: str,
    seen: Iterable[Body] = (),
) -> Attribution:
    """The body of a report: the name read from it (``how``: title, metadata, preamble) matched to the roster or a
    body ``seen`` on the source (its canonical name and kind, an alias or a fuller form resolved), else, as the one
    configured body (the roster's, the source's ``agency``) it shortens, that body (沭阳县发改局: 沭阳县发展和改革局;
    a body seen is not: two bodies' full names may read as one shortened), else the name as read; without a name
    read, the source's ``agency``, said to be assumed."""
    configured = list(roster)
    bodies = [*configured, *seen]
    if read:
        for body in bodies:
            if body.is_named(read):
                return Attribution(normal_name(body.name), body.kind, how or "title")
        configured.append(Body(agency, agency_kind))
        longer = {normal_name(b.name): b for b in configured if any(shortened(read, n) for n in b.names())}
        if len(longer) == 1:
            name, body = longer.popitem()
            return Attribution(name, body.kind, how or "title")
        return Attribution(normal_name(read), kind, how or "title")
    for body in bodies:
        if body.is_named(agency):
            return Attribution(normal_name(body.name), body.kind, "assumed")
    return Attribution(normal_name(agency), agency_kind, "assumed")
