"""What a browser does not show a reader of a portal page: a block or a row or cell it does not draw (``hidden``,
``rendered``: a year's tab not shown, an old table an editor hid, a print copy, an Excel page's hidden column), and,
in a table cell, text a reader does not read as the cell's number (``mark_asides``): footnote marks, struck-through
corrections, Word's hidden or white text. The HTML reader asks both before it reads the page (and
``revealed.goes_on`` which of the blocks not drawn a script shows as the report's)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from lxml import etree

from monitor.reading.cells import DEBRIS
from monitor.reading.stylesheet import SHEET

# not drawn (spaces removed, lower case). Not visibility:hidden: a child may set itself visible again, and
# "backface-visibility:hidden" holds the words
_NOT_RENDERED = ((b"display", b"none"), (b"mso-hide", b"all"))


def rendered(el: Any) -> bool:
    """Whether a browser draws the row or cell: a hidden column of an Excel page saved as HTML is not there, nor a
    row the page's style sheet hides by its class (``stylesheet``)."""
    if el.get("hidden") is not None:
        return False
    style = _style(el)
    return not style or _drawn(style)


def hidden(el: Any) -> bool:
    """Whether a browser leaves the element (and what is in it) out by its own markup: not ``rendered``."""
    style = el.get("style")
    return (style is not None and not _drawn(style)) or el.get("hidden") is not None


@lru_cache(maxsize=1024)  # a table's rows and cells share a few styles
def _drawn(style: str) -> bool:
    css = _declared("".join(style.split()).encode("utf-8", "surrogatepass").lower())
    return not any(css.get(prop) == value for prop, value in _NOT_RENDERED)


def _style(el: Any) -> str | None:
    """The element's declarations as the cascade orders them: its style sheet's (and a ``<font color>``'s:
    ``stylesheet.apply``), then its own ``style``'s."""
    style: str | None = el.get("style")
    if (sheet := el.get(SHEET)) is None:  # (most pages have no sheet: a get, ~0.1 µs an element)
        return style
    return f"{sheet};{style}" if style else sheet


def _declared(css: bytes) -> dict[bytes, bytes]:
    """Each property's value, the last declared (whitespace removed, lower case), but for one declared
    ``!important`` before (a sheet's rule over the element's own style)."""
    values: dict[bytes, bytes] = {}
    important: set[bytes] = set()
    for declaration in css.split(b";"):
        prop, _, value = declaration.partition(b":")
        if value.endswith(b"!important"):
            important.add(prop)
            values[prop] = value.removesuffix(b"!important")
        elif prop not in important:
            values[prop] = value
    return values


# In a table cell, text a reader does not read as the cell's number: a footnote mark (<sup>), a deletion or a
# struck-through correction (<del>, <s>, <strike>, or the style UEditor and TinyMCE write for it), Word's hidden
# text, text in white (as Word writes it, or as an editor's paste serialises it: rgb(255, 255, 255)) or in no colour.
# It is replaced by the debris mark, so "27<sup>1</sup>" is 27, read, but not for certain. Each declaration is judged
# by its property: "background-color:#fff" is a white cell, not white text (review 95: a span's white background
# made every number of a table hidden).
_HIDING = frozenset(  # (property, value), whitespace removed, lower case
    (
        (b"display", b"none"),
        (b"mso-hide", b"all"),
        (b"visibility", b"hidden"),
        (b"vertical-align", b"super"),
        (b"vertical-align", b"sub"),
        (b"opacity", b"0"),
        *((b"font-size", b"0" + unit) for unit in (b"", b"pt", b"px", b"em", b"rem", b"%")),
    )
)
# white ink (or near-white, or none at all), as a page writes it: #fff, #ffffff and #fefefe, with an alpha or not;
# white; rgb(255,255,255) or rgb(255 255 255) (whitespace removed: rgb(255255255)), in per cent too, with an alpha or
# not; transparent; any colour of alpha 0
_INVISIBLE_INK = re.compile(
    rb"#fff[0-9a-f]?|#(?:f[a-f]){3}(?:[0-9a-f]{2})?|#[0-9a-f]{3}0|#[0-9a-f]{6}00|white|transparent"
    rb"|rgba?\((?:255,?255,?255|100%,?100%,?100%)(?:[,/][\d.]+%?)?\)"
    rb"|rgba\([\d.]+%?,[\d.]+%?,[\d.]+%?,0(?:\.0*)?%?\)|rgba?\([\d.%]+/0(?:\.0*)?%?\)"
)
_NO_GROUND = frozenset((b"", b"none", b"transparent", b"inherit", b"initial", b"unset"))  # (a background: nothing)
_ASIDE_TAGS = frozenset({"sup", "sub", "del", "s", "strike"})


