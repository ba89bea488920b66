"""Where the report ends on a portal page. A CMS serves the report inside one element (TRS's ``TRS_Editor``, an
``article_content``) and, after it, what changes with the site, not with the report: a 附件下载 box, 相关链接, 最新动态,
print and share buttons, the footer with its year. That element is the smallest one holding every part's heading
and the page's data tables; the last part ends where it ends. Read to the end of the page, part 六 took in all of
it, and a new footer year or sidebar item was told to staff as the report revised.

Found as the page's text is walked (``html.html_document`` marks the end with an ``end`` block, which
``report.parse`` finds as ``model.ARTICLE_END`` and takes out). Not found (``None``: the last part runs to the end
of the page, as before) where fewer than three parts' headings are in elements of their own, or only the whole page
holds them all."""

from __future__ import annotations

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
