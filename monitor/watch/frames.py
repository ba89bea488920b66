"""Stage: discover, where a column page sends its reader when its list is elsewhere: a ``<meta http-equiv=
"refresh">``, or the one frame of the site a reader sees that holds the list. A frame not read leaves the listing
not read whole, as a next page does (review 106: a list's frame answering 403 or 404, taken as no list, made a 热点
box's one report the source's own body's, and called it late)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from monitor.watch import pagers
from monitor.watch.attachments import is_attachment, viewed
from monitor.watch.markup import HIDDEN_STYLE, Page
from monitor.watch.pagers import canonical, resolved

_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)


def sent_on(page: Page, page_url: str, plain: int) -> str | None:
    """Where a page with no report link sends its reader: a ``<meta http-equiv="refresh">``'s URL, else the one
    ``<iframe>`` on the same site a reader sees (not a counter's, hidden or 0×0: review 102's M2). A page with one
    report link beside such a frame a list's height (a 热点 box's link: review 102's H2) is sent on too; one with two
    (a list of its own beside a map's frame: review 104) is not. ``plain``: the page's report links, but those that
    may not be one."""
    if plain == 0:
        for meta in page.all("meta"):
            content = str(meta.get("content"))
            if str(meta.get("http-equiv") or "").lower() == "refresh" and (m := _REFRESH.search(content)):
                return resolved(pagers.base_of(page, page_url), m.group(1).strip())
    site = urlsplit(canonical(page_url)).netloc
    frames = []
    for frame in page.all("iframe", "frame"):
        url = resolved(pagers.base_of(page, page_url), str(frame.get("src") or "").strip())
        if (
            url
            and urlsplit(url).netloc == site
            and url != canonical(page_url)
            and not _unseen_frame(frame)
            and not (is_attachment(url) or viewed(url))  # a report's preview beside its link (review 107)
        ):
            frames.append((url, _height(frame)))
    if len(frames) != 1 or (plain and (plain > 1 or frames[0][1] < _LIST_HEIGHT)):
        return None
    return frames[0][0]


_LIST_HEIGHT = 400  # pixels: a frame this high holds a page's content, not a header's or a footer's
_SIZE = re.compile(r"^\s*(\d+)")


def _height(frame: Any) -> int:
    """A frame's height as its attribute or style declares it (0: not declared)."""
    style = re.search(r"(?<![-\w])height\s*:\s*(\d+)", str(frame.get("style") or ""))
    m = style or _SIZE.match(str(frame.get("height") or ""))
    return int(m[1]) if m else 0


def _unseen_frame(frame: Any) -> bool:
    """A frame no reader sees: hidden, or 0 or 1 pixel wide or high (a counter's, an analytics page)."""
    style = str(frame.get("style") or "")
    if any(
        el.get("hidden") is not None or HIDDEN_STYLE.search(str(el.get("style") or "")) or el.tag == "noscript"
        for el in (frame, *frame.iterancestors())
    ):  # (hidden itself or in a hidden box, a 弹窗 layer; a counter's for browsers without scripts: review 104)
        return True
    sizes = [str(frame.get(k) or "") for k in ("width", "height")]
    sizes += [m[1] for m in re.finditer(r"(?<![-\w])(?:width|height)\s*:\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*(?:;|$)", style)]
    return any((m := _SIZE.match(size)) and int(m[1]) <= 1 and not size.strip().endswith("%") for size in sizes)
