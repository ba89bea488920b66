"""A small OFD typesetter for the tests: a real report's Document (read from its HTML) laid out as an OFD.

No tool on this machine writes OFD, so the tests make their own from the report's real text and tables:
each text line becomes ``TextObject``s (wrapped at the page width, with per-character ``DeltaX``), each
table a grid of ruled cells (``PathObject`` rectangles) whose merged cells span their slots, pages broken
where the next line or row does not fit (a table continues on the next page). What the reader must find
again is exactly what the original holds; no number is typed here.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from monitor.model import Document, Grid

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 20.0
FONT = 3.5  # mm
CELL_FONT = 2.8


class _Pages:
    def __init__(self) -> None:
        self.pages: list[list[str]] = [[]]
        self.y = MARGIN
        self.next_id = 10

    def need(self, height: float) -> None:
        if self.y + height > PAGE_H - MARGIN:
            self.pages.append([])
            self.y = MARGIN

    def text(self, x: float, y: float, text: str, size: float) -> None:
        self.next_id += 1
        width = size * len(text)
        delta = f"g {len(text) - 1} {size}" if len(text) > 1 else ""
        self.pages[-1].append(
            f'<ofd:TextObject ID="{self.next_id}" Boundary="{x:.2f} {y:.2f} {width:.2f} {size * 1.4:.2f}" '
            f'Font="1" Size="{size}"><ofd:TextCode X="0" Y="{size:.2f}" DeltaX="{delta}">'
            f"{escape(text)}</ofd:TextCode></ofd:TextObject>"
        )

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self.next_id += 1
        self.pages[-1].append(
            f'<ofd:PathObject ID="{self.next_id}" Boundary="{x:.2f} {y:.2f} {w:.2f} {h:.2f}" LineWidth="0.25">'
            f"<ofd:AbbreviatedData>M 0 0 L {w:.2f} 0 L {w:.2f} {h:.2f} L 0 {h:.2f} C</ofd:AbbreviatedData>"
            "</ofd:PathObject>"
        )


def _wrap(text: str, per_line: int) -> list[str]:
    return [text[i : i + per_line] for i in range(0, len(text), per_line)] or [""]


def _table(out: _Pages, grid: Grid) -> None:
    cols = len(grid.slots[0]) if grid.slots else 0
    if not cols:
        return
    width = (PAGE_W - 2 * MARGIN) / cols
    per_line = max(1, int(width / CELL_FONT) - 1)
    heights = []
    for r in range(len(grid.slots)):
        lines = [len(_wrap(c.text, per_line * c.colspan)) for c in grid.cells if c.row == r and c.rowspan == 1]
        heights.append(max([1, *lines]) * CELL_FONT * 1.3 + 2)
    tied = 0  # rows held together on one page: a merged cell is never cut by a page break
    for r, row_height in enumerate(heights):
        if r >= tied:
            tied = r + 1
            while any(c.row < tied < c.row + c.rowspan for c in grid.cells):
                tied += 1
            out.need(sum(heights[r:tied]))
        for cell in (c for c in grid.cells if c.row == r):
            x = MARGIN + cell.col * width
            w = width * cell.colspan
            h = sum(heights[r : r + cell.rowspan])
            lines = _wrap(cell.text, per_line * cell.colspan)
            size = CELL_FONT
            while len(lines) * size * 1.3 + 1 > h and size > 0.8:
                size *= 0.8  # a long label in a narrow merged cell: smaller type
                lines = _wrap(cell.text, max(1, int(w / size) - 1))
            out.rect(x, out.y, w, h)
            for k, line in enumerate(lines):
                if line:
                    out.text(x + 0.5, out.y + 0.5 + k * size * 1.3, line, size)
        out.y += row_height


def ofd_bytes(doc: Document, title: str = "") -> bytes:
    out = _Pages()
    per_line = int((PAGE_W - 2 * MARGIN) / FONT)
    for block in doc.blocks:
        if block.grid is not None:
            out.y += 2
            _table(out, block.grid)
            out.y += 2
            continue
        for line in block.text.split("\n"):
            for piece in _wrap(line.strip(), per_line):
                if piece:
                    out.need(FONT * 1.6)
                    out.text(MARGIN, out.y, piece, FONT)
                    out.y += FONT * 1.6
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>"
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        pages = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(out.pages)))
        z.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            f"<ofd:MaxUnitID>{out.next_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W} {PAGE_H}"
            f"</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>{pages}</ofd:Pages></ofd:Document>",
        )
        for i, objects in enumerate(out.pages):
            z.writestr(
                f"Doc_0/Pages/Page_{i}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
                f'<ofd:Layer ID="{i + 2}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>',
            )
    return buf.getvalue()
