"""lxml's tree of an HTML page, however deep its markup nests: the report reader's (``html``) and the listing
pages' (``watch.markup``).

libxml2 builds its tree 256 elements deep at most and drops the rest of the page with no more than a line in its
error log. Real pages go deeper: a list or a report pasted with a tag left open in every row or paragraph
(``<font>``, ``<div>``), one level further in each time, which a browser shows whole (a report so nested was read
as "not a report", a listing's rows past the 256th as none). Such a page is built again from the parse's events,
as deep as it goes up to ``DEPTH`` levels; an element deeper still is put beside the deepest, as a browser does
past its own limit (Blink's, 512), so a hostile page nested 200,000 deep costs what a long flat one does (~1 s)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

DEPTH = 8192  # deeper than any real page nests (one left open a paragraph); deeper ones go beside those at it


def html_tree(data: bytes, *, ids: bool = False) -> Any:
    """The page's root element (``<html>``), or None for a page with no element in it (empty, a comment alone).
    ``data`` is UTF-8: lxml refuses a str that declares its encoding (``<?xml … encoding="gbk"?>``). ``ids``: keep
    libxml2's table of the page's ids (for ``getElementById``-like lookups; nothing here needs it)."""
    from lxml import etree  # noqa: PLC0415  (with the first page: `run`'s first request does not wait for it)

    parser = etree.HTMLParser(encoding="utf-8", collect_ids=ids)
    root = etree.fromstring(data, parser)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):  # (too deep: the rest dropped)
        with contextlib.suppress(ValueError):  # (what lxml refuses to set that _Capped missed: the page as cut off)
            root = etree.fromstring(data, etree.HTMLParser(encoding="utf-8", target=_Capped(parser.makeelement)))
    return root


# what lxml refuses to set (control characters, U+FFFE): U+FFFD, as libxml2's own tree holds them
_UNSET = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _settable(text: str) -> str:
    return _UNSET.sub("\ufffd", text)


class _Capped:
    """A parser's target that builds the page's tree from its events, ``DEPTH`` levels deep at most (``html_tree``).
    An element past it is put beside the deepest; its words stay in it (a link's words in the link)."""

    def __init__(self, make: Any) -> None:
        self.make = make  # the HTML parser's own (an HTML name, o:p, is a name)
        self.open: list[Any] = []  # the elements begun and not yet ended, innermost last
        self.boxes: list[Any] = []  # those of them that hold elements: the ones less than DEPTH levels down
        self.root: Any = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        from lxml import etree  # noqa: PLC0415

        # (a name lxml refuses, which libxml2's tree keeps, <p\x0b>: the attribute dropped, the element a span)
        attrib = {k: _settable(v) for k, v in attrib.items() if not _UNSET.search(k)}
        tag = "span" if _UNSET.search(tag) else tag
        if self.root is None:
            el = self.root = self.make(tag, attrib)
        else:  # (after the root has ended, which libxml2 does not do: kept in it, not lost)
            el = etree.SubElement(self.boxes[-1] if self.boxes else self.root, tag, attrib)
        self.open.append(el)
        if len(self.boxes) < DEPTH:
            self.boxes.append(el)

    def end(self, _tag: str) -> None:
        if self.open:
            el = self.open.pop()
            if self.boxes and self.boxes[-1] is el:
                self.boxes.pop()

    def data(self, text: str) -> None:
        if not self.open:
            return
        text = _settable(text)
        box = self.open[-1]
        if len(box):
            box[-1].tail = (box[-1].tail or "") + text
        else:
            box.text = (box.text or "") + text

    def comment(self, text: str) -> None:
        from lxml import etree  # noqa: PLC0415

        if self.open:  # (a comment holds no "--" and ends in no "-": lxml's rule)
            self.open[-1].append(etree.Comment(re.sub(r"-(?=-)", "- ", _settable(text)).rstrip("-")))

    def close(self) -> Any:
        return self.root
