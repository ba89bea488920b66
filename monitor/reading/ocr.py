"""Stage: extract (OCR). Scanned pages -> a Document: a PDF with no text layer, or an image of a page.

The engine is RapidOCR on ONNX Runtime (``rapidocr-onnxruntime``, the ``[ocr]`` extra): PaddleOCR's
Chinese detection and recognition models ship inside the wheel, so nothing is downloaded when it runs,
and it reads printed Chinese and the digits of a table far better than tesseract's ``chi_sim``. A PDF's
pages are rasterised by PDFium (``pypdfium2``, same extra) at 150 dpi in grey, as a scanner gives them.

Each page: its ruling lines are found in the pixels (long runs of dark pixels, across and down), the
engine gives text boxes with each character's position, and ``layout.py`` turns the two into lines and
tables (by the ruling lines where they are drawn, by alignment otherwise), written as the PDF reader
writes them. The document says ``ocr = True``: no value read from it is certain.

Bounded like every reader: it runs in a forked child with a CPU, memory and wall-clock budget that
grows with the pages (at most ``MAX_PAGES``), images are refused above ``MAX_PIXELS``. Without the
engine installed the report is ``ReaderMissing`` (需要安装OCR组件才能读取), never "not a report".
"""

from __future__ import annotations

import importlib.util
import multiprocessing
from typing import Any

from monitor.errors import InputError, ReaderMissing
from monitor.model import Document, text_document
from monitor.reading.layout import Box, HLine, VLine, page_lines
from monitor.reading.sandbox import Limits, run_limited

DPI = 150
MAX_PAGES = 30  # a scanned report has 5-20 pages
MAX_PIXELS = 40_000_000  # an A4 page at 600 dpi is 35 Mpx
MAX_SIDE = 2400  # larger pages are scaled down to this: 150-200 dpi is all the engine needs
SECONDS_PER_PAGE = 20  # CPU seconds: a page takes 4-8 s of CPU here
MEMORY = 3072 * 2**20  # ONNX Runtime's arenas and threads reserve ~1.5 GiB of address space
DARK = 160  # grey level below which a pixel is ink
MISSING = (
    "需要安装OCR组件才能读取此扫描件(图片或无文字层的PDF)；"
    "the OCR engine is not installed (pip install 'govreport-monitor[ocr]')"
)


def available() -> bool:
    """Is the engine installed? Asked without importing it: the readers fork, and ONNX Runtime's threads
    must start in the child."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr_onnxruntime", "pypdfium2"))


def _runs(ink: Any, min_len: int) -> list[tuple[int, int, int]]:
    """(row, first, last) of each run of ink at least ``min_len`` long along the rows of ``ink``."""
    import numpy as np  # noqa: PLC0415

    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    diff = np.diff(padded, axis=1)
    rows, starts = np.nonzero(diff == 1)
    _, ends = np.nonzero(diff == -1)
    keep = (ends - starts) >= min_len
    return list(zip(rows[keep].tolist(), starts[keep].tolist(), (ends[keep] - 1).tolist(), strict=True))


def _merge(runs: list[tuple[int, int, int]]) -> list[tuple[float, float, float]]:
    """Runs on neighbouring rows that overlap are one ruling line (drawn 1-4 px thick): (middle, first, last)."""
    lines: list[list[float]] = []  # [first row, last row, first, last]
    for row, a, b in sorted(runs):
        for line in reversed(lines[-40:]):
            if row - line[1] <= 2 and min(b, line[3]) - max(a, line[2]) > 0.5 * min(b - a, line[3] - line[2]):
                line[1], line[2], line[3] = row, min(a, line[2]), max(b, line[3])
                break
        else:
            lines.append([row, row, a, b])
    return [((r0 + r1) / 2, a, b) for r0, r1, a, b in lines if r1 - r0 <= 8]


def rules(grey: Any, dpi: float) -> tuple[list[HLine], list[VLine]]:
    """The page's ruling lines: horizontal (y, x0, x1) and vertical (x, y0, y1), in pixels."""
    ink = grey < DARK
    min_len = max(20, int(dpi * 0.3))  # 7.6 mm: longer than any stroke of a character
    horizontal = _merge(_runs(ink, min_len))
    vertical = _merge(_runs(ink.T, min_len))
    return horizontal, vertical


def _boxes(result: list[Any] | None) -> list[Box]:
    boxes = []
    for item in result or []:
        quad, text = item[0], str(item[1])
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        chars: list[tuple[float, float]] = []
        if len(item) >= 5 and len(item[4]) == len(text):
            chars = [(min(p[0] for p in q), max(p[0] for p in q)) for q in item[3]]
        boxes.append(Box(min(xs), min(ys), max(xs), max(ys), text, chars))
    return boxes


