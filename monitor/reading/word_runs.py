"""What a Word run shows a reader (the DOCX reader's ``visible_text`` asks): text inside a tracked deletion, hidden
(w:vanish), struck through or raised as a note mark is not read as what it says; a digit left in white beside a
number on a white page is not seen at all.

White text is read where it may stand on a colour: its run's, paragraph's or cell's shading or highlight, its table's
shading or table style's, a style's that shades its run or paragraph, the page's colour. Only a fill dark enough for
white to show counts (not Word's usual light greys, F2F2F2 or D9D9D9). Set in white is a run's colour, its
character style's, or a near-white (FEFEFE) one. What the styles of the document being read say is worked out once
(``Looks``, held while it is read).
"""

from __future__ import annotations

import copy
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from monitor.reading.normalise import ideographs

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_GONE = {W + "del", W + "moveFrom"}  # tracked deletions: not what Word shows
WHITE = 0.97  # a colour this light (its luminance, 0-1) is white on a white page
DARK = 0.6  # a fill this dark or darker shows white text on it
_HIGHLIGHTS_LIGHT = ("none", "white", "yellow", "lightGray", "cyan", "green")  # white on them is hard to see


@dataclass(frozen=True)
class Looks:
    """What the document's styles and page say about its runs: the character styles that make a run unseen, those
    that set it in white, the styles (of any kind) that put a dark colour under their text, and a dark page."""

    unseen: frozenset[str] = frozenset()
    white: frozenset[str] = frozenset()
    shading: frozenset[str] = frozenset()
    dark_page: bool = False
    raised: frozenset[str] = frozenset()  # character styles that raise or lower their text (``raised``)


PLAIN = Looks()  # no style or page that hides or shades
LOOKS: ContextVar[Looks] = ContextVar("looks", default=PLAIN)  # the document being read's


def looks(document: Any) -> Looks:
    """``Looks`` of a python-docx document. A style's run properties are its own and those it inherits from the
    styles it is based on (``w:basedOn``), the nearest's first (review 100: a note mark's style, superscript by its
    parent, read into the number)."""
    unseen, white, raised, shading = set(), set(), set(), set()
    styles = {str(s.get(W + "styleId")): s for s in document.styles.element.iter(W + "style")}
    for name, style in styles.items():
        props = _inherited(styles, name)
        if style.get(W + "type") == "character" and props is not None:
            if unseen_props(props):
                unseen.add(name)
            if _whitish(props):
                white.add(name)
            if _raised(props):
                raised.add(name)
        if style.get(W + "type") == "paragraph" and props is not None:
            if _whitish(props):
                white.add(name)  # (its runs with no colour of their own are white)
            if any(_on(props.find(W + tag)) for tag in _TOGGLES):
                unseen.add(name)  # (its runs hidden or struck through: review 100)
        if any(_dark_fill(p, highlight=False) for p in style.iter(W + "rPr", W + "pPr", W + "tcPr", W + "tblPr")):
            shading.add(name)  # (a table style's conditional parts too: a header row's dark fill)
    page = document.element.find(W + "background")
    dark_page = page is not None and _luminance(page.get(W + "color")) <= DARK
    return Looks(frozenset(unseen), frozenset(white), frozenset(shading), dark_page, frozenset(raised))


def _inherited(styles: dict[str, Any], name: str) -> Any:
    """The run properties a style gives its text: each property from the nearest of the style and the styles it is
    based on that sets it (None where none sets any)."""
    from lxml import etree  # noqa: PLC0415

    chain, seen = [], set()
    while name in styles and name not in seen:  # (a loop of basedOn: each style once)
        seen.add(name)
        style = styles[name]
        if (props := style.find(W + "rPr")) is not None:
            chain.append(props)
        based = style.find(W + "basedOn")
        name = str(based.get(W + "val")) if based is not None else ""
    if len(chain) <= 1:
        return chain[0] if chain else None
    merged = etree.Element(W + "rPr")
    for props in reversed(chain):  # the farthest first, each nearer one's setting over it
        for prop in props:
            if (same := merged.find(prop.tag)) is not None:
                merged.remove(same)
            merged.append(copy.deepcopy(prop))
    return merged


def hidden(t: Any) -> bool:
    """A text run a reader does not read as what it says: inside a tracked deletion or a move's old place (review
    100: a w:moveFrom around the run was not looked for), formatted hidden (w:vanish), struck through (a
    correction typed over by hand: "<s>9</s>10" is 10, not 910), or superscript or subscript (a note mark, not the
    cell's number: "6¹" is 6)."""
    run = paragraph = None
    for up in t.iterancestors():
        if up.tag in _GONE:
            return True
        if up.tag == W + "p":
            paragraph = up
            break
        if up.tag == W + "r" and run is None:
            run = up
    unseen = LOOKS.get().unseen
    props = run.find(W + "rPr") if run is not None else None
    if props is not None and (unseen_props(props) or _style(props, "rStyle") in unseen):
        return True
    if props is not None and any(props.find(W + tag) is not None for tag in _TOGGLES):
        return False  # (its own setting over its paragraph style's: <w:strike w:val="0"/>, review 101)
    paragraph_props = paragraph.find(W + "pPr") if paragraph is not None else None
    return paragraph_props is not None and _style(paragraph_props, "pStyle") in unseen


_TOGGLES = ("vanish", "strike", "dstrike")


def raised(t: Any) -> bool:
    """A text run raised or lowered off the line (Word's 位置 提升/降低, ``w:position``, itself or by its character
    style): beside the cell's number, a note mark set so rather than as superscript (review 100: "62" and a raised
    "1" read as 621)."""
    run = t.getparent()
    props = run.find(W + "rPr") if run is not None else None
    if props is None:
        return False
    own = props.find(W + "position")
    return _raised(props) if own is not None else _style(props, "rStyle") in LOOKS.get().raised