def _in_cells(root: Any) -> Iterator[Any]:
    """The elements inside a table cell, in document order, each once: every outermost cell's descendants (a cell
    nested in a cell is walked with the outer one). Walked on lxml's C iterators: an XPath asking each element
    of the page for a cell among its ancestors (``//*[…][ancestor::td or ancestor::th]``) cost more than
    parsing the page; merging one node-set per cell (``//td//*[…] | //th//*[…]``) is quadratic in libxml2 (a
    page of 50,000 one-digit cells took 3.3 s, 470 KiB of tables nested 60 deep around 20,000 styled spans
    75 s). The outermost cells are those of one walk that skips each cell's subtree (asking each cell for a cell
    among its ancestors cost twice as much)."""
    walker = etree.iterwalk(root, events=("start",), tag=("td", "th"))
    for _, cell in walker:
        walker.skip_subtree()  # a cell nested in it is walked with it
        yield from cell.iterdescendants(etree.Element)


def _is_aside(el: Any) -> bool:
    if el.tag in _ASIDE_TAGS or el.get("hidden") is not None:
        return True
    style = _style(el)
    how = _hides(style) if style else _SEEN
    return how == _HIDDEN or (how == _WHITE and not any(_grounded(up) for up in el.iterancestors()))


_SEEN, _HIDDEN, _WHITE = 0, 1, 2  # what a style does to its text: nothing; hides it; sets it in white


@lru_cache(maxsize=1024)  # Word gives a page's thousand spans a handful of styles
def _hides(style: str) -> int:
    # whitespace out (Word's pasted styles wrap over lines: "\ncolor:#ffffff", review 96), ASCII letters lower:
    # bytes.lower() changes only A-Z, and UTF-8 gives every other character bytes >= 0x80
    css = _declared("".join(style.split()).encode("utf-8", "surrogatepass").lower())
    if any(item in _HIDING for item in css.items()) or _off_screen(css):
        return _HIDDEN
    if any(b"line-through" in css.get(prop, b"") for prop in (b"text-decoration", b"text-decoration-line")):
        return _HIDDEN
    if _INVISIBLE_INK.fullmatch(css.get(b"color", b"")) is None or _ground(css):
        return _SEEN  # (white text on a dark span of its own is seen)
    return _WHITE


_FAR_OFF = re.compile(rb"-\d{4,}(?:\.\d*)?(?:px|pt)?|-\d{3,}(?:\.\d*)?(?:em|rem)")  # -9999px, -999em
_CLIPPED = re.compile(rb"rect\(0(?:px)?,?0(?:px)?,?0(?:px)?,?0(?:px)?\)|inset\(50%\)")


def _off_screen(css: dict[bytes, bytes]) -> bool:
    """Whether declarations put their text where no one sees it, as the "visually hidden" of screen-reader text does
    (review 116: a "9" at ``left:-9999px`` before 239 was read 9239): positioned thousands of pixels off, or
    positioned and clipped to nothing (a clip applies only to what is positioned; a text-indent not to a span's
    text: review 118)."""
    if _FAR_OFF.fullmatch(css.get(b"text-indent", b"")) and css.get(b"display") in (b"block", b"inline-block"):
        return True  # (review 120: an inline-block's text-indent moves its text; an inline span's does not)
    position = css.get(b"position")
    if position in (b"absolute", b"fixed", b"relative") and any(
        _FAR_OFF.fullmatch(css.get(side, b"")) for side in (b"left", b"top", b"right")
    ):
        return True
    return position in (b"absolute", b"fixed") and any(
        _CLIPPED.fullmatch(css.get(prop, b"")) for prop in (b"clip", b"clip-path")
    )


