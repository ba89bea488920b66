"""Stage: discover, what a link's words say: whether they name a report (by the source's pattern, or cut short by
the listing's template), its year, or an article about a report (its 解读, 图解), a notice or guidance about one, a
CMS's template row, or the column's own name. The words are read as a reader reads them (``words``); where the
link stands and where it goes is ``discover``'s.
"""

from __future__ import annotations

import re
import unicodedata

from monitor.model import YEAR, year_of

# a day (2025-01-26, 2025/1/26, 2025年01月26日), not a year's span ("2023年1-12月"); a month it was published in
# ("（2024年1月发布）"), not a span's first month ("2023年1月至12月")
_DATED = re.compile(
    r"(?:19|20)\d{2}(?:\s*([-/.])\s*\d{1,2}\s*\1\s*\d{1,2}(?!\d)|\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|\s*年\s*\d{1,2}\s*月(?!\s*(?:\d|[-–—~～至到]))(?:\s*(?:发布|印发|公布|更新))?"
    r"|\s*年\s*\d{1,2}\s*月\s+\d{1,2}(?![\d月日])(?!\s*[-–—~～至到]))"  # a date card's "2024年01月 26" (review 97)
)
# "…年度报告（2023）", a card's "2024" standing alone, "…年度报告-2023", "2023-XX县…", "…报告2023.pdf" (review 97); not a
# date's year ("2024-01-26", "2024.01", "2025 01-20")
_BARE_YEAR = re.compile(
    r"(?<![\d.\-/])((?:19|20)\d{2})(?![\d.\-/])(?!\s*\d{1,2}\s*[-/.月]\s*\d{1,2})"
    r"|(?<=[\u4e00-\u9fff]-)((?:19|20)\d{2})(?![\d./])(?!-(?:[^\u4e00-\u9fff]|$))"  # …报告-2023 (not Jan-2024)
    r"|(?<![\d.\-/])((?:19|20)\d{2})(?=-[\u4e00-\u9fff])"  # 2023-某县… (not 2024-01, nor "更新 2024-")
    r"|(?<![\d.\-/])((?:19|20)\d{2})(?=\.(?:pdf|docx?|wps|ofd)\b)"  # …报告2023.pdf
)
# an article about the report, never the report: its 解读 or 图解 (《…年度报告》解读, 图解：…年度报告), not a report
# that carries one (…年度报告及解读, …（含解读）)
_ABOUT_HEAD = re.compile(
    r"^[【\[(（]?\s*(图解|图说|图读|数读|解读|一图[读看]懂|一图解读|一图速览|图文解读|政策解读|视频解读|漫画解读|图表解读"
    r"|动漫解读|H5\s*[|｜:：]|视频\s*[|｜:：】\])])"  # (review 102: 图读｜…, 数读…, H5｜…, 【视频】…)
)
_ABOUT_TAIL = re.compile(r"(解读|图解|问答|一图[读看]懂|解读稿|答记者问|解读说明|解读材料|图示)$")
_CARRIES = re.compile(r"[及和含附与暨]")  # …年度报告及政策解读, 暨图文解读: the report carries its 解读
# …年度报告（图解）, [解读]: the article in brackets after the report's name (not （图文版）, nor （含解读）)
_ABOUT_BRACKET = re.compile(
    r"[(\[【]\s*(图解|图说|解读|政策解读|图文解读|视频解读|一图[读看]懂|一图解读|问答|图解版|解读版|英文版|摘要|视频|H5)\s*[)\]】]$"
)
# a notice or correction about a report, its issuer maybe before it (关于报送…年度报告的通知, XX区政府办公室关于…的
# 通知, 印发《…》的通知, …的更正说明): the report if what it opens is one
# and guidance or news about writing reports (…年度报告编制要求, 召开…培训会: review 97, whose year named no body
# and held back every body's late alarm); each is read, and is the report only if it opens one
_NOTICE = re.compile(
    r"^(?:.{0,40}?(?:关于|印发|转发)).*(的|之)?(通知|函|公告|通告|通报|说明|批复|意见|更正|勘误|提示)$"
    # (review 102: a 通报 on who published, a draft for comment, a template, a launch, a training)
    r"|(通报|征求意见稿|起草说明|编制说明|格式模板|发布会|培训|报告发布)$|^我(区|市|县|省|局|委|办)\S{0,6}发布"
    r"|(更正|勘误)(说明|声明|公告|通知)$|勘误表?$"
    # after the report's name, not inside a body's (review 98: XX市推进会展业发展办公室)
    r"|(报告|年报)》?的?(编制|编写)(要求|指引|指南|工作)"
    r"|(召开|举办|组织|开展)\S*?(培训会|培训班|工作会议?|座谈会|推进会|部署会)"
)
# a CMS's template row, its words placeholders (示例：XX单位XXXX年…)
_PLACEHOLDER = re.compile(r"[X×xＸ*]{4}\s*年|^(示例|样例|模板|范例)|\{\{|\$\{")
# words a column's own link carries beside its name (政府信息公开年报 >>, 年报专栏, 更多)
_NAV_WORDS = re.compile(r"[\s>»›<«‹\-–—_|/:：·.。,，()（）【】\[\]]|更多|栏目|专栏|专题|列表|首页|当前位置|位置")
# the phrases a report's title ends in, to finish a title a listing cut short ("…2023年政府信息公开工作...")
_PHRASES = (
    "政府信息公开工作年度报告",
    "政府信息公开年度报告",
    "政务公开工作年度报告",
    "信息公开工作年度报告",
    "年度政府信息公开工作报告",
    "政府信息公开工作报告",
    "政府信息公开年报",
    "政府信息公开工作情况报告",
)
# the marks a list cuts a title short with (after NFKC: … stays, ．．． is ...), and how many of each at least
_MARKS = ((".", 2), ("…", 1), ("⋯", 1), ("・", 2), ("。", 3))


