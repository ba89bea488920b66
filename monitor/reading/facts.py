"""Stage: parse (facts). A report's lines -> its title (the page's ``<title>`` preferred when it names a
report), its year, and the body that published it, cross-checked between the title and the page's
发布机构/来源 fields (a field that names no body, like ``1`` or a website, never wins); the kind of body."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from monitor.model import (
    ATTACHED,
    CN_DIGITS,
    DEFAULT_LINK_PATTERN,
    YEAR,
)
from monitor.reading.normalise import ideographs, squash

_YEAR = YEAR.pattern


_PLACE = re.compile(r"(省|市|县|区|旗|州|盟|镇|乡)$")


_AGENCY = re.compile(r"(人民政府|政府|办公室|办公厅|局|委员会|委|厅|中心|院|署|办|所|站|队)$")


_REPORT_PHRASE = re.compile(
    r"(政府)?(信息公开|政务公开)(工作)?(年度)?(报告|年报)|年度(政府)?(信息公开|政务公开)(工作)?报告"
)


_TITLE = re.compile(DEFAULT_LINK_PATTERN)


def _to_year(text: str) -> int:
    return int(text.translate(CN_DIGITS))


_NOT_TITLE = re.compile(r"[,;。《》<>]|^(根据|按照|本报告|上一篇|下一篇|相关|推荐)")  # a sentence, a link to another


def _page_title(html_title: str | None) -> str | None:
    """The part of a page's <title> that names a report of a year (a <title> that is the column's name,
    "政府信息公开年报", names none: the article's own title does)."""
    for part in re.split(r"\s*[_|\-–—]\s*", html_title or ""):
        if _TITLE.search(part) and re.search(_YEAR, part):
            return part.strip()
    return None


_LINK = re.compile(r"\]\([^)]*\)")  # Markdown's [text](url)
_SOURCE_FIELD = re.compile(
    r"^(?:[•·*\-]\s*)?(?:来源|信息来源|发布时间|发布日期|时间|发布机构|浏览次数|字号|分享到)\s*[:：]"
)
_FIELDS_AFTER = re.compile(
    r"\s+(?=(?:来源|发布时间|发布日期|时间|浏览次数|发文字号|文\s*号|索\s*引\s*号|发布机构|成文日期|主题分类)\s*[:：])"
)
# an index box's field name before the title, with a list's mark a converter adds: "• 标 题: …", "- 标题：…"; a
# reader service's header: "Title: …" (r.jina.ai's, review 117)
_FIELD = re.compile(r"^[\s•·*\-]*(?:(?:标\s*)?题\s*目?\s*:\s*|(?i:title)\s*:\s*)?")
# the same box drawn as a table, its row read as cells: "标 题: | …年度报告 |" (Hanweb's 信息公开 box)
_ONE_CELL = re.compile(r"^\|?\s*([^|]+?)\s*\|\s*$")
_BOX_TITLE = re.compile(r"^\|?\s*(?:标\s*题|题\s*目)\s*:?\s*\|\s*([^|]+?)\s*(?:\||$)")


def _title_text(lines: list[str], k: int, text: str) -> str | None:
    """Line ``k``'s text as a title would stand in it (``text``: the line less the fields after it), or None for a
    link: an index box's row read as cells ("标 题: | …"), a page's <title> a converter wrote as a heading
    ("…年度报告\\_政府信息公开年报\\_…管委会"), a title broken over two lines ("2024 年上海市科委政府信息公开工作" /
    "年度报告")."""
    boxed, alone = _BOX_TITLE.match(text), _ONE_CELL.match(text)
    if boxed:
        text = f"标题:{boxed.group(1)}"
    elif alone:  # a table of one cell a row (an old portal's header table: the title, then its 发布时间 line)
        text = alone.group(1)
    if _LINK.search(text):
        return None
    if "_" in text:
        text = _page_title(text.replace("\\_", "_")) or text
    nxt = lines[k + 1].strip() if k + 1 < len(lines) else ""
    broken = not _TITLE.search(text) and not _TITLE.search(nxt) and _TITLE.search(text + nxt)
    return text + nxt if broken and len(text) <= 40 and len(nxt) <= 20 else text


_DATED_TAIL = re.compile(r"\s*[(（\[【]?(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}[)）\]】]?\s*$")


def linked(title: str, links: frozenset[str]) -> bool:
    """Whether ``title`` is a link's text (``links``, squashed), a date its list sets after it aside: a sidebar's, a
    listing's item, a link to an attached file."""
    return title.startswith(ATTACHED) or squash(_DATED_TAIL.sub("", title)) in links


