"""Ruling lines a page break cut, drawn again before pdfplumber finds a page's tables (``cut_rulings``); and a
table's columns that another table's rules drew (``own_columns``).

A browser printing a page draws each cell's borders itself, and a row's top border is the bottom border of the row
above it: where a table runs on to the next page, the first row there has its top rule on the page before (Chromium,
review 108 H2). Its column rules start at the top of the page and meet no line there, so pdfplumber finds no cell
for it and the row is lost, though a reader sees it plainly: a row of the table, ruled on both sides, its words and
numbers in it. A row a word processor breaks across the page (its bottom rule on the next page) is the same at a
page's foot. Where the column rules of a table end at one height and no line closes them there, and words lie
between that end and the first line that does, the line the page break took is drawn again there, across those
rules. Where no words lie in between, nothing is drawn: an empty band is no row a reader sees."""

from __future__ import annotations

from typing import Any

from monitor.reading.pdf_text import EDGE

SHORT = 3.0  # points: a horizontal edge this short is a thin rule's own end (a border drawn as a filled bar)
MIN_RULES = 3  # column rules closing a row of two cells at least: one or two are a frame's or a box's sides


def _closed(x: float, y: float, across: list[dict[str, Any]]) -> bool:
    """Whether a horizontal ruling line runs through (``x``, ``y``): a rule meets the column rule there."""
    return any(abs(h["top"] - y) <= SHORT and h["x0"] - SHORT <= x <= h["x1"] + SHORT for h in across)


def _open_ends(verticals: list[dict[str, Any]], across: list[dict[str, Any]], end: str) -> dict[float, list[float]]:
    """Column rules whose ``end`` (top or bottom) no line closes, as their x by the height they end at."""
    out: dict[float, list[float]] = {}
    for v in verticals:
        y, x = float(v[end]), float(v["x0"])
        if _closed(x, y, across):
            continue
        at = next((k for k in out if abs(k - y) <= EDGE), y)
        out.setdefault(at, []).append(x)
    return out


def _distinct(xs: list[float]) -> list[float]:
    """The rules' x, those nearer than a thin rule's width taken as one (a border drawn as a bar has two sides)."""
    out: list[float] = []
    for x in sorted(xs):
        if not out or x - out[-1] > SHORT:
            out.append(x)
    return out


def _words_between(page: Any, x0: float, x1: float, top: float, bottom: float) -> bool:
    return any(
        x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom and c["text"].strip()
        for c in page.chars
    )


def cut_rulings(page: Any) -> list[dict[str, Any]]:
    """The horizontal lines a page break cut from the page's tables (as pdfplumber's explicit lines): one where at
    least three column rules end at one height with no line closing them, and words lie between there and the
    nearest line that crosses them, on the side they run to."""
    from pdfplumber.table import merge_edges  # noqa: PLC0415  (in the reader's child, as pdfplumber is)

    # the edges as pdfplumber's table finder joins them (its default tolerances): a rule drawn in pieces is one rule,
    # and a border drawn as a thin bar one line
    edges = merge_edges([e for e in page.edges if e.get("orientation") in ("h", "v")], 3, 3, 3, 3)
    verticals = [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] > SHORT]
    across = [e for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] > SHORT]
    lines: list[dict[str, Any]] = []
    for end in ("top", "bottom"):
        for y, xs in _open_ends(verticals, across, end).items():
            rules = _distinct(xs)
            if len(rules) < MIN_RULES:
                continue
            x0, x1 = rules[0], rules[-1]
            # the nearest line crossing these rules on the side they run to: the other edge of the cut row
            ys = [h["top"] for h in across if h["x0"] < x1 - SHORT and h["x1"] > x0 + SHORT]
            other = [t for t in ys if t > y + SHORT] if end == "top" else [t for t in ys if t < y - SHORT]
            if not other:
                continue
            near = min(other) if end == "top" else max(other)
            if not _words_between(page, x0, x1, min(y, near), max(y, near)):
                continue
            lines.append(
                {"object_type": "line", "x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0.0}
            )
    return lines


def own_columns(starts: list[float], boxes: list[tuple[float, float, float, float]]) -> list[float]:
    """The column starts some cell of these rows begins at (the first always). pdfplumber gives one table for two
    that touch (table 三's last page and the ruled heading of part 四 under it, as LibreOffice prints a portal page:
    review 108 H3), and a column rule of the other one becomes a column of every row; in these rows each cell over it
    runs on over the column before, so it cuts none of their cells, and it made their grid wider than the same table
    on the page before (so the row a page break split was not joined, and the header above placed no value)."""
    return [x for i, x in enumerate(starts) if i == 0 or any(abs(b[0] - x) <= EDGE for b in boxes)]
