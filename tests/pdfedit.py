"""Real PDFs changed the ways real PDFs differ, with pypdf: text printed twice for a fake bold, a watermark over the
pages, a ruling line the author left out. The tests read the corpus's real reports changed so."""

from __future__ import annotations

import io
import math

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, FloatObject, NameObject, NumberObject, StreamObject

PAINT = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
PATH = {b"m", b"l", b"c", b"v", b"y", b"re", b"h"}


def _write(w: PdfWriter) -> bytes:
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def printed_twice(data: bytes, font_word: str, dx: float = 0.4) -> bytes:
    """Every text block set in a font whose name holds ``font_word`` drawn a second time, ``dx`` points right."""
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in w.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        fonts = fonts.get_object() if fonts else {}
        names = {k for k, v in fonts.items() if font_word in str(v.get_object().get("/BaseFont"))}
        if not names:
            continue
        cs = ContentStream(page.get_contents(), w)
        ops, block, inside, hit = [], [], False, False
        for operands, op in cs.operations:
            if op == b"BT":
                inside, block, hit = True, [(operands, op)], False
                continue
            if inside:
                block.append((operands, op))
                hit = hit or (op == b"Tf" and str(operands[0]) in names)
                if op == b"ET":
                    inside = False
                    ops += block
                    if hit:
                        shift = [
                            NumberObject(1),
                            NumberObject(0),
                            NumberObject(0),
                            NumberObject(1),
                            FloatObject(dx),
                            NumberObject(0),
                        ]
                        ops += [([], b"q"), (shift, b"cm"), *block, ([], b"Q")]
                continue
            ops.append((operands, op))
        cs.operations = ops
        page.replace_contents(cs)
    return _write(w)


def watermarked(data: bytes, text: str, angle: float = 35, size: float = 30) -> bytes:
    """A gray Helvetica watermark, rotated, repeated down every page (a portal's download stamp)."""
    mark = PdfWriter()
    page = mark.add_blank_page(595, 842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): mark._add_object(font)})}
    )
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ops = (
        ["q 0.8 g"]
        + [
            f"BT /F1 {size} Tf {c:.4f} {s:.4f} {-s:.4f} {c:.4f} 40 {60 + i * 130:.1f} Tm ({text}) Tj ET"
            for i in range(6)
        ]
        + ["Q"]
    )
    stream = StreamObject()
    stream.set_data("\n".join(ops).encode())
    page[NameObject("/Contents")] = mark._add_object(stream)
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for p in w.pages:
        p.merge_page(mark.pages[0])
    return _write(w)


def _box(buf: list) -> tuple[float, float, float, float] | None:
    xs, ys = [], []
    for operands, op in buf:
        if op == b"re":
            x, y, width, height = (float(v) for v in operands)
            xs += [x, x + width]
            ys += [y, y + height]
        elif op in (b"m", b"l"):
            xs.append(float(operands[0]))
            ys.append(float(operands[1]))
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def without_vertical_line(data: bytes, x: float, tolerance: float = 1.5) -> bytes:
    """The PDF with every thin vertical ruling line at ``x`` (points) not drawn."""
    r = PdfReader(io.BytesIO(data))
    w = PdfWriter()
    for page in r.pages:
        cs = ContentStream(page.get_contents(), r)
        ops, buf = [], []
        for operands, op in cs.operations:
            if op in PATH:
                buf.append((operands, op))
                continue
            if op in PAINT and buf:
                box = _box(buf)
                if box and box[2] - box[0] <= 2.5 < box[3] - box[1] and abs((box[0] + box[2]) / 2 - x) <= tolerance:
                    buf = []
                    continue
            ops += buf
            buf = []
            ops.append((operands, op))
        cs.operations = ops + buf
        page[NameObject("/Contents")] = cs
        w.add_page(page)
    return _write(w)


def running_lines(data: bytes, header: str) -> bytes:
    """``header`` at the top of every page and its number ``- N -`` at the bottom, as Word's running header and
    footer print them (Helvetica: the words are Latin, the mechanism is the one a Chinese header meets)."""
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for n, p in enumerate(w.pages, start=1):
        top = float(p.mediabox.top)
        mark = PdfWriter()
        blank = mark.add_blank_page(float(p.mediabox.width), float(p.mediabox.height))
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        blank[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): mark._add_object(font)})}
        )
        stream = StreamObject()
        stream.set_data(
            f"BT /F1 9 Tf 60 {top - 22:.1f} Td ({header}) Tj ET\nBT /F1 9 Tf 280 14 Td (- {n} -) Tj ET".encode()
        )
        blank[NameObject("/Contents")] = mark._add_object(stream)
        p.merge_page(blank)
    return _write(w)
