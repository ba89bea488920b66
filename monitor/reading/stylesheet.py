"""A page's own style sheet (its ``<style>`` elements), as far as it tells what a reader does not see in a table:
a row or cell not drawn, a digit struck through, hidden or in white. A page pasted from Word or Excel, or saved whole
by a browser, says so by a class (``<span class="del">9</span>8``, ``.del{text-decoration:line-through}``; an Excel
cell ``class="xl65"`` with ``.xl65{color:white}``; ``<tr class="hid">`` an old row), where an editor writes it in
the element's ``style`` (review 99: such a 9 read into 98 for certain, an old 总计 row read as the report's).

``apply`` writes each element's declarations from the sheet (the ones that can hide, in the cascade's order: the
rules by specificity, then as written) into an attribute of its own, ``SHEET``, which ``hidden`` reads before the
element's ``style``. Only the rules a browser applies to a screen: not those of an ``@media`` block (a print
sheet's ``.noprint{display:none}``), nor those of a pseudo-class or an attribute selector; a selector of several
parts is matched by its last (``.nav .hid`` as ``.hid``: a page's own sheet of a pasted report seldom nests).
A page's linked style sheets are not fetched."""

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
_PARTS = re.compile(r"\s*[>+~]\s*|\s+")


@dataclass(frozen=True)
class _Rule:
    order: tuple[int, int, int, int]  # specificity (ids, classes, tags), then where it was written
    tag: str | None
    ident: str | None
    classes: frozenset[str]
    declarations: str

    def matches(self, el: Any, classes: frozenset[str]) -> bool:
        return (
            (self.tag is None or self.tag == el.tag)
            and (self.ident is None or self.ident == el.get("id"))
            and self.classes <= classes
        )


def apply(root: Any) -> None:
    """Each element a rule of the page's sheet names is given the rule's declarations (``SHEET``)."""
    rules = list(_rules(root))
    if not rules:
        return
    named: dict[str, list[_Rule]] = {}  # by a class, or an id, or a tag the rule asks for
    for rule in rules:
        key = next(iter(sorted(rule.classes)), None) or (rule.ident and "#" + rule.ident) or rule.tag or "*"
        named.setdefault(key, []).append(rule)
    for el in root.iter(etree.Element):
        classes = frozenset((el.get("class") or "").split())
        ident = el.get("id")
        found = [r for c in classes for r in named.get(c, ())]
        found += named.get("#" + ident, ()) if ident else ()
        found += named.get(el.tag, ())
        if found := [r for r in found if r.matches(el, classes)]:
            el.set(SHEET, ";".join(r.declarations for r in sorted(set(found), key=lambda r: r.order)))


def _rules(root: Any) -> Iterator[_Rule]:
    order = 0
    for style in root.iter("style"):
        for selectors, body in _blocks(_COMMENT.sub(" ", "".join(style.itertext()))):
            declarations = ";".join(
                d for d in body.split(";") if d.partition(":")[0].strip().lower() in _PROPERTIES and ":" in d
            )
            if not declarations:
                continue
            for selector in selectors.split(","):
                if (rule := _rule(selector.strip(), declarations, order)) is not None:
                    order += 1
                    yield rule


def _rule(selector: str, declarations: str, order: int) -> _Rule | None:
    """The rule of one selector, or None for one a screen's browser may not apply as read here."""
    if not selector or any(c in selector for c in ":[*()\\"):
        return None
    ids = classes = tags = 0
    last: re.Match[str] | None = None
    for part in _PARTS.split(selector):
        if not part:
            continue
        if (last := _COMPOUND.fullmatch(part)) is None or not (last.group(1) or last.group(2)):
            return None
        ids += last.group(2).count("#")
        classes += last.group(2).count(".")
        tags += last.group(1) is not None
    if last is None:
        return None
    names = re.findall(r"[.#][\w-]+", last.group(2))
    idents = [n[1:] for n in names if n[0] == "#"]
    return _Rule(
        (ids, classes, tags, order),
        last.group(1).lower() if last.group(1) else None,
        idents[0] if idents else None,
        frozenset(n[1:] for n in names if n[0] == "."),
        declarations,
    )


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
