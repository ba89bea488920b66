"""Stage: extract (formats). Bytes -> which reader: decoding text (BOM, UTF-8, the declared or ``<meta>``
charset, GB18030 for the GB family, then detection), ``sniff`` (the kind told by the bytes, inside containers too),
``READERS`` (kind -> reader: the registry a new format is one line in; a reader that needs software this machine
lacks says what to install), and the larger time budget of the heavy readers (OCR, LibreOffice)."""

from __future__ import annotations

import codecs
import importlib
import itertools
import re
from collections.abc import Callable

from monitor.errors import InputError
from monitor.model import MAX_BYTES, TABLE_WORDS, Document, text_document
from monitor.reading import containers
from monitor.reading.boxes import box_document
from monitor.reading.html import cut_short, html_document
from monitor.reading.text_cells import tab_rows, without_tags

_GB = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "hz-gb-2312"}


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


_RTF = b"{\\rtf"  # an RTF file's first bytes, whatever its code page

# a <table> block in text (its attributes stop at a "<": a run of "<table " without ">" is read once, not once a
# start), and what makes it a statutory table: two words of one of them
_TABLE_TAG = re.compile(r"<\s*table\b[^<>]{0,2000}>\s*<\s*(?:tr|tbody|thead|colgroup|col|caption)\b", re.I)
# a page saved as one MIME file: its headers first (Blink's "From: <Saved by Blink>", Word's "MIME-Version: 1.0"),
# its parts related
_MIME = re.compile(r"(?:[\w-]+:[^\n]*\n(?:[ \t][^\n]*\n)*){0,12}?MIME-Version:\s*1\.0", re.I)
_RELATED = re.compile(r"Content-Type:\s*multipart/related", re.I)
_HTML_HINT = re.compile(r"<\s*(html|!doctype|body|table|div|p|head|meta|span|tr)\b", re.I)


_BIG5 = {"big5", "big-5", "cn-big5", "csbig5", "x-x-big5", "cp950", "ms950"}


def _codec(name: str) -> str | None:
    name = name.strip().lower()
    if name in _GB:
        return "gb18030"  # a superset: GBK/GB2312 pages routinely use characters outside them
    if name in _BIG5:
        return "cp950"  # Microsoft's Big5, what a page saying big5 is written in (碁, 銹, box drawing: not Big5's)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a body: BOM, then strict UTF-8, then the declared or <meta> charset, then UTF-8 and GB18030 run by
    run (``_guessed``), then Big5, then detection."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:  # a template saved with a BOM in front of a GBK page ("BOM头"): not UTF-8
            data = data[3:]
    for bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            return data.decode("utf-16", errors="replace").lstrip("\ufeff"), "utf-16"
    if b"\x00" in data[:8192] and (wide := _utf16(data[:8192])) is not None:
        return data.decode(wide, errors="replace"), wide
    meta = _META_CHARSET.search(data[:8192])
    for name in ("utf-8", declared, meta.group(1).decode("ascii", "ignore") if meta else None):
        if name and (codec := _codec(name)) and (named := _named(data, codec)) is not None:
            return named
    guess = _guessed(data) or _big5(data)
    if guess is not None:
        return guess
    import charset_normalizer  # noqa: PLC0415  (~10 ms to import; most pages say their charset or are UTF-8)

    best = charset_normalizer.from_bytes(data[:262_144]).best()
    if best is None or best.encoding is None:
        raise InputError("无法识别文件的文字编码（不是UTF-8、GBK/GB18030或其他已知编码）")
    enc = _codec(best.encoding) or best.encoding
    return data.decode(enc, errors="replace"), enc


def _named(data: bytes, codec: str) -> tuple[str, str] | None:
    """The bytes in a charset the page or its server names, or None where they are not in it. One that is neither
    UTF-8 nor GB's nor Big5 is taken only where nothing else reads as a portal's words, and Big5 only where it
    does or nothing else does: GBK bytes "decode" in EUC-KR, KOI8-R or Big5 too, into nonsense (a listing so read
    held no links, and every year's report was called missing); a server's default ISO-8859-1 "decodes" any."""
    if codec not in ("utf-8", "gb18030", "cp950") and (guess := _guessed(data) or _big5(data)) is not None:
        return guess
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    if codec == "cp950" and not _GB_WORDS.search(text) and (guess := _guessed(data)) is not None:
        return guess
    return text, codec


def _big5(data: bytes) -> tuple[str, str] | None:
    """A page in Big5 (a traditional-character copy) that says nothing of it, where it reads as a portal's words
    (政府, 信息, 年度 are written alike in both scripts); a detector took such pages for ISO-8859-13."""
    try:
        text = data.decode("cp950")
    except UnicodeDecodeError:
        return None
    return (text, "cp950") if _GB_WORDS.search(text) else None