def _ground(css: dict[bytes, bytes]) -> bool:
    """Whether declarations put a colour under their text that white shows on (not white, not none)."""
    ground = css.get(b"background-color", css.get(b"background", b""))
    return ground not in _NO_GROUND and _INVISIBLE_INK.fullmatch(ground) is None


def _grounded(el: Any) -> bool:
    """Whether an element (a white span's cell, its table, the page) draws a dark colour under what is in it: its
    ``bgcolor``, or a background by its style or the page's sheet (review 101: white words on a dark header cell,
    a dark theme's page, were taken for words a reader does not see). Dark enough for white to show: a table's light
    grey shading (#F2F2F2, #D9D9D9) is not, and a white digit beside a number on it is still one a reader misses."""
    if (color := el.get("bgcolor")) is not None:
        return _dark("".join(color.split()).lower().encode())
    style = _style(el)
    if not style:
        return False
    css = _declared("".join(style.split()).encode("utf-8", "surrogatepass").lower())
    return _dark(css.get(b"background-color", css.get(b"background", b"")))


DARK = 0.6  # a colour this dark (its luminance, 0-1) or darker shows white text on it (as word_runs.DARK)
_HEX = re.compile(rb"#([0-9a-f]{3}|[0-9a-f]{6})\b")
_RGB = re.compile(rb"rgba?\((\d{1,3}),?(\d{1,3}),?(\d{1,3})")
_DARK_NAMES = re.compile(
    rb"\b(black|navy|darkblue|darkred|darkgreen|maroon|purple|teal|darkslategr[ae]y|midnightblue)\b"
)


def _dark(value: bytes) -> bool:
    """Whether a colour as CSS writes it (whitespace out, lower case; a background's shorthand too) is dark."""
    if m := _HEX.search(value):
        h = m.group(1).decode()
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    elif m := _RGB.search(value):
        r, g, b = (min(int(x), 255) / 255 for x in m.groups())
    else:
        return _DARK_NAMES.search(value) is not None
    return 0.2126 * r + 0.7152 * g + 0.0722 * b <= DARK


# what holds no character a reader sees: spaces (no-break too), zero-width ones (an editor's bookmarks: UEditor's
# ``_baidu_bookmark`` spans hold a zero-width joiner), nothing at all
_NOTHING = re.compile(r"[\s\u00a0\u200b-\u200d\u2060\ufeff]*")


def _between_digits(el: Any) -> bool:
    """Whether an element a browser draws stands between two digits ("3<span style='color:#fff'>&nbsp;</span>1"): a
    reader sees "3 1", not 31 (review 118). One not drawn takes no room: "1<span style='display:none'>…</span>3" is
    13 (review 120)."""
    if hidden(el):
        return False
    return _beside(el, before=True)[-1:].isdigit() and _beside(el, before=False)[:1].isdigit()


def _beside(el: Any, before: bool) -> str:
    """The words next to ``el`` in its cell, before or after it (its neighbours' text, or theirs around its parent)."""
    while el is not None and el.tag not in ("td", "th"):
        if not before and (el.tail or "").strip():
            return str(el.tail).lstrip()
        for near in el.itersiblings(preceding=before):
            words = ("".join(near.itertext()) + (near.tail or "") if before else "".join(near.itertext())).strip()
            if words:
                return words
            if not before and (near.tail or "").strip():
                return str(near.tail).lstrip()
        parent = el.getparent()
        if before and parent is not None and (parent.text or "").strip():
            return str(parent.text).rstrip()
        el = parent
    return ""


def mark_asides(root: Any) -> None:
    """Each aside in a cell replaced by the debris mark (the cell's number read, not for certain); one that holds no
    character (an editor's hidden bookmark, an empty <sup>, a white space) taken out as nothing (review 116: a
    UEditor bookmark beside a number made both of its errors warnings)."""
    for el in [el for el in _in_cells(root) if _is_aside(el)]:  # judged before the tree changes
        said = (
            _NOTHING.fullmatch("".join(el.itertext())) is None or el.find(".//img") is not None or _between_digits(el)
        )
        for child in list(el):
            el.remove(child)
        el.text = DEBRIS if said else None
