"""Stage: extract (paged articles). A report its CMS cut into pages: which page of how many a page is, and the
addresses of the others.

TRS (拓尔思) writes a long article as t2024…html, t2024…_1.html, …, each page with its pager script,
``createPageHTML(total, current, "t2024…", "html")``. Only the script says an article runs on: a pager's words
("共2页 … 下一页") are as often a comment list's, and a part a page does not hold would go unreported. The watcher
reads the others after the first (``watch.paged``); a page read alone says it is one of several (``PAGED``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An article its CMS cut into pages: TRS's pager script (createPageHTML(total, current, "t2024…", "html"), its
# arguments written in or as the variables set before it, or after the id of the element it draws into: 'page_div',
# 2, 0, …). Only the script says so: a pager's words ("共2页 … 下一页") are as often a comment list's, and a part its
# page does not hold would go unreported. A listing's pages are drawn by the same script (``watch.pagers``).
_TRS_PAGER = re.compile(
    r"createPageHTML\(\s*([\"'][\w\-]*[\"']\s*,\s*)?(\w+)\s*,\s*(\w+)\s*,\s*[\"']([\w\-]+)[\"']\s*,\s*[\"'](\w+)[\"']"
)
JOINED = "<!--govmon: the article's pages joined-->"  # the watcher read every page of a paged article into this one
MOST_PAGES = 10  # an article of more pages is not joined: its first page says it is one of several


@dataclass(frozen=True)
class Pager:
    """A TRS pager script's arguments: how many pages, this one's (from 0; -1 where a variable is not found), and
    how its pages are named (page i of "index", "html" is index_i.html)."""

    total: int
    current: int
    name: str
    ext: str
    into: bool  # the variant naming its element first, whose pages may count from 1: this page's URL tells


def trs_pager(html: str) -> Pager | None:
    m = _TRS_PAGER.search(html)
    if m is None:
        return None
    values = []
    for arg in m.groups()[1:3]:
        if arg.isdigit():
            values.append(int(arg))
            continue
        set_before = re.findall(rf"\b{re.escape(arg)}\s*=\s*(\d+)", html[: m.start()])
        values.append(int(set_before[-1]) if set_before else -1)  # the last value set before the call
    return Pager(values[0], values[1], m.group(4), m.group(5), m.group(1) is not None)


def next_pages(html: str) -> list[str]:
    """The addresses (relative to the page) of a paged article's other pages where this is its first: TRS writes
    page i of "t20240126_86535.html" as "t20240126_86535_i.html"."""
    pager, paged = trs_pager(html), page_of(html)
    if pager is None or paged is None or paged[0] != 1 or paged[1] > MOST_PAGES:
        return []
    return [f"{pager.name}_{i}.{pager.ext}" for i in range(1, paged[1])]


def page_of(html: str) -> tuple[int, int] | None:
    """(this page, of how many) where the article is one of several pages (and not all joined here), else None."""
    pager = trs_pager(html)
    if pager is None or pager.into or JOINED in html:
        return None
    total, current = pager.total, pager.current
    return (current + 1, total) if total >= 2 and 0 <= current < total else None
