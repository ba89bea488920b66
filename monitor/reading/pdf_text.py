"""Stage: extract (PDF), what of a page's characters a reader reads: not those drawn twice, a watermark's, those
struck through, a raised note mark, a white digit run on from a seen one over nothing drawn (``text_only``); and a
page set sideways, turned upright as a reader turns it (``turned``). ``pdf`` reads the page that is left.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Any

EDGE = 1.0  # points: how far apart two ruling lines may be and still be one
TURNED = 0.05  # a character's rotation (its text matrix's b or c) above which it is not the page's text
WATERMARK = 2.5  # characters this many times the page's usual size are a watermark, not its text
RAISED = 0.8  # a character smaller than this share of the one before it, and raised, is a note mark
STRIKE_WIDTH = 1.5  # points: a line or filled bar at most this thick may strike text through
WHITE = 0.97  # a colour this light (0 black, 1 white) is white on a white page
DARK = 0.6  # a fill this dark or darker shows white text on it (not the light greys tables are shaded with)
STRIKE_END = 1.5  # points: a strike begins and ends with the characters it crosses (a ruling runs on to the edge)


def text_only(page: Any) -> Any:
    """The page without what is not its text: characters drawn twice (a bold faked by printing twice reads
    "一一、、总总"), a watermark's (set at an angle, or far larger than the page's text), and those a reader does not
    read as what they say (struck through, a raised note mark). White characters are read: what lies under them (a
    shaded cell, a banner drawn as a curve, a picture) is not known for certain; but a white digit run on from a
    seen one over nothing drawn is not seen ("20" and a white "0" is 20: ``_white_digits``)."""
    page = page.dedupe_chars(tolerance=1)
    sizes = sorted(c["size"] for c in page.chars)
    usual = sizes[len(sizes) // 2] if sizes else 0

    unseen = _struck(page) | _raised(page) | _white_digits(page)

    def text(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        matrix = obj.get("matrix") or (1, 0, 0, 1, 0, 0)
        turned = abs(matrix[1]) > TURNED or abs(matrix[2]) > TURNED  # drawn at an angle: a watermark's
        if unseen and (obj["x0"], obj["top"]) in unseen:
            return False
        return bool(obj.get("upright", True)) and not turned and obj["size"] <= usual * WATERMARK

    return page.filter(text)


def _raised(page: Any) -> set[tuple[float, float]]:
    """Note marks, as (x0, top): a character set small and raised right after another ("6¹" is 6, not 61)."""
    return {
        (c["x0"], c["top"])
        for before, c in itertools.pairwise(page.chars)
        if c["size"] < RAISED * before["size"]
        and abs(c["x0"] - before["x1"]) <= 2 * EDGE
        and c["bottom"] < before["bottom"] - 0.2 * before["size"]
    }


def _lightness(color: Any) -> float | None:
    """A fill colour's lightness (0 black, 1 white) from grey, RGB or CMYK components; None where it is not known (a
    pattern's, none)."""
    if not isinstance(color, (tuple, list)) or not color or not all(isinstance(v, (int, float)) for v in color):
        return None
    if len(color) == 1:
        return float(color[0])
    if len(color) == 3:
        r, g, b = (float(v) for v in color)
    elif len(color) == 4:
        c, m, y, k = (float(v) for v in color)
        r, g, b = (1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)
    else:
        return None
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _is_white(char: dict[str, Any]) -> bool:
    """Whether a character is filled white (or as near as a reader cannot tell it from the page)."""
    light = _lightness(char.get("non_stroking_color"))
    return light is not None and light >= WHITE


def _white_digits(page: Any) -> set[tuple[float, float]]:
    """White digits, as (x0, top), run on from a digit a reader sees on the same line (a figure left in white after
    another: a reader of the page sees the other alone), where nothing is drawn under them: a dark rectangle or
    curve, or a picture, under a white character may be its shading, and it is read."""
    chars = page.chars
    return {
        (c["x0"], c["top"])
        for i, c in enumerate(chars)
        if c["text"].isdigit() and _is_white(c) and _runs_on(page, i) and not _under(page, c)
    }


def _runs_on(page: Any, i: int) -> bool:
    """Whether the digits joined to character ``i`` on its line (spaces between them passed over), either way, reach
    one a reader sees: not white, or white on something drawn under it."""
    chars = page.chars
    for step in (-1, 1):
        j, last = i + step, chars[i]
        while 0 <= j < len(chars) and (chars[j]["text"].isdigit() or chars[j]["text"].isspace()):
            if chars[j]["text"].isspace():
                j += step
                continue
            if not _beside(last, chars[j]):
                break
            if not _is_white(chars[j]) or _under(page, chars[j]):
                return True
            last, j = chars[j], j + step
    return False