def _cut_at(text: str) -> int | None:
    """Where the cut mark ending ``text`` (spaces after it aside) begins, or None: a run of one mark, taken from
    the end (a search for it from each start of a run of 40,000 dots took 14 s: review 102)."""
    stem = text.rstrip()
    for mark, least in _MARKS:
        core = stem.rstrip(mark)
        if len(stem) - len(core) >= least:
            return len(core)
    return None


_OWN_WORDS = re.compile(r"《[^》]*》|[(（][^)）]*[)）]|\s+")  # what the title quotes, what it adds in brackets
_EMPTY_BRACKETS = re.compile(r"[(（\[【]\s*[)）\]】]")  # what a date taken out of its brackets leaves
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")  # markup or &nbsp; inside a title's words
# characters that show nothing, as editors leave them inside a title's words: a soft hyphen, zero-width spaces and
# joiners, a BOM (review 97: "政府信息\u200b公开" matched no pattern)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


def _about(name: str) -> bool:
    """An article about a report, not the report: its head says so (图解：…, 【图解】…, 政策解读：…), or its tail does
    (《…年度报告》解读, …年度报告解读, …年度报告（图解）) with nothing between the report's name and it that says the report carries it
    (…年度报告及政策解读, …暨图文解读, （含解读）)."""
    if _ABOUT_HEAD.search(name) or _ABOUT_BRACKET.search(name):
        return True
    core = _OWN_WORDS.sub("", name)
    if not _ABOUT_TAIL.search(core):
        return False
    named = max(core.rfind("报告"), core.rfind("年报"))
    return not _CARRIES.search(core[named + 2 :] if named >= 0 else core)


