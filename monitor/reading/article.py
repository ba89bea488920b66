"""Where the report ends on a portal page. A CMS serves the report inside one element (TRS's ``TRS_Editor``, an
``article_content``) and, after it, what changes with the site, not with the report: a 附件下载 box, 相关链接, 最新动态,
print and share buttons, the footer with its year. That element is the smallest one holding every part's heading
and the page's data tables (``holder``); the last part ends where it ends, or after the plain paragraphs that follow
it and are still the report's (``report_after``: part 六's last lines and 落款 typed after a pasted Word section),
before the first box of the site's. Read to the end of the page, part 六 took in all of it, and a new footer year
or sidebar item was told to staff as the report revised.

Found as the page's text is walked (``html.html_document`` marks the end with an ``end`` block, which
``report.parse`` finds as ``model.ARTICLE_END`` and takes out). Not found (``None``: the last part runs to the end
of the page, as before) where fewer than three parts' headings are in elements of their own, or only the whole page
holds them all."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from monitor.reading.parts import heading_parts

_WHOLE = frozenset(("html", "body"))
_LONGEST = 80  # characters of a heading, with its number and spaces


def holder(headed: list[tuple[Any, str]], tables: dict[Any, int | None]) -> Any | None:
    """The element holding the report on the page, or None (see the module). ``headed``: the page's short blocks
    whose words may be a part's heading, each with its words; ``tables``: each ``<table>``, its grid's number (None:
    a layout table)."""
    held: list[Any] = []
    parts: set[int] = set()
    for block, text in headed:
        words = " ".join(unicodedata.normalize("NFKC", text).split())
        if len(words) <= _LONGEST and (named := heading_parts(words)):
            held.append(block)
            parts.update(named)
    if len(parts) < 3:
        return None
    held += [table for table, grid in tables.items() if grid is not None]
    common = _common(held)
    return None if common is None or common.tag in _WHOLE or not isinstance(common.tag, str) else common


def _common(elements: list[Any]) -> Any | None:
    """The smallest element holding all of ``elements``."""
    first, *rest = elements
    chain = [first, *first.iterancestors()]
    depth = {id(el): k for k, el in enumerate(chain)}
    deepest = 0
    for el in rest:
        up = el
        while id(up) not in depth:
            up = up.getparent()
            if up is None:
                return None
        deepest = max(deepest, depth[id(up)])
    return chain[deepest]


# after the element holding the report, what is still the report's: paragraphs typed after a pasted Word section
# (part 六's last lines, its 落款 and date), plain text blocks with no box of their own; a template's box has a
# class or an id of its own, links, a list, a form, or a site's words
_PLAIN = frozenset(("p", "div", "span", "font", "strong", "b", "br", "center", "section", "h4", "h5", "h6"))
_EDITOR = re.compile(r"^(Mso|WordSection|TRS|Section)", re.I)  # classes a Word paste or the CMS's editor gives
_BOXES = ".//a[@href] | .//ul | .//ol | .//table | .//form | .//iframe | .//input | .//button | .//select"
_SITE_WORDS = re.compile(
    r"浏览|访问|点击|阅读|打印|关闭|分享|扫一扫|字号|字体|上一篇|下一篇|附件|相关|责任编辑|来源[:：]|版权|主办|承办|"
    r"网站标识码|ICP|备案|维护|更新于"
)


def report_after(holder: Any) -> tuple[list[Any], Any | None]:
    """The elements after ``holder`` (among its siblings) that are still the report's, and the first that is not
    (None: every one is)."""
    mine: list[Any] = []
    for after in holder.itersiblings():
        if not isinstance(after.tag, str):  # a comment
            continue
        if not _plain(after):
            return mine, after
        mine.append(after)
    return mine, None


def _plain(el: Any) -> bool:
    """A block of the report's own text: a plain paragraph, no box of the site's."""
    if el.tag not in _PLAIN or el.get("id") or el.xpath(_BOXES):
        return False
    if (kind := el.get("class")) and not _EDITOR.match(kind):
        return False
    words = "".join(el.itertext())
    return len(words) <= 1000 and not _SITE_WORDS.search(words)
