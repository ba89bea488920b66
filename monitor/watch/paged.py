"""Stage: fetch (paged articles). A report page whose CMS cut the article into pages, with its other pages after
it: the report is all of them (``reading.paged`` tells which pages there are)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from urllib.parse import urljoin

from monitor.config import Source
from monitor.errors import FetchError
from monitor.reading.formats import decode
from monitor.reading.paged import JOINED, next_pages
from monitor.watch.addresses import allowed_for
from monitor.watch.fetch import Fetcher, Response

log = logging.getLogger("govmon")


async def joined_pages(fetcher: Fetcher, source: Source, resp: Response) -> Response:
    """The report page with the other pages of its article after it, where its CMS cut it into pages (TRS): the
    report is all of them. A page that cannot be fetched, or that is not a page of the same article (not HTML, not
    paged by the same script: a 404 page answered 200), leaves the article as it is: its reading says it is one page
    of several."""
    if "html" not in (resp.content_type or "") or b"createPageHTML" not in resp.body:
        return resp
    html, _ = decode(resp.body, resp.charset or source.encoding)
    others = next_pages(html)
    if not others:
        return resp
    bodies = []
    for url in others:
        try:
            got = await fetcher.get(urljoin(resp.url, url), allow=allowed_for(source.list_url))
        except FetchError as exc:
            log.warning("source %s: page %s of %s: %s", source.id, url, resp.url, exc)
            return resp
        text, _ = decode(got.body, got.charset or source.encoding)
        if "html" not in (got.content_type or "") or "createPageHTML" not in text:
            log.warning("source %s: page %s of %s is not a page of the same article", source.id, url, resp.url)
            return resp
        inner = re.search(r"<body[^>]*>(.*)</body>", text, re.S | re.I)
        bodies.append(inner.group(1) if inner else text)
    end = html.lower().rfind("</body>")
    joined = html[:end] + "".join(bodies) + JOINED + html[end:] if end >= 0 else html + "".join(bodies) + JOINED
    return replace(resp, body=joined.encode("utf-8"), charset="utf-8")
