"""Stage: extract (MHTML). A page saved as one file (a browser's "网页，单个文件" .mhtml, Word's .mht) -> the page.

The file is a MIME message: the page's HTML is one part (quoted-printable or base64, in its own charset), its
images and styles the others. The page is the part the file names (``Snapshot-Content-Location``, Blink's) or else
its first HTML part, read as any page is; what the other parts hold is not the report's words.
"""

from __future__ import annotations

import email
import email.policy
from email.message import Message

from monitor.errors import InputError
from monitor.model import Document


def _page(message: Message) -> Message | None:
    pages = [p for p in message.walk() if p.get_content_type() == "text/html"]
    named = message.get("Snapshot-Content-Location")
    return next((p for p in pages if named and p.get("Content-Location") == named), pages[0] if pages else None)


def mhtml_document(data: bytes) -> Document:
    from monitor.reading.formats import decode  # noqa: PLC0415  (formats names this reader)
    from monitor.reading.html import html_document  # noqa: PLC0415

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    page = _page(message)
    raw = page.get_payload(decode=True) if page is not None else None
    if not isinstance(raw, bytes) or not raw.strip():
        raise InputError("MHTML文件（单个文件保存的网页）中没有网页正文")
    text, encoding = decode(raw, page.get_content_charset() if page is not None else None)
    return html_document(text, encoding)
