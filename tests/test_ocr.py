"""OCR of scanned reports (issue #26): the three real PDFs rasterised as a scanner gives them (150 dpi,
grey, no text layer) read by OCR give the same statutory table cells as their text layer.

The scans are read through ``govmon check --json`` (the bounded child, the PDF reader's hook, the OCR
child), once each, and compared cell by cell with the text layer's reading. About 20 s a report here.
"""

from __future__ import annotations

import io

import pytest
from formats import (
    FIXTURES,
    PDF_REPORTS,
    agreement,
    need_ocr,
    page_image,
    scanned_pdf,
    searchable_scan,
    with_a_scanned_page,
)

from monitor.reading.formats import extract
from monitor.reading.report import parse


@pytest.fixture(scope="module")
def readings(tmp_path_factory):
    """name -> (text layer's check --json, the scan's check --json, the scan's bytes)."""
    need_ocr()
    import json  # noqa: PLC0415

    from monitor.present.cli import main  # noqa: PLC0415

    folder = tmp_path_factory.mktemp("scans")
    out = {}
    for name in PDF_REPORTS:
        pdf = (FIXTURES / f"{name}.pdf").read_bytes()
        scan = scanned_pdf(pdf)
        (folder / f"{name}.pdf").write_bytes(pdf)
        (folder / f"{name}.scan.pdf").write_bytes(scan)
        out[name] = scan
    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        main(["check", "--json", *sorted(str(p) for p in folder.iterdir())])
    reports = {r["input"].rsplit("/", 1)[1]: r for r in json.loads(printed.getvalue())}
    return {name: (reports[f"{name}.pdf"], reports[f"{name}.scan.pdf"], out[name]) for name in PDF_REPORTS}


@pytest.mark.parametrize("name", PDF_REPORTS)
def test_a_scanned_report_gives_the_cells_of_its_text_layer(readings, name):
    text_layer, scan, _ = readings[name]
    same, total, differ = agreement(text_layer["tables"], scan["tables"])
    print(f"{name}: OCR gives {same}/{total} table cells as the text layer ({same / total:.1%})")
    assert total > 180
    assert same / total >= 0.98, differ
    assert scan["table_status"] == text_layer["table_status"]
    assert scan["sections"] == text_layer["sections"]
    assert (scan["year"], scan["format"]) == (text_layer["year"], text_layer["format"])


def test_all_three_scans_together_agree_on_98_percent_of_cells(readings):
    counts = [agreement(text["tables"], scan["tables"])[:2] for text, scan, _ in readings.values()]
    same, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
    print(f"OCR of the three scanned reports: {same}/{total} table cells as the text layer ({same / total:.2%})")
    assert same / total >= 0.98


