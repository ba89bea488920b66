"""What a browser does not show a reader of a portal page: a row or cell it does not draw (``rendered``), and,
in a table cell, text a reader does not read as the cell's number (``mark_asides``): footnote marks, struck-through
corrections, Word's hidden or white text. The HTML reader asks both before it reads a table."""

from __future__ import annotations

from typing import Any

from lxml import etree

from monitor.reading.cells import DEBRIS

_NOT_RENDERED = ("display:none", "mso-hide:all")  # a row or cell the browser does not draw (spaces removed, lower)


def rendered(el: Any) -> bool:
    """Whether a browser draws the row or cell: a hidden column of an Excel page saved as HTML is not there."""
    style = "".join((el.get("style") or "").split()).lower()
    return el.get("hidden") is None and not any(x in style for x in _NOT_RENDERED)


# In a table cell, text a reader does not read as the cell's number: a footnote mark (<sup>), a deletion or a
# struck-through correction (<del>, <s>, <strike>), Word's hidden text. It is replaced by the debris mark, so
# "27<sup>1</sup>" is 27, read, but not for certain.
_HIDDEN_STYLE = (  # CSS a reader does not read as the cell's text (spaces removed, lower case)
    "display:none",
    "mso-hide:all",
    "visibility:hidden",
    "vertical-align:super",
    "vertical-align:sub",
    "color:#fff",
    "color:white",
    "font-size:0;",
    "font-size:0pt",
    "font-size:0px",
)
_STYLE = "translate(translate(@style, ' ', ''), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_ASIDE_TEST = " or ".join(
    ["self::sup", "self::sub", "self::del", "self::s", "self::strike", "@hidden", f"{_STYLE}='font-size:0'"]
    + [f"contains({_STYLE}, '{x}')" for x in _HIDDEN_STYLE]
)
_ASIDE = etree.XPath(f"//td//*[{_ASIDE_TEST}] | //th//*[{_ASIDE_TEST}]")


def mark_asides(root: Any) -> None:
    for el in _ASIDE(root):
        for child in list(el):
            el.remove(child)
        el.text = DEBRIS
