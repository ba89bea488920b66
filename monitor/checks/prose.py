"""Checks of the prose against the tables: counts the sentences state (only tight phrasings: never 近/约/余,
other years, channels, other bodies or breakdowns), and percentages against their numerator and base (named
rates, shares of a total, a sum over 100%)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from monitor.checks.phrases import (
    _JOIN,
    _NAMES,
    _OUTCOMES,
    NARROWER,
    OUTCOME_NAMES,
    A,
    Discrepancy,
    _phrases,
    _rows_named,
    _total,
    _total_of,
)
from monitor.checks.registry import Context, rule
from monitor.model import (
    OUTCOME_ROWS,
    Finding,
    Report,
)

_HEADING = re.compile(r"^[一二三四五六七八九十]+、|^\([一二三四五六七八九十]+\)")


_SENTENCE_END = re.compile(r"[。!;:]$")


_FULL_STOP = re.compile(r"[。!]")


def prose(report: Report) -> tuple[str, ...]:
    """Sentences of prose: lines that are not table rows, a paragraph wrapped over several lines (PDF, Markdown)
    joined again, spaces dropped (Chinese prose has none: "办结 69 件" is "办结69件"), split at 。."""
    return _sentences(report.text)


@lru_cache(maxsize=8)  # each report's counts, then its percentages
def _sentences(text: str) -> tuple[str, ...]:
    out: list[str] = []
    paragraph = ""
    for line in [*text.split("\n"), ""]:
        long = len(line) >= 12 and "|" not in line
        if long or (paragraph and line and "|" not in line and not _HEADING.match(line)):
            paragraph += line  # a prose line, or the short last line of a wrapped paragraph
            if not _SENTENCE_END.search(line) and long:
                continue
        if paragraph:
            out.extend(s for s in _FULL_STOP.split("".join(paragraph.split())) if s)
        paragraph = ""
    return tuple(out)


def _approximate(sentence: str, start: int) -> bool:
    before = sentence[max(0, start - 2) : start]
    return any(w in before for w in ("近", "约", "超", "逾", "达"))


_COUNTED = re.compile(r"\d[件起]")


def _claims(report: Report, sentence: str) -> Iterator[tuple[re.Match[str], str, str, str | None, list[int | None]]]:
    """(match, what it names, table, row, the values it may be compared with) for each count in the sentence."""
    if not _COUNTED.search(sentence):  # every phrasing ends on its count, N: a digit then 件 or 起
        return
    for m in _OUTCOMES.finditer(sentence):
        names = re.split(_JOIN, m.group("names"))
        rows = tuple(r for n in names for r in _rows_named(report, n))
        label = "、".join(names) if len(names) > 1 else names[0]
        single = len(names) == 1 and len(rows) == 1
        values = [_total(report, A, *rows)] if rows else []
        if names[0] == "无法提供" and len(names) == 1:
            values.append(_total(report, A, "unavailable_not_held"))  # some reports count (四)1 only
        yield m, (label if single else f"{label}之和"), A, rows[0] if single else None, values
    for p in _phrases(report.year):
        for m in p.finditer(sentence):
            yield m, p.label, p.table, p.row, p.get(report)


_OTHER_TIME = re.compile(r"去年|同比|较上年|比上年|与上年|上年为|上年共|上一年度共|较\d{4}年|与\d{4}年")


_CHANNEL = re.compile(r"网上|网络|在线|当面|现场|信函|邮寄|传真|电话|电子邮件|邮箱|平台|窗口|热线")


@cache
def _another_body() -> re.Pattern[str]:
    """Compiled when a count in prose is first compared with the cells (a class of 21,000 characters: ~1 ms at
    every start otherwise)."""
    return re.compile(
        r"(?<![我本])[\u4e00-\u9fff]{2,}(局|委员会|委|中心|街道办事处|街道|镇|乡)(共|依法)?(收到|受理|办理)"
    )


_ALL_OF = re.compile(r"各类|所有|全部")


def _one_channel(words: str) -> bool:
    """Whether a count's words name it as one channel's (通过网络提交的申请5件; 当面、信函方式收到申请共计3件: two of
    three); not where they list channels and count every kind (通过邮寄、网络提交的各类…申请共计8件: corpus 010's own
    sentence, review 108)."""
    channels = set(_CHANNEL.findall(words))
    return bool(channels) and not (len(channels) >= 2 and _ALL_OF.search(words))


_OTHER_CASES = re.compile(r"非政府信息公开|各类行政复议|各级行政机关")


_NAMED_COUNT = re.compile(r"公开|提供|处理|复议|诉讼|结转|办结|维持|纠正|审结")


def _not_the_cells(report: Report, sentence: str, m: re.Match[str], table: str, row: str | None) -> bool:
    """A count whose sentence speaks of something other than the cells it would be compared with: another year,
    one channel or one body of several, cases of another kind, a breakdown or an inclusive count."""
    years = {int(y) for y in re.findall(r"(20\d{2})年", sentence)}
    if _OTHER_TIME.search(sentence) or (report.year and any(y < report.year for y in years)):
        return True
    gap = m.group(0)
    near = sentence[max(0, m.start() - 10) : m.end()]
    if _one_channel(near) or _another_body().search(sentence):
        return True
    if table == "appeals" and _OTHER_CASES.search(sentence):
        return True
    if row == "new" and re.search(r"复议|诉讼", gap):
        return True
    if row == "new" and "其中" in sentence[: m.start()] and not gap.startswith("新收"):
        return True  # "其中，通过网上平台收到申请7件": a part of what the sentence counted first (review 110)
    if row == "handled_total" and re.search(r"上年|结转", gap):  # "办结上年结转申请1件": the carried-over ones
        return True
    clause = re.split(r"[;；]", sentence[m.end() :], maxsplit=1)[0]
    if re.match(r"\s*[(（]?(含|包括|其中)", clause):
        return True  # "同意公开35件（含部分公开5件）": a count that includes another
    # "不予公开1件属于…、6件属于…": a breakdown, not a list of outcomes; counts after a comma are a sentence's next
    # clause (共计8件,申请事项涉及政策法规信息1件、…: its topics, corpus 010; review 108)
    clause = re.split(r"[,，。]", clause, maxsplit=1)[0]
    following = _COUNT.search(clause)
    return following is not None and not _NAMED_COUNT.search(clause[: following.start()])


_ALL_UPHELD = re.compile(r"(复议|诉讼)[^,;。]{0,12}?(均获维持|均被维持|全部维持|均维持)")


_ALL_ANSWERED = re.compile(r"(已|均)全部(答复|办结)|(所有|全部)申请均已?(按时|依法)?(答复|办结)")


def mismatches(report: Report) -> Iterator[Discrepancy]:
    seen: set[tuple[str, int]] = set()
    for sentence in prose(report):
        if any(w in sentence for w in NARROWER):
            continue  # the table may cover the whole area, the sentence only the body itself or its office
        for m, label, table, row, values in _claims(report, sentence):
            stated = int(m.group(m.lastindex or 1))
            if _approximate(sentence, m.start(m.lastindex or 1)) or (label, stated) in seen:
                continue
            if _not_the_cells(report, sentence, m, table, row):
                continue
            # the cells it names, first, then other readings that also agree (some reports count (四)1 only as
            # 无法提供): a mismatch only against the cells named, read for certain (a blank among them: unknown)
            cells = values[0] if values else None
            if cells is None or stated in values or None in values:  # (a reading not known may be the one)
                continue
            seen.add((label, stated))
            quote = re.sub(r"[“”\"’]", "", m.group(0))
            yield Discrepancy("mismatch", f"正文写“{quote}”，但表中{label}为{cells}", table, row, cells, stated)
        upheld = _ALL_UPHELD.search(sentence)
        if upheld and ("均获维持", 0) not in seen and not _OTHER_CASES.search(sentence):
            rows = ("review",) if upheld.group(1) == "复议" else ("suit_direct", "suit_after_review")
            other = _total_of(report, rows, ("corrected", "other", "pending"))
            if other:
                seen.add(("均获维持", 0))
                yield Discrepancy(
                    "mismatch",
                    f"正文称“{upheld.group(0)}”，但表中纠正、其他结果或尚未审结共{other}件",
                    "appeals",
                    rows[0],
                    0,
                    other,
                )
        if _ALL_ANSWERED.search(sentence):
            later = _total(report, A, "carried_forward")
            if later and ("结转下年度继续办理", -1) not in seen:
                seen.add(("结转下年度继续办理", -1))
                yield Discrepancy(
                    "mismatch",
                    f"正文称申请“已全部答复/办结”，但表中结转下年度继续办理为{later}",
                    A,
                    "carried_forward",
                    0,
                    later,
                )


# ---------------------------------------------------------------- percentages
APPEAL_RESULTS = ("维持", "纠正", "其他结果", "尚未审结")


_PCT = re.compile(
    rf"(?<!不)({_NAMES}|{'|'.join(APPEAL_RESULTS)})"
    r"[”\"’]?[^,;。:\d]{0,6}?(?<![\d.])(\d+)件[,、]?\s*(?:所)?占(?:比例?为?|比)?(?P<basis>[^,;。\d%]{0,12}?)(\d+(?:\.\d+)?)%"
)


# "…共N件，其中…M件，…率P%": a rate whose two counts the sentence names (the total before 其中, the part after it)
_RATE = re.compile(r"(?P<name>[\u4e00-\u9fff]{1,4})率(?:为|是|达)?(\d+(?:\.\d+)?)%")


_COUNT = re.compile(r"(?<![\d.])(\d+)件")


def _denominators(report: Report, sentence: str, m: re.Match[str]) -> list[int]:
    """The counts a share may be of: an outcome's, of (七)总计, or of the applications received (a sentence may
    name those as its base); an appeal result's, of the cases, or of those decided (已审结)."""
    if m.group(1) in OUTCOME_NAMES:
        bases = [_total(report, A, "handled_total"), _total(report, A, "new"), _total(report, A, "new", "carried_over")]
        return [b for b in bases if b]
    base = _appeal_base(report, sentence, m)
    return [base] if base else []


