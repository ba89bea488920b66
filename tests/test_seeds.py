"""The facts of the five real seed pages (shared/spec/report-format.md §6), through `govmon check --json`."""

from __future__ import annotations

import re

from conftest import SEEDS

ARITHMETIC = {"applications.balance", "applications.handled_sum", "applications.row_total", "appeals.total"}


def rules_of(result: dict) -> list[str]:
    return [f["rule"] for f in result["findings"]]


def col(table: dict, row: str) -> list:
    return list(table[row].values())


def test_tongliao_2021_government_all_identities_hold(check_json):
    code, r = check_json(str(SEEDS["tongliao"]))
    assert code == 0
    assert (r["title"], r["agency"], r["year"], r["published"]) == (
        "通辽市2021年政府信息公开工作年度报告",
        "通辽市人民政府",
        2021,
        "2022-03-08",
    )
    assert (r["kind"], r["format"]) == ("government", "2021")
    assert r["sections"] == {str(n): True for n in range(1, 7)}
    assert r["table_status"] == {"active": "parsed", "applications": "parsed", "appeals": "parsed"}
    apps = r["tables"]["applications"]
    assert col(apps, "new") == [232, 7, 0, 0, 0, 0, 239]
    assert col(apps, "handled_total") == [232, 7, 0, 0, 0, 0, 239]
    assert col(apps, "carried_forward") == [0] * 7
    assert len(apps) == 25  # 2021 format: (六) has three sub-rows
    assert col(r["tables"]["appeals"], "review") == [1, 0, 0, 1, 2]
    assert col(r["tables"]["appeals"], "suit_direct") == [2, 1, 0, 1, 4]
    assert col(r["tables"]["appeals"], "suit_after_review") == [0, 0, 0, 2, 2]
    assert r["tables"]["active"]["normative_documents"] == {"issued": 137, "repealed": 57, "in_force": 468}
    assert r["tables"]["active"]["fees"] == {"amount_wan": 113369.3126}
    assert r["findings"] == []  # prose "申请总数239件…已全部答复" agrees


def test_luzhou_2022_traditional_with_debris(check_json):
    code, r = check_json(str(SEEDS["luzhou"]))
    assert code == 0
    assert (r["title"], r["year"], r["kind"], r["format"]) == (
        "泸州市2022年政府信息公开工作年度报告",
        2022,
        "government",
        "2021",
    )
    apps = r["tables"]["applications"]
    assert col(apps, "new") == [954, 9, 0, 2, 0, 0, 965]
    assert col(apps, "carried_over") == [37, 1, 0, 0, 0, 0, 38]
    assert col(apps, "handled_total") == [960, 10, 0, 2, 0, 0, 972]
    assert col(apps, "carried_forward") == [31, 0, 0, 0, 0, 0, 31]
    assert col(apps, "other_no_fee") == [3, 0, 0, 0, 0, 0, 3]  # "3 | 0? | ?0 | 0? …" read, debris remembered
    appeals = r["tables"]["appeals"]
    assert [col(appeals, k) for k in ("review", "suit_direct", "suit_after_review")] == [
        [11, 11, 4, 0, 26],
        [8, 3, 2, 0, 13],
        [3, 0, 0, 1, 4],
    ]
    assert r["tables"]["active"]["rules"] == {"issued": 1, "repealed": 0, "in_force": 5}
    assert not ARITHMETIC & set(rules_of(r))
    assert "narrative.mismatch" not in rules_of(r)  # prose 965/38/972/31, 复议26, 诉讼17 agree
    debris = [f for f in r["findings"] if f["rule"] == "cell.unreadable"]
    assert {f["table"] for f in debris} == {"active", "applications"}


