"""Stage: discover, a report page's attachments: the documents a page links or shows (its PDF, OFD, Word, a zip of
them, a workbook, a scan), in the order a report is published in, as ``document`` opens them when the page itself
holds no statutory table."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.watch import pagers
from monitor.watch.markup import parsed
from monitor.watch.pagers import resolved

# every format a report is published in (extract.READERS reads each by its bytes, whatever the name says)
_ATTACHMENT = re.compile(r"\.(pdf|ofd|docx?|wps|xlsx?|et|zip|png|jpe?g|tiff?)$", re.I)
_ORDER = ("pdf", "ofd", "docx", "doc", "wps", "zip", "xlsx", "xls", "et")  # published forms first; images last


def is_attachment(url: str) -> bool:
    return bool(_ATTACHMENT.search(urlsplit(url).path))


def attachments(html: str, page_url: str) -> list[str]:
    """Links to attachments on a report page in any format a report is published in: PDF and OFD first
    (the published forms), then Word/WPS, a zip of attachments, workbooks, images. Linked (<a>) or shown in the
    page (<iframe>, <embed>, <object>), directly or through a PDF viewer (``viewer.html?file=…pdf``).
    The kind comes from the URL's extension, else from the link text ("…年度报告.pdf" on a download URL). A stub
    sending its reader on (a meta refresh, a script setting ``location``) gives where it sends last: an intro page
    linking its PDF beside a refresh to an address no longer served is read from its PDF (review 113)."""
    page = parsed(html)
    if page is None:
        return []
    found: dict[str, str] = {}
    base = pagers.base_of(page, page_url)
    shown = [(el.get("src") or el.get("data"), "") for el in page.all("iframe", "embed", "object")]
    for href, text in [
        *((a.get("href"), page.words(a)) for a in page.all("a") if a.get("href") is not None),
        *shown,
    ]:
        url = resolved(base, str(href or "").strip())
        if url is None:
            continue
        url = viewed(url) or url
        m = _ATTACHMENT.search(urlsplit(url).path) or _ATTACHMENT.search(text)
        if m and url not in found:
            found[url] = m.group(1).lower()
    ordered = sorted(found, key=lambda u: _ORDER.index(found[u]) if found[u] in _ORDER else len(_ORDER))
    sent = _sent_to(page, base)
    return [*ordered, sent] if sent and sent not in ordered else ordered  # (a stub's target after its attachments)


_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)
# a script that only sends its reader on: location.href = '…', location.replace('…') (a stub left at a report's
# old address)
_SENT = re.compile(
    r"^\s*(?:(?:window|self|top|document)\.)?location(?:\.href)?\s*(?:=\s*|\.replace\(\s*|\.assign\(\s*)"
    r"['\"]([^'\"]+)['\"]\s*\)?\s*;?\s*$"
)


def _sent_to(page: Any, base: str) -> str | None:
    """Where a page that is only a stub sends its reader (review 111's M4: a report's page moved, its old address
    a ``<meta http-equiv="refresh">`` or a script setting ``location``): read as the report."""
    for meta in page.all("meta"):
        if str(meta.get("http-equiv") or "").lower() == "refresh" and (m := _REFRESH.search(str(meta.get("content")))):
            return resolved(base, m.group(1).strip())
    for script in page.all("script"):
        if m := _SENT.match(script.text or ""):
            return resolved(base, m.group(1).strip())
    return None


def viewed(url: str) -> str | None:
    """The document a PDF viewer's address shows (pdf.js: ``/pdfjs/web/viewer.html?file=/uploads/x.pdf``, taken
    from the viewer's address as pdf.js takes it), or None."""
    parts = urlsplit(url)
    if not parts.path.lower().endswith((".html", ".htm", ".jsp", ".aspx", ".php", "/")):
        return None
    for value in parse_qs(parts.query).get("file", []):
        if (inner := resolved(url, value.strip())) is not None and _ATTACHMENT.search(urlsplit(inner).path):
            return inner
    return None