def _appeal_base(report: Report, sentence: str, m: re.Match[str]) -> int | None:
    before = sentence[: m.start()]
    review, suit = before.rfind("复议"), before.rfind("诉讼")
    rows = ("review",) if review > suit else ("suit_direct", "suit_after_review")
    total = _total(report, "appeals", *rows)
    if total is None:
        return None
    if "审结" in m.group("basis"):
        t = report.tables["appeals"]
        pending = [t.rows.get(r, {}).get("pending") for r in rows]
        if any(p is None or p.doubt for p in pending):
            return None
        total -= sum(int(p.number or 0) for p in pending if p is not None)
    return total


def _places(printed: str) -> Decimal:
    return Decimal(1).scaleb(-len(printed.split(".")[1])) if "." in printed else Decimal(1)


def _agrees(count: int, base: int, printed: str) -> tuple[bool, Decimal]:
    """Whether the printed percentage is count/base at its printed precision (rounded or truncated)."""
    places = _places(printed)
    exact = Decimal(count) * 100 / Decimal(base)
    ok = Decimal(printed) in (exact.quantize(places, ROUND_HALF_UP), exact.quantize(places, ROUND_DOWN))
    return ok, exact.quantize(places, ROUND_HALF_UP)


def _named_rates(sentence: str) -> Iterator[tuple[re.Match[str], int, int]]:
    """Rates whose counts the sentence names: the total before 其中, and after it the one count whose own words
    name the rate (…其中维持7件，纠错2件，纠错率20%: 纠错 2 of 10)."""
    split = sentence.find("其中")
    if split < 0:
        return
    totals = list(_COUNT.finditer(sentence, 0, split))
    for m in _RATE.finditer(sentence, split):
        name = m.group("name")[-2:]
        named = [
            c
            for c in _COUNT.finditer(sentence, split, m.start())
            if any(ch in sentence[max(split, c.start() - 6) : c.start()] for ch in name)
        ]
        if not totals or len(named) != 1 or _approximate(sentence, named[0].start()):
            continue
        yield m, int(named[0].group(1)), int(totals[-1].group(1))


