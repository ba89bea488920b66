"""Each rule: holds, fails, blank operand, ambiguous operand (on tables built in the test)."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.checks.pipeline import run_rules
from monitor.checks.registry import RULES
from monitor.model import APPEAL_COLUMNS, APPLICANT_COLUMNS, APPLICATION_ROWS, Finding, Report, Table, Value

ROWS_2021 = [s.key for s in APPLICATION_ROWS if s.key != "other"]


def v(n):
    return Value(n, "" if n is None else str(n), 0, 0)


def applications(**rows: list) -> Table:
    """A consistent 2021 table (1 natural-person application granted) with `rows` overridden."""
    base = {r: [0] * 7 for r in ROWS_2021}
    base["new"] = [1, 0, 0, 0, 0, 0, 1]
    base["granted"] = [1, 0, 0, 0, 0, 0, 1]
    base["handled_total"] = [1, 0, 0, 0, 0, 0, 1]
    base.update(rows)
    t = Table("parsed", format="2021")
    for r, values in base.items():
        if values is None:
            t.ambiguous_rows.append(r)
            t.status = "ambiguous"
        else:
            t.rows[r] = {c: v(n) for c, n in zip(APPLICANT_COLUMNS, values, strict=True)}
    return t


def appeals(**rows: list) -> Table:
    t = Table("parsed")
    for r in ("review", "suit_direct", "suit_after_review"):
        t.rows[r] = {c: v(n) for c, n in zip(APPEAL_COLUMNS, rows.get(r, [0] * 5), strict=True)}
    return t


def active(fmt: str = "2021", **rows: dict) -> Table:
    t = Table("parsed", format=fmt)
    for r, cols in rows.items():
        t.rows[r] = {c: v(n) for c, n in cols.items()}
    return t


def report(**kw) -> Report:
    tables = {
        "active": kw.pop("active", active()),
        "applications": kw.pop("applications", applications()),
        "appeals": kw.pop("appeals", appeals()),
    }
    r = Report(
        input="test",
        text=kw.pop("text", ""),
        year=2021,
        kind="government",
        format="2021",
        sections=dict.fromkeys(range(1, 7), (0, 0)),
        tables=tables,
    )
    for k, val in kw.items():
        setattr(r, k, val)
    return r


def found(r: Report, rule: str, previous: Report | None = None) -> list[Finding]:
    return [f for f in run_rules(r, previous) if f.rule == rule]


def test_every_rule_has_a_contract_severity():
    assert {r.severity for r in RULES.values()} <= {"error", "warning"}
    # the contract's 18, identity.unverifiable, history.copied, same_tables, backdated, region.parts, report.paged,
    # section.unread, timeliness.undated
    assert len(RULES) == 26


def test_one_registry_holds_every_rule_id_of_the_contract(capsys):
    """`govmon check --rules` lists them all, the watcher's own (revision.changed, timeliness.missing) too."""
    import re  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from monitor.present.cli import main  # noqa: PLC0415

    contract = (Path(__file__).resolve().parents[2] / "shared" / "spec" / "contract.md").read_text(encoding="utf-8")
    ids = dict(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| (error|warning) \|", contract, re.M))
    assert len(ids) == 18
    assert main(["check", "--rules"]) == 0
    listed = dict(line.split()[:2] for line in capsys.readouterr().out.splitlines())
    assert {k: listed[k] for k in ids} == ids
    assert RULES["timeliness.missing"].scope == "source"


def test_consistent_report_has_no_findings():
    assert run_rules(report()) == []


# ---- applications.balance
def test_balance_fails_with_expected_and_actual():
    r = report(applications=applications(new=[2, 0, 0, 0, 0, 0, 2]))
    (f,) = found(r, "applications.balance")[:1]
    assert (f.column, f.expected, f.actual, f.severity) == ("natural_person", 2, 1, "error")
    assert "自然人列" in f.message
    assert "本年新收(2)" in f.message


def test_balance_blank_addend_counts_as_zero():
    r = report(applications=applications(carried_over=[None, 0, 0, 0, 0, 0, 0]))
    assert found(r, "applications.balance") == []
    assert len(found(r, "cell.blank")) == 1


def test_balance_blank_result_is_not_evaluated():
    r = report(applications=applications(handled_total=[None, 0, 0, 0, 0, 0, 1]))
    assert [f.column for f in found(r, "applications.balance")] == []
    assert found(r, "cell.blank")


def test_balance_ambiguous_operand_is_not_evaluated():
    r = report(applications=applications(new=None))
    assert found(r, "applications.balance") == []
    assert found(r, "table.unreadable")


# ---- applications.handled_sum
def test_handled_sum_fails_per_column():
    r = report(applications=applications(partly_granted=[0, 2, 0, 0, 0, 0, 2], new=[1, 2, 0, 0, 0, 0, 3]))
    assert [(f.column, f.expected, f.actual) for f in found(r, "applications.handled_sum")] == [
        ("commercial", 2, 0),
        ("total", 3, 1),
    ]


def test_handled_sum_blank_outcome_counts_as_zero():
    r = report(applications=applications(withheld_process=[None] * 6 + [0]))
    assert found(r, "applications.handled_sum") == []


def test_handled_sum_ambiguous_row_stops_it():
    r = report(applications=applications(granted=None))
    assert found(r, "applications.handled_sum") == []


def test_handled_sum_2019_single_other_row():
    t = applications(other=[4, 0, 0, 0, 0, 0, 4], handled_total=[5, 0, 0, 0, 0, 0, 5], new=[5, 0, 0, 0, 0, 0, 5])
    for r in ("other_no_correction", "other_no_fee", "other_misc"):
        del t.rows[r]
    assert found(report(applications=t), "applications.handled_sum") == []
    t.rows["other"]["natural_person"] = v(3)
    assert [f.column for f in found(report(applications=t), "applications.handled_sum")] == ["natural_person"]


# ---- applications.row_total
def test_row_total_fails_naming_the_row():
    r = report(applications=applications(rejected_repeat=[1, 1, 0, 0, 0, 0, 3]))
    rows = [(f.row, f.expected, f.actual) for f in found(r, "applications.row_total")]
    assert rows == [("rejected_repeat", 2, 3)]


def test_row_total_blank_total_is_not_evaluated_and_blank_parts_are_zero():
    r = report(applications=applications(granted=[1, None, None, None, None, None, None]))
    assert found(r, "applications.row_total") == []
    r = report(applications=applications(granted=[1, None, None, None, None, None, 1]))
    assert found(r, "applications.row_total") == []


# ---- identity.unverifiable: a failure that a blank may explain is a warning, not an error (report-format §3)
def test_failure_with_a_blank_on_the_short_side_is_unverifiable_not_an_error():
    # outcome rows add up to 805 but the 总计 column's outcome cells are blank: the real 2019 case
    r = report(
        applications=applications(
            new=[805, 0, 0, 0, 0, 0, 805], granted=[805, 0, 0, 0, 0, 0, None], handled_total=[805, 0, 0, 0, 0, 0, 805]
        )
    )
    assert found(r, "applications.handled_sum") == []
    (f,) = found(r, "identity.unverifiable")
    assert (f.severity, f.column, f.expected, f.actual) == ("warning", "total", 0, 805)
    assert "(一)予以公开·总计" in f.message
    assert "无法核对" in f.message


def test_failure_with_blanks_only_on_the_larger_side_stays_an_error():
    # 2 + blank cannot equal 1: no count is negative, so the blank cannot be the missing number
    r = report(applications=applications(rejected_repeat=[2, None, 0, 0, 0, 0, 1]))
    assert [(f.row, f.expected, f.actual) for f in found(r, "applications.row_total")] == [("rejected_repeat", 2, 1)]
    assert found(r, "identity.unverifiable") == []


def test_a_whole_blank_total_column_is_a_completeness_warning_only():
    rows = {k: [*vals[:6], None] for k, vals in {r: [0] * 7 for r in ROWS_2021}.items()}
    rows.update(new=[1, 0, 0, 0, 0, 0, None], granted=[1, 0, 0, 0, 0, 0, None], handled_total=[1, 0, 0, 0, 0, 0, None])
    findings = run_rules(report(applications=applications(**rows)))
    assert [f.severity for f in findings] == ["warning"]
    assert findings[0].rule == "cell.blank"


# ---- appeals.total
@pytest.mark.parametrize(
    ("row", "values", "bad"),
    [
        ("review", [1, 0, 0, 1, 2], False),
        ("review", [1, 2, 0, 0, 0], True),
        ("suit_direct", [1, None, None, 1, 2], False),
        ("suit_after_review", [1, 0, 0, 0, None], False),
    ],
)
def test_appeals_total(row, values, bad):
    r = report(appeals=appeals(**{row: values}))
    got = found(r, "appeals.total")
    assert [(f.row, f.expected, f.actual) for f in got] == ([(row, 3, 0)] if bad else [])


def test_appeals_ambiguous_table_runs_no_identity():
    assert found(report(appeals=Table("ambiguous")), "appeals.total") == []
    assert found(report(appeals=Table("ambiguous")), "table.unreadable")


# ---- completeness
def test_section_missing_names_the_number():
    r = report()
    r.sections[5] = None
    (f,) = found(r, "section.missing")
    assert (f.row, f.severity) == (5, "error")
    assert "第五部分" in f.message


def test_table_missing_and_image():
    r = report(applications=Table("missing"), active=Table("image"))
    assert [f.table for f in found(r, "table.missing")] == ["applications"]
    assert "图片" in found(r, "table.unreadable")[0].message


def test_legacy_reports_are_not_held_to_the_statutory_tables():
    r = report(applications=Table("missing"), format="legacy", year=2017)
    r.sections[6] = None
    assert found(r, "table.missing") == []
    assert found(r, "section.missing") == []


def test_cell_invalid_and_unreadable():
    t = applications()
    t.rows["granted"]["research"] = Value(-1, "-1", 0, 0, invalid=True)
    t.rows["granted"]["commercial"] = Value(0, "0?", 0, 0, debris=True)
    r = report(applications=t)
    assert [(f.row, f.column) for f in found(r, "cell.invalid")] == [("granted", "research")]
    assert found(r, "cell.unreadable")[0].cells == (("granted", "commercial"),)


# ---- format, time, history
def test_format_version():
    assert found(report(year=2020), "format.version")[0].table == "active"
    assert found(report(year=2022), "format.version") == []
    assert found(report(year=None), "format.version") == []


@pytest.mark.parametrize(
    ("kind", "published", "late"),
    [
        ("department", date(2022, 1, 31), False),
        ("department", date(2022, 2, 1), True),
        ("government", date(2022, 3, 31), False),
        ("government", date(2022, 4, 1), True),
        (None, date(2022, 9, 1), False),
    ],
)
def test_timeliness_late(kind, published, late):
    assert bool(found(report(kind=kind, published=published), "timeliness.late")) is late


def test_history_carry_over():
    last = report(
        applications=applications(carried_forward=[2, 0, 0, 0, 0, 0, 2], new=[3, 0, 0, 0, 0, 0, 3]), year=2020
    )
    now = report(
        applications=applications(
            carried_over=[1, 0, 0, 0, 0, 0, 1], handled_total=[2, 0, 0, 0, 0, 0, 2], granted=[2, 0, 0, 0, 0, 0, 2]
        )
    )
    got = [(f.column, f.expected, f.actual) for f in found(now, "history.carry_over", last)]
    assert got == [("natural_person", 2, 1), ("total", 2, 1)]
    assert found(now, "history.carry_over") == []  # no previous report, no cross-year rule
    blank = report(applications=applications(carried_over=[None, 0, 0, 0, 0, 0, None]))
    assert found(blank, "history.carry_over", last) == []
    last.year = 2021  # the same year, or another body's: not the year before, never compared
    assert found(now, "history.carry_over", last) == []
    last.year, last.agency, now.agency = 2020, "乙市人民政府", "甲市人民政府"
    assert found(now, "history.carry_over", last) == []


def test_history_in_force():
    last = report(active=active(rules={"issued": 0, "repealed": 0, "in_force": 5}), year=2020)
    ok = report(active=active(rules={"issued": 2, "repealed": 1, "in_force": 6}))
    bad = report(active=active(rules={"issued": 2, "repealed": 1, "in_force": 9}))
    assert found(ok, "history.in_force", last) == []
    assert [(f.expected, f.actual) for f in found(bad, "history.in_force", last)] == [(6, 9)]
    old = report(active=active("2019", rules={"made": 1, "published": 1, "published_total": 5}))
    assert found(bad, "history.in_force", old) == []


# ---- prose
def test_narrative_mismatch_and_agreement():
    text = "本年共收到政府信息公开申请1件,予以公开1件。"
    assert found(report(text=text), "narrative.mismatch") == []
    (f,) = found(report(text="本年共收到政府信息公开申请7件,其余略。"), "narrative.mismatch")
    assert (f.expected, f.actual, f.row) == (1, 7, "new")


def test_every_phrasing_of_a_count_ends_on_the_count():
    """``prose._claims`` passes over a sentence with no digit before 件 or 起: each phrasing holds N, its count."""
    from monitor.checks import phrases  # noqa: PLC0415

    patterns = [phrases._OUTCOMES.pattern, *(p.pattern for y in (None, 2023) for p in phrases._phrases(y))]
    assert len(patterns) > 10
    assert all(phrases.N in p for p in patterns)
    assert phrases.N == r"(?<![\d.])(\d+)(?:件|起)"  # what _COUNTED looks for


def test_narrative_skips_approximate_and_scoped_numbers():
    assert found(report(text="全年收到政府信息公开申请近7件,总体平稳。"), "narrative.mismatch") == []
    assert found(report(text="市政府本级收到政府信息公开申请7件,总体平稳。"), "narrative.mismatch") == []


def test_narrative_blank_or_ambiguous_table_is_not_compared():
    r = report(text="本年共收到政府信息公开申请7件,其余略。", applications=applications(new=None))
    assert found(r, "narrative.mismatch") == []


def test_narrative_all_answered_but_carried_forward():
    t = applications(new=[2, 0, 0, 0, 0, 0, 2], carried_forward=[1, 0, 0, 0, 0, 0, 1])
    assert found(report(text="本年度收到的申请已全部答复,无逾期。", applications=t), "narrative.mismatch")


def test_narrative_percentage_rounding_truncation_and_partition():
    t = applications(
        new=[3, 0, 0, 0, 0, 0, 3],
        granted=[2, 0, 0, 0, 0, 0, 2],
        partly_granted=[1, 0, 0, 0, 0, 0, 1],
        handled_total=[3, 0, 0, 0, 0, 0, 3],
    )
    ok = "“予以公开”2件,占66.7%;“部分公开”1件,占33.3%。"
    truncated = "“予以公开”2件,占66.6%;“部分公开”1件,占33.3%。"
    wrong = "“予以公开”2件,占60.0%;“部分公开”1件,占33.3%。"
    over = "“予以公开”2件,占76.7%;“部分公开”1件,占33.3%。"
    assert found(report(text=ok, applications=t), "narrative.percentage") == []
    assert found(report(text=truncated, applications=t), "narrative.percentage") == []
    assert [f.expected for f in found(report(text=wrong, applications=t), "narrative.percentage")] == [66.7]
    assert 100 in [f.expected for f in found(report(text=over, applications=t), "narrative.percentage")]


def test_a_finding_and_a_report_have_one_serialised_form_that_reads_back():
    from conftest import SEEDS  # noqa: PLC0415

    from monitor.checks.arithmetic import ARITHMETIC  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415

    report = read_report(SEEDS["tongliao"].read_bytes(), "seed.txt")
    report.tables["appeals"].rows["review"]["total"] = Value(7, "7", 0, 0)  # planted: the row no longer adds up
    findings = run_rules(report)
    assert findings
    for f in findings:
        data = f.to_json()
        assert {"key", "cells"} <= set(data)
        assert Finding.from_json(data) == f
    again = Report.from_json(report.to_json(), report.text)
    assert again.to_json() == report.to_json()
    sums = [f for f in findings if f.rule in ARITHMETIC]
    assert [f.rule for f in sums] == ["appeals.total"]
    assert [f for f in run_rules(again) if f.rule in ARITHMETIC] == sums  # the stored numbers suffice for them