def cut_short(text: str, pattern: re.Pattern[str]) -> bool:
    """Link words cut short by the listing, which finished as a report's phrase are what ``pattern`` looks for: its
    year, then the start of the phrase before a cut mark ("…2023年政府信息公开工作...": 3 characters at least, or
    one right after the year, "…2023年政..."); without a year, 6 at least ("…政府信息公开工作年..."); with no cut mark,
    a year and the phrase cut within its last words ("…2023年政府信息公开工作年度报": a template cutting at a fixed
    length writes none). Review 97: each form missed was a false late alarm; such a link is read, and is the report
    only if it opens one."""
    at = _cut_at(text)
    stem = text[:at].rstrip() if at is not None else text
    year = year_of(stem) is not None
    if at is None and not year:
        return False
    for phrase in _PHRASES:
        for k in range(len(phrase) - 1, 0, -1):
            if not stem.endswith(phrase[:k]):
                continue
            if at is None:  # cut within 年度报告, 年报, 报告 (not "2023年政府信息公开", a year's tab; nor "…推进2023年
                enough = k >= 7 and phrase[k - 1] in _TAIL  # 政府信息公开工作", a headline: review 98)
            elif year:
                enough = k >= 3 or _AFTER_YEAR.search(stem[: len(stem) - k]) is not None
            else:  # no year: into the phrase's last words ("…政府信息公开工作年...", not "关于做好政府信息公开...")
                enough = k >= 6 and phrase[k - 1] in _TAIL
            if enough and pattern.search(stem + phrase[k:]):
                return True
            break
    return False


_AFTER_YEAR = re.compile(r"(?:(?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年度?$")
# how link words a template cut at a fixed length, with no mark, end: within a phrase's last words (``_cut_short``)
_TAIL = "年度报"  # where a template with no cut mark cuts a report's phrase
_UNMARKED_ENDS = tuple(_TAIL)


# link words that are a year and nothing else of a report's name (2025年度报告, 2025年, 2025年度, 2025年报, 2025): a
# report on a column that says it lists them (review 102's 部门年报 table, a body in each row, a cell for each year)
_ONLY_A_YEAR = re.compile(
    r"^(?:(?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年?度?\s*"
    r"(?:(?:政府信息公开|政务公开|信息公开)?(?:工作)?(?:年度)?(?:报告|年报))?$"
)


def only_a_year(text: str) -> bool:
    """Link words that name a year and at most 年度报告 (a cell of a 部门年报 table: ``2025年度报告``, ``2025年``)."""
    return _ONLY_A_YEAR.match(text) is not None


def names_only_the_column(name: str, pattern: re.Pattern[str]) -> bool:
    """A link whose words are the report's phrase and nothing else (政府信息公开年报, 年报专栏 >>): the column's own
    name in a breadcrumb, a menu or a sidebar, not one body's report of a year."""
    return _NAV_WORDS.sub("", pattern.sub("", name)) == ""


# the year a report's phrase names, where a title names two ("2026年XX区2025年度政府信息公开工作年度报告": the first is
# when it was published, review 102)
_REPORT_YEAR = re.compile(
    r"((?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年度?\s*(?:政府信息公开|政务公开|信息公开)"
)


def year(name: str) -> int | None:
    if (named := _REPORT_YEAR.findall(name)) and len(set(named)) == 1 and len(YEAR.findall(name)) > 1:
        return year_of(named[0] + "年")
    if (year := year_of(name)) is not None:
        return year
    found = {int(m.group()) for m in _BARE_YEAR.finditer(name)}
    return found.pop() if len(found) == 1 else None


def words(raw: str) -> str:
    """A link's words or title as a reader reads them: NFKC, nothing that shows nothing, no gap between two
    ideographs (markup or &nbsp; inside a title)."""
    return _CJK_GAP.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFKC", " ".join(raw.split()))))


def undated(named: str) -> str:
    """A link's name without the day it was published (a date is not its year; the brackets it stood in go too)."""
    return _EMPTY_BRACKETS.sub("", " ".join(_DATED.sub(" ", named).split())).strip()


def skipped(name: str, text: str) -> bool:
    """A link never opened: an article about a report (by its name, or its own words: a [解读] button titled with
    the report's name), or a CMS's template row."""
    return _about(name) or _about(text) or _PLACEHOLDER.search(name) is not None


def notice(name: str) -> bool:
    """A notice, correction, guidance or news about a report: opened, the report only if it opens one."""
    return _NOTICE.search(name) is not None


def maybe_cut(text: str) -> bool:
    """Whether the words may be cut short (a mark at their end, or ending within a report's phrase): asked before
    ``cut_short``, for every link of a page."""
    return _cut_at(text) is not None or text.endswith(_UNMARKED_ENDS)