def percentages(report: Report) -> Iterator[Discrepancy]:
    for sentence in prose(report):
        if "%" not in sentence:  # each share (_PCT) and rate (_RATE) ends on its percent sign
            continue
        shares: list[tuple[Decimal, Decimal]] = []  # outcome shares and their rounding allowance
        for m in _PCT.finditer(sentence):
            count, printed = int(m.group(2)), m.group(4)
            if m.group(1) in OUTCOME_NAMES:
                shares.append((Decimal(printed), _places(printed)))
            bases = _denominators(report, sentence, m)
            if not bases:
                continue
            base = bases[0]
            ok, right = _agrees(count, base, printed)
            if not ok and not any(_agrees(count, other, printed)[0] for other in bases[1:]):
                yield Discrepancy(
                    "percentage",
                    f"正文写“{m.group(0)}”，按{count}/{base}计算应为{right}%",
                    "appeals" if m.group(1) not in OUTCOME_NAMES else A,
                    None,
                    float(right),
                    float(printed),
                )
        for m, count, base in _named_rates(sentence):
            printed = m.group(2)
            ok, right = _agrees(count, base, printed) if base else (True, Decimal(0))
            if not ok:
                yield Discrepancy(
                    "percentage",
                    f"正文写“{m.group(0)}”，按其前文的{count}件/{base}件计算应为{right}%",
                    "appeals",
                    None,
                    float(right),
                    float(printed),
                )
        total = sum((s for s, _ in shares), Decimal(0))
        if len(shares) >= 2 and total > 100 + sum(p for _, p in shares):
            yield Discrepancy(
                "percentage", f"正文中各办理结果所占比例合计{total}%，超过100%", A, None, 100, float(total)
            )


__all__ = ["OUTCOME_ROWS", "Discrepancy", "mismatches", "percentages", "prose"]


@rule("narrative.mismatch", "warning", "正文中写明的数字与表格不一致")
def narrative_mismatch(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for d in mismatches(ctx.report):
        yield make(
            d.message, table=d.table, row=d.row, column="total" if d.row else None, expected=d.expected, actual=d.actual
        )


@rule("narrative.percentage", "warning", "正文中的百分比与其分子分母不符，或各项比例合计超过100%")
def narrative_percentage(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for d in percentages(ctx.report):
        yield make(d.message, table=d.table, expected=d.expected, actual=d.actual)
