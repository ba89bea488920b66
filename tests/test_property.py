"""Random and mangled input never crashes the checker: it returns a report or a clear InputError."""

from __future__ import annotations

import random

from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.checks.pipeline import run_rules
from monitor.errors import InputError
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
