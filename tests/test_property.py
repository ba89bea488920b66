"""Random and mangled input never crashes the checker: it returns a report or a clear InputError."""

from __future__ import annotations

import random
import unicodedata

from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.checks.pipeline import run_rules
from monitor.errors import InputError
from monitor.reading.normalise import nfkc
from monitor.reading.report import read_report

SEED_TEXT = [p.read_text(encoding="utf-8") for p in SEEDS.values()]
ALPHABET = st.sampled_from(
    [*list('一二三四五六、,()|?0123456789 \n\t总计规章年度报告<>/td tr table rowspan="2"'), "\u3000", "\xa0"]
)


def check(data: bytes) -> None:
    try:
        report = read_report(data, "fuzz")
    except InputError as exc:
        message = str(exc)
        assert message  # the property: every refusal says why
        return
    for f in run_rules(report):
        assert f.message
        assert f.severity in ("error", "warning")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    check(data)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=3000))
def test_report_like_noise(text):
    check(text.encode("utf-8"))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 4),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["delete", "duplicate", "shuffle", "truncate", "html"]),
)
def test_mangled_seeds(index, seed, how):
    rng = random.Random(seed)
    lines = SEED_TEXT[index].split("\n")
    if how == "delete":
        del lines[rng.randrange(len(lines)) :][: rng.randrange(1, 40)]
    elif how == "duplicate":
        at = rng.randrange(len(lines))
        lines[at:at] = lines[at : at + rng.randrange(1, 60)]
    elif how == "shuffle":
        at = rng.randrange(len(lines))
        window = lines[at : at + 30]
        rng.shuffle(window)
        lines[at : at + 30] = window
    elif how == "truncate":
        lines = lines[: rng.randrange(len(lines))]
    else:
        lines = [
            "<table><tr><td rowspan=9999 colspan=9999>" + x + "</td></tr>" if rng.random() < 0.2 else x for x in lines
        ]
    check("\n".join(lines).encode("utf-8"))


# NFKC a run at a time between ideographs (``normalise.nfkc``): ideographs among what decomposes, composes, reorders
# or widens around them (a letter and its marks, Hangul jamo, full-width forms, compatibility ideographs, Kangxi
# radicals, circled and parenthesised ideographs, a ligature), and any character at all
NFKC_PIECES = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(
        ["e", "A", "\u0301", "\u0323\u0302", "\u302a", "\u3099", "\u304b\u3099", "\u1100\u1161\u11a8", "e\u0301"]
    ),
    st.sampled_from(
        ["，", "（）", "　", "１２", "Ａ", "\uf900", "\u2f00", "\u3220", "\u32c0", "\ufb01", "\u2460", "\xa0"]
    ),
    st.characters(),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(NFKC_PIECES, max_size=40).map("".join))
def test_nfkc_between_ideographs_is_nfkc(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_every_ideograph_is_a_stable_code_point_of_nfkc():
    """What ``normalise.nfkc`` rests on, for each of U+4E00-U+9FFF: NFKC leaves it, its combining class is 0, and no
    character decomposes canonically into a pair holding it (so nothing composes with it, before or after)."""
    block = range(0x4E00, 0xA000)
    assert all(unicodedata.normalize("NFKC", chr(c)) == chr(c) and unicodedata.combining(chr(c)) == 0 for c in block)
    pairs = (unicodedata.decomposition(chr(c)).split() for c in range(0x110000))
    assert not [
        p for p in pairs if len(p) == 2 and not p[0].startswith("<") and any(0x4E00 <= int(x, 16) < 0xA000 for x in p)
    ]