def _beside(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two characters on one line at most a character's size apart (a space, letter-spacing)."""
    gap = min(abs(float(a["x1"]) - float(b["x0"])), abs(float(b["x1"]) - float(a["x0"])))
    return abs(float(a["top"]) - float(b["top"])) <= EDGE and gap <= max(float(a["size"]), 2 * EDGE)


def _under(page: Any, c: dict[str, Any]) -> bool:
    """Whether something is drawn under a character's middle that white shows on: a filled rectangle or curve of a
    dark colour or one not known, a picture."""
    x, y = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    for o in (*page.rects, *page.curves, *page.images):
        if not (o["x0"] <= x <= o["x1"] and o["top"] <= y <= o["bottom"]):
            continue
        if o.get("object_type") == "image":
            return True
        light = _lightness(o.get("non_stroking_color"))
        if o.get("fill") and (light is None or light <= DARK):
            return True
    return False


def _struck(page: Any) -> set[tuple[float, float]]:
    """The characters struck through, as (x0, top): a number corrected by hand, or a draft exported with its tracked
    changes showing ("<s>9</s>10" is 10, not 910). A strike is a horizontal line through the middle of characters that
    begins and ends with them; a table's ruling runs past its text to the cell's edges, an underline (a tracked
    insertion's) lies below the characters."""
    segments = [
        (o["x0"], o["x1"], (o["top"] + o["bottom"]) / 2)
        for o in (*page.lines, *page.rects)
        if o["bottom"] - o["top"] <= STRIKE_WIDTH and o["x1"] - o["x0"] >= 1
    ]
    if not segments or not page.chars:
        return set()
    chars = sorted(page.chars, key=lambda c: c["top"])
    tops = [c["top"] for c in chars]
    tallest = max(c["bottom"] - c["top"] for c in chars)
    found: set[tuple[float, float]] = set()
    for x0, x1, y in segments:
        through = [
            c
            for c in chars[bisect.bisect_left(tops, y - tallest) : bisect.bisect_right(tops, y)]
            if c["top"] + 0.3 * (c["bottom"] - c["top"]) <= y <= c["top"] + 0.9 * (c["bottom"] - c["top"])
            and x0 - EDGE <= (c["x0"] + c["x1"]) / 2 <= x1 + EDGE
        ]
        if (
            through
            and abs(min(c["x0"] for c in through) - x0) <= STRIKE_END
            and abs(max(c["x1"] for c in through) - x1) <= STRIKE_END
        ):
            found |= {(c["x0"], c["top"]) for c in through}
    return found


def turned(page: Any) -> Any:
    """The page turned a quarter, three quarters or half round, the way its text stands upright (review 100: a page
    given /Rotate 90, or a landscape table printed on a portrait page, was "只有图片或附件"), or None. pdfminer draws a
    page in its /Rotate: each turn is tried by that, the page's layout made while it holds."""
    from pdfplumber.page import Page  # noqa: PLC0415

    held = page.page_obj.rotate
    try:
        for turn in (90, 270, 180):
            page.page_obj.rotate = (held + turn) % 360
            turned = Page(page.pdf, page.page_obj, page_number=page.page_number, initial_doctop=page.initial_doctop)
            if not mostly_turned(turned.chars):  # (its layout made now, with this turn)
                return turned
    finally:
        page.page_obj.rotate = held
    return None


def mostly_turned(chars: list[dict[str, Any]]) -> bool:
    """Whether more of a page's characters are set a quarter or a half turn round than upright. A character set
    at a slant (a watermark's, a stamp's) counts neither way (a download stamp over a short page outnumbered its
    words)."""
    standing = turned = 0
    for char in chars:
        a, b, c, d = char.get("matrix", (1, 0, 0, 1))[:4]
        size = max(abs(a), abs(b), abs(c), abs(d)) or 1
        if abs(b) <= TURNED * size and abs(c) <= TURNED * size:  # upright, or upside down
            standing += a > 0 and d > 0
            turned += not (a > 0 and d > 0)
        elif abs(a) <= TURNED * size and abs(d) <= TURNED * size:  # a quarter turn either way
            turned += 1
    return turned > standing
