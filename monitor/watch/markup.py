"""Stage: discover, a listing page's markup. The page as lxml reads it and an element's words as a reader reads
them, and where a link goes (``target``: its href, or what its script opens): what ``discover`` finds a page's
links and its pagers' numbered links in, and a report page's attachments.

lxml's own tree, not bs4's (issue #28): bs4 building its tree in Python took 27-40 ms a real column page of
150-350 KB, lxml ~2 ms. The words are those bs4's ``get_text`` gave, which the listings' tests were written
against: an element's text and its descendants', a string apart from the next, none of a comment's, a script's,
a style's, a template's or a ruby annotation's (``<rt>``, ``<rp>``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from monitor.reading.tree import html_tree

_NO_TEXT = ("script", "style", "template", "rt", "rp")  # what they hold is code, a pattern or an annotation


@dataclass(frozen=True)
class Page:
    """A page's root element (lxml's ``<html>``) and the elements inside a script, a style, a template or a ruby
    annotation, whose words are not the page's text."""

    root: Any
    quiet: frozenset[Any] = field(repr=False)
    boxes: dict[Any, bool] = field(default_factory=dict, repr=False)  # whether each box asked of is a pager

    def all(self, *tags: str) -> Iterator[Any]:
        """The page's elements of these tags, in page order."""
        return self.root.iter(*tags)  # type: ignore[no-any-return]

    def strings(self, el: Any) -> Iterator[str]:
        """The strings of an element's words, in page order."""
        from lxml import etree  # noqa: PLC0415

        depth = 0  # how many quiet elements the walk is in
        for event, node in etree.iterwalk(el, events=("start", "end", "comment", "pi")):
            if event == "start":
                depth += node in self.quiet
                if node.text and not depth:
                    yield node.text
                continue
            if event == "end":
                depth -= node in self.quiet
            if node.tail and not depth and node is not el:  # (a comment's own text is none of the page's words)
                yield node.tail

    def words(self, el: Any) -> str:
        """An element's words, each string apart from the next, space runs as one (bs4's ``get_text(" ")``, split
        and joined)."""
        return " ".join(" ".join(self.strings(el)).split())

    def close_words(self, el: Any) -> str:
        """An element's strings stripped and put together (bs4's ``get_text(strip=True)``): a pager's "1"."""
        return "".join(s.strip() for s in self.strings(el))


def parsed(markup: str) -> Page | None:
    """The page as lxml reads it (``reading.tree``), or None for one with no element in it (empty, a comment)."""
    root = html_tree(markup.encode("utf-8", "replace"))
    if root is None:
        return None
    return Page(root, frozenset(node for box in root.iter(*_NO_TEXT) for node in box.iter()))


OPENS = re.compile(
    r"(?:window\.open|location\.(?:assign|replace)|(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=)"
    r"\s*\(?\s*['\"]([^'\"]+)['\"](?!\s*\+)"  # (not an address a script builds: 'index_'+(1)+'.html')
    # a function of the site's own (openWin('…'), goUrl("…")) given a page's address
    r"|\b\w+\(\s*['\"]((?:https?://|/|\.\.?/)[^'\"]*|[^'\"]+\.(?:s?html?|jsp|php|aspx?|do|pdf|docx?|wps|ofd)(?:\?[^'\"]*)?)['\"]"
)


def target(a: Any) -> str | None:
    """Where a link goes: its href, or where its script opens (``window.open('…')``, ``location.href='…'``, in the
    href or onclick), or its ``data-url``/``data-href`` when the href is only ``#``."""
    href = str(a.get("href") or "").strip()
    if href and not href.startswith(("javascript:", "#", "mailto:", "tel:")):
        return href
    for script in (href, str(a.get("onclick") or "")):
        if m := OPENS.search(script):
            return (m.group(1) or m.group(2)).strip()
    for key in ("data-url", "data-href", "data-link"):
        if value := str(a.get(key) or "").strip():
            return value
    return None
