"""A page's own style sheet (its ``<style>`` elements), as far as it tells what a reader does not see in a table:
a row or cell not drawn, a digit struck through, hidden or in white. A page pasted from Word or Excel, or saved whole
by a browser, says so by a class (``<span class="del">9</span>8``, ``.del{text-decoration:line-through}``; an Excel
cell ``class="xl65"`` with ``.xl65{color:white}``; ``<tr class="hid">`` an old row), where an editor writes it in
the element's ``style`` (review 99: such a 9 read into 98 for certain, an old 总计 row read as the report's).

``apply`` writes each element's declarations from the sheet, in the cascade's order (the rules by specificity, then
as written), into an attribute of its own, ``SHEET``, which ``hidden`` reads before the element's ``style``. Only
what can hide is kept: the rules that hide (and the properties they set, from every rule, so a rule showing again
is heard); a colour set by a tag alone (``p{color:#fff}``: a dark theme, a footer) hides no digit. Only the rules a
browser applies to a screen: not those of an ``@media`` block (a print sheet's ``.noprint{display:none}``), nor
those of a pseudo-class, an attribute or a sibling selector. A descendant or child selector is matched with its
ancestors (review 101: ``.footer span{color:#fff}`` taken for every span hid every table). A page's linked style
sheets are not fetched."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

SHEET = "data-govmon-sheet"  # (an attribute no page sets: a data- name of this tool's own)
# the properties ``hidden`` judges; the others are left out (a Word sheet's hundreds of mso- declarations)
_PROPERTIES = frozenset(
    {
        "display",
        "visibility",
        "mso-hide",
        "opacity",
        "font-size",
        "vertical-align",
        "text-decoration",
        "text-decoration-line",
        "color",
        "background",
        "background-color",
    }
)
_COMMENT = re.compile(r"/\*.*?\*/|<!--|-->", re.S)
_COMPOUND = re.compile(r"([a-zA-Z][\w-]*)?((?:[.#][\w-]+)*)")  # span.del, .del.x, #n5, td
_COMBINATOR = re.compile(r"\s*(>)\s*|\s+")  # a child's, or a descendant's (whitespace)
_HIDES = re.compile(
    r"display:none|visibility:hidden|mso-hide:all|opacity:0(?:\.0*)?(?:;|$)|font-size:0(?:\.0*)?[a-z%]*(?:;|$)"
    r"|vertical-align:su[pb]|line-through|(?<![-\w])color:(?:#f|white|rgb|transparent)"
)  # (a quick look, whitespace out and lower case: ``hidden`` judges what is kept; a colour beginning so may be white)
_INK = ("color",)


@dataclass(frozen=True)
class _Compound:
    tag: str | None
    ident: str | None
    classes: frozenset[str]

    def matches(self, el: Any) -> bool:
        if self.tag is not None and self.tag != el.tag:
            return False
        if self.ident is not None and self.ident != el.get("id"):
            return False
        return not self.classes or self.classes <= frozenset((el.get("class") or "").split())


@dataclass(frozen=True)
class _Rule:
    order: tuple[int, int, int, int]  # specificity (ids, classes, tags), then where it was written
    parts: tuple[_Compound, ...]  # the selector's compounds, the element's own last
    children: tuple[bool, ...]  # before each compound but the first: a child's combinator (">"), else a descendant's
    declarations: tuple[tuple[str, str], ...]  # (property, its declaration as written)

    def matches(self, el: Any) -> bool:
        """Whether the rule's selector names ``el``: its own compound, then each before it on a parent (">") or on
        an ancestor, the nearest that matches."""
        if not self.parts[-1].matches(el):
            return False
        up = el.getparent()
        for part, child in zip(reversed(self.parts[:-1]), reversed(self.children), strict=True):
            while up is not None and not part.matches(up):
                if child:
                    return False
                up = up.getparent()
            if up is None:
                return False
            up = up.getparent()
        return True


def apply(root: Any) -> None:
    """Each element a rule of the page's sheet names is given the rule's declarations (``SHEET``), after a
    ``<font color>``'s (review 99: ``<font color="white">``, as old editors write white; the cascade puts an
    element's own presentational colour under every rule)."""
    inked = False
    for font in root.iter("font"):
        if (color := font.get("color")) is not None:
            font.set(SHEET, f"color:{color}")
            inked = True
    rules = _rules(root, inked)
    if not rules:
        return
    named: dict[str, list[_Rule]] = {}  # by a class, or an id, or a tag the rule's own compound asks for
    for rule in rules:
        own = rule.parts[-1]
        key = min(own.classes, default=None) or (own.ident and "#" + own.ident) or own.tag or "*"
        named.setdefault(key, []).append(rule)
    for el in root.iter(etree.Element):
        found = [r for c in (el.get("class") or "").split() for r in named.get(c, ())]
        if ident := el.get("id"):
            found += named.get("#" + ident, ())
        found += named.get(el.tag, ())
        if found := [r for r in found if r.matches(el)]:
            declared = ";".join(d for r in sorted(set(found), key=lambda r: r.order) for _, d in r.declarations)
            el.set(SHEET, f"{el.get(SHEET)};{declared}" if el.get(SHEET) else declared)


