"""The prose's phrasings, as data: how a report's sentences name a table's cells (予以公开N件, 行政复议N件…)
by year of format, the outcome names and how they join (及/和/、), and the words that make a sentence speak of
something narrower (本级, 办公室) so that it is not compared with the table."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from monitor.model import OTHER, OTHER_2021, REJECTED, UNAVAILABLE, WITHHELD, Report

N = r"(?<![\d.])(\d+)(?:件|起)"


TOTAL = N + r"(?![(（]?(?:一审|二审|审结|判决|结案))"  # "行政诉讼3件(一审)" is not the total


QUOTE = r"[”\"’]?"


# Words that put a sentence's numbers in a narrower scope than the tables' (corpus/002: "区政府办代表区政府受理
# 政府信息公开申请17件" while section 三 counts 95 for the whole district)
NARROWER = ("本级", "政府办", "办公室", "办公厅", "代表区政府", "代表市政府", "代表县政府")


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # "mismatch" | "percentage"
    message: str
    table: str
    row: str | None
    expected: int | float | None
    actual: int | float | None


def _total(report: Report, table: str, *rows: str) -> int | None:
    """The sum of the rows' 总计 cells, or None unless every one was read with certainty."""
    t = report.tables.get(table)
    if t is None or not rows:
        return None
    total = 0
    for row in rows:
        v = t.rows.get(row, {}).get("total")
        if v is None or v.number is None or v.doubt:
            return None
        total += int(v.number)
    return total


def _total_of(report: Report, rows: tuple[str, ...], columns: tuple[str, ...]) -> int | None:
    """The sum of section 四's cells of ``rows`` × ``columns``, or None unless every one was read for certain."""
    t = report.tables.get("appeals")
    total = 0
    for row in rows:
        for column in columns:
            v = t.rows.get(row, {}).get(column) if t is not None else None
            if v is None or v.number is None or v.doubt:
                return None
            total += int(v.number)
    return total


def _other_rows(report: Report) -> tuple[str, ...]:
    t = report.tables["applications"]
    if t.format == "2021" or any(r in t.rows for r in OTHER_2021):
        return OTHER_2021
    return ("other",) if "other" in t.rows else ()


# ---------------------------------------------------------------- the outcomes of section 三, by the names prose uses
Getter = Callable[[Report], list[int | None]]


A = "applications"


OUTCOME_NAMES: dict[str, tuple[str, ...]] = {
    # name as written -> the rows it names (seen on: seeds/003 莱西, corpus/010 平潭公安局, corpus/007 上海科委)
    "予以公开": ("granted",),
    "同意公开": ("granted",),  # corpus/010 "同意公开3件", corpus/007 "同意公开答复 9 件"
    "部分公开": ("partly_granted",),
    "区分处理后公开": ("partly_granted",),  # corpus/010 "区分处理后公开1件"
    "不予公开": WITHHELD,
    "无法提供": UNAVAILABLE,
    "不予处理": REJECTED,
    "其他处理": OTHER,  # one row (2019) or three (2021): as the report has them
}


def _rows_named(report: Report, name: str) -> tuple[str, ...]:
    return _other_rows(report) if OUTCOME_NAMES[name] == OTHER else OUTCOME_NAMES[name]


_NAMES = "|".join(sorted(OUTCOME_NAMES, key=len, reverse=True))


_JOIN = r"(?:及|和|与|、|以及)"


# between the name and its number: "的", "答复", "告知", "信息"… but never another outcome, 其中 or 占
_FILL = rf"{QUOTE}(?:(?!{_NAMES}|其中|占|一审|二审|审结)[^,;。:\d%]){{0,8}}?"


_OUTCOMES = re.compile(rf"(?<!不)(?P<names>(?:{_NAMES})(?:{_JOIN}(?:{_NAMES}))*){_FILL}{N}")


