"""Stage: rules (prose). Numbers stated in the report's prose, compared with its tables.

A prose number is compared only when its phrase names exactly the cells it is compared with (``PHRASES``,
each seen on a real page): "予以公开78件" is (一)'s total; "予以公开及部分公开5件" is (一)+(二), never (二)
alone; "行政诉讼4件" is both lawsuit totals, but "行政诉讼一审审结3件" is not a total and is left alone. A
number needs its unit 件/起 after it; approximate ones (近/约/超过/余/多) and sentences about a narrower scope
(本级) are skipped, and so is any table cell not read with certainty. Percentages are recomputed from the
counts they name: an outcome's share of (七)总计, an appeal result's share of the cases (or of those decided,
已审结), and "…率/占比 P%" where the sentence names both counts (the total before 其中, the part after it).
A prose check that cries wolf costs more than one that stays silent, so anything less clear is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from monitor.model import Report
from monitor.statute import OTHER, OTHER_2021, OUTCOME_ROWS, REJECTED, UNAVAILABLE, WITHHELD

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


_HEADING = re.compile(r"^[一二三四五六七八九十]+、|^\([一二三四五六七八九十]+\)")


def prose(report: Report) -> list[str]:
    """Sentences of prose: lines that are not table rows, a paragraph wrapped over several lines (PDF, Markdown)
    joined again, spaces dropped (Chinese prose has none: "办结 69 件" is "办结69件"), split at 。."""
    out: list[str] = []
    paragraph = ""
    for line in [*report.lines, ""]:
        long = len(line) >= 12 and "|" not in line
        if long or (paragraph and line and "|" not in line and not _HEADING.match(line)):
            paragraph += line  # a prose line, or the short last line of a wrapped paragraph
            if not re.search(r"[。!;:]$", line) and long:
                continue
        if paragraph:
            out.extend(s for s in re.split(r"[。!]", "".join(paragraph.split())) if s)
        paragraph = ""
    return out


def _approximate(sentence: str, start: int) -> bool:
    before = sentence[max(0, start - 2) : start]
    return any(w in before for w in ("近", "约", "超", "逾", "达"))


def _claims(report: Report, sentence: str) -> Iterator[tuple[re.Match[str], str, str, str | None, list[int | None]]]:
    """(match, what it names, table, row, the values it may be compared with) for each count in the sentence."""
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
        for m in re.finditer(p.pattern, sentence):
            yield m, p.label, p.table, p.row, p.get(report)


_OTHER_TIME = re.compile(r"去年|同比|较上年|比上年|与上年|上年为|上年共|上一年度共|较\d{4}年|与\d{4}年")
_CHANNEL = re.compile(r"网上|网络|在线|当面|现场|信函|邮寄|传真|电话|电子邮件|邮箱|平台|窗口|热线")
_ANOTHER_BODY = re.compile(
    r"(?<![我本])[\u4e00-\u9fff]{2,}(局|委员会|委|中心|街道办事处|街道|镇|乡)(共|依法)?(收到|受理|办理)"
)
_OTHER_CASES = re.compile(r"非政府信息公开|各类行政复议|各级行政机关")


_NAMED_COUNT = re.compile(r"公开|提供|处理|复议|诉讼|结转|办结|维持|纠正|审结")


def _not_the_cells(report: Report, sentence: str, m: re.Match[str], table: str, row: str | None) -> bool:
    """A count whose sentence speaks of something other than the cells it would be compared with: another year,
    one channel or one body of several, cases of another kind, a breakdown or an inclusive count."""
    years = {int(y) for y in re.findall(r"(20\d{2})年", sentence)}
    if _OTHER_TIME.search(sentence) or (report.year and any(y < report.year for y in years)):
        return True
    gap = m.group(0)
    if _CHANNEL.search(sentence[max(0, m.start() - 10) : m.end()]) or _ANOTHER_BODY.search(sentence):
        return True
    if table == "appeals" and _OTHER_CASES.search(sentence):
        return True
    if row == "new" and re.search(r"复议|诉讼", gap):
        return True
    if row == "handled_total" and re.search(r"上年|结转", gap):  # "办结上年结转申请1件": the carried-over ones
        return True
    clause = re.split(r"[;；]", sentence[m.end() :], maxsplit=1)[0]
    if re.match(r"\s*[(（]?(含|包括|其中)", clause):
        return True  # "同意公开35件（含部分公开5件）": a count that includes another
    following = _COUNT.search(clause)  # "不予公开1件属于…、6件属于…": a breakdown, not a list of outcomes
    return following is not None and not _NAMED_COUNT.search(clause[: following.start()])


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
            accepted = [v for v in values if v is not None]
            if not accepted or stated in accepted:
                continue
            seen.add((label, stated))
            quote = re.sub(r"[“”\"’]", "", m.group(0))
            yield Discrepancy(
                "mismatch", f"正文写“{quote}”，但表中{label}为{accepted[0]}", table, row, accepted[0], stated
            )
        upheld = re.search(r"(复议|诉讼)[^,;。]{0,12}?(均获维持|均被维持|全部维持|均维持)", sentence)
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
        if re.search(r"(已|均)全部(答复|办结)|(所有|全部)申请均已?(按时|依法)?(答复|办结)", sentence):
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