def _rereader(engine: Any, grey: Any, dpi: float) -> Any:
    """Reads a cell left empty by the detector once more: its ink (inside the ruling lines), if any, is
    recognised alone. A lone small "0" in a wide cell is what the detector misses."""
    import numpy as np  # noqa: PLC0415

    inset = max(2, int(dpi / 40))

    def reread(x0: float, y0: float, x1: float, y1: float) -> str:
        if y1 - y0 > dpi * 0.6:  # taller than a few lines: a frame or a merged label cell, not one value
            return ""
        crop = grey[int(y0) + inset : int(y1) - inset, int(x0) + inset : int(x1) - inset]
        if crop.size == 0:
            return ""
        ys, xs = np.nonzero(crop < DARK)
        if len(ys) < dpi / 15:  # a few specks: a blank cell
            return ""
        pad = inset
        top, left = max(0, ys.min() - pad), max(0, xs.min() - pad)
        ink = crop[top : ys.max() + pad + 1, left : xs.max() + pad + 1]
        result, _ = engine(np.dstack([ink] * 3), use_det=False, use_cls=False)
        text, score = (result or [["", 0.0]])[0]
        return str(text) if score >= 0.5 else ""

    return reread


def _read_images(images: list[Any], dpi: float) -> list[str]:
    """In the child: each page image (greyscale numpy array) read into lines."""
    import numpy as np  # noqa: PLC0415
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415

    engine = RapidOCR()
    lines: list[str] = []
    for grey in images:
        horizontal, vertical = rules(grey, dpi)
        result, _ = engine(np.dstack([grey] * 3), use_cls=False, return_word_box=True)
        reread = _rereader(engine, grey, dpi)
        page, _grids = page_lines(_boxes(result), horizontal, vertical, tol=dpi / 50, reread=reread)
        lines += page
    return lines


def _read_pdf(data: bytes) -> tuple[list[str], int]:
    import numpy as np  # noqa: PLC0415
    import pypdfium2  # noqa: PLC0415

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise InputError(f"PDF无法转为图片进行OCR识别：{exc}") from exc
    if len(pdf) > MAX_PAGES:
        raise InputError(f"扫描PDF有{len(pdf)}页，OCR最多识别{MAX_PAGES}页")
    lines: list[str] = []
    for i in range(len(pdf)):
        page = pdf[i]
        width, height = page.get_size()
        scale = min(DPI / 72, MAX_SIDE / max(width, height, 1))
        grey = np.asarray(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
        lines += _read_images([grey], scale * 72)
    return lines, len(pdf)


def _read_image(data: bytes) -> tuple[list[str], int]:
    import io  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # larger: DecompressionBombError, refused below
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > MAX_PAGES:
            raise InputError(f"图片有{frames}页，OCR最多识别{MAX_PAGES}页")
        lines: list[str] = []
        for i in range(frames):
            image.seek(i)
            page = image.convert("L")
            dpi = float((image.info.get("dpi") or (DPI, DPI))[0] or DPI)
            scale = min(1.0, MAX_SIDE / max(page.size))
            if scale < 1:
                page = page.resize((int(page.width * scale), int(page.height * scale)))
            lines += _read_images([np.asarray(page)], dpi * scale)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise InputError(f"图片无法读取：{str(exc)[:200]}") from exc
    return lines, frames


def _limits(pages: int, what: str) -> Limits:
    seconds = 30 + SECONDS_PER_PAGE * pages
    return Limits(
        seconds,
        MEMORY,
        too_long=f"{what}的OCR识别超过{seconds + 5}秒，已放弃",
        exhausted=f"{what}的OCR识别超出限制（CPU {seconds}秒、内存{MEMORY // 2**20} MiB），已放弃",
        failed=f"{what}的OCR识别失败",
    )


def _document(lines: list[str], pages: int, kind: str) -> Document:
    doc = text_document("\n".join(lines) + "\n" if lines else "", kind=kind, encoding="ocr", pages=pages)
    doc.ocr = True
    doc.scanned = not any(line.strip() for line in lines)  # not a character found: nothing can be read
    return doc


def pdf_ocr(data: bytes, pages: int) -> Document:
    """A PDF without a text layer (``pages`` counted by the PDF reader), read by OCR."""
    if not available():
        raise ReaderMissing(MISSING)
    if pages > MAX_PAGES:
        raise InputError(f"扫描PDF有{pages}页，OCR最多识别{MAX_PAGES}页")
    ctx = multiprocessing.get_context("fork")
    lines, count = run_limited(ctx, _limits(pages, "扫描件PDF"), _read_pdf, (data,))
    return _document(lines, count, "pdf")


def image_document(data: bytes) -> Document:
    """An image of a report's pages (PNG, JPEG, TIFF), read by OCR."""
    if not available():
        raise ReaderMissing(MISSING)
    ctx = multiprocessing.get_context("fork")
    lines, count = run_limited(ctx, _limits(MAX_PAGES // 3, "图片"), _read_image, (data,))
    return _document(lines, count, "image")
