"""Real reports printed to PDF whose tables run over a page break (``fixtures/pdf_pages``, its README says how each
was made): a careful reader of the PDF reads the same tables as the page or the document it was printed from, row
for row, and the planted errors as errors with their numbers (review 108 H1-H3, M1)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from monitor.checks.pipeline import run_rules
from monitor.model import OUTCOME_ROWS, Report
from monitor.reading.report import read_report

PAGES = Path(__file__).resolve().parent / "fixtures" / "pdf_pages"
SHARED = Path(__file__).resolve().parents[2] / "shared"
PLANTED = ("applications", "granted", "natural_person")  # each plant: one more 予以公开 自然人, its 总计 left as it was

# each PDF: the page or the document it was printed from (read by govmon's HTML or text reader: the oracle), and
# whether one 予以公开 自然人 was planted in it
PRINTS = {
    "f02_chromium_plant.pdf": ("corpus/010_*.html", True),  # Chromium: a row's top rule on the page before (H2)
    "f1_chromium_004_pingtan_zone_2019.pdf": ("corpus/004_*.html", False),  # the same, clean (H2)
    "w14_rowbreak_plant.pdf": ("seeds/000_*.txt", True),  # LibreOffice from Word: a header and a row broken (H1)
    "w14_rowbreak_clean.pdf": ("seeds/000_*.txt", False),
    "f06_lo_plant.pdf": ("corpus/010_*.html", True),  # LibreOffice from the page: a label's lines ruled off (H3)
    "a5_chromium_004_pingtan_zone_2019.pdf": ("corpus/004_*.html", False),  # on A5: a part's heading in a ruled cell
}

Numbers = dict[tuple[str, str, str], object]


@cache
def _read(path: Path) -> Report:
    return read_report(path.read_bytes(), path.name)


def _source(name: str) -> Report:
    (found,) = SHARED.glob(PRINTS[name][0])
    return _read(found)


def _numbers(report: Report) -> Numbers:
    return {
        (table, row, column): value.number
        for table, t in report.tables.items()
        for row, values in t.rows.items()
        for column, value in values.items()
    }


def _expected(name: str) -> Numbers:
    numbers = _numbers(_source(name))
    if PRINTS[name][1]:
        numbers[PLANTED] = int(str(numbers[PLANTED])) + 1
    return numbers


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_a_printed_report_reads_every_table_as_the_page_it_was_printed_from(name):
    # every row of the three tables, each number in its place: the row at the top of a new page (its top rule on the
    # page before), a header cut at a page's foot, a label's lines ruled off beside numbers merged over them, and
    # table 二's one-value rows (行政许可 | 52 under 本年处理决定数量) included
    report = _read(PAGES / name)
    assert _numbers(report) == _expected(name)
    assert {t: x.status for t, x in report.tables.items()} == {t: x.status for t, x in _source(name).tables.items()}


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_a_printed_report_says_no_row_is_unread_that_the_page_shows(name):
    # every row is there, read for certain: no warning that one is not, and no number of table 三 (the table the page
    # breaks run through) in doubt (004's 政府集中采购 amount, "75394432.52元" in 万元's column, is doubted on its own)
    report = _read(PAGES / name)
    findings = run_rules(report)
    assert not [f.message for f in findings if f.rule in ("table.unreadable", "identity.unverifiable")]
    rows = report.tables["applications"].rows
    assert [(r, c, v.doubt) for r, vs in rows.items() for c, v in vs.items() if v.doubt] == []


@pytest.mark.parametrize("name", sorted(n for n, (_, planted) in PRINTS.items() if planted))
def test_a_planted_error_in_a_printed_report_is_an_error_with_its_numbers(name):
    # the page's own numbers, one 予以公开 自然人 more: the 自然人 column's outcomes no longer add up to (七)总计, and
    # the 予以公开 row's applicants no longer add up to its 总计; nothing else is an error
    expected = _expected(name)
    rows = {r for (t, r, _) in expected if t == "applications"}
    handled = sum(int(str(expected["applications", r, "natural_person"])) for r in OUTCOME_ROWS if r in rows)
    total = expected["applications", "handled_total", "natural_person"]
    applicants = sum(
        int(str(v)) for (t, r, c), v in expected.items() if (t, r) == ("applications", "granted") and c != "total"
    )
    granted_total = expected["applications", "granted", "total"]
    errors = sorted((f.rule, f.message) for f in run_rules(_read(PAGES / name)) if f.severity == "error")
    assert errors == [
        ("applications.handled_sum", f"自然人列：各项办理结果之和为{handled}，但(七)总计为{total}"),
        ("applications.row_total", f"(一)予以公开行：各类申请人之和为{applicants}，但总计为{granted_total}"),
    ]


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_a_printed_report_has_the_parts_of_the_page_it_was_printed_from(name):
    # each part a reader finds in the page is found in the print: a heading the page (pasted from Word) keeps in a
    # ruled cell is a heading, not a table of one row (review 110: 004 on A5, 缺少第五部分 a false error)
    found = {n for n, span in _read(PAGES / name).sections.items() if span}
    assert found == {n for n, span in _source(name).sections.items() if span}