def test_yining_2020_collapsed_rows_are_ambiguous_not_guessed(check_json):
    code, r = check_json(str(SEEDS["yining"]))
    assert code == 0
    assert (r["agency"], r["year"], r["format"]) == ("伊宁市人民政府", 2020, "2019")
    assert r["table_status"]["applications"] == "ambiguous"
    assert "applications" not in r["tables"]  # no number placed in a column it may not belong to
    appeals = r["tables"]["appeals"]
    assert [col(appeals, k) for k in ("review", "suit_direct", "suit_after_review")] == [
        [1, 2, 3, 0, 6],
        [5, 3, 10, 0, 18],
        [1, 0, 0, 0, 1],
    ]
    assert r["tables"]["active"]["procurement"] == {"items": 26, "amount_wan": 6247.84}
    assert r["tables"]["active"]["fees"] == {"prior_items": 27, "change": 19}
    assert rules_of(r) == ["table.unreadable"]


def test_laixi_2020_blanks_missing_section_and_wrong_prose(check_json):
    code, r = check_json(str(SEEDS["laixi"]))
    assert code == 1
    assert (r["agency"], r["year"], r["published"], r["format"]) == ("莱西市人民政府", 2020, "2021-01-29", "2019")
    assert r["sections"]["6"] is False
    assert [f["row"] for f in r["findings"] if f["rule"] == "section.missing"] == [6]
    apps = r["tables"]["applications"]
    assert col(apps, "new") == [195, 10, 1, None, None, None, 206]
    assert col(apps, "handled_total") == [182, 10, 1, 0, 0, 0, 193]
    assert col(apps, "carried_forward")[0] == 14
    assert col(r["tables"]["appeals"], "review") == [11, 1, 0, 4, 16]
    assert col(r["tables"]["appeals"], "suit_after_review") == [1, None, None, 3, 4]
    assert not ARITHMETIC & set(rules_of(r))  # identities hold with blanks as 0
    by_rule = {f["rule"]: f for f in r["findings"]}
    assert {f["table"] for f in r["findings"] if f["rule"] == "cell.blank"} == {"active", "applications", "appeals"}
    mismatch = by_rule["narrative.mismatch"]
    assert (mismatch["row"], mismatch["expected"], mismatch["actual"]) == ("granted", 67, 78)
    pct = [f for f in r["findings"] if f["rule"] == "narrative.percentage"]
    assert {(f["expected"], f["actual"]) for f in pct} == {(100, 105.6), (8.33, 8.36)}


def test_tianmen_2021_department_all_zero(check_json):
    code, r = check_json(str(SEEDS["tianmen"]))
    assert code == 0
    assert (r["agency"], r["kind"], r["year"], r["published"], r["format"]) == (
        "天门市政务服务和大数据管理局",
        "department",
        2021,
        "2022-01-12",
        "2021",
    )
    assert all(v == 0 for row in r["tables"]["applications"].values() for v in row.values())
    assert all(v == 0 for row in r["tables"]["appeals"].values() for v in row.values())
    assert r["tables"]["active"]["penalty"] == {"decisions": 1}
    assert r["findings"] == []


def test_several_inputs_give_an_array(check_json):
    code, results = check_json(str(SEEDS["tongliao"]), str(SEEDS["laixi"]))
    assert code == 1
    assert [x["year"] for x in results] == [2021, 2020]


def test_a_prose_count_against_cells_one_of_which_is_blank_is_no_mismatch(check_json, tmp_path):
    # A reader sees (莱西 2020 with its (四)3 总计 cell left empty): "无法提供68件", and the (四) rows 63, 5 and a
    # blank; with the blank as 0 (as 没有数据应填0 says) they make 68. No mismatch can be claimed; "无法提供之和
    # 为63" quoted (四)1 alone, a sum not on the page.
    lines = SEEDS["laixi"].read_text(encoding="utf-8").split("\n")
    at = lines.index("3.补正后申请内容仍不明确")
    cell = at + next(i for i, line in enumerate(lines[at + 1 :], 1) if line.strip())  # its first number: 总计
    assert (lines[cell], lines[cell + 2]) == ("0", "(五)不予处理")
    lines[cell] = ""
    path = tmp_path / "laixi-blank.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    _, r = check_json(str(path))
    assert r["tables"]["applications"]["unavailable_unclear"]["total"] is None
    said = [f["message"] for f in r["findings"] if f["rule"] == "narrative.mismatch"]
    assert said == ["正文写“予以公开78件”，但表中予以公开为67"]  # the seed's own, and nothing on 无法提供


