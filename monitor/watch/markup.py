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
from functools import cached_property
from typing import Any

from monitor.reading.tree import html_tree

_NO_TEXT = ("script", "style", "template", "rt", "rp")  # what they hold is code, a pattern or an annotation
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)  # a style that shows nothing


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

    @cached_property
    def functions(self) -> dict[str, tuple[list[str], str]]:
        """The page's own script functions that open a page (``function openDoc(id){window.open('/detail.html?id='
        + id)}``): by name, their parameters and the address they open, as written."""
        found: dict[str, tuple[list[str], str]] = {}
        for script in self.all("script"):
            for m in _FUNCTION.finditer(script.text or ""):
                if sink := _SINK.search(m[3]):
                    found.setdefault(m[1], ([p.strip() for p in m[2].split(",") if p.strip()], sink[1]))
        return found

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
    """Where a link goes: its href (an ``<option>``'s value), or where its script opens (``window.open('…')``, ``location.href='…'``, in the
    href or onclick), or its ``data-url``/``data-href`` when the href is only ``#``."""
    href = str(a.get("value" if a.tag == "option" else "href") or "").strip()
    if href and not href.startswith(("javascript:", "#", "mailto:", "tel:")):
        return href
    for script in (href, str(a.get("onclick") or "")):
        if m := OPENS.search(script):
            return (m.group(1) or m.group(2)).strip()
    for key in ("data-url", "data-href", "data-link"):
        if value := str(a.get(key) or "").strip():
            return value
    return None


# a site's own function opening a page, written in the page (review 102's H3: ``openDoc('8a8b9c2e8d')`` for
# ``function openDoc(id){window.open('/s3/detail.html?id='+id)}``), its body one block
# (each part bounded: an unclosed "function f(" searched to the script's end from each was quadratic, review 104)
_FUNCTION = re.compile(r"function\s+([A-Za-z_$][\w$]{0,60})\s*\(([^)]{0,200})\)\s*\{([^{}]{0,2000})\}")
_SINK = re.compile(
    r"(?:window\.open|location\.(?:assign|replace)|(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=)"
    r"\s*\(?\s*([^;),]+)"
)
_TERM = re.compile(r"\s*(?:'([^'\\]*)'|\"([^\"\\]*)\"|([A-Za-z_$][\w$]*)|\(?\s*(-?\d+)\s*\)?)\s*(\+|$)")
_CALL = re.compile(r"\b([A-Za-z_$][\w$]*)\s*\(([^()]*)\)")
_ARG = re.compile(r"\s*(?:'([^'\\]*)'|\"([^\"\\]*)\"|(-?\d+))\s*(?:,|$)")


def called(a: Any, functions: dict[str, tuple[list[str], str]]) -> str | None:
    """The address a link's script opens by calling one of the page's ``functions`` with literal arguments
    (``openDetail(20190120,'zfxxgknb')`` for ``location.href='/'+c+'/'+id+'.html'``), or None."""
    for script in (str(a.get("onclick") or ""), str(a.get("href") or "")):
        for call in _CALL.finditer(script):
            if call[1] in functions and (args := _literals(call[2])) is not None:
                params, expression = functions[call[1]]
                if (url := _built(expression, dict(zip(params, args, strict=False)))) is not None:
                    return url
    return None


def _literals(text: str) -> list[str] | None:
    """A call's arguments, each a string or a number as written; None where one is anything else."""
    if not text.strip():
        return []
    out, at = [], 0
    while at < len(text):
        m = _ARG.match(text, at)
        if m is None or m.end() == at:
            return None
        out.append(m[1] if m[1] is not None else m[2] if m[2] is not None else m[3])
        at = m.end()
    return out


def _built(expression: str, values: dict[str, str]) -> str | None:
    """An address a function builds of strings and its parameters (``'/detail.html?id='+id``); None where it
    builds it of anything else (a variable of its own, a call)."""
    out, at, text = [], 0, expression.strip()
    while at < len(text):
        m = _TERM.match(text, at)
        if m is None or m.end() == at:
            return None
        if m[3] is not None and m[3] not in values:
            return None
        out.append(values[m[3]] if m[3] is not None else next(g for g in (m[1], m[2], m[4]) if g is not None))
        at = m.end()
    return "".join(out).strip() or None
