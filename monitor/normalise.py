"""Stage: normalise. Scraped report text -> clean simplified Chinese with half-width forms.

Real pages arrive in traditional characters with conversion debris ("復(fù)議" with pinyin
glosses, doubled commas "一,、總體情況"), full-width digits and punctuation, and odd spaces.
This module removes that debris so the parser can match headings and labels; it never
touches digits, so a number is never changed here. `?` glued to numbers is left for the
table reader, which reads the number and remembers that the cell carried debris.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# A pinyin gloss: a syllable with a tone mark in parentheses right after a Chinese character.
_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zü]{0,6}[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]{0,6}\)")
_COMMA_BEFORE = re.compile(r",+(?=[、。;:!?])")
_COMMA_AFTER = re.compile(r"(?<=[、。;:]),+")
_COMMAS = re.compile(r",{2,}")
_SPACES = re.compile(r"[ \t\u2000-\u200b\u3000]+")
# Characters that only occur in traditional text; a few of them mean the page needs converting.
_TRADITIONAL = set("們個這與為於國關開資報時區會從數處應說對經來發過後門書問實變節處當還種們導據")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def is_traditional(text: str) -> bool:
    hits = 0
    for ch in text:
        if ch in _TRADITIONAL:
            hits += 1
            if hits >= 5:
                return True
    return False


def normalise(text: str) -> str:
    """Return the text in simplified characters, NFKC forms, without glosses and comma debris."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = _GLOSS.sub("", text)
    if is_traditional(text):
        text = _converter().convert(text)
    text = _COMMAS.sub(",", text)
    text = _COMMA_BEFORE.sub("", text)
    text = _COMMA_AFTER.sub("", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