def _utf16(head: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for text saved in UTF-16 without its BOM (Windows' "Unicode" less its mark), read
    by the words a report holds, else None (a binary file)."""
    for codec in ("utf-16-le", "utf-16-be"):
        text = head[: len(head) // 2 * 2].decode(codec, errors="replace")
        if "\ufffd" not in text[:-1] and _GB_WORDS.search(text):
            return codec
    return None


# words every page of a 政府信息公开 portal holds; in Big5 or Latin bytes read as GB18030 they do not come out
_GB_WORDS = re.compile("政府|信息|公开|年度|报告")


def _bad(text: str) -> int:
    """How many characters could not be decoded, per thousand of the text (rounded up)."""
    return -(-text.count("\ufffd") * 1000 // max(1, len(text)))


def _guessed(data: bytes) -> tuple[str, str] | None:
    """The bytes of a page that names no charset or a wrong one, or whose named charset fails, read run by run
    (``_runs``): on a Chinese portal such a page is GBK, or UTF-8 with a stray byte, or a mix where a server put
    together pieces saved in each (a UTF-8 navigation block in a GBK listing, a GBK footer in a UTF-8 page). Taken
    when it reads as these pages' words, or is UTF-8 but for a byte in a thousand; else None: a detector's turn. (A
    detector took a 225 KB GBK report, its markup mostly ASCII, for ISO-8859-13, and UTF-8 pages with a stray byte
    for ptcp154 or cp775; one reading of the whole page lost the pieces in the other charset.)"""
    text, gb = _runs(data)
    if _GB_WORDS.search(text) or (not gb and _bad(text) <= 1):
        return text, "gb18030" if gb else "utf-8"
    return None


_RUN_END = re.compile(rb"(?<=[>\n])")  # after a tag or a line: a multi-byte character of GBK or UTF-8 holds neither


def _runs(data: bytes) -> tuple[str, bool]:
    """The bytes decoded a run at a time (the text between two tags or lines), and whether GB18030 read most of them.
    A run is UTF-8 where it reads as CJK-range characters in UTF-8 (U+0800 and up; a stray byte aside), GB18030
    where UTF-8 cannot read it; one that both read (GBK's byte pairs are often UTF-8's two-byte characters, U+0080
    to U+07FF: 元 is Ԫ) goes with the page's other runs."""
    runs = _RUN_END.split(data)
    kinds: list[str] = []
    for run in runs:
        if run.isascii():
            kinds.append("ascii")
            continue
        text = run.decode("utf-8", errors="replace")
        bad, wide = text.count("\ufffd"), sum(1 for ch in text if "\u0800" <= ch < "\ufffd")
        kinds.append("utf-8" if wide > bad else "gb18030" if bad else "either")
    gb = kinds.count("gb18030") > kinds.count("utf-8")
    out = []
    for run, kind in zip(runs, kinds, strict=True):
        codec = "ascii" if kind == "ascii" else kind if kind != "either" else "gb18030" if gb else "utf-8"
        out.append(run.decode(codec, errors="replace"))
    return "".join(out), gb


def sniff(data: bytes) -> str:
    """What the bytes are, decided from the bytes themselves: a name in ``READERS``, or html, text or binary.
    Zip (DOCX, XLSX, OFD, an archive) and OLE2 (.doc, .wps, .xls, .et) containers are told apart by what
    they hold, never by a file name."""
    head = data[:8192]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return containers.zip_kind(data)
    if head.startswith(containers.OLE_MAGIC):
        return containers.ole_kind(data)
    if head.startswith(_RTF):
        return "rtf"
    image = containers.image_kind(head)
    if image:
        return image
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        wide = _utf16(head)
        if wide is None:
            return "binary"
        head = head.decode(wide, errors="replace").encode("utf-8")
    probe = head.decode("latin-1")
    if _MIME.match(probe) and _RELATED.search(probe):
        return "mhtml"
    return "html" if _HTML_HINT.search(probe) else "text"


def _refuse(message: str) -> Callable[[bytes], Document]:
    def read(_data: bytes) -> Document:
        raise InputError(message)

    return read


_MODULES: set[str] = set()  # every module READERS names


def _imported(module: str, name: str) -> Callable[[bytes], Document]:
    """The reader ``name`` of ``monitor.reading.<module>``, its module (and the libraries it loads: pdfium, the
    zip and OLE parsers, OCR's) imported when a document of its format is first read, not by every start."""
    _MODULES.add(module)

    def read(data: bytes) -> Document:
        reader: Callable[[bytes], Document] = getattr(importlib.import_module(f"monitor.reading.{module}"), name)
        return reader(data)

    read.__qualname__ = read.__name__ = name
    return read


# format -> reader: each reads the bytes into the one document model, bounded, or raises one InputError line.
READERS: dict[str, Callable[[bytes], Document]] = {
    "pdf": _imported("pdf", "pdf_document"),
    "docx": _imported("docx", "docx_document"),
    "doc": _imported("doc", "doc_document"),  # Word 97-2003, and WPS Writer .wps (the same binary in an OLE2 file)
    "odt": _imported("doc", "odt_document"),  # OpenDocument text: through LibreOffice, as .doc
    "rtf": _imported("doc", "rtf_document"),
    "ods": _imported("sheet", "ods_document"),
    "xlsx": _imported("sheet", "xlsx_document"),
    "xls": _imported("sheet", "xls_document"),  # Excel 97-2003, and WPS Spreadsheets .et
    "ofd": _imported("ofd", "ofd_document"),
    "mhtml": _imported("mhtml", "mhtml_document"),  # a page saved as one file: .mhtml (browsers), .mht (Word)
    "zip": _imported("archive", "zip_document"),  # an archive of attachments: the report inside it
    "png": _imported("ocr", "image_document"),
    "jpeg": _imported("ocr", "image_document"),
    "tiff": _imported("ocr", "image_document"),
    "ole": _refuse(containers.OLE_UNKNOWN),
    "binary": _refuse("这是二进制文件，不是网页、文本、PDF、Word、表格或OFD格式的报告"),
}


def load_readers() -> None:
    """Import every reader now: a process that reads documents of any format (the forkserver of the service's
    readers) loads them once, before it forks."""
    for module in sorted(_MODULES):
        importlib.import_module(f"monitor.reading.{module}")


# The budget of the child that reads a document (bounded.py), by its magic bytes alone (nothing of a hostile
# file is parsed in the parent): a scan read by OCR, a zip that may hold one, and the formats converted by
# LibreOffice need more than a page's 60 s and 1 GiB; each reader bounds its own work within it.
_CONVERTED = (120, 2560 * 2**20)


def _ocr_budget() -> tuple[int, int]:
    from monitor.reading import ocr  # noqa: PLC0415

    return ocr.SECONDS_PER_PAGE * ocr.MAX_PAGES + 60, ocr.MEMORY + 512 * 2**20


def budget(data: bytes) -> tuple[int, int] | None:
    """(CPU seconds, bytes of memory) for reading ``data`` when it needs more than a page, else None: a PDF, a
    zip or an image may be a scan (OCR's budget), an OLE2 or RTF file is converted by LibreOffice."""
    head = data[:16]
    if head.startswith((containers.OLE_MAGIC, _RTF)):  # LibreOffice converts these
        return _CONVERTED
    pdf = head.lstrip().startswith(b"%PDF-") or data[:1024].lstrip().startswith(b"%PDF-")
    if pdf or head.startswith(b"PK\x03\x04") or containers.image_kind(head):
        return _ocr_budget()
    return None


def extract(data: bytes, declared_charset: str | None = None) -> Document:
    """Bytes -> Document. Raises InputError for input that is not a readable report."""
    if not data.strip():
        raise InputError("文件是空的")
    if len(data) > MAX_BYTES:
        raise InputError(f"文件有{len(data) / 1e6:.1f} MB，超过{MAX_BYTES // 2**20} MiB的报告不予读取")
    kind = sniff(data)
    reader = READERS.get(kind)
    if reader is not None:
        return reader(data)
    text, enc = decode(data, declared_charset)
    if kind == "html" and (why := cut_short(text)):
        raise InputError(why)
    if kind == "html" or _statutory_table_block(text):
        return html_document(text, enc)
    text = tab_rows(without_tags(text))
    return box_document(text, enc) or text_document(text, encoding=enc)


def _statutory_table_block(text: str) -> bool:
    """Whether the text is Markdown keeping a statutory table as a <table> block (a crawler's, pandoc's, past the
    8 KB of a portal's menus the sniffer looks at): it is then read as a page. A site's footer table is not one."""
    if "<table" not in text and "<TABLE" not in text:
        return False
    lowered = text.lower()
    for m in itertools.islice(_TABLE_TAG.finditer(text), 64):  # a report has three; a page of menus a few more
        end = lowered.find("</table", m.start(), m.start() + 200_000)
        block = text[m.start() : end if end > 0 else m.start() + 200_000]
        if any(sum(w in block for w in words) >= 2 for words in TABLE_WORDS.values()):
            return True
    return False