def _raised(props: Any) -> bool:
    position = props.find(W + "position")
    try:
        return position is not None and int(float(str(position.get(W + "val", "0")))) != 0
    except ValueError:
        return False


def unseen_props(props: Any) -> bool:
    """Whether run properties (a run's, or a character style's) make its text one a reader does not read as it."""
    if any(_on(props.find(W + name)) for name in ("vanish", "strike", "dstrike")):
        return True
    align = props.find(W + "vertAlign")
    return align is not None and align.get(W + "val") in ("superscript", "subscript")


def white(t: Any) -> bool:
    """Text set in white (``_whitish``) with no colour under it (its run's, paragraph's, cell's or table's, the
    page's): on a white page a reader does not see it."""
    run, seen = t.getparent(), LOOKS.get()
    props = run.find(W + "rPr")
    if props is None or seen.dark_page:
        return False
    if not (_whitish(props) or (props.find(W + "color") is None and _styled_white(run, props, seen))):
        return False
    if _dark_fill(props) or _style(props, "rStyle") in seen.shading:
        return False
    under = {W + "p": ("pPr", "pStyle"), W + "tc": ("tcPr", ""), W + "tbl": ("tblPr", "tblStyle")}
    for up in run.iterancestors(*under):
        props_tag, style = under[up.tag]
        if _under(up.find(W + props_tag), style, seen):
            return False
    return True


def _styled_white(run: Any, props: Any, seen: Looks) -> bool:
    """Whether a run with no colour of its own is white by its character style, or else by its paragraph's style."""
    if (style := _style(props, "rStyle")) is not None:
        return style in seen.white
    paragraph = next(run.iterancestors(W + "p"), None)
    paragraph_props = paragraph.find(W + "pPr") if paragraph is not None else None
    return paragraph_props is not None and _style(paragraph_props, "pStyle") in seen.white


def left_in_white(parts: list[str], whites: list[int]) -> bool:
    """Whether a cell's white parts are a figure left beside its seen text (a "0" after "20", no words): where the
    whole cell is white, it is on a shading not known here."""
    seen = "".join(p for i, p in enumerate(parts) if i not in set(whites))
    left = "".join(parts[i] for i in whites)
    return bool(seen.strip()) and not ideographs(left) and any(c.isdigit() for c in left)


def marked_after(parts: list[str], raised: list[int]) -> bool:
    """Whether a cell's raised parts are a note mark after its number: a figure raised after the seen digits (a
    number raised whole is its number set higher; digits nudged before the rest are part of it: review 101)."""
    first = min(raised)
    before = "".join(p for i, p in enumerate(parts) if i < first)
    return (
        any(c.isdigit() for c in before)
        and all(i in raised or not parts[i].strip() for i in range(first, len(parts)))
        and left_in_white(parts, raised)
    )


def _under(props: Any, style: str, seen: Looks) -> bool:
    """Whether properties (a paragraph's, a cell's, a table's) put a dark colour under their text, themselves or by
    their style."""
    return props is not None and (_dark_fill(props) or bool(style and _style(props, style) in seen.shading))


def _style(props: Any, tag: str) -> str | None:
    found = props.find(W + tag)
    return None if found is None else str(found.get(W + "val"))


def _whitish(props: Any) -> bool:
    """Whether properties set their text in white: a colour that light, or the theme's background or light colour
    (Word draws the theme's over the colour given; "auto" alone is black on a light page)."""
    color = props.find(W + "color")
    if color is None:
        return False
    if str(color.get(W + "themeColor", "")) in ("background1", "light1"):
        return True
    return _luminance(color.get(W + "val"), auto=0.0) >= WHITE


def _dark_fill(props: Any, highlight: bool = True) -> bool:
    """Whether properties put a colour under their text that white shows on: a dark shading (its fill, or a solid
    pattern's colour), another pattern, a theme's fill not given as a colour, a highlight that is not a light one
    (a run's own: Word draws no highlight a style sets)."""
    shading, marked = props.find(W + "shd"), props.find(W + "highlight") if highlight else None
    if marked is not None and str(marked.get(W + "val", "none")) not in _HIGHLIGHTS_LIGHT:
        return True
    if shading is None:
        return False
    pattern, fill = str(shading.get(W + "val", "clear")), shading.get(W + "fill")
    if pattern == "nil":
        return False
    if pattern == "solid":  # the pattern's colour covers the fill (auto: black)
        return _luminance(shading.get(W + "color") or "000000", auto=0.0) <= DARK
    if pattern != "clear" or (str(fill or "auto").lower() == "auto" and shading.get(W + "themeFill")):
        return True
    return _luminance(fill) <= DARK


def _luminance(value: Any, auto: float = 1.0) -> float:
    """A colour's lightness (0 black, 1 white) from Word's hex (FFFFFF) or name; ``auto`` where none or "auto"."""
    text = str(value or "auto").strip().lower()
    if text in ("auto", "none"):
        return auto
    if text == "white":
        return 1.0
    if text == "black":
        return 0.0
    if len(text) != 6:
        return 1.0  # (an unknown name: taken for no colour)
    try:
        r, g, b = (int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return 1.0
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _on(toggle: Any) -> bool:
    """Whether a toggle property (<w:strike/>, <w:vanish w:val="0"/>) is set: present, and not turned off."""
    return toggle is not None and str(toggle.get(W + "val", "true")).lower() not in ("0", "false", "off")