def find_title(lines: list[str], html_title: str | None, head_end: int | None = None) -> str | None:
    """The report's title (``title_at``'s)."""
    return title_at(lines, html_title, head_end)[0]


def title_at(
    lines: list[str],
    html_title: str | None,
    head_end: int | None = None,
    links: frozenset[str] = frozenset(),
) -> tuple[str | None, int]:
    """The report's title and its line (-1: not a line of the text): the page's own <title> where it names the
    report (a sidebar's links to other years' reports come before the article); else, of the title-like lines with
    a year before part 一 (``head_end``), one an index box names (标题: …), else one a 来源/发布时间 field follows
    (the article's, below a sidebar of other years' reports), else the first; a yearless one (a column's name in a breadcrumb, "• 政府信息公开年报") only where none has a year. Never a
    line of a sentence or a link: one a page's link says (``links``, squashed: a sidebar's, 上一篇/下一篇) only where
    no other is."""
    own = _page_title(html_title)
    end = min(len(lines), 240, head_end if head_end is not None and head_end > 0 else 240)
    previous = ""
    found: list[tuple[int, int, str]] = []  # (strength, line, title)
    yearless: tuple[str, int] | None = None
    for k, line in enumerate(lines[:end]):  # a crawler's Markdown keeps a portal's menus above the article
        fields = _FIELDS_AFTER.split(line.strip(), 1)  # "…年度报告 来源：… 时间：…" on one line
        text = _title_text(lines, k, fields[0])
        if text is None:
            continue  # a link to another page (a sidebar of other years' reports, a breadcrumb): not this page's title
        if _TITLE.search(text) and len(text) <= 60 and not _NOT_TITLE.search(text) and "|" not in text:
            field = _FIELD.match(text)
            title = text[field.end() :] if field else text
            two_lines = re.match(r"^(19|20)\d{2}\s*年", title) and len(previous) <= 30
            if two_lines and (_AGENCY.search(previous) or _PLACE.search(previous)):
                title = previous + title  # a title set on two lines: "淮安市人民政府" / "2024 年…年度报告"
            if own is not None and re.sub(r"\s+", "", own) in re.sub(r"\s+", "", title):
                return title, k
            if not re.search(_YEAR, title):
                yearless = yearless or (title, k)
            else:
                named = field is not None and ("题" in field.group() or "title" in field.group().lower())
                after = next((x.strip() for x in lines[k + 1 : k + 4] if x.strip()), "")  # the next line written
                followed = len(fields) > 1 or _SOURCE_FIELD.match(after) is not None
                found.append((2 if named else 1 if followed else 0, k, title))
        if text:
            previous = text
    if own is not None:
        return own, -1
    if found:  # not a link's (a date its list sets after it aside); the strongest; then the first (a PDF's: its top)
        ranked = [(not linked(f[2], links), f[0], -f[1], f[1], f[2]) for f in found]
        *_, k, title = max(ranked, key=lambda f: f[:3])
        return title, k
    return yearless or (None, -1)


