"""Helpers for the format tests: real reports turned into other formats by the tools on this machine.

Nothing here types a number: every fixture is made from a real report of ../shared/corpus (its HTML or
its PDF), by LibreOffice (.doc, .xls), openpyxl (.xlsx), PDFium (page images, as a scanner gives them)
or the small OFD typesetter in ``ofd_writer.py``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from monitor.model import Document
from monitor.reading.formats import extract
from monitor.reading.report import parse

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # the real pages (HTML)
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # the three real PDFs, copied from the corpus
HTML_REPORTS = ("009_pingtan_social_affairs_bureau_2023.html", "010_pingtan_public_security_bureau_2024.html")
PDF_REPORTS = ("001_huaian_hongze_district_2023", "002_huaian_hongze_district_2024", "003_huaian_city_gov_2024")


def need(ok: bool, what: str, install: str) -> None:
    """Skip a test whose tool is missing on a developer's machine; in CI (which installs it) fail instead."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run installs it ({install})")
    pytest.skip(f"{what} is not installed ({install})")


def need_libreoffice() -> None:
    need(shutil.which("soffice") is not None, "LibreOffice", "apt-get install libreoffice-writer-nogui")


def need_ocr() -> None:
    from monitor.reading import ocr  # noqa: PLC0415

    need(ocr.available(), "the OCR engine", "pip install -e '.[ocr]'")


def soffice(data: bytes, suffix: str, target: str, infilter: str | None = None) -> bytes:
    """A file converted by LibreOffice, as an agency's clerk would save it."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"report.{suffix}"
        src.write_bytes(data)
        command = ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile"]
        command += [f"--infilter={infilter}"] if infilter else []
        command += ["--convert-to", target, "--outdir", tmp, str(src)]
        subprocess.run(command, check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": tmp})
        return (Path(tmp) / f"report.{target.split(':', 1)[0]}").read_bytes()


def xlsx_of(doc: Document) -> bytes:
    """The report's tables as a workbook: one sheet a table, merged cells merged."""
    import openpyxl  # noqa: PLC0415

    book = openpyxl.Workbook()
    book.remove(book.active)
    for number, grid in enumerate(b.grid for b in doc.blocks if b.grid is not None):
        sheet = book.create_sheet(f"表{number + 1}")
        for cell in grid.cells:
            sheet.cell(cell.row + 1, cell.col + 1, value=cell.text)
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(
                    start_row=cell.row + 1,
                    start_column=cell.col + 1,
                    end_row=cell.row + cell.rowspan,
                    end_column=cell.col + cell.colspan,
                )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def scanned_pdf(pdf: bytes, dpi: int = 150, only: list[int] | None = None) -> bytes:
    """The PDF as a scanner gives it: each page (or the pages ``only``) an image (grey, ``dpi``), no text layer."""
    import pypdfium2  # noqa: PLC0415

    document = pypdfium2.PdfDocument(pdf)
    numbers = only if only is not None else range(len(document))
    pages = [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in numbers]
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def searchable_scan(pdf: bytes, dpi: int = 100, *, invisible: bool = True, only: list[int] | None = None) -> bytes:
    """The PDF as a scanner's "searchable PDF" gives it: each page's picture covering it, its text layer over it
    drawn invisible (a scanner's OCR writes one; here it is the original's, so what is read is known). Not
    ``invisible``: a typed PDF on a page-sized background picture, its text seen. ``only``: those pages (from 0)."""
    import pypdfium2  # noqa: PLC0415
    from pypdfium2 import raw  # noqa: PLC0415

    document = pypdfium2.PdfDocument(pdf)
    for number, page in enumerate(document):
        if only is not None and number not in only:
            continue
        if invisible:
            for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
                raw.FPDFTextObj_SetTextRenderMode(obj.raw, raw.FPDF_TEXTRENDERMODE_INVISIBLE)
        image = pypdfium2.PdfImage.new(document)
        image.set_bitmap(page.render(scale=dpi / 72, grayscale=True))
        width, height = page.get_size()
        image.set_matrix(pypdfium2.PdfMatrix().scale(width, height))
        page.insert_obj(image)
        page.gen_content()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_a_scanned_page(pdf: bytes, number: int, dpi: int = 150) -> bytes:
    """The PDF with one page (from 0) replaced by its scan, as an office scans the signed or stamped page in."""
    import pypdfium2  # noqa: PLC0415

    document = pypdfium2.PdfDocument(pdf)
    scan = pypdfium2.PdfDocument(scanned_pdf(pdf, dpi, only=[number]))
    document.del_page(number)
    document.import_pages(scan, [0], number)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def page_image(pdf: bytes, page: int, fmt: str, dpi: int = 150) -> bytes:
    import pypdfium2  # noqa: PLC0415

    image = pypdfium2.PdfDocument(pdf)[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    out = io.BytesIO()
    image.save(out, fmt, dpi=(dpi, dpi))
    return out.getvalue()


def cells(tables: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    """Every placed cell of the statutory tables: (table, row, column) -> number (None: blank)."""
    return {(t, r, c): v for t, rows in tables.items() for r, cols in rows.items() for c, v in cols.items()}


def tables_of(data: bytes) -> dict[str, Any]:
    return parse(extract(data), "x").to_json()["tables"]


def agreement(original: dict[str, Any], other: dict[str, Any]) -> tuple[int, int, list[str]]:
    """How many of the original's cells the other reading gives the same, of how many, and which differ."""
    want, got = cells(original), cells(other)
    differ = [f"{k}: {v} != {got.get(k, '(none)')}" for k, v in want.items() if k not in got or got[k] != v]
    return len(want) - len(differ), len(want), differ
