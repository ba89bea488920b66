"""The law's template, written down once (report-format.md §1–3): the six parts and their names, the two
formats of each statutory table (2019 and 2021: rows as ``RowSpec``s, columns, canonical keys and Chinese labels),
the outcome groups the identities sum, the statutory deadlines by kind of body, and the year patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

# A 政府信息公开工作年度报告 by any of its real names: "…政府信息公开工作年度报告", "…年度政府信息公开工作报告",
# "…政府信息公开年报", "…政府信息公开年度工作报告", "…政府信息公开工作2023年度报告" (review 97), "…2023年政府信息公开
# 工作情况报告" (review 102). Not "…工作要点" or
# "…第三方评估报告". Used for listing links and for titles.
DEFAULT_LINK_PATTERN = (
    r"(政府信息公开|政务公开|信息公开)(工作)?(年度)?(工作)?(报告|年报)|年度(政府信息公开|政务公开|信息公开)(工作)?报告"
    r"|(政府信息公开|政务公开)工作\s*(?:(?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年度?报告"
    # a year's "…工作情况报告" (review 102: 2025年政府信息公开工作情况报告, 2023年度…工作情况的报告): not a quarter's
    r"|(?:(?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年度?(政府信息公开|政务公开)工作(开展)?情况的?报告"
)


# 2021年, 二〇二一年, and 二○二一年 as typed with the circle ○ (U+25CB) or ◯ for 〇, as some portals' titles are
YEAR = re.compile(r"((?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年")


CN_DIGITS = str.maketrans("〇○◯零一二三四五六七八九", "0000123456789")


CN = "〇一二三四五六"  # the six parts' numerals: 第三部分


def year_of(text: str) -> int | None:
    """The first year a text names (2021年 or 二〇二一年), or None."""
    m = YEAR.search(text)
    return int(m.group(1).translate(CN_DIGITS)) if m else None


BEIJING = timezone(timedelta(hours=8))  # China's one time zone, no summer time: the law's days are its days


def china_today(now: datetime | None = None) -> date:
    """Today as the law counts days (Beijing time): 07:30 on 1 February in Beijing is 23:30 on 31 January in UTC."""
    return (now or datetime.now(UTC)).astimezone(BEIJING).date()


def china_day(stamp: str) -> date:
    """The day in China of a stamp as govmon stores them (ISO 8601 in UTC; one without a zone is UTC's)."""
    at = datetime.fromisoformat(stamp)
    return china_today(at if at.tzinfo else at.replace(tzinfo=UTC))


def deadline(year: int, kind: str) -> date:
    """第四十九条: departments by 31 January, governments by 31 March of the following year."""
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


KIND_CN = {"government": "人民政府", "department": "部门"}


FORMAT_CN = {"2021": "2021版格式", "2019": "2019版格式", "legacy": "旧版(2019年前)格式"}


SECTION_NAMES = {
    1: "总体情况",
    2: "主动公开政府信息情况",
    3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况",
    5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}


APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org", "total")
# the organisations in one column, where a table 三 does not split them (自然人 | 法人或其他组织 | 总计: audit 14); a row
# holds it only then, with 自然人 and 总计 and none of the five
ORG_SUBTOTAL = "org_subtotal"
UNSPLIT_COLUMNS = (APPLICANT_COLUMNS[0], ORG_SUBTOTAL, APPLICANT_COLUMNS[-1])  # 自然人 | 法人或其他组织 | 总计


def applicant_columns(rows: Iterable[Mapping[str, object]]) -> tuple[str, ...]:
    """Table 三's columns as its rows hold them: the template's seven, or 自然人, the organisations' one column and
    总计 where the table does not split the organisations."""
    return UNSPLIT_COLUMNS if any(ORG_SUBTOTAL in cols for cols in rows) else APPLICANT_COLUMNS


APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending", "total")


APPEAL_ROWS = ("review", "suit_direct", "suit_after_review")


LABELS: dict[str, str] = {
    # applications columns
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "nonprofit": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
    ORG_SUBTOTAL: "法人或其他组织",
    # applications rows
    "new": "一、本年新收",
    "carried_over": "二、上年结转",
    "granted": "(一)予以公开",
    "partly_granted": "(二)部分公开",
    "withheld_state_secret": "(三)1.属于国家秘密",
    "withheld_prohibited": "(三)2.其他法律行政法规禁止公开",
    "withheld_security": "(三)3.危及“三安全一稳定”",
    "withheld_third_party": "(三)4.保护第三方合法权益",
    "withheld_internal": "(三)5.属于三类内部事务信息",
    "withheld_process": "(三)6.属于四类过程性信息",
    "withheld_enforcement": "(三)7.属于行政执法案卷",
    "withheld_inquiry": "(三)8.属于行政查询事项",
    "unavailable_not_held": "(四)1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "(四)2.没有现成信息需要另行制作",
    "unavailable_unclear": "(四)3.补正后申请内容仍不明确",
    "rejected_complaint": "(五)1.信访举报投诉类申请",
    "rejected_repeat": "(五)2.重复申请",
    "rejected_publication": "(五)3.要求提供公开出版物",
    "rejected_excessive": "(五)4.无正当理由大量反复申请",
    "rejected_confirmation": "(五)5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "(六)1.逾期不补正",
    "other_no_fee": "(六)2.逾期未按收费通知缴费",
    "other_misc": "(六)3.其他",
    "other": "(六)其他处理",
    "handled_total": "(七)总计",
    "carried_forward": "四、结转下年度继续办理",
    # appeals
    "review": "行政复议",
    "suit_direct": "行政诉讼(未经复议直接起诉)",
    "suit_after_review": "行政诉讼(复议后起诉)",
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "pending": "尚未审结",
    # active
    "rules": "规章",
    "normative_documents": "行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "处理决定数量",
    "amount_wan": "金额(万元)",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "published_total": "对外公开总数量",
    "prior_items": "上一年项目数量",
    "change": "本年增/减",
    "items": "采购项目数量",
}


PART_TABLES = {2: "active", 3: "applications", 4: "appeals"}  # the part each statutory table stands in


TABLE_LABELS = {
    "active": "主动公开情况表(第二部分)",
    "applications": "政府信息公开申请情况表(第三部分)",
    "appeals": "行政复议、行政诉讼情况表(第四部分)",
}


APPEAL_LABELS = {**LABELS, "other": "其他结果"}


def label(table: str, key: str) -> str:
    return (APPEAL_LABELS if table == "appeals" else LABELS)[key]


@dataclass(frozen=True, eq=False)  # one object a row, equal to itself alone: hashed by identity (``naming``)
class RowSpec:
    """One statutory row: its key, the words that name it, and the columns it holds."""

    key: str
    words: tuple[str, ...] = ()
    pattern: str | None = None  # a regex on the squashed label, for labels with no distinctive word
    columns: tuple[str, ...] = APPLICANT_COLUMNS
    item: int | None = None  # its number within its group: (三)7 is 7
    _rx: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _any_word: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rx", re.compile(self.pattern) if self.pattern else None)
        # any of the words, looked for by one search: a report's every label is matched against every row (~1,000
        # matches a report), and a generator over the words cost twice as much
        words = "|".join(map(re.escape, self.words))
        object.__setattr__(self, "_any_word", re.compile(words) if self.words else None)

    def match(self, label: str) -> bool:
        """Whether a (squashed) label names this row."""
        if self._any_word is not None and self._any_word.search(label) is not None:
            return True
        return self._rx is not None and self._rx.search(label) is not None


@lru_cache(maxsize=8192)
def naming(specs: tuple[RowSpec, ...], label: str) -> tuple[RowSpec, ...]:
    """The rows of ``specs`` a (squashed) label names. A table's every label is matched against every row of its
    template, and a row's labels again for each cell spanning it: the same few hundred labels, report after
    report (a reader's ~10 % of a page's reading, asked row by row)."""
    return tuple(s for s in specs if s.match(label))


def _rows(*specs: tuple[str, tuple[str, ...], int | None]) -> tuple[RowSpec, ...]:
    return tuple(RowSpec(key, words, item=item) for key, words, item in specs)


APPLICATION_ROWS: tuple[RowSpec, ...] = (
    RowSpec("new", ("新收",)),
    RowSpec("carried_over", ("上年结转", "上年度结转")),
    RowSpec("granted", ("予以公开",)),
    RowSpec("partly_granted", ("部分公开",)),
    *_rows(
        ("withheld_state_secret", ("国家秘密",), 1),
        ("withheld_prohibited", ("禁止公开", "法律行政", "行政法规"), 2),
        ("withheld_security", ("三安全", "一稳定", "危及"), 3),
        ("withheld_third_party", ("第三方",), 4),
        ("withheld_internal", ("内部事务",), 5),
        ("withheld_process", ("过程性",), 6),
        ("withheld_enforcement", ("执法案卷", "执法卷宗"), 7),
        ("withheld_inquiry", ("查询事项", "行政查询"), 8),
        ("unavailable_not_held", ("不掌握",), 1),
        ("unavailable_needs_creation", ("另行制作", "没有现成"), 2),
        ("unavailable_unclear", ("不明确", "补正后"), 3),
        ("rejected_complaint", ("信访", "举报投诉"), 1),
        ("rejected_repeat", ("重复申请",), 2),
        ("rejected_publication", ("出版物",), 3),
        ("rejected_excessive", ("大量反复",), 4),
        ("rejected_confirmation", ("重新出具", "确认或"), 5),
    ),
    RowSpec("other", ("其他处理",)),
    RowSpec("other_no_correction", ("不补正",), item=1),
    RowSpec("other_no_fee", ("缴纳费用", "收费通知"), item=2),
    # 3.其他, 3）其他, （3）其他, ⑶其他 (as normalise leaves it: its mark "?")
    RowSpec("other_misc", pattern=r"^(\d[.、．]?|\(\d\)|\d\)|\?)?其[他它]$", item=3),
    RowSpec("handled_total", pattern=r"^(\(七\)|\(\)|七、)?[总合]计$|\(七\)"),
    RowSpec("carried_forward", ("结转下年", "下年度继续", "结转下一年")),
)


OUTCOME_ROWS = tuple(s.key for s in APPLICATION_ROWS[2:24])  # (一) .. (六), both variants


OTHER_2021 = ("other_no_correction", "other_no_fee", "other_misc")  # (六) in three rows: the 2021 format


WITHHELD = OUTCOME_ROWS[2:10]


UNAVAILABLE = OUTCOME_ROWS[10:13]


REJECTED = OUTCOME_ROWS[13:18]


OTHER = ("other", *OTHER_2021)


_C21 = ("issued", "repealed", "in_force")


_C19 = ("made", "published", "published_total")


_SERVICE19 = ("prior_items", "change", "decisions")


ACTIVE_ROWS: dict[str, tuple[RowSpec, ...]] = {
    "2021": (
        RowSpec("rules", pattern=r"(^|[^府])规章$", columns=_C21),
        RowSpec("normative_documents", ("规范性文件",), columns=_C21),
        RowSpec("licensing", ("行政许可",), columns=("decisions",)),
        RowSpec("penalty", ("行政处罚",), columns=("decisions",)),
        RowSpec("coercion", ("行政强制",), columns=("decisions",)),
        RowSpec("fees", ("事业性收费",), columns=("amount_wan",)),
    ),
    "2019": (
        RowSpec("rules", pattern=r"(^|[^府])规章$", columns=_C19),
        RowSpec("normative_documents", ("规范性文件",), columns=_C19),
        RowSpec("licensing", ("行政许可",), columns=_SERVICE19),
        RowSpec("other_services", ("对外管理服务",), columns=_SERVICE19),
        RowSpec("penalty", ("行政处罚",), columns=_SERVICE19),
        RowSpec("coercion", ("行政强制",), columns=_SERVICE19),
        RowSpec("fees", ("事业性收费",), columns=("prior_items", "change")),
        RowSpec("procurement", ("集中采购",), columns=("items", "amount_wan")),
    ),
}


AMOUNT_COLUMNS = frozenset({"amount_wan"})  # 万元: decimals allowed, 元 converted


SIGNED_COLUMNS = frozenset({"change"})  # 本年增/减


PRINTED_APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
# Section 三 as the 2021 format prints it (the demo portal renders it; a reader matches rows by their words):
# (group label or None, [(row key, printed label)])
PRINTED_APPLICATION_ROWS = [
    (None, [("new", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量")]),
    (
        "三、本年度办理结果",
        [("granted", "(一)予以公开"), ("partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)")],
    ),
    (
        "(三)不予公开",
        [
            ("withheld_state_secret", "1.属于国家秘密"),
            ("withheld_prohibited", "2.其他法律行政法规禁止公开"),
            ("withheld_security", "3.危及“三安全一稳定”"),
            ("withheld_third_party", "4.保护第三方合法权益"),
            ("withheld_internal", "5.属于三类内部事务信息"),
            ("withheld_process", "6.属于四类过程性信息"),
            ("withheld_enforcement", "7.属于行政执法案卷"),
            ("withheld_inquiry", "8.属于行政查询事项"),
        ],
    ),
    (
        "(四)无法提供",
        [
            ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
            ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
            ("unavailable_unclear", "3.补正后申请内容仍不明确"),
        ],
    ),
    (
        "(五)不予处理",
        [
            ("rejected_complaint", "1.信访举报投诉类申请"),
            ("rejected_repeat", "2.重复申请"),
            ("rejected_publication", "3.要求提供公开出版物"),
            ("rejected_excessive", "4.无正当理由大量反复申请"),
            ("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息"),
        ],
    ),
    (
        "(六)其他处理",
        [
            ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
            ("other_no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
            ("other_misc", "3.其他"),
        ],
    ),
    (None, [("handled_total", "(七)总计"), ("carried_forward", "四、结转下年度继续办理")]),
]