_PERIOD = re.compile(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(起)?\s*(至|到|-)")  # 统计期限自2021年1月1日起至…


def stated_year(text: str) -> int | None:
    """The year a report's 统计期限 states (``统计期限为2024年1月1日至12月31日``), or None."""
    period = _PERIOD.search(text)
    return int(period.group(1)) if period else None


def find_year(title: str | None, text: str, published: date | None, section1: str) -> int | None:
    """The year the report covers: the title's, unless the title names the year it was published in (a report
    on 2022 cannot be out in January 2022) and the report states its statistics period as the year before,
    which its 发布日期 agrees with; else the stated period; else the year before publication."""
    stated = stated_year(text)
    if title:
        m = re.search(_YEAR, title)
        if m:
            named = _to_year(m.group(1))
            if published and published.year <= named and stated == published.year - 1:
                return stated
            return named
    if stated:
        return stated
    if published:
        return published.year - 1
    m = re.search(r"((?:19|20)\d{2})年", section1)
    return int(m.group(1)) if m else None


_NOT_A_BODY = re.compile(r"\d|网站|门户|网$|平台|频道|APP|客户端|微信|微博")


def body_name(text: str | None) -> str | None:
    """A name that can be a publishing body's (ends as a body's name does, has no digits, is not a site's), or
    None: a crawler's "发布机构: 1", a blank field or "XX政府网" are not bodies."""
    name = re.sub(r"\s+", "", text or "").strip(":：")
    if not 2 <= len(name) <= 40 or not ideographs(name) or _NOT_A_BODY.search(name):
        return None
    if _PLACE.search(name):
        return name + "人民政府"
    return name if _AGENCY.search(name) else None


# the fields naming a page's body, in the order a reader trusts them: 发布机构/发文机关, then 来源; each as "label: value"
# on one line, and as its label alone (the value on a next line)
_AGENCY_FIELDS = tuple(
    (re.compile(rf"(?:{label})\s*(?::\s*\|?|\|)\s*([^|:\s]+)"), re.compile(rf"(?:{label})\s*:?\s*"))
    for label in (r"发布机构|发文机关|发布单位", r"(信息)?来源")
)


def _agency_fields(lines: list[str], head_end: int) -> list[str]:
    """The page's own fields naming its body, in the order a reader trusts them: 发布机构/发文机关, then 来源."""
    head = lines[: max(head_end, 1)][:80]
    found: list[str] = []
    for field, alone in _AGENCY_FIELDS:
        for i, line in enumerate(head):
            m = field.search(line)
            if m:
                found.append(m.group(m.lastindex or 1))
            elif alone.fullmatch(line.strip()):
                nxt = next((x.strip() for x in head[i + 1 : i + 4] if x.strip()), "")
                if ":" not in nxt:
                    found.append(nxt)
    return found


def title_body(title: str | None) -> str | None:
    """The body a report's title names: "平潭综合实验区公安局2024年…报告" is 平潭综合实验区公安局."""
    if not title:
        return None
    # a link's short forms (a 部门年报 table's cell read with its row's body: review 104): …公安局2024年度报告,
    # …公安局2024年报, …公安局2024
    name = _SHORT_YEAR.sub(r"\1年", title.strip())
    name = re.sub(_YEAR + r"度?", "", name.removesuffix("年报") + ("年度报告" if name.endswith("年报") else ""))
    return body_name(_REPORT_PHRASE.split(name)[0].strip(" :").removesuffix("报告").strip(" :"))


_SHORT_YEAR = re.compile(r"((?:19|20)\d{2})$")


def choose_body(named: str | None, fields: list[str]) -> str | None:
    """The title's body, unless a field names the same body more fully (区公安局 is 平潭综合实验区公安局 when the
    title says so; the title wins over a field naming another); without a title's body, the first field that is
    a body's name."""
    bodies = [b for b in map(body_name, fields) if b]
    if named is None:
        return bodies[0] if bodies else None
    fuller = [b for b in bodies if b.endswith(named) and len(b) > len(named)]
    return fuller[0] if fuller else named


@cache
def _preamble() -> re.Pattern[str]:
    """Compiled when a page's body is first looked for in its preamble (a class of 21,000 characters: ~1 ms at
    every start otherwise, and most pages name their body before)."""
    return re.compile(r"本(年度)?报告由(?P<name>[\u4e00-\u9fff（）()]{2,40}?)(根据|依据|按照|编制|负责|汇总|会同)")


def preamble_body(lines: list[str]) -> str | None:
    """The body the preamble names: "本报告由淮安市洪泽区人民政府办公室编制" (its office compiles a
    government's report: the government is the body)."""
    for line in lines[:120]:
        m = _preamble().search(line)
        if m and (name := body_name(m.group("name"))):
            return re.sub(r"(办公室|办公厅|政府办)$", "", name) if name.endswith("人民政府办公室") else name
    return None


def find_body(
    lines: list[str], title: str | None, head_end: int, meta_source: str = ""
) -> tuple[str | None, str | None]:
    """The publishing body and where it was read (title, metadata, preamble): the title's body, unless a
    发布机构/来源 field or the CMS metadata names it more fully; the fields' first body name; else the preamble's."""
    named, fields = title_body(title), [*_agency_fields(lines, head_end), meta_source]
    chosen = choose_body(named, fields)
    if chosen is not None:
        return chosen, "title" if named is not None else "metadata"
    found = preamble_body(lines)
    return found, "preamble" if found else None


def find_agency(lines: list[str], title: str | None, head_end: int, meta_source: str = "") -> str | None:
    """The publishing body from the title, the page's 发布机构/来源 fields and its CMS metadata, cross-checked."""
    return find_body(lines, title, head_end, meta_source)[0]


def infer_kind(agency: str | None) -> str | None:
    """government or department by the body's name; None for a government's office (政府办, 办公室): it publishes
    the government's report and its own, and which one this is the name does not say."""
    if not agency or re.search(r"(政府办|办公室|办公厅|党政办)$", agency):
        return None
    if agency.endswith("人民政府") or re.search(r"(街道办事处|街道)$", agency):
        return "government"
    return "department" if _AGENCY.search(agency) else None
