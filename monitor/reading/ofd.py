"""Stage: extract (OFD). An OFD report (GB/T 33190, China's fixed-layout format) -> a Document.

An OFD file is a zip of XML parts: ``OFD.xml`` names the document (``DocRoot``) and its ``DocInfo``
(its title); the document lists its pages; each page's ``Content.xml`` holds positioned
``TextObject``s (a ``Boundary`` box, ``TextCode`` runs with an X, a baseline Y and per-character
``DeltaX`` advances) and ``PathObject``s (the ruling lines of a table among them), in millimetres, y
growing downwards. Text runs and ruling lines go to ``layout.py``, which finds the tables by their lines
and writes the page as the PDF reader does, so the same table reader reads it; a table continued on the
next page simply continues. The XML is read here with lxml (already a dependency) rather than through
an OFD package: the only maintained readers on PyPI give text without the positions and ruling lines a
table needs.

Bounded: the archive is checked for a zip bomb first, the XML parser resolves no entities and reaches no
network, at most ``MAX_PAGES`` pages and ``MAX_OBJECTS`` objects a page, and the whole read runs in a
forked child under a CPU, memory and time limit.
"""

from __future__ import annotations

import io
import multiprocessing
import posixpath
import re
import zipfile
from typing import Any

from monitor.errors import InputError
from monitor.model import Document, text_document
from monitor.reading.containers import check_zip
from monitor.reading.layout import Box, HLine, VLine, page_lines
from monitor.reading.sandbox import Limits, run_limited