def test_a_prose_count_that_may_count_a_cell_not_read_for_certain_is_no_mismatch(check_json, tmp_path):
    # A reader sees (莱西 2020, its prose saying "共收到政府信息公开申请207件": 206 new and 1 carried over, as some
    # reports count; its 上年结转 总计 written "1?", conversion debris): 207 may well be the table's count. No
    # mismatch can be claimed against 206 while the reading that would agree is not known.
    text = SEEDS["laixi"].read_text(encoding="utf-8")
    assert "全年新收到政府信息公开申请206件," in text
    text = text.replace("全年新收到政府信息公开申请206件,", "全年共收到政府信息公开申请207件。", 1)
    lines = text.split("\n")
    at = lines.index("二、上年结转政府信息公开申请数量")
    assert (lines[at + 2], lines[at + 9]) == ("1", "1")  # 自然人, then 总计
    certain = tmp_path / "laixi-207.txt"
    certain.write_text("\n".join(lines), encoding="utf-8")
    lines[at + 9] = "1?"
    doubted = tmp_path / "laixi-207-doubted.txt"
    doubted.write_text("\n".join(lines), encoding="utf-8")
    for path in (certain, doubted):
        _, r = check_json(str(path))
        said = [f["message"] for f in r["findings"] if f["rule"] == "narrative.mismatch"]
        assert said == ["正文写“予以公开78件”，但表中予以公开为67"], path.name  # the seed's own, no more


def test_zeros_written_as_dashes_in_a_text_table_are_said_to_be_marks(check_json, tmp_path):
    """Audit 16 asked that a cell holding a dash be said to hold one (staff told "为空" looked and saw "—"); in text
    too. "――" (GB2312's "——" as its decoders map it) is such a dash, not a cell that could not be read. Tongliao's
    table 三 with each zero written so: the same numbers, blanks where the zeros were, no error."""
    text = SEEDS["tongliao"].read_text(encoding="utf-8")
    start, end = text.index("本年新收"), text.index("结转下年度")
    table = text[start:end]
    zero = re.compile(r"(?<=[\s|])0(?=[\s|])")
    assert len(zero.findall(table)) > 50
    for dash in ("——", "――"):
        path = tmp_path / f"dashed_{len(dash)}_{ord(dash[0]):x}.txt"
        path.write_text(text[:start] + zero.sub(dash, table) + text[end:], encoding="utf-8")
        code, r = check_json(str(path))
        assert code == 0
        assert col(r["tables"]["applications"], "new")[:2] == [232, 7]
        (blank,) = [f for f in r["findings"] if f["rule"] == "cell.blank"]
        assert "为空或只填了“—”“/”等符号" in blank["message"]
        assert [f["rule"] for f in r["findings"]] == ["cell.blank"]


def test_zeros_written_as_the_numeral_in_a_text_table_are_zeros(check_json, tmp_path):
    """Review 95's M2: a page's table read a cell of 〇 or 零 as 0, a text's as a blank ("为空", and a row's error
    beside it untold). Tongliao's table 三 with each zero so written reads as it is written with 0."""
    text = SEEDS["tongliao"].read_text(encoding="utf-8")
    start, end = text.index("本年新收"), text.index("结转下年度")
    table = text[start:end]
    zero = re.compile(r"(?<=[\s|])0(?=[\s|])")
    _, plain = check_json(str(SEEDS["tongliao"]))
    for numeral in ("〇", "零", "○"):
        path = tmp_path / f"zeros_{ord(numeral):x}.txt"
        path.write_text(text[:start] + zero.sub(numeral, table) + text[end:], encoding="utf-8")
        code, r = check_json(str(path))
        assert code == 0
        assert r["tables"]["applications"] == plain["tables"]["applications"]
        assert r["findings"] == []
