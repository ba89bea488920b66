"""Reading speed per format (issue #26): pages per second of each reader beside the floor of the library's
own text extraction of the same file, median of runs, printed as a ratio (reader time / floor time).

    python benchmarks/bench_formats.py [--runs N] [--skip-ocr]

The inputs are made from real reports, as the tests make them (tests/formats.py): the real PDFs (text
layer), 009's portal page as .docx (LibreOffice), .doc (LibreOffice), .xlsx/.xls (its tables), OFD (the
tests' typesetter), and 001's PDF scanned at 150 dpi grey (OCR). Each floor is the bare library call that
gives the file's text and nothing more:

- pdf: pdfplumber ``page.extract_text()`` over the pages        - docx: python-docx paragraphs' text
- doc: ``soffice --convert-to txt`` (LibreOffice's own text)     - xlsx: openpyxl load + every value
- xls: xlrd open + every value                                   - ofd: lxml parse of each page + itertext
- scan (OCR): RapidOCR on each page image alone, no layout, no rasterising

A reader's time includes what the floor does not: its child process and limits, tables with their spans,
layout from ruling lines (OFD, OCR), LibreOffice's conversion to DOCX then the DOCX reader (.doc).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pdfplumber
import xlrd
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fixture makers the tests use: real reports, other formats

from formats import CORPUS, FIXTURES, scanned_pdf, soffice, xlsx_of  # noqa: E402
from ofd_writer import ofd_bytes  # noqa: E402

from monitor.reading.formats import extract  # noqa: E402


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pdf_floor(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()


def docx_floor(data: bytes) -> None:
    _ = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def doc_floor(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "r.doc").write_bytes(data)
        profile = f"-env:UserInstallation=file://{tmp}/p"
        command = ["soffice", "--headless", "--norestore", profile, "--convert-to", "txt", "--outdir", tmp]
        subprocess.run([*command, f"{tmp}/r.doc"], check=True, capture_output=True)


def xlsx_floor(data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    _ = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]


def xls_floor(data: bytes) -> None:
    book = xlrd.open_workbook(file_contents=data)
    _ = [ws.row_values(r) for ws in book.sheets() for r in range(ws.nrows)]


def ofd_floor(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith("Content.xml"):
                _ = "".join(etree.fromstring(z.read(name)).itertext())


def ocr_floor(data: bytes) -> None:
    import pypdfium2  # noqa: PLC0415 - the [ocr] extra
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415

    engine = RapidOCR()
    pdf = pypdfium2.PdfDocument(data)
    images = [
        np.asarray(pdf[i].render(scale=150 / 72, grayscale=True).to_pil().convert("RGB")) for i in range(len(pdf))
    ]
    start = time.perf_counter()
    for image in images:
        engine(image, use_cls=False)
    ocr_floor.engine_seconds = time.perf_counter() - start  # type: ignore[attr-defined]


def inputs(skip_ocr: bool) -> list[tuple[str, bytes, Callable[[bytes], None], int]]:
    page = (CORPUS / "009_pingtan_social_affairs_bureau_2023.html").read_bytes()
    doc = extract(page)
    pdf = (FIXTURES / "003_huaian_city_gov_2024.pdf").read_bytes()
    ofd = ofd_bytes(doc)
    made = [
        ("pdf (text layer)", pdf, pdf_floor, 6),
        ("docx", soffice(page, "html", "docx:MS Word 2007 XML", "HTML (StarWriter)"), docx_floor, 0),
        ("doc (LibreOffice)", soffice(page, "html", "doc:MS Word 97", "HTML (StarWriter)"), doc_floor, 0),
        ("xlsx", xlsx_of(doc), xlsx_floor, 0),
        ("xls", soffice(xlsx_of(doc), "xlsx", "xls:MS Excel 97"), xls_floor, 0),
        ("ofd", ofd, ofd_floor, extract(ofd).pages),
    ]
    if not skip_ocr:
        made.append(
            (
                "scan (OCR, 150 dpi)",
                scanned_pdf((FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes()),
                ocr_floor,
                5,
            )
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per reader and floor (OCR: at most 3)")
    parser.add_argument("--skip-ocr", action="store_true", help="leave out the scanned PDF (about a minute)")
    args = parser.parse_args()
    print(f"{'format':<22}{'pages':>6}{'reader s':>10}{'floor s':>10}{'pages/s':>9}{'floor p/s':>10}{'ratio':>8}")
    for label, data, floor, pages in inputs(args.skip_ocr):
        runs = min(args.runs, 3) if "OCR" in label else args.runs
        extract(data)  # warm: imports, the page cache
        reader = median_seconds(lambda data=data: extract(data), runs)
        base = median_seconds(lambda data=data, floor=floor: floor(data), runs)
        shown = pages or 1
        unit = "" if pages else " (1 document)"
        print(
            f"{label:<22}{pages or '-':>6}{reader:>10.3f}{base:>10.3f}{shown / reader:>9.1f}{shown / base:>10.1f}"
            f"{reader / base:>7.1f}x{unit}"
        )


if __name__ == "__main__":
    main()
