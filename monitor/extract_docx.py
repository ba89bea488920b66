"""Stage: extract (DOCX). A Word report -> the same text form as an HTML page (tables as pipe rows).

Paragraphs and tables are read in body order with python-docx; merged cells come back repeated in
every grid slot they cover (like rowspan/colspan in HTML), so the table reader sees the same
layout. The archive is checked before it is opened: a zip bomb (huge declared sizes or a
suspicious compression ratio) is refused with a clear error.
"""

from __future__ import annotations

import io
import zipfile

from monitor.errors import InputError

MAX_UNPACKED = 64 * 2**20
MAX_RATIO = 200


def _check_archive(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise InputError("the file looks like DOCX (a zip archive) but the archive is damaged") from exc
    if "word/document.xml" not in {i.filename for i in infos}:
        raise InputError("this zip archive is not a Word .docx document (no word/document.xml)")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNPACKED or total / packed > MAX_RATIO:
        raise InputError(
            f"the DOCX unpacks to {total / 2**20:.0f} MiB (ratio {total // packed}:1); refused as a zip bomb"
        )


def docx_to_text(data: bytes) -> str:
    _check_archive(data)
    import docx  # noqa: PLC0415 - python-docx, loaded only for Word files
    from docx.table import Table  # noqa: PLC0415
    from docx.text.paragraph import Paragraph  # noqa: PLC0415

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on damaged files
        raise InputError(f"the DOCX cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text.strip())
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells = [" ".join(c.text.split()).replace("|", "/") for c in row.cells]
                lines.append(" | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
