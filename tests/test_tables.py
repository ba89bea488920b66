"""The cell tokenizer and row placement on the page layouts of report-format.md §5."""

from __future__ import annotations

from monitor.reading.normalise import normalise
from monitor.reading.text_cells import tokenize
from monitor.reading.text_tables import read_appeals, read_applications


def lines(text: str) -> list[tuple[int, str]]:
    return list(enumerate(normalise(text).split("\n")))


def kinds(text: str) -> list[str]:
    return [c.kind[0] for c in tokenize(lines(text))]


def test_pipe_rows_with_trailing_padding_and_repeated_labels():
    assert kinds("(三)不予公开 | 1.属于国家秘密 | 0 | 1 | ||") == ["l", "l", "v", "v", "b", "b"]


def test_collapse_marker_is_its_own_cell():
    cells = tokenize(lines("一、本年新收 |\n7 |\n||||||||"))
    assert [(c.kind, c.width) for c in cells] == [("label", 0), ("value", 0), ("collapse", 8)]


def test_one_cell_per_line_extra_empty_lines_are_blanks():
    # cells separated by one empty line; each extra empty line is a blank cell
    assert kinds("规章\n\n1\n\n\n3\n\n5\n\n规范性文件") == ["l", "v", "b", "v", "v", "l"]


def test_consecutive_lines_without_separator_are_one_header_cell():
    cells = tokenize(lines("结果\n纠正\n\n其他\n结果\n\n总计\n\n1"))
    assert [c.text for c in cells] == ["结果纠正", "其他结果", "总计", "1"]


def test_label_followed_by_numbers_on_one_line():
    assert [c.text for c in tokenize(lines("(七)总计 960 10 0 2 0 0 972"))] == [
        "(七)总计",
        "960",
        "10",
        "0",
        "2",
        "0",
        "0",
        "972",
    ]


def _applications(rows: str) -> str:
    labels = [
        "一、本年新收",
        "二、上年结转",
        "(一)予以公开",
        "(二)部分公开",
        "1.属于国家秘密",
        "2.其他法律行政法规禁止公开",
        "3.危及三安全一稳定",
        "4.保护第三方合法权益",
        "5.属于三类内部事务信息",
        "6.属于四类过程性信息",
        "7.属于行政执法案卷",
        "8.属于行政查询事项",
        "1.本机关不掌握",
        "2.没有现成信息需要另行制作",
        "3.补正后申请内容仍不明确",
        "1.信访举报投诉类申请",
        "2.重复申请",
        "3.要求提供公开出版物",
        "4.无正当理由大量反复申请",
        "5.要求行政机关确认或重新出具",
        "(六)其他处理",
        "(七)总计",
        "四、结转下年度继续办理",
    ]
    return "\n".join(f"{label} | {rows} |" for label in labels)


def test_a_row_with_too_few_cells_is_ambiguous_not_shifted():
    t = read_applications(lines(_applications("1 | 0 | 0 | 0 | 0 | 0 | 1")).copy())
    assert t.status == "parsed"
    assert t.format == "2019"
    short = _applications("1 | 0 | 0 | 0 | 0 | 0 | 1").replace(
        "二、上年结转 | 1 | 0 | 0 | 0 | 0 | 0 | 1", "二、上年结转 | 1 | 1"
    )
    t = read_applications(lines(short))
    assert t.status == "ambiguous"
    assert t.ambiguous_rows == ["carried_over"]
    assert "carried_over" not in t.rows


def test_concatenated_cells_are_not_split():
    t = read_applications(
        lines(
            _applications("1 | 0 | 0 | 0 | 0 | 0 | 1").replace(
                "(一)予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1", "(一)予以公开 | 1000001"
            )
        )
    )
    assert t.ambiguous_rows == ["granted"]


def test_appeals_fifteen_values_with_trailing_blank_total():
    header = "行政复议\n\n行政诉讼\n\n结果维持\n\n结果纠正\n\n其他结果\n\n尚未审结\n\n总计\n\n"
    values = "\n\n".join(["1", "0", "0", "1", "2", "0", "0", "0", "0", "0", "1", "0", "0", "0"]) + "\n\n\n\n"
    t = read_appeals(lines(header + values))
    assert t.status == "parsed"
    assert t.numbers()["suit_after_review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": None}
    assert read_appeals(lines(header + "1\n\n2")).status == "ambiguous"
    assert read_appeals(lines("2021年未发生行政复议、行政诉讼。")).status == "missing"