@dataclass(frozen=True)
class Phrase:
    """A phrasing of a count, what it is compared with (several accepted values: some reports count
    上年结转 in 新收), and the real page it was seen on."""

    pattern: str
    label: str
    table: str
    row: str | None
    get: Getter
    seen: str
    _rx: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rx", re.compile(self.pattern))

    def finditer(self, sentence: str) -> Iterator[re.Match[str]]:
        return self._rx.finditer(sentence)


@lru_cache(maxsize=16)  # one report's sentences ask for the phrasings of its year hundreds of times
def _phrases(year: int | None) -> tuple[Phrase, ...]:
    nxt = str(year + 1) if year else r"\d{4}"
    new = lambda r: [_total(r, A, "new"), _total(r, A, "new", "carried_over")]  # noqa: E731
    return (
        Phrase(
            r"(?:新收|收到|接收|受理)[^,;。:\d]{0,14}?申请(?:总数|总量|数量)?(?:共计|共|为|合计)?" + N,
            "本年新收申请",
            A,
            "new",
            new,
            "seeds/003 莱西 全年新收到政府信息公开申请206件",
        ),
        Phrase(  # a longer qualifier, where it says it counts every kind (not 法人…提出的, 上级转办的, 涉及…方面的)
            r"(?:新收|收到|接收|受理)[^,;。:\d]{0,14}?(?:各类|所有|公民、?法人(?:和|或者?|及)其他组织)[^,;。:\d]{0,10}?"
            r"申请(?:共计|共|为|合计)?" + N,
            "本年新收申请",
            A,
            "new",
            new,
            "corpus/010 收到群众通过邮寄、网络提交的各类政府信息公开申请共计8件",
        ),
        Phrase(
            r"(?:新收|收到|接收|受理)(?:共)?" + N + "(?:政府信息公开)?申请",
            "本年新收申请",
            A,
            "new",
            new,
            "corpus/005 共收到70件申请",
        ),
        Phrase(r"申请(?:总数|总量)(?:为|共|合计)?" + N, "本年新收申请", A, "new", new, "seeds/000 通辽 申请总数239件"),
        Phrase(
            r"(?:上一?年度?结转|结转上一?年度?)[^,;。:\d]{0,10}?" + N,
            "上年结转",
            A,
            "carried_over",
            lambda r: [_total(r, A, "carried_over")],
            "seeds/001 泸州 结转上年38件",
        ),
        Phrase(
            r"(?<![一二]审)(?<!审)办结[^,;。:\d]{0,6}?" + N,
            "办理结果总计",
            A,
            "handled_total",
            lambda r: [_total(r, A, "handled_total")],
            "seeds/001 泸州 办结972件",
        ),
        Phrase(
            rf"结转(?:至{nxt}年|下一?年度?)(?:继续办理)?[^,;。:\d]{{0,8}}?" + N,
            "结转下年度继续办理",
            A,
            "carried_forward",
            lambda r: [_total(r, A, "carried_forward")],
            "seeds/001 泸州 结转下年度继续办理31件",
        ),
        Phrase(
            N + r"(?:申请)?(?:结转|顺延)(?:到|至)?(?:下一?年度?|" + nxt + "年)",
            "结转下年度继续办理",
            A,
            "carried_forward",
            lambda r: [_total(r, A, "carried_forward")],
            "corpus/003 淮安 另有103件顺延到下年度; corpus/005 1件结转下年度继续办理",
        ),
        Phrase(
            r"(?:引发|发生|被申请|收到)?行政复议(?:案件|申请)?(?:共计|共|合计)?" + TOTAL,
            "行政复议总计",
            "appeals",
            "review",
            lambda r: [_total(r, "appeals", "review")],
            "seeds/001 泸州 因依申请公开引发行政复议26件",
        ),
        Phrase(
            r"行政诉讼(?:案件)?(?:共计|共|合计)?" + TOTAL,
            "行政诉讼总计",
            "appeals",
            None,
            lambda r: [_total(r, "appeals", "suit_direct", "suit_after_review")],
            "seeds/001 泸州 行政诉讼17件; corpus/003 淮安 政府信息公开行政诉讼 46 件",
        ),
    )
