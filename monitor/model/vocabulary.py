"""How real pages say the statute's words: the variants of row labels, part headings and column headers met
on real portals (each ``Variant`` with the page it came from), which part a heading names (``part_of``), a
label's item number, and the likeness used to place a row whose label is written differently (``gaps``)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.model.statute import LABELS, RowSpec

# ---------------------------------------------------------------- column headers: words -> column key
APPLICANT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("natural_person", ("自然人",)),
    ("commercial", ("商业",)),
    ("research", ("科研",)),
    ("nonprofit", ("公益",)),
    ("legal_service", ("法律服务",)),
    ("total", ("总计", "合计")),
)


APPLICANT_OTHER = ("其他", "其它", "其他组织")  # the 其他 column: the whole header cell, never a word in it
# the organisations as one column (a whole header cell): their group over five columns, or their one column where a
# table 三 does not split them (自然人 | 法人或其他组织 | 总计: audit 14)
ORGANISATIONS = re.compile(r"^法人(?:或者?|及|和|与|/|、)?其[他它]组织(?:\(?(?:合计|小计)\)?)?(?:\(件\))?$")
ORGANISATION_WORDS = ("商业", "科研", "公益", "法律服务")  # the words of the five columns' own headers (其他 aside)


ACTIVE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("issued", ("制发",)),
    ("repealed", ("废止",)),
    ("in_force", ("现行有效", "有效件数", "现行有件")),
    ("made", ("新制作",)),
    ("published", ("新公开",)),
    ("published_total", ("公开总数", "对外公开总")),
    ("prior_items", ("上一年", "上年项目")),
    ("change", ("增/减", "增减", "增或减")),
    ("items", ("采购项目",)),
    ("amount_wan", ("金额",)),
    ("decisions", ("处理决定", "决定数量")),
)


APPEAL_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("upheld", ("维持",)),
    ("corrected", ("纠正",)),
    ("other", ("其他", "其它")),
    ("pending", ("尚未", "未审结")),
    ("total", ("总计", "合计")),
)


APPEAL_GROUP_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("suit_after_review", ("复议后",)),
    ("suit_direct", ("直接起诉", "未经复议")),
    ("review", ("复议",)),
)


# Which statutory table a block of cells is, by its words (at least three, or one after a piece of the same table)
TABLE_WORDS: dict[str, tuple[str, ...]] = {
    "applications": ("新收", "上年结转", "予以公开", "不予公开", "无法提供", "不予处理", "结转下年"),
    "appeals": ("复议", "诉讼", "维持", "纠正", "审结"),
    "active": (
        "第二十条",
        "规章",
        "规范性文件",
        "行政许可",
        "行政处罚",
        "处理决定",
        "制发",
        "新制作",
        "事业性收费",
        "集中采购",  # 2019 format: 第二十条第（九）项, a PDF page's piece of its own
    ),
}


# The header words a table's grid may hold alone: a PDF's page with the header and the first row only, the rest of
# the table on the next page (a grid's kind is told by them; a section's prose naming them is no table)
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "applications": ("申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构"),
}


# Section 二's format, from its header words: the evidence `format` is read from
ACTIVE_FORMAT_WORDS = {"2021": ("制发", "收费金额", "废止"), "2019": ("新制作", "上一年项目", "集中采购", "新公开")}


# ---------------------------------------------------------------- the six parts: what a heading says -> the part
# Checked in this order: "因政府信息公开申请行政复议" is 四, "其他需要报告的事项" is 六 whatever else it says.
PART_WORDS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        6,
        (
            "其他需要报告",
            "其它需要报告",
            "其他事项",
            "其它事项",
            "其他需报告",
            "需要报告的其他",
            "需要说明的事项",
            "其他有关事项",
            "其他应当报告",
            "信息处理费",
        ),
    ),
    (4, ("复议", "诉讼")),
    (3, ("收到和处理", "依申请公开", "依申请办理", "申请情况", "申请公开", "公开申请")),
    (2, ("主动公开",)),
    (
        5,
        (
            "存在的主要问题",
            "存在问题",
            "主要问题",
            "存在的问题",
            "改进情况",
            "改进措施",
            "整改",
            "工作计划",
            "不足",
            "困难",
            "问题与改进",
            "问题及改进",
            "下一步",
            "工作安排",
            "打算",
        ),
    ),
    (
        1,
        (
            "总体情况",
            "概述",
            "总体工作情况",
            "基本情况",
            "工作概况",
            "概况",
            "综述",
            "总述",
            "主要工作情况",
            "年度工作情况",
        ),
    ),
)


_OTHER_ONLY = re.compile(r"^[其他它]{2}$")  # "六、其他": the part of everything else


def part_of(heading: str) -> int | None:
    """The part a heading's words name (without its numeral), or None."""
    parts = parts_of(heading)
    return parts[0] if parts else None


def parts_of(heading: str) -> tuple[int, ...]:
    """The parts a heading's words name: one, or 五 and 六 where one heading holds both
    ("五、存在的主要问题、改进情况及其他需要报告的事项")."""
    if _OTHER_ONLY.match(heading):
        return (6,)
    named = [n for n, words in PART_WORDS if any(w in heading for w in words)]
    if named[:1] == [6] and 5 in named:
        return (5, 6)
    return tuple(named[:1])


