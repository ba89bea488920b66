"""Stage: discover, what a column page says of its own list: that it lists reports (its title, a heading, a table's
header: a link of only a year is then a report's), that it lists nothing (暂无信息), or that a script draws its
list (a template, a list asked for, rows written from data the page holds)."""

from __future__ import annotations

import re
from typing import Any

from monitor.watch import link_words
from monitor.watch.markup import HIDDEN_STYLE, Page

_HEADS = ("title", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "th")


def of_reports(page: Page, pattern: re.Pattern[str]) -> bool:
    """Whether the page says it lists reports: its title, a heading or a table's header names them (部门政府信息公开
    工作年度报告, 政府信息公开年报, 年度报告), as a 部门年报 table's page does, whose links are only years."""
    named = (link_words.words(page.words(el)) for el in page.all(*_HEADS))
    return any(pattern.search(w) or "年度报告" in w or "年报" in w for w in named)


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


# a script writing rows into the page from data it holds (review 97: var listData=[…]; h+="<li><a href=…"; …innerHTML=h):
# one that writes markup and holds a row's or a link's tag in a string (not an analytics snippet's document.write, nor
# a clock's innerHTML, on a column a body left empty: its reports are missing)
_SCRIPTS = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
_WRITES_MARKUP = re.compile(r"\.innerHTML\s*\+?=|document\.write|\.append\(|\.html\(")
_ROW_TAG = re.compile(r"['\"][^'\"\n]*<(?:li|a|tr|td)\b", re.I)


def drawn_by_script(html: str) -> bool:
    """Whether a script fills the page's list: a template, a list asked for, or rows it writes from data it holds."""
    if _TEMPLATE.search(html):
        return True
    return any(_WRITES_MARKUP.search(t) and _ROW_TAG.search(t) for t in (m[1] for m in _SCRIPTS.finditer(html)))


def says_empty(html: str) -> bool:
    """Whether a listing page says in its own words, where a reader sees them, that it lists nothing: not in a
    template or a page whose list a script fills (its 暂无数据 stands whatever the list will hold), nor hidden.
    Asked only of a listing in which no link was found, so bs4's tree, whose ``decompose`` reads as the rule."""
    if drawn_by_script(html):  # (review 97's H: a sidebar's 暂无相关信息 beside a list a script writes)
        return False
    from bs4 import BeautifulSoup  # noqa: PLC0415  (imported here: most polls never ask)

    soup = BeautifulSoup(html, "lxml")
    for hidden in soup.find_all(_unseen):
        hidden.decompose()
    for chrome in soup.find_all(("script", "style", "template", "noscript")):
        chrome.decompose()
    return _EMPTY.search(soup.get_text(" ")) is not None


def _unseen(tag: Any) -> bool:
    return tag.has_attr("hidden") or bool(HIDDEN_STYLE.search(str(tag.get("style") or "")))