def test_hongze_2023_section_4_read_by_ocr_names_its_cells(readings):
    """The published section 四 is wrong (行政复议 10+1+0+0 with 总计 0; 复议后起诉 5+0+0+0 with 总计 0). Read from
    the scan, the same cells come out, the document says it was read by OCR, and the finding names the cells.
    (Whether it is an error or, its values being OCR'd and so uncertain, a warning is the checking stage's
    decision: the parse stage reads ``Document.ocr``.)"""
    text_layer, scan, _ = readings["001_huaian_hongze_district_2023"]
    assert scan["tables"]["appeals"] == text_layer["tables"]["appeals"]
    assert scan["tables"]["appeals"]["review"] == {"upheld": 10, "corrected": 1, "other": 0, "pending": 0, "total": 0}
    assert scan["tables"]["appeals"]["suit_after_review"]["upheld"] == 5
    # read by OCR, no number is certain: the two wrong totals are warnings naming their cells, never errors
    found = [f for f in scan["findings"] if f["table"] == "appeals" and f["severity"] == "error"]
    assert found == []
    found = [f for f in scan["findings"] if f["rule"] == "identity.unverifiable" and f["table"] == "appeals"]
    assert {f["row"] for f in found} == {"review", "suit_after_review"}
    assert all(f["cells"] and "OCR" in f["message"] for f in found)
    # the flag the parse stage reads, on the scan of the page that holds section 四
    page = scanned_pdf((FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes(), only=[3])
    doc = extract(page)
    assert (doc.kind, doc.ocr, doc.scanned, doc.pages) == ("pdf", True, False, 1)
    assert "10 | 1 | 0 | 0 | 0 |" in doc.text
    assert parse(doc, "scan").tables["appeals"].rows["review"]["upheld"].number == 10


def test_an_image_of_a_page_is_read_by_ocr():
    need_ocr()
    pdf = (FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes()
    text_layer = extract(pdf).text.splitlines()
    row = next(line for line in text_layer if line.startswith("10 | 1 |")).split(" | ")  # section 四's values
    for fmt in ("PNG", "JPEG"):
        doc = extract(page_image(pdf, 3, fmt))
        assert (doc.kind, doc.ocr) == ("image", True)
        lines = doc.text.splitlines()
        assert "五、存在的主要问题及改进情况" in lines
        assert "五、存在的主要问题及改进情况" in text_layer
        (read,) = [line.split(" | ") for line in lines if line.startswith("10 | ")]
        same = sum(a == b for a, b in zip(row, read, strict=True))
        print(f"{fmt}: section 四 {same - 1}/{len(row) - 1} values as the text layer")  # (the last piece is "|")
        assert same >= len(row) - 1  # one value misread at most: why every OCR'd value is uncertain


def test_a_cell_the_ocr_recognised_nothing_in_is_unread_not_blank():
    """Hostile test W5: a scan's cell where the engine recognised nothing was reported "为空（没有数据应填0）"
    while the page prints 1. Section 四 of the real 001 read by OCR, with the 行政复议·结果纠正 digit the engine
    missed: the cell is unread (cell.unreadable says nothing was recognised), never blank, and the identity it
    takes part in cannot be checked."""
    need_ocr()
    from dataclasses import replace  # noqa: PLC0415

    from monitor.checks.pipeline import run_rules  # noqa: PLC0415
    from monitor.model import Block  # noqa: PLC0415

    doc = extract(scanned_pdf((FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes(), only=[3]))
    assert doc.ocr
    assert "10 | 1 | 0 | 0 | 0 |" in doc.text
    missed = replace(
        doc, blocks=[Block(b.text.replace("10 | 1 | 0 | 0 | 0 |", "10 |  | 0 | 0 | 0 |"), b.grid) for b in doc.blocks]
    )
    report = parse(missed, "scan")
    cell = report.tables["appeals"].rows["review"]["corrected"]
    assert (cell.number, cell.blank, cell.unreadable) == (None, False, True)
    findings = run_rules(report)
    assert not [f for f in findings if f.rule == "cell.blank" and ("review", "corrected") in f.cells]
    (unread,) = [f for f in findings if f.rule == "cell.unreadable" and f.table == "appeals"]
    assert "未识别出内容" in unread.message
    assert ("review", "corrected") in unread.cells
    assert not [f for f in findings if f.severity == "error" and f.table == "appeals"]


def _found(report):
    from monitor.checks.pipeline import run_rules  # noqa: PLC0415

    return [(f.rule, f.severity, f.row) for f in run_rules(report)]


def test_a_searchable_scan_is_read_as_a_scan():
    """Hostile audit of scans: a scanner's "searchable PDF" (each page a picture, a text layer its own OCR wrote
    over it) was read as typed text, so one digit the scanner misread (9 for 6) made a certain number and an error.
    Its words are no more certain than govmon's OCR's: the real 001 made so keeps its numbers, none certain, and its
    two wrong totals of part 四 are warnings naming their cells, not errors."""
    pdf = (FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes()
    typed, scanned = parse(extract(pdf), "typed"), parse(extract(searchable_scan(pdf)), "scan")
    assert (typed.ocr, scanned.ocr) == (False, True)
    assert scanned.to_json()["tables"] == typed.to_json()["tables"]
    assert len([f for f in _found(typed) if f[1] == "error"]) == 2  # the published report's two wrong totals
    assert [f for f in _found(scanned) if f[1] == "error"] == []
    assert sum(f[0] == "identity.unverifiable" for f in _found(scanned)) == 2


def test_a_scanned_page_among_typed_ones_hides_no_part():
    """An office's PDF typed but for one page scanned in (here 002's page 4: the end of table 三, table 四 and part
    五): part 五 is on the picture, not missing. Said so, a warning; table 四 is a picture's; nothing is guessed."""
    pdf = (FIXTURES / "002_huaian_hongze_district_2024.pdf").read_bytes()
    report = parse(extract(with_a_scanned_page(pdf, 3)), "mixed")
    found = _found(report)
    assert [f for f in found if f[1] == "error"] == []
    assert ("section.unread", "warning", 5) in found
    assert report.tables["appeals"].status == "image"
    typed = parse(extract(pdf), "typed")
    for key, row in report.tables["active"].rows.items():  # what the typed pages hold is read as ever
        assert {c: v.number for c, v in row.items()} == {
            c: v.number for c, v in typed.tables["active"].rows[key].items()
        }


def test_a_scan_with_a_line_of_text_on_each_page_is_read_by_ocr():
    """A scan whose pages carry one line of text (a scanner app's "Scanned with CamScanner", a portal's upload
    stamp) was taken for a typed PDF and refused as no report. The line is no text layer of the page."""
    need_ocr()
    import pypdfium2  # noqa: PLC0415
    from pypdfium2 import raw  # noqa: PLC0415

    document = pypdfium2.PdfDocument(
        scanned_pdf((FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes(), only=[3])
    )
    page = document[0]
    font = raw.FPDFText_LoadStandardFont(document.raw, b"Helvetica")
    mark = raw.FPDFPageObj_CreateTextObj(document.raw, font, 9.0)
    words = "Scanned with CamScanner - uploaded by the portal".encode("utf-16-le") + b"\0\0"
    raw.FPDFText_SetText(mark, (raw.c_ushort * (len(words) // 2)).from_buffer_copy(words))
    raw.FPDFPageObj_Transform(mark, 1, 0, 0, 1, 200, 20)
    raw.FPDFPage_InsertObject(page.raw, mark)
    page.gen_content()
    out = io.BytesIO()
    document.save(out)
    doc = extract(out.getvalue())
    assert (doc.ocr, doc.scanned) == (True, False)
    assert "五、存在的主要问题及改进情况" in doc.text.splitlines()


@pytest.mark.parametrize("how", ["sealed", "turned"])
def test_a_part_not_recognised_on_a_scan_is_unread_not_missing(how):
    """Hostile audit of scans: a red seal across part 四's heading, or its page fed into the scanner sideways, and
    part 四 and its table were errors, "missing", though the page shows them. What OCR did not recognise is not
    known to be absent: a warning that says so, never an error."""
    need_ocr()
    from dataclasses import replace  # noqa: PLC0415

    from monitor.model import Block  # noqa: PLC0415

    pdf = (FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes()
    if how == "turned":
        import pypdfium2  # noqa: PLC0415

        document = pypdfium2.PdfDocument(scanned_pdf(pdf, only=[3]))
        document[0].set_rotation(90)
        out = io.BytesIO()
        document.save(out)
        doc = extract(out.getvalue())
    else:  # the seal: the heading's words not recognised
        doc = extract(scanned_pdf(pdf, only=[3]))
        heading = "四、政府信息公开行政复议、行政诉讼情况"
        assert heading in doc.text.splitlines()
        doc = replace(doc, blocks=[Block(b.text.replace(heading, "四、政府信息公"), b.grid) for b in doc.blocks])
    report = parse(doc, how)
    found = _found(report)
    assert not [f for f in found if f[0] in ("section.missing", "table.missing")]
    # part 四 is there by its table where that was recognised under the seal; else said not recognised
    assert report.sections.get(4) or ("section.unread", "warning", 4) in found


def test_a_typed_pdf_on_a_background_picture_keeps_its_errors():
    """Second review: a typed report on a page-sized picture (a 红头 letterhead, a border, Chromium's background)
    was taken for a scanner's searchable PDF, and the real 001's two wrong totals were lost. Its text is seen, not
    an OCR layer drawn invisible: typed, and its errors stand."""
    pdf = (FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes()
    report = parse(extract(searchable_scan(pdf, invisible=False)), "background")
    assert report.ocr is False
    assert [f[:2] for f in _found(report) if f[1] == "error"] == [("appeals.total", "error")] * 2


@pytest.mark.parametrize(
    ("where", "told"), [("cover", "section.missing"), ("between", "section.unread"), ("end", "section.missing")]
)
def test_a_page_not_read_hides_only_a_part_that_could_stand_on_it(where, told):
    """Second review: a scanned cover or signature page silenced a part genuinely missing elsewhere. Part 五 is
    deleted from a real report, and a page not read ([无法读取的页面], as the PDF reader marks a scanned page) is
    put first, between parts 四 and 六 (where 五 would stand), or last: only between may it hold part 五."""
    from conftest import SEEDS  # noqa: PLC0415

    from monitor.model import UNREAD_PAGE  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415

    text = SEEDS["tongliao"].read_text(encoding="utf-8")
    report = read_report(text.encode(), "seed")
    lines = text.split("\n")
    five, six = report.sections[5], report.sections[6]
    assert five
    assert six
    heading = lines[five[0] - 1]
    at = {"cover": 0, "between": five[0] - 1, "end": len(lines)}[where]
    kept = [line for k, line in enumerate(lines) if not five[0] - 1 <= k < five[1]]  # part 五, heading and all
    kept.insert(at if at < five[0] - 1 else at - (five[1] - five[0] + 1), UNREAD_PAGE)
    assert heading not in kept
    found = _found(read_report("\n".join(kept).encode(), "seed"))
    assert (told, "error" if told == "section.missing" else "warning", 5) in found
    assert not [f for f in found if f[0] in ("section.missing", "section.unread") and f[2] != 5]


def test_a_searchable_scan_among_typed_pages_leaves_the_typed_ones_certain():
    """Third review: 001 with two pages a scanner's searchable scan among typed ones (part 四's table typed) lost
    the published report's two wrong totals: the typed pages were doubted with the scanned ones. A few scanned pages
    are now pictures not read, and the typed pages' errors stand; a scan with a typed cover is a scan."""
    pdf = (FIXTURES / "001_huaian_hongze_district_2023.pdf").read_bytes()
    report = parse(extract(searchable_scan(pdf, only=[0, 4])), "mixed")
    assert report.ocr is False
    assert [f[:2] for f in _found(report) if f[1] == "error"] == [("appeals.total", "error")] * 2
    # a searchable scan with its cover typed (ocrmypdf --skip-text) is a searchable scan: read from its layer
    report = parse(extract(searchable_scan(pdf, only=[1, 2, 3, 4])), "scan with a typed cover")
    assert report.ocr is True
    assert report.to_json()["tables"] == parse(extract(pdf), "typed").to_json()["tables"]


def test_pages_not_read_are_no_running_lines():
    """Third review: three pages of five turned sideways each hold only the mark of a page not read, which the
    running-header rule took for a header repeated on most pages and dropped: their parts became errors."""
    from monitor.model import UNREAD_PAGE  # noqa: PLC0415
    from monitor.reading.pagebreaks import without_running_lines  # noqa: PLC0415

    pages: list[list[object]] = [["一、总体情况", "正文"], ["正文"], [UNREAD_PAGE], [UNREAD_PAGE], [UNREAD_PAGE]]
    assert [p for p in without_running_lines(pages) if p == [UNREAD_PAGE]] == [[UNREAD_PAGE]] * 3  # type: ignore[arg-type]