MAX_PAGES = 100
MAX_OBJECTS = 50_000
TOL = 0.8  # mm: a line drawn twice, or a cell edge off by a stroke's width
_LIMITS = Limits(
    60,
    1024 * 2**20,
    too_long="读取OFD超过65秒，已放弃",
    exhausted="读取OFD超出内存或时间限制（可能是恶意构造的文件），已放弃",
    failed="OFD文件无法读取",
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z]")


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Parts:
    """The archive's XML parts, parsed safely, found case-insensitively (producers differ)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        from lxml import etree  # noqa: PLC0415

        self.archive = archive
        self.names = {n.lstrip("/").lower(): n for n in archive.namelist()}
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)

    def xml(self, name: str) -> Any:
        from lxml import etree  # noqa: PLC0415

        key = posixpath.normpath(name.replace("\\", "/").lstrip("/")).lower()
        if key not in self.names:
            raise InputError(f"OFD文件已损坏：其中引用的{name!r}不在文件中")
        try:
            return etree.fromstring(self.archive.read(self.names[key]), self.parser)
        except etree.XMLSyntaxError as exc:
            raise InputError(f"OFD文件已损坏：{name}不是格式正确的XML（{str(exc)[:120]}）") from exc


def _floats(text: str | None) -> list[float]:
    return [float(t) for t in (text or "").split() if _NUMBER.fullmatch(t) and not t.isalpha()]


def _advances(spec: str | None, count: int, size: float) -> list[float]:
    """DeltaX/``g n v`` (n times v) -> one advance per character after the first."""
    out: list[float] = []
    tokens = (spec or "").split()
    i = 0
    while i < len(tokens) and len(out) < count:
        if tokens[i] == "g" and i + 2 < len(tokens):
            out += [float(tokens[i + 2])] * min(int(float(tokens[i + 1])), count)
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return (out + [size] * count)[: max(0, count - 1)]


def _text(obj: Any, boxes: list[Box]) -> None:
    bx, by, _bw, _bh = (_floats(obj.get("Boundary")) + [0.0] * 4)[:4]
    size = float(obj.get("Size") or 3.5)
    ctm = _floats(obj.get("CTM"))
    sx, sy = (ctm[0], ctm[3]) if len(ctm) == 6 else (1.0, 1.0)
    tx, ty = (ctm[4], ctm[5]) if len(ctm) == 6 else (0.0, 0.0)
    x = y = 0.0
    for code in obj:
        if _local(code) != "TextCode":
            continue
        text = "".join(code.itertext())
        x = float(code.get("X") or x)
        y = float(code.get("Y") or y)
        if not text.strip():
            continue
        steps = _advances(code.get("DeltaX"), len(text), size)
        lefts = [x]
        for step in steps:
            lefts.append(lefts[-1] + step)
        height = size * sy
        chars = [(bx + tx + sx * a, bx + tx + sx * (a + size)) for a in lefts]
        base = by + ty + sy * y
        boxes.append(Box(chars[0][0], base - 0.85 * height, chars[-1][1], base + 0.15 * height, text, chars))


def _segments(data: str) -> list[tuple[float, float, float, float]]:
    """Straight segments of an AbbreviatedData path (M, L, C/close; curves are skipped)."""
    tokens = _NUMBER.findall(data)
    out = []
    x = y = sx = sy = 0.0
    i = 0
    while i < len(tokens):
        op = tokens[i]
        args = []
        j = i + 1
        while j < len(tokens) and not tokens[j].isalpha():
            args.append(float(tokens[j]))
            j += 1
        if op == "M" and len(args) >= 2:
            x, y = sx, sy = args[0], args[1]
        elif op == "L" and len(args) >= 2:
            out.append((x, y, args[0], args[1]))
            x, y = args[0], args[1]
        elif op == "C":
            out.append((x, y, sx, sy))
            x, y = sx, sy
        elif len(args) >= 2:  # B, Q, A: a curve; its end point is where the pen stands
            x, y = args[-2], args[-1]
        i = j
    return out


def _path(obj: Any, hs: list[HLine], vs: list[VLine]) -> None:
    bx, by, bw, bh = (_floats(obj.get("Boundary")) + [0.0] * 4)[:4]
    data = next((el.text for el in obj if _local(el) == "AbbreviatedData"), None) or ""
    segments = _segments(data)
    if not segments and (bh < TOL < bw or bw < TOL < bh):  # a thin filled box drawn as a line
        segments = [(0, bh / 2, bw, bh / 2)] if bw > bh else [(bw / 2, 0, bw / 2, bh)]
    for x0, y0, x1, y1 in segments:
        if abs(y0 - y1) <= TOL / 4 and abs(x1 - x0) > TOL:
            hs.append((by + y0, bx + min(x0, x1), bx + max(x0, x1)))
        elif abs(x0 - x1) <= TOL / 4 and abs(y1 - y0) > TOL:
            vs.append((bx + x0, by + min(y0, y1), by + max(y0, y1)))


def _page(root: Any) -> list[str]:
    boxes: list[Box] = []
    hs: list[HLine] = []
    vs: list[VLine] = []
    for count, obj in enumerate(root.iter()):
        if count > MAX_OBJECTS:
            raise InputError(f"OFD的一页中有超过{MAX_OBJECTS}个对象，疑为恶意文件，不予读取")
        kind = _local(obj)
        if kind == "TextObject":
            _text(obj, boxes)
        elif kind == "PathObject":
            _path(obj, hs, vs)
    lines, _grids = page_lines(boxes, hs, vs, TOL)
    return lines


def _read(data: bytes) -> tuple[list[str], dict[str, str], int]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _Parts(archive)
        ofd = parts.xml("OFD.xml")
        root = next((el.text for el in ofd.iter() if _local(el) == "DocRoot" and el.text), None)
        if not root:
            raise InputError("OFD文件已损坏：OFD.xml中没有文档（DocRoot）")
        meta = {}
        for el in ofd.iter():
            if _local(el) == "Title" and el.text:  # (CreationDate is when the file was made: not read)
                meta["title"] = el.text.strip()
        document = parts.xml(root.strip())
        base = posixpath.dirname(root.strip().replace("\\", "/"))
        pages = [el.get("BaseLoc") for el in document.iter() if _local(el) == "Page" and el.get("BaseLoc")]
        if len(pages) > MAX_PAGES:
            raise InputError(f"OFD有{len(pages)}页，超过{MAX_PAGES}页的报告不予读取")
        lines: list[str] = []
        for loc in pages:
            lines += _page(parts.xml(posixpath.join(base, str(loc).replace("\\", "/"))))
    return lines, meta, len(pages)


def ofd_document(data: bytes) -> Document:
    """The OFD's text, tables as pipe rows, its DocInfo title as metadata."""
    check_zip(data, "OFD文件")
    lines, meta, pages = run_limited(multiprocessing.get_context("fork"), _LIMITS, _read, (data,))
    doc = text_document("\n".join(lines) + "\n", kind="ofd", encoding="ofd", pages=pages)
    doc.meta = meta
    return doc