def _rules(root: Any, inked: bool = False) -> list[_Rule]:
    """The rules that can change what ``hidden`` says: those that hide, and every rule's declarations of the
    properties they hide by (a rule showing again; with a colour, by a rule or a ``<font>``, ``inked``: the
    backgrounds white may stand on); none where nothing hides (a Word or a site sheet of colours and fonts costs a
    look at its declarations: no selector is read, no element visited; review 101)."""
    blocks = []
    for style in root.iter("style"):
        for selectors, body in _blocks(_COMMENT.sub(" ", "".join(style.itertext()))):
            declarations = tuple(
                (prop, d)
                for d in body.split(";")
                if ":" in d and (prop := d.partition(":")[0].strip().lower()) in _PROPERTIES
            )
            if declarations:
                blocks.append((selectors, declarations))
    hiding = {prop for _, ds in blocks for prop, d in ds if _HIDES.search("".join(d.split()).lower())}
    if "color" in hiding or inked:
        hiding |= {"background", "background-color"}  # (white on a dark ground is seen)
    rules: list[_Rule] = []
    for selectors, declarations in blocks:
        kept = tuple((p, d) for p, d in declarations if p in hiding)
        for selector in selectors.split(",") if kept else ():
            if (rule := _rule(selector.strip(), kept, len(rules))) is not None:
                rules.append(rule)
    return rules


def _rule(selector: str, declarations: tuple[tuple[str, str], ...], order: int) -> _Rule | None:
    """The rule of one selector, or None for one a screen's browser may not apply as read here."""
    if not selector or any(c in selector for c in ":[*()\\+~"):
        return None
    pieces = _COMBINATOR.split(selector)  # compound, (">" or None), compound, …
    parts, children = [], []
    ids = classes = tags = 0
    for n, piece in enumerate(pieces[::2]):
        if (m := _COMPOUND.fullmatch(piece or "")) is None or not (m.group(1) or m.group(2)):
            return None
        names = re.findall(r"[.#][\w-]+", m.group(2))
        idents = [x[1:] for x in names if x[0] == "#"]
        parts.append(
            _Compound(
                m.group(1).lower() if m.group(1) else None,
                idents[0] if idents else None,
                frozenset(x[1:] for x in names if x[0] == "."),
            )
        )
        ids, classes, tags = ids + len(idents), classes + len(names) - len(idents), tags + (m.group(1) is not None)
        if n:
            children.append(pieces[2 * n - 1] == ">")
    own = parts[-1]
    if own.ident is None and not own.classes:  # a tag's own colour styles a page (a dark theme), not a digit
        declarations = tuple((p, d) for p, d in declarations if p not in _INK)
    return _Rule((ids, classes, tags, order), tuple(parts), tuple(children), declarations) if declarations else None


def _blocks(css: str) -> Iterator[tuple[str, str]]:
    """(selectors, declarations) of each rule at the sheet's top level; an at-rule's block is skipped whole."""
    depth, after, opened, nested = 0, 0, 0, False
    for brace in _BRACE.finditer(css):
        if brace.group() == "{":
            depth += 1
            if depth == 1:
                opened, nested = brace.end(), False
            else:  # an at-rule's block of rules (@media print {…}): none of them
                nested = True
            continue
        if depth == 0:  # (a stray one)
            continue
        depth -= 1
        if depth == 0:
            prelude = css[after : opened - 1].rpartition(";")[2].strip()  # (after an @import or @charset statement)
            if not prelude.startswith("@") and not nested:
                yield prelude, css[opened : brace.start()]
            after = brace.end()


_BRACE = re.compile(r"[{}]")
