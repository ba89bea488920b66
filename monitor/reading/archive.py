"""Stage: extract (zip archives). A report published as a zip of attachments -> the report inside it.

Portals sometimes offer "附件下载" as one .zip holding the report (and a scan of the signed copy, or the
tables as a workbook). The archive is checked first (damaged, too many files, a zip bomb by size or by
ratio: ``containers.check_zip``); then each member, at most ``MAX_BYTES`` unpacked, is sniffed by its
bytes, and the report is read from the first member that reads: one whose name says it is the report
(年报, 年度报告) first, then the published forms before the working ones (PDF, DOCX, OFD, DOC, then a
workbook, an image, a page). A zip inside the zip is not opened (one level only).
"""

from __future__ import annotations

import io
import re
import zipfile

from monitor.errors import InputError, ReaderMissing
from monitor.model import MAX_BYTES, Document
from monitor.reading.containers import check_zip

_ORDER = ("pdf", "docx", "ofd", "doc", "xlsx", "xls", "html", "text", "png", "jpeg", "tiff")
_REPORT_NAME = re.compile(r"年报|年度报告|工作报告|report", re.I)


def _name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:  # names written without the UTF-8 flag are GBK on Chinese Windows (Python decoded them as cp437)
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def zip_document(data: bytes) -> Document:
    """The report in a zip archive of attachments. Raises InputError when none of its files reads."""
    from monitor.reading.formats import extract, sniff  # noqa: PLC0415 - the registry reads each member

    infos = [i for i in check_zip(data, "压缩包") if not i.is_dir()]
    members = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in infos:
            name = _name(info)
            if name.startswith("__MACOSX/") or info.file_size > MAX_BYTES or info.flag_bits & 0x1:
                continue  # resource forks, too large, encrypted
            try:
                body = archive.read(info)
            except Exception:  # zipfile raises BadZipFile, zlib.error, UnicodeDecodeError... on a damaged member
                continue
            kind = sniff(body)
            if kind in _ORDER:
                members.append((not _REPORT_NAME.search(name), _ORDER.index(kind), name, body))
    if not members:
        raise InputError("压缩包中没有报告文件（PDF、Word、WPS、OFD、表格、图片或网页）")
    problems: list[str] = []
    missing: ReaderMissing | None = None
    for _, _, name, body in sorted(members, key=lambda m: m[:3]):
        try:
            doc = extract(body)
        except ReaderMissing as exc:
            missing = missing or exc
            continue
        except InputError as exc:
            problems.append(f"{name}: {exc}")
            continue
        doc.meta.setdefault("member", name)
        return doc
    if missing is not None:  # a report is in there, in a format this machine cannot read yet
        raise missing
    raise InputError(f"压缩包中没有可读取的文件（{'；'.join(problems)[:300]}）")