# ---------------------------------------------------------------- the variants real pages write
@dataclass(frozen=True)
class Variant:
    """A way a real page writes a label or heading, what it is, and the page it was seen on."""

    what: str  # "applications" | "active" | "appeals" (a row) | "part" (a heading)
    key: str  # the row key, or the part number as a string
    text: str
    seen: str  # the page: a corpus or seed file, or where else it was seen


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "applications", "withheld_prohibited", "2.其他法律行政止公开", "corpus/001_huaian_hongze_district_2023.pdf"
    ),
    Variant(
        "applications", "other", "(六)其他处理", "corpus/001_huaian_hongze_district_2023.pdf (one row, 2019 style)"
    ),
    Variant(
        "applications", "rejected_excessive", "4.无正当理由大量反复申请", "corpus/001_huaian_hongze_district_2023.pdf"
    ),
    Variant(
        "applications",
        "partly_granted",
        "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
        "corpus/009_pingtan_social_affairs_bureau_2023.html",
    ),
    Variant(
        "applications",
        "other_no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "corpus/009_pingtan_social_affairs_bureau_2023.html",
    ),
    Variant("applications", "other_misc", "3.其他", "corpus/009_pingtan_social_affairs_bureau_2023.html"),
    Variant("applications", "handled_total", "(七)总计", "corpus/009_pingtan_social_affairs_bureau_2023.html"),
    Variant("applications", "handled_total", "()总计", "spec/report-format.md §5.7 (truncated label)"),
    Variant("applications", "other_no_correction", "1.预期不补正", "spec/report-format.md §5.7 (typo 预期)"),
    Variant("applications", "withheld_enforcement", "7.属于行政执法卷宗", "issue #22 (a real page: 案卷 written 卷宗)"),
    Variant("applications", "carried_over", "二、上年度结转政府信息公开申请数量", "issue #22 (a real page)"),
    Variant("active", "in_force", "现行有件数", "spec/report-format.md §5.7 (typo)"),
    Variant("active", "normative_documents", "规范性文件", "corpus/009_pingtan_social_affairs_bureau_2023.html"),
    Variant("part", "5", "五、存在的主要问题及整改措施", "corpus/008_shuyang_county_ndrc_2023.txt"),
    Variant("part", "5", "五、存在的主要问题及改进措施", "issue #22 (a real page)"),
    Variant("part", "5", "五、存在的主要问题及明年工作计划", "corpus/010_pingtan_public_security_bureau_2024.html"),
    Variant(
        "part", "4", "四、政府信息公开行政法复议、行政诉讼情况", "corpus/009_pingtan_social_affairs_bureau_2023.html"
    ),
    Variant(
        "part",
        "4",
        "四、因政府信息公开申请行政复议、提起行政诉讼的情况",
        "corpus/009_pingtan_social_affairs_bureau_2023.html (its preamble)",
    ),
    Variant("part", "2", "二、主动公开政府信息情况", "seeds/000_779f9be447f66d1d.txt"),
    Variant("part", "1", "一、总体情况", "seeds/000_779f9be447f66d1d.txt"),
    Variant("part", "1", "一、概述", "spec/report-format.md §1"),
    Variant("part", "6", "六、其他需要报告的事项", "seeds/000_779f9be447f66d1d.txt"),
)


# ---------------------------------------------------------------- a row placed by its position
_ITEM = re.compile(r"^(?:\([一二三四五六七]\))?(\d)[.、]")


_PREFIX = re.compile(r"^[()一二三四五六七八\d、.\s]+")  # the numbering a label starts with: "(三)7." "一、"


_NOISE = re.compile(r"[\d()、.,:;“”\"'·\s]")


def item_number(label: str) -> int | None:
    """The item number a row label starts with: "7.属于行政执法卷宗" is 7."""
    m = _ITEM.match(label)
    return int(m.group(1)) if m else None


@lru_cache(maxsize=2048)
def _bigrams(text: str) -> frozenset[str]:
    plain = _NOISE.sub("", _PREFIX.sub("", text))
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def likeness(label: str, key: str) -> float:
    """How much a label reads like the statutory label of ``key`` (Dice of character pairs, 0..1)."""
    a, b = _bigrams(label), _bigrams(LABELS.get(key, key))
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def gaps(specs: tuple[RowSpec, ...], found: dict[str, int], labels: dict[int, str]) -> dict[str, int]:
    """Rows of the template that no label named, placed by position: between the rows recognised on either
    side, an unnamed labelled row takes the one missing row there when its item number (if it has one) agrees
    and its words are not unlike; several missing rows there are paired by item number. ``found`` maps each
    recognised row to its position, ``labels`` each unrecognised row's position to its label. Returns the
    rows placed (row -> position); what cannot be paired one to one stays missing."""
    placed: dict[str, int] = {}
    order = [s.key for s in specs]
    keys = [k for k in order if k in found]
    bounds = [-1, *(found[k] for k in keys), 1 << 30]
    for lo, hi in itertools.pairwise(bounds):
        rows = sorted(p for p in labels if lo < p < hi)
        before = next((k for k in keys if found[k] == lo), None)
        after = next((k for k in keys if found[k] == hi), None)
        a = order.index(before) + 1 if before else 0
        b = order.index(after) if after else len(order)
        wanted = [s for s in specs[a:b] if s.key not in found]
        if not rows or not wanted:
            continue
        if len(rows) == 1 and len(wanted) == 1:
            spec, label = wanted[0], labels[rows[0]]
            number = item_number(label)
            if (number is None or spec.item is None or number == spec.item) and likeness(label, spec.key) >= 0.25:
                placed[spec.key] = rows[0]
            continue
        by_item = {item_number(labels[p]): p for p in rows}
        if None in by_item or len(by_item) != len(rows):
            continue
        for spec in wanted:
            if spec.item in by_item and likeness(labels[by_item[spec.item]], spec.key) >= 0.25:
                placed[spec.key] = by_item[spec.item]
    return placed
