"""What a container file is, from what it holds: the sniffer's look inside zip and OLE2 files.

DOCX, XLSX, OFD and OpenDocument are all zip archives; a zip of attachments is one too. They are told apart by
the parts inside: ``word/document.xml``, ``xl/workbook.xml``, ``OFD.xml``, ``mimetype`` (whose bytes, stored first
and uncompressed, name the OpenDocument type). Word 97-2003 ``.doc``, WPS
Writer ``.wps``, Excel 97-2003 ``.xls`` and WPS Spreadsheets ``.et`` are all OLE2 compound files; they
are told apart by their streams (``WordDocument``; ``Workbook`` or ``Book``). Only the directories are
read here (the zip's central directory, the OLE2 directory), never the contents.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from monitor.errors import InputError

if TYPE_CHECKING:
    import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_UNKNOWN = (
    "这是OLE2复合文件（Office 97-2003或WPS文件），其中既没有Word文档也没有表格，或已损坏、已加密，无法读取："
    "请另存为.docx或PDF后再检查"
)

_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def image_kind(head: bytes) -> str | None:
    """png, jpeg or tiff from the file's magic bytes, else None."""
    return next((kind for magic, kind in _IMAGES if head.startswith(magic)), None)


def zip_names(data: bytes) -> list[str] | None:
    """The member names of a zip archive (its central directory only), or None when it is damaged."""
    import zipfile  # noqa: PLC0415  (with its compressors: ~1 ms of every start, for zip files only)

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.namelist()
    except Exception:  # BadZipFile, NotImplementedError (an unknown version), UnicodeDecodeError (names)...
        return None


def zip_kind(data: bytes) -> str:
    """docx, xlsx, ofd, odt, ods, or zip (an archive of files, or a damaged zip: the archive reader says which)."""
    names = zip_names(data)
    if names is None:
        return "zip"
    members = {n.lstrip("/") for n in names}
    if "word/document.xml" in members or (
        "[Content_Types].xml" in members and any(m.startswith("word/") for m in members)
    ):
        return "docx"  # (a Word package without its body: the DOCX reader says it is damaged, not "not a report")
    if "xl/workbook.xml" in members:
        return "xlsx"
    if "OFD.xml" in members or "ofd.xml" in {m.lower() for m in members}:
        return "ofd"
    if {"mimetype", "content.xml"} <= members:  # OpenDocument: its type stored first, uncompressed (ODF §3.3)
        if b"application/vnd.oasis.opendocument.text" in data[:256]:
            return "odt"
        if b"application/vnd.oasis.opendocument.spreadsheet" in data[:256]:
            return "ods"
    return "zip"


def ole_streams(data: bytes) -> set[str] | None:
    """The top-level stream names of an OLE2 compound file, or None when its directory cannot be read."""
    import olefile  # noqa: PLC0415 - only OLE2 files need it

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # olefile raises OSError, struct.error, IndexError... on damaged directories
        return None


def ole_kind(data: bytes) -> str:
    """doc (Word 97-2003 or WPS Writer), xls (Excel 97-2003 or WPS Spreadsheets), or ole (anything else)."""
    streams = ole_streams(data)
    if not streams:
        return "ole"
    if "WordDocument" in streams:
        return "doc"
    if streams & {"Workbook", "Book", "WORKBOOK", "BOOK"}:
        return "xls"
    return "ole"


MAX_UNPACKED = 64 * 2**20  # a report's archive (DOCX, XLSX, OFD, a zip of attachments) unpacks to a few MiB
MAX_RATIO = 200  # compression ratios above this are a zip bomb's, not a document's
MAX_MEMBERS = 5000


def check_zip(data: bytes, what: str) -> list[zipfile.ZipInfo]:
    """The archive's members, after refusing a damaged archive or a zip bomb (size, ratio, count)."""
    import zipfile  # noqa: PLC0415

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except Exception as exc:  # as in zip_names: a damaged central directory fails in many ways
        raise InputError(f"{what}已损坏（zip结构无法打开），无法读取") from exc
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{what}中有{len(infos)}个文件，超过{MAX_MEMBERS}个，疑为压缩炸弹，不予读取")
    if total > MAX_UNPACKED or total / packed > MAX_RATIO:
        raise InputError(f"{what}解压后有{total / 2**20:.0f} MiB（压缩比{total // packed}:1），疑为压缩炸弹，不予读取")
    return infos
