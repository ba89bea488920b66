"""Stage: discover. A portal's 年报 listing page -> the report links on it, and the next page.

A link is a report when its text (or title attribute) names a 政府信息公开(工作)年度报告
(the source's ``link_pattern``). The year it covers is read from the text, in Arabic or
Chinese numerals. URLs are resolved against the page and canonicalised so the same
report reached by two spellings of its URL is kept once.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.model import year_of
from monitor.watch import pagers
from monitor.watch.markup import Page, parsed
from monitor.watch.pagers import canonical, resolved

# a 下一页 link as pagers write it: 下一页, [下一页], 下一页>, 下一页 », next page (the arrows alone: see _ARROWS)
_NEXT = re.compile(r"^[\[【(（]?\s*(下一页|下页|后一页|next(\s*page)?)\s*[>›»＞→]*\s*[\]】)）]?$", re.I)
_ARROWS = {">": 1, "›": 1, "＞": 1, "→": 1, ">>": 2, "»": 2, "›»": 2}  # a pager's next (its last page: >>, »)
# every format a report is published in (extract.READERS reads each by its bytes, whatever the name says)
_ATTACHMENT = re.compile(r"\.(pdf|ofd|docx?|wps|xlsx?|et|zip|png|jpe?g|tiff?)$", re.I)
_ORDER = ("pdf", "ofd", "docx", "doc", "wps", "zip", "xlsx", "xls", "et")  # published forms first; images last


CUT, NOTICE, COLUMN = "cut", "notice", "column"  # why a link may not be the report (``Link.doubt``)
# the way links are found, kept with a listing page's links: one kept by an earlier way is read again, not answered
# from them (2: doubts, links a script opens, <base href>, hidden rows, 下一页 as pagers write it)
FOUND_BY = 2


@dataclass(frozen=True)
class Link:
    """A report link of a listing. ``doubt``: why its words do not say for certain that it is the report: they are
    cut short (CUT, "…2023年政府信息公开工作..."), or name a notice about it (NOTICE, 关于报送…年度报告的通知, …的更正
    说明) or the column itself (COLUMN, a breadcrumb's 政府信息公开年报). Such a link is the report only if what it
    opens reads as one (its statutory tables; a cut title's attachment too), and until then its year lists nothing."""

    url: str
    title: str
    year: int | None
    doubt: str = ""


def discover(html: str, page_url: str, pattern: re.Pattern[str]) -> tuple[list[Link], str | None]:
    """The report links on a listing page (in page order, no duplicates) and the next page's URL. The page may
    be HTML, a Hanweb (大汉) list whose records sit in a ``<datastore>`` script, or the JSON a list API answers."""
    data = pagers.as_json(html)
    if data is not None:  # a list API's answer: its links, the next page by the page number in the URL
        links = _links(parsed(pagers.json_html(data)), page_url, pattern, {})[0]
        return links, pagers.next_api_page(page_url) if links else None
    records = pagers.datastore_records(html)
    if records is not None and html.lstrip().startswith(("<?xml", "<datastore")):  # a Hanweb API's answer
        links = _links(parsed(records), page_url, pattern, {})[0]
        return links, pagers.next_datastore_page(html, page_url)
    page = parsed(html)
    links, next_page = _links(page, page_url, pattern, {})
    if page is not None and (written := _written(html)):  # rows a script writes as the page loads (TRS's older
        # templates: document.write('<li><a href=…>…</a></li>'), review 97)
        urls = {x.url for x in links}
        links += [x for x in _links(parsed(written), _base(page, page_url), pattern, {})[0] if x.url not in urls]
    if records is not None:  # a Hanweb list: the records its pager script draws, the next group from its API
        links += [x for x in _links(parsed(records), page_url, pattern, {})[0] if x not in links]
        return links, next_page or pagers.next_datastore_page(html, page_url)
    if page is None:
        return links, None
    next_page = next_page or pagers.numbered_next(page, html, page_url)
    if next_page is None and all(x.doubt for x in links):  # a column page that only sends its reader on to its
        next_page = _sent_on(page, page_url)  # list (beside a breadcrumb's link to the column, maybe)
    return links, next_page


_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)
# a string a script gives document.write, and one it holds (a title it writes into its link)
_WRITES = re.compile(r"document\.write(?:ln)?\(\s*(['\"])((?:\\.|(?!\1).)*)\1", re.S)
_LITERAL = re.compile(r"(['\"])((?:\\.|(?!\1).)*)\1", re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)


def _written(html: str) -> str:
    """The markup of links a page's scripts write as it loads (``document.write('<li><a href=…>…</a></li>')``)."""
    if "document.write" not in html:
        return ""
    return "".join(_ESCAPED.sub(r"\1", m[2]) for m in _WRITES.finditer(html) if "<a" in m[2])


def _scripted_words(a: Any, pattern: re.Pattern[str]) -> str:
    """The words a link's own script writes into it (``document.write(cutStr("…年度报告", 24))``, a title held in a
    variable and cut as it is written): the string in it that names a report, whole."""
    for script in a.iter("script"):
        for m in _LITERAL.finditer(script.text or ""):
            words = unicodedata.normalize("NFKC", _ESCAPED.sub(r"\1", m[2]))
            if pattern.search(words):
                return " ".join(words.split())
    return ""


def _sent_on(page: Page, page_url: str) -> str | None:
    """Where a page with no report link sends its reader: a ``<meta http-equiv="refresh">``'s URL, else the one
    ``<iframe>`` that holds its list (on the same site)."""
    for meta in page.all("meta"):
        if str(meta.get("http-equiv") or "").lower() == "refresh" and (m := _REFRESH.search(str(meta.get("content")))):
            return resolved(_base(page, page_url), m.group(1).strip())
    frames = [str(f.get("src")) for f in page.all("iframe") if str(f.get("src") or "").strip()]
    if len(frames) == 1 and (url := resolved(_base(page, page_url), frames[0].strip())) is not None:
        return url if urlsplit(url).netloc == urlsplit(canonical(page_url)).netloc else None
    return None


# a day (2025-01-26, 2025/1/26, 2025年01月26日), not a year's span ("2023年1-12月"); a month it was published in
# ("（2024年1月发布）"), not a span's first month ("2023年1月至12月")
_DATED = re.compile(
    r"(?:19|20)\d{2}(?:\s*([-/.])\s*\d{1,2}\s*\1\s*\d{1,2}(?!\d)|\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|\s*年\s*\d{1,2}\s*月(?!\s*(?:\d|[-–—~～至到]))(?:\s*(?:发布|印发|公布|更新))?"
    r"|\s*年\s*\d{1,2}\s*月\s+\d{1,2}(?![\d月日])(?!\s*[-–—~～至到]))"  # a date card's "2024年01月 26" (review 97)
)
# "…年度报告（2023）", a card's "2024" standing alone, "…年度报告-2023", "2023-XX县…", "…报告2023.pdf" (review 97); not a
# date's year ("2024-01-26", "2024.01", "2025 01-20")
_BARE_YEAR = re.compile(r"(?<![\d.])(?<!\d[-/])((?:19|20)\d{2})(?!\d)(?![-/.]\d)(?!\s*\d{1,2}\s*[-/.月]\s*\d{1,2})")
# an article about the report, never the report: its 解读 or 图解 (《…年度报告》解读, 图解：…年度报告), not a report
# that carries one (…年度报告及解读, …（含解读）)
_ABOUT_HEAD = re.compile(
    r"^[【\[(（]?\s*(图解|图说|解读|一图[读看]懂|一图解读|一图速览|图文解读|政策解读|视频解读|漫画解读|图表解读)"
)
_ABOUT_TAIL = re.compile(r"(解读|图解|问答|一图[读看]懂|解读稿)$")
_CARRIES = re.compile(r"[及和含附与暨]")  # …年度报告及政策解读, 暨图文解读: the report carries its 解读
# …年度报告（图解）, [解读]: the article in brackets after the report's name (not （图文版）, nor （含解读）)
_ABOUT_BRACKET = re.compile(
    r"[(\[【]\s*(图解|图说|解读|政策解读|图文解读|视频解读|一图[读看]懂|一图解读|问答|图解版|解读版)\s*[)\]】]$"
)
# a notice or correction about a report, its issuer maybe before it (关于报送…年度报告的通知, XX区政府办公室关于…的
# 通知, 印发《…》的通知, …的更正说明): the report if what it opens is one
# and guidance or news about writing reports (…年度报告编制要求, 召开…培训会: review 97, whose year named no body
# and held back every body's late alarm); each is read, and is the report only if it opens one
_NOTICE = re.compile(
    r"^(?:.{0,40}?(?:关于|印发|转发)).*(的|之)?(通知|函|公告|通告|说明|批复|意见)$|(更正|勘误)(说明|声明|公告|通知)?$"
    r"|编制要求|编制指引|编写要求|编写指南|编制工作|培训会|培训班|工作会议?|座谈会|推进会|部署会"
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
)
_CUT = re.compile(r"(\.{2,}|…+|⋯+|・{2,}|。{3,})\s*$")  # after NFKC: … stays, ．．． is ...
_SCRIPTED = re.compile(
    r"(?:window\.open|location\.(?:assign|replace)|(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=)"
    r"\s*\(?\s*['\"]([^'\"]+)['\"]"
    # a function of the site's own (openWin('…'), goUrl("…")) given a page's address
    r"|\b\w+\(\s*['\"]((?:https?://|/|\.\.?/)[^'\"]*|[^'\"]+\.(?:s?html?|jsp|php|aspx?|do|pdf|docx?|wps|ofd)(?:\?[^'\"]*)?)['\"]"
)
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


def _target(a: Any) -> str | None:
    """Where a link goes: its href, or where its script opens (``window.open('…')``, ``location.href='…'``, in the
    href or onclick), or its ``data-url``/``data-href`` when the href is only ``#``."""
    href = str(a.get("href") or "").strip()
    if href and not href.startswith(("javascript:", "#", "mailto:", "tel:")):
        return href
    for script in (href, str(a.get("onclick") or "")):
        if m := _SCRIPTED.search(script):
            return (m.group(1) or m.group(2)).strip()
    for key in ("data-url", "data-href", "data-link"):
        if value := str(a.get(key) or "").strip():
            return value
    return None


def _cut_short(text: str, pattern: re.Pattern[str]) -> bool:
    """Link words cut short by the listing, which finished as a report's phrase are what ``pattern`` looks for: its
    year, then the start of the phrase before a cut mark ("…2023年政府信息公开工作...": 3 characters at least, or
    one right after the year, "…2023年政..."); without a year, 6 at least ("…政府信息公开工作年..."); with no cut mark,
    a year and the phrase cut within its last words ("…2023年政府信息公开工作年度报": a template cutting at a fixed
    length writes none). Review 97: each form missed was a false late alarm; such a link is read, and is the report
    only if it opens one."""
    m = _CUT.search(text)
    stem = text[: m.start()].rstrip() if m else text
    year = year_of(stem) is not None
    if m is None and not year:
        return False
    for phrase in _PHRASES:
        for k in range(len(phrase) - 1, 0, -1):
            if not stem.endswith(phrase[:k]):
                continue
            if m is None:
                enough = k >= max(7, len(phrase) - 3)  # (not "2023年政府信息公开", a year's tab)
            elif year:
                enough = k >= 3 or _AFTER_YEAR.search(stem[: len(stem) - k]) is not None
            else:
                enough = k >= 6
            if enough and pattern.search(stem + phrase[k:]):
                return True
            break
    return False


_AFTER_YEAR = re.compile(r"(?:(?:19|20)\d{2}|[一二][〇○◯零一二三四五六七八九]{3})\s*年度?$")
# how link words a template cut at a fixed length, with no mark, end: within a phrase's last words (``_cut_short``)
_UNMARKED_ENDS = tuple({p[k - 1] for p in _PHRASES for k in range(max(7, len(p) - 3), len(p))})


def _names_only_the_column(name: str, pattern: re.Pattern[str]) -> bool:
    """A link whose words are the report's phrase and nothing else (政府信息公开年报, 年报专栏 >>): the column's own
    name in a breadcrumb, a menu or a sidebar, not one body's report of a year."""
    return _NAV_WORDS.sub("", pattern.sub("", name)) == ""


def _year(name: str) -> int | None:
    if (year := year_of(name)) is not None:
        return year
    found = {int(y) for y in _BARE_YEAR.findall(name)}
    return found.pop() if len(found) == 1 else None


_INDEX = re.compile(r"/(?:index|default)\.(?:s?html?|jhtml|jsp|php|aspx?)$", re.I)


def same_page(a: str, b: str) -> bool:
    """Whether two URLs are one column page: /col/nb/, /col/nb and /col/nb/index.html are."""

    def key(url: str) -> tuple[str, str, str]:
        p = urlsplit(url)
        return p.netloc.lower(), _INDEX.sub("/", p.path).rstrip("/"), p.query

    return key(a) == key(b)


def _base(page: Page, page_url: str) -> str:
    """What the page's links are relative to: its ``<base href>``, else its own URL."""
    base = next((b for b in page.all("base") if b.get("href") is not None), None)
    return (resolved(page_url, str(base.get("href"))) or page_url) if base is not None else page_url


def _links(
    page: Page | None, page_url: str, pattern: re.Pattern[str], links: dict[str, Link]
) -> tuple[list[Link], str | None]:
    if page is None:  # (nothing in it: an empty answer)
        return list(links.values()), None
    base = _base(page, page_url)
    here = canonical(page_url)
    nexts: list[tuple[int, str]] = []  # (rank, url): 下一页 first, then a pager's > and last its >>
    for a in page.all("a"):
        text = _CJK_GAP.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFKC", page.words(a))))
        if not text and a.find(".//script") is not None:  # its words written by its script (review 97)
            text = _scripted_words(a, pattern)
        title = _CJK_GAP.sub(
            "", _INVISIBLE.sub("", unicodedata.normalize("NFKC", " ".join(str(a.get("title") or "").split())))
        )
        maybe_next = _next_words(a, text, title)
        if not (
            maybe_next
            or pattern.search(text)
            or pattern.search(title)
            or _CUT.search(text)
            or text.endswith(_UNMARKED_ENDS)
        ):
            continue  # (most of a page's links: nothing below would keep it, so its URL is not worked out)
        href = _target(a)
        if href is None:
            continue
        url = resolved(base, href)
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            continue
        if url != here and maybe_next and (rank := _next_rank(page, a, maybe_next, url, here)):
            nexts.append((rank, url))
            continue
        # the title attribute where it names the report (link text is often cut short, "…年度..."), not where it is a
        # tooltip of the date ("发布时间：2025年01月26日"); a date in the text is the day it was published, not its year
        named = title if pattern.search(title) else text
        name = _EMPTY_BRACKETS.sub("", " ".join(_DATED.sub(" ", named).split())).strip()
        if url in links or _about(name) or _about(text) or _PLACEHOLDER.search(name):
            continue  # a 解读 or 图解 of a report; a CMS's template row (hidden or not: rows a 展开更多 shows are too)
        if pattern.search(text) or pattern.search(title):
            year = _year(name)
            column = year is None and _names_only_the_column(name, pattern)
            if column and same_page(url, here):
                continue  # the breadcrumb's link to this very listing: opened at every poll, it would be read whole
            links[url] = Link(url, name, year, NOTICE if _NOTICE.search(name) else COLUMN if column else "")
        elif _cut_short(text, pattern) and not _NOTICE.search(name):
            links[url] = Link(url, name, _year(name), CUT)
    nexts = [(rank, url) for rank, url in nexts if rank == 1 or url not in links]  # a row's ">" to its own report
    return list(links.values()), min(nexts)[1] if nexts else None


def _next_words(a: Any, text: str, title: str) -> int:
    """What a link's words say of a next page: 下一页 in its words, its title or its image's alt (1), a bare arrow
    (2 for >, 3 for >>), nothing (0)."""
    alt = " ".join(str(img.get("alt") or "") for img in a.iter("img"))
    if any(_NEXT.match(words.strip()) for words in (text, title, alt) if words.strip()):
        return 1
    arrows = _ARROWS.get(text.replace(" ", ""))
    return 1 + arrows if arrows else 0


def _next_rank(page: Page, a: Any, said: int, url: str, here: str) -> int:
    """Whether a link is the listing's next page, and how surely (``_next_words``): a 下一页 is; a pager's bare
    arrow only to a page beside this one (2 for >, 3 for >>: on many pagers the last page): a box's "more >>" goes
    to another column."""
    return said if said == 1 or _beside(url, here) or _in_pager(page, a) else 0


_PAGER_WORDS = re.compile(
    r"首页|尾页|末页|上一页|上页|共\s*\d+\s*页|第\s*\d+\s*页|(?<![\d/.\-])\d{1,3}\s*/\s*\d{1,3}(?![\d/.\-])"
)  # 2/5, not a date's 2024/5/1
_PAGER_NAMES = re.compile(r"pag|fenye|fanye|fy\b", re.I)  # class="pages", id="pagination", class="fenye"


def _in_pager(page: Page, a: Any) -> bool:
    """Whether a bare arrow stands in a pager: its box is named one (class="pages", "pagination", "fenye"), or
    says what pagers say (首页, 共5页, 2/5) or numbers its pages; not a box's "more" link."""
    if "more" in str(a.get("class") or "").lower():
        return False
    return any(_pager(page, box) for box in itertools.islice(a.iterancestors(), 3))


def _pager(page: Page, box: Any) -> bool:
    """Whether a box is a pager (``_in_pager``), worked out once a page: a list with an arrow in each of its 3,000
    rows asked it of the list as many times, each time reading the whole list (126 s)."""
    if (known := page.boxes.get(box)) is not None:
        return known
    names = f"{box.get('class') or ''} {box.get('id') or ''}"
    numbered = sum(1 for x in box.iter("a") if page.close_words(x).isdigit())
    page.boxes[box] = said = bool(
        _PAGER_NAMES.search(names) or _PAGER_WORDS.search(" ".join(page.strings(box))) or numbered >= 2
    )
    return said


def _beside(url: str, here: str) -> bool:
    """A page of the same listing: in the same folder (index_1.html beside index.html), or the same path asked
    for another page (``?page=2``)."""
    a, b = urlsplit(url), urlsplit(here)
    if a.netloc != b.netloc:
        return False
    return a.path == b.path or a.path.rsplit("/", 1)[0] == (
        b.path if b.path.endswith("/") else b.path.rsplit("/", 1)[0]
    ).rstrip("/")


# what a listing with nothing in it says (暂无信息, 暂无数据, 没有找到相关信息); a template a script fills (Vue's
# {{ }} and v-if, Angular's ng-repeat) says it whatever the list will hold, so it says nothing
_EMPTY = re.compile(
    r"暂无(相关)?(信息|数据|内容|记录|文章|结果)|没有(找到)?(相关|符合条件的)?(信息|数据|记录|内容|文章)"
)
_TEMPLATE = re.compile(
    r"\{\{|\bv-(if|for|show)\b|\bng-(repeat|if)\b|\bx-for\b"  # a template a script fills
    r"|\$\.(ajax|get|post|getJSON)\b|XMLHttpRequest|\bfetch\(|\baxios\b|jsonp|\.load\("  # a list a script asks for
    r"|<script[^>]+src=[\"'][^\"']*(list|data|page|info|article|column)[^\"']*\.js",  # …or one of its scripts does
    re.I,
)


def says_empty(html: str) -> bool:
    """Whether a listing page says in its own words, where a reader sees them, that it lists nothing: not in a
    template or a page whose list a script fills (its 暂无数据 stands whatever the list will hold), nor hidden.
    Asked only of a listing in which no link was found, so bs4's tree, whose ``decompose`` reads as the rule."""
    if _TEMPLATE.search(html):
        return False
    from bs4 import BeautifulSoup  # noqa: PLC0415  (imported here: most polls never ask)

    soup = BeautifulSoup(html, "lxml")
    for hidden in soup.find_all(_unseen):
        hidden.decompose()
    for chrome in soup.find_all(("script", "style", "template", "noscript")):
        chrome.decompose()
    return _EMPTY.search(soup.get_text(" ")) is not None


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _unseen(tag: Any) -> bool:
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style") or "")))


def is_attachment(url: str) -> bool:
    return bool(_ATTACHMENT.search(urlsplit(url).path))


def attachments(html: str, page_url: str) -> list[str]:
    """Links to attachments on a report page in any format a report is published in: PDF and OFD first
    (the published forms), then Word/WPS, a zip of attachments, workbooks, images. Linked (<a>) or shown in the
    page (<iframe>, <embed>, <object>), directly or through a PDF viewer (``viewer.html?file=…pdf``).
    The kind comes from the URL's extension, else from the link text ("…年度报告.pdf" on a download URL)."""
    page = parsed(html)
    if page is None:
        return []
    found: dict[str, str] = {}
    base = _base(page, page_url)
    shown = [(el.get("src") or el.get("data"), "") for el in page.all("iframe", "embed", "object")]
    for href, text in [
        *((a.get("href"), page.words(a)) for a in page.all("a") if a.get("href") is not None),
        *shown,
    ]:
        url = resolved(base, str(href or "").strip())
        if url is None:
            continue
        url = _viewed(url) or url
        m = _ATTACHMENT.search(urlsplit(url).path) or _ATTACHMENT.search(text)
        if m and url not in found:
            found[url] = m.group(1).lower()
    return sorted(found, key=lambda u: _ORDER.index(found[u]) if found[u] in _ORDER else len(_ORDER))


def _viewed(url: str) -> str | None:
    """The document a PDF viewer's address shows (pdf.js: ``/pdfjs/web/viewer.html?file=/uploads/x.pdf``, taken
    from the viewer's address as pdf.js takes it), or None."""
    parts = urlsplit(url)
    if not parts.path.lower().endswith((".html", ".htm", ".jsp", ".aspx", ".php", "/")):
        return None
    for value in parse_qs(parts.query).get("file", []):
        if (inner := resolved(url, value.strip())) is not None and _ATTACHMENT.search(urlsplit(inner).path):
            return inner
    return None
