"""Stage: rules (prose). Numbers stated in the report's prose, compared with its tables.

Only tight phrasings are read ("予以公开78件", "办结193件", "行政复议16件"): a number
needs its unit 件/起 right after it, and approximate ones (近/约/超过/余/多) or sentences
about a narrower scope (本级) are skipped. A prose check that cries wolf costs more
than one that stays silent, so anything less clear is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from monitor.model import Report

N = r"(?<![\d.])(\d+)(?:件|起)"
Q = r"[”\"’]?[^,;。:\d]{0,3}?"


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # "mismatch" | "percentage"
    message: str
    table: str
    row: str | None
    expected: int | float | None
    actual: int | float | None


def _total(report: Report, table: str, *rows: str) -> int | None:
    t = report.tables.get(table)
    if t is None:
        return None
    total = 0
    for row in rows:
        v = t.rows.get(row, {}).get("total")
        if v is None or v.number is None:
            return None
        total += int(v.number)
    return total


def _present(report: Report, *rows: str) -> tuple[str, ...]:
    t = report.tables["applications"]
    return tuple(r for r in rows if r in t.rows)


Getter = Callable[[Report], list[int | None]]
WITHHELD = (
    "withheld_state_secret",
    "withheld_prohibited",
    "withheld_security",
    "withheld_third_party",
    "withheld_internal",
    "withheld_process",
    "withheld_enforcement",
    "withheld_inquiry",
)
UNAVAILABLE = ("unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear")
REJECTED = (
    "rejected_complaint",
    "rejected_repeat",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirmation",
)
OTHER = ("other", "other_no_correction", "other_no_fee", "other_misc")


def _claims(year: int | None) -> list[tuple[re.Pattern[str], str, str, str | None, Getter]]:
    nxt = str(year + 1) if year else r"\d{4}"
    a = "applications"
    spec: list[tuple[str, str, str, str | None, Getter]] = [
        (
            r"(?:新收|收到|接收|受理)[^,;。:\d]{0,14}?申请(?:总数|总量|数量)?(?:共计|共|为|合计)?" + N,
            "本年新收申请",
            a,
            "new",
            lambda r: [_total(r, a, "new"), _total(r, a, "new", "carried_over")],
        ),
        (
            r"申请(?:总数|总量)(?:为|共|合计)?" + N,
            "本年新收申请",
            a,
            "new",
            lambda r: [_total(r, a, "new"), _total(r, a, "new", "carried_over")],
        ),
        (
            r"(?:上一?年度?结转|结转上一?年度?)[^,;。:\d]{0,10}?" + N,
            "上年结转",
            a,
            "carried_over",
            lambda r: [_total(r, a, "carried_over")],
        ),
        (r"办结[^,;。:\d]{0,6}?" + N, "办理结果总计", a, "handled_total", lambda r: [_total(r, a, "handled_total")]),
        (
            rf"结转(?:至{nxt}年|下一?年度?)(?:继续办理)?[^,;。:\d]{{0,8}}?" + N,
            "结转下年度继续办理",
            a,
            "carried_forward",
            lambda r: [_total(r, a, "carried_forward")],
        ),
        (r"予以公开" + Q + N, "予以公开", a, "granted", lambda r: [_total(r, a, "granted")]),
        (r"部分公开" + Q + N, "部分公开", a, "partly_granted", lambda r: [_total(r, a, "partly_granted")]),
        (r"不予公开" + Q + N, "不予公开各项之和", a, None, lambda r: [_total(r, a, *WITHHELD)]),
        (
            r"无法提供" + Q + N,
            "无法提供各项之和",
            a,
            None,
            lambda r: [_total(r, a, *UNAVAILABLE), _total(r, a, "unavailable_not_held")],
        ),
        (r"不予处理" + Q + N, "不予处理各项之和", a, None, lambda r: [_total(r, a, *REJECTED)]),
        (
            r"其他处理" + Q + N,
            "其他处理",
            a,
            None,
            lambda r: [_total(r, a, *_present(r, *OTHER)) if _present(r, *OTHER) else None],
        ),
        (
            r"行政复议(?:案件)?(?:共)?" + N,
            "行政复议总计",
            "appeals",
            "review",
            lambda r: [_total(r, "appeals", "review")],
        ),
        (
            r"行政诉讼(?:案件)?(?:共)?" + N,
            "行政诉讼总计",
            "appeals",
            None,
            lambda r: [_total(r, "appeals", "suit_direct", "suit_after_review")],
        ),
    ]
    return [(re.compile(p), label, table, row, get) for p, label, table, row, get in spec]


def prose(report: Report) -> list[str]:
    """Sentences of prose: lines that are not table rows, split at 。."""
    out: list[str] = []
    for line in report.lines:
        if len(line) >= 12 and "|" not in line:
            out.extend(s for s in re.split(r"[。!]", line) if s)
    return out


def _approximate(sentence: str, start: int) -> bool:
    before = sentence[max(0, start - 2) : start]
    return any(w in before for w in ("近", "约", "超", "逾", "达"))


def mismatches(report: Report) -> Iterator[Discrepancy]:
    seen: set[tuple[str, int]] = set()
    claims = _claims(report.year)
    for sentence in prose(report):
        if "本级" in sentence:
            continue  # the table may cover the whole area, the sentence only the body itself
        for rx, label, table, row, get in claims:
            for m in rx.finditer(sentence):
                stated = int(m.group(1))
                if _approximate(sentence, m.start(1)) or (label, stated) in seen:
                    continue
                accepted = [v for v in get(report) if v is not None]
                if not accepted or stated in accepted:
                    continue
                seen.add((label, stated))
                quote = re.sub(r"[“”\"’]", "", m.group(0))
                yield Discrepancy(
                    "mismatch", f"正文写“{quote}”，但表中{label}为{accepted[0]}", table, row, accepted[0], stated
                )
        if re.search(r"(已|均)全部(答复|办结)", sentence):
            later = _total(report, "applications", "carried_forward")
            if later and ("结转下年度继续办理", -1) not in seen:
                seen.add(("结转下年度继续办理", -1))
                yield Discrepancy(
                    "mismatch",
                    f"正文称申请“已全部答复/办结”，但表中结转下年度继续办理为{later}",
                    "applications",
                    "carried_forward",
                    0,
                    later,
                )


OUTCOMES = ("予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理")
_PCT = re.compile(
    r"(予以公开|部分公开|不予公开|无法提供|不予处理|其他处理|维持|纠正|其他结果|尚未审结)"
    r"[”\"’]?[^,;。:\d]{0,6}?(?<![\d.])(\d+)件,?\s*占(?P<basis>[^,;。\d%]{0,12}?)(\d+(?:\.\d+)?)%"
)


def _denominator(report: Report, sentence: str, m: re.Match[str]) -> int | None:
    if m.group(1) in OUTCOMES:
        return _total(report, "applications", "handled_total")
    before = sentence[: m.start()]
    review, suit = before.rfind("复议"), before.rfind("诉讼")
    rows = ("review",) if review > suit else ("suit_direct", "suit_after_review")
    total = _total(report, "appeals", *rows)
    if total is None:
        return None
    if "审结" in m.group("basis"):
        t = report.tables["appeals"]
        pending = [t.rows.get(r, {}).get("pending") for r in rows]
        if any(p is None for p in pending):
            return None
        total -= sum(int(p.number or 0) for p in pending if p is not None)
    return total


def _agrees(count: int, base: int, printed: str) -> tuple[bool, Decimal]:
    places = Decimal(1).scaleb(-len(printed.split(".")[1])) if "." in printed else Decimal(1)
    exact = Decimal(count) * 100 / Decimal(base)
    shown = Decimal(printed)
    ok = shown in (exact.quantize(places, ROUND_HALF_UP), exact.quantize(places, ROUND_DOWN))
    return ok, exact.quantize(places, ROUND_HALF_UP)


def percentages(report: Report) -> Iterator[Discrepancy]:
    for sentence in prose(report):
        shares: list[tuple[Decimal, Decimal]] = []  # outcome shares and their rounding allowance
        for m in _PCT.finditer(sentence):
            count, printed = int(m.group(2)), m.group(4)
            if m.group(1) in OUTCOMES:
                places = Decimal(1).scaleb(-len(printed.split(".")[1])) if "." in printed else Decimal(1)
                shares.append((Decimal(printed), places))
            base = _denominator(report, sentence, m)
            if not base:
                continue
            ok, right = _agrees(count, base, printed)
            if not ok:
                yield Discrepancy(
                    "percentage",
                    f"正文写“{m.group(0)}”，按{count}/{base}计算应为{right}%",
                    "appeals" if m.group(1) not in OUTCOMES else "applications",
                    None,
                    float(right),
                    float(printed),
                )
        total = sum((s for s, _ in shares), Decimal(0))
        if len(shares) >= 2 and total > 100 + sum(p for _, p in shares):
            yield Discrepancy(
                "percentage", f"正文中各办理结果所占比例合计{total}%，超过100%", "applications", None, 100, float(total)
            )
