"""Extraction: encodings, HTML grids (rowspan/colspan), site chrome, and input that is not a report."""

from __future__ import annotations

import codecs
import quopri
from pathlib import Path

import lxml.html
import pytest
from conftest import SEEDS

from monitor.checks.pipeline import run_rules
from monitor.demo.pages import report_page
from monitor.errors import InputError
from monitor.model import MAX_BYTES, Report
from monitor.reading.formats import decode, extract, sniff
from monitor.reading.html import read_grid
from monitor.reading.normalise import normalise
from monitor.reading.report import read_page, read_report


def seed_data(check_json, name: str) -> dict:
    _, data = check_json(str(SEEDS[name]))
    return data


@pytest.mark.parametrize("charset", ["utf-8", "gbk", "gb2312"])
def test_a_portal_page_with_spanned_tables_reads_like_the_seed(check_json, tmp_path, charset):
    data = seed_data(check_json, "tongliao")
    html = report_page(data, "gb2312" if charset == "gb2312" else charset)
    path = tmp_path / "report.html"
    path.write_bytes(html.encode("gb18030" if charset != "utf-8" else "utf-8"))
    code, got = check_json(str(path))
    assert code == 0, got["findings"]
    assert got["tables"] == data["tables"]
    assert (got["title"], got["agency"], got["published"], got["format"]) == (
        data["title"],
        data["agency"],
        data["published"],
        "2021",
    )
    assert got["sections"] == {str(n): True for n in range(1, 7)}


def test_planted_error_in_html_is_named(check_json, tmp_path):
    data = seed_data(check_json, "tongliao")
    data["tables"]["appeals"]["suit_direct"]["upheld"] = 9
    (tmp_path / "r.html").write_text(report_page(data), encoding="utf-8")
    code, got = check_json(str(tmp_path / "r.html"))
    assert code == 1
    assert [(f["rule"], f["row"], f["expected"], f["actual"]) for f in got["findings"]] == [
        ("appeals.total", "suit_direct", 11, 4)
    ]


def test_html_blank_cells_are_blank_not_zero(check_json, tmp_path):
    data = seed_data(check_json, "tongliao")
    data["tables"]["applications"]["carried_over"] = dict.fromkeys(data["tables"]["applications"]["carried_over"])
    (tmp_path / "r.html").write_text(report_page(data), encoding="utf-8")
    _, got = check_json(str(tmp_path / "r.html"))
    assert set(got["tables"]["applications"]["carried_over"].values()) == {None}
    assert [f["rule"] for f in got["findings"]] == ["cell.blank"]


def test_grid_keeps_each_cell_once_with_its_spans():
    html = "<table><tr><td rowspan=2>A</td><td colspan=2>B</td></tr><tr><td>1</td><td>2</td></tr></table>"
    grid = read_grid(lxml.html.fragment_fromstring(html))
    assert [(c.text, c.row, c.col, c.rowspan, c.colspan) for c in grid.cells] == [
        ("A", 0, 0, 2, 1),
        ("B", 0, 1, 1, 2),
        ("1", 1, 1, 1, 1),
        ("2", 1, 2, 1, 1),
    ]
    assert [[c.text for c in row] for row in grid.rows()] == [["A", "B"], ["A", "1", "2"]]
    assert grid.pipe_rows() == ["A | B | B |", "A | 1 | 2 |"]


def test_table_that_is_only_an_image(tmp_path, check_json):
    html = (
        "<html><body><p>2021年XX区政府信息公开工作年度报告</p><p>一、总体情况</p><p>略。</p><p>二、主动公开政府信息情况</p>"
        "<p><img src='t1.png'></p><p>三、收到和处理政府信息公开申请情况</p><p><img src='t2.png'></p>"
        "<p>四、政府信息公开行政复议、行政诉讼情况</p><p><a href='t.pdf'>附件：表格.pdf</a></p>"
        "<p>五、存在的主要问题及改进情况</p><p>略。</p><p>六、其他需要报告的事项</p><p>无。</p></body></html>"
    )
    (tmp_path / "r.html").write_text(html, encoding="utf-8")
    _, got = check_json(str(tmp_path / "r.html"))
    assert got["table_status"] == {"active": "image", "applications": "image", "appeals": "image"}
    assert got["tables"] == {}
    assert {f["rule"] for f in got["findings"]} == {"table.unreadable"}


def test_decode_prefers_valid_utf8_then_declared_then_detection():
    text = "政府信息公开工作年度报告。本年度新收申请。" * 20
    assert decode(text.encode("utf-8"))[0] == text
    assert decode(text.encode("gbk"), "gbk") == (text, "gb18030")
    assert decode(text.encode("gbk"))[0] == text  # undeclared GBK: detected
    assert decode(b"\xef\xbb\xbf" + text.encode())[0] == text


def test_sniff_decides_from_bytes():
    assert sniff(b"%PDF-1.7 ...") == "pdf"
    assert sniff(b"PK\x03\x04....") == "zip"  # a damaged zip: which kind it is cannot be seen inside
    assert sniff(b"\x00\x01\x02garbage") == "binary"
    assert sniff(b"  <!DOCTYPE html><html>") == "html"
    assert sniff("一、总体情况".encode()) == "text"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "文件是空的"),
        (b"   \n", "文件是空的"),
        (b"\x00\x01\x02\x03" * 100, "二进制"),
        (b"%PDF-1.4\n%...", "PDF"),
        (b"PK\x03\x04" + b"\x00" * 50, "已损坏"),
        (b"x" * (MAX_BYTES + 1), "MiB"),
    ],
)
def test_unusable_input_is_a_clear_error(data, words):
    with pytest.raises(InputError, match=words):
        extract(data)


def test_text_that_is_not_a_report():
    with pytest.raises(InputError, match="不是政府信息公开工作年度报告"):
        read_report("今天天气很好。\n明天也很好。\n".encode(), "x")


def test_truncated_report_gives_the_findings_it_can():
    raw = SEEDS["tongliao"].read_text(encoding="utf-8")
    cut = raw[: raw.index("四、政府信息公开行政复议")]
    findings = run_rules(read_report(cut.encode(), "cut"))
    assert {(f.rule, f.row) for f in findings if f.rule == "section.missing"} == {
        ("section.missing", 4),
        ("section.missing", 5),
        ("section.missing", 6),
    }
    assert ("table.missing", "appeals") in {(f.rule, f.table) for f in findings}


def test_normalise_converts_traditional_and_strips_debris():
    assert normalise("一,、總體情況") == "一、总体情况"
    assert normalise("行政復(fù)議26件,,行政訴訟17件。因此我們會與國家開展資料對比").startswith(
        "行政复议26件,行政诉讼17件"
    )
    assert normalise("（一）１２３") == "(一)123"
    assert normalise("简体文本不变:乾隆皇后著作") == "简体文本不变:乾隆皇后著作"  # simplified text is left alone


def test_the_asides_of_cells_are_found_in_one_walk_as_the_union_of_the_cells_found_them():
    """``hidden._in_cells`` (one walk of the outermost cells) yields exactly the elements of
    ``//td//* | //th//*``, each once, in document order: on the corpus's pages, and on tables nested in cells with
    asides in the inner and outer cells, in a header cell and outside any cell (that union of one node-set per cell
    took libxml2 quadratic time)."""
    from lxml import etree  # noqa: PLC0415

    from monitor.reading import hidden  # noqa: PLC0415

    union = etree.XPath("//td//* | //th//*")
    nested = (
        '<html><body><p style="color:white">x</p><table><tr><th><sup>1</sup>行</th><td><s>9</s>'
        + '<table><tr><td><span style="font-size:0">7</span><b hidden>2</b></td></tr></table>' * 3
        + '<span style="mso-hide:all">3</span></td></tr></table><span style="display:none">4</span></body></html>'
    )
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    pages = [p.read_bytes() for p in sorted(corpus.glob("*.html"))] + [nested.encode()]
    counts, walked = [], 0
    for page in pages:
        root = lxml.html.document_fromstring(decode(page)[0])
        found = list(hidden._in_cells(root))
        assert found == union(root)
        counts.append(sum(1 for el in found if hidden._is_aside(el)))
        walked += len(found)
    assert counts[-1] == 9  # sup, s, the three inner cells' two each, the outer cell's span; not those outside
    assert walked > 2000  # Word's markup in the real pages' cells


@pytest.mark.parametrize("say", ["", '<meta charset="utf-8">', '<meta charset="iso-8859-1">', "latin-1"])
def test_a_real_gbk_page_that_names_no_charset_or_a_wrong_one_is_read_as_gbk(check_json, tmp_path, say):
    # A reader sees (the real 004 page in GBK, as older portals serve it): its charset not named, or named wrongly
    # (UTF-8 in its <meta>, or a server's default ISO-8859-1 in the header); a browser user picks GBK and reads the
    # same report. A detector's guess for these mostly-ASCII 225 KB took them for ISO-8859-13: "not a report".
    real = next((Path(__file__).resolve().parents[2] / "shared" / "corpus").glob("004_*")).read_text(encoding="utf-8")
    page = real.replace('<meta charset="utf-8" ', "<meta ")
    assert page != real
    assert "charset" not in page.lower()
    if say.startswith("<meta"):
        page = page.replace("<head>", f"<head>{say}", 1)
    raw = page.encode("gb18030")
    assert decode(raw, say or None) == (page, "gb18030")
    path = tmp_path / "004-gbk.html"
    path.write_bytes(raw)
    path.with_name("004-utf8.html").write_text(real, encoding="utf-8")
    _, got = check_json(str(path))
    _, want = check_json(str(path.with_name("004-utf8.html")))
    assert (got["title"], got["tables"], got["findings"]) == (want["title"], want["tables"], want["findings"])


def test_bytes_of_another_script_are_not_taken_for_gbk():
    big5 = "政府信息公開工作年度報告。本年度新收申請。".encode("big5") * 20
    assert decode(big5)[1] != "gb18030"  # valid GBK byte pairs, but not these pages' words in it
    latin = "Rapport annuel: été, année, déjà vu. " * 50
    assert decode(latin.encode("latin-1"), "iso-8859-1") == (latin, "iso8859-1")


@pytest.mark.parametrize("prefix", ["005_", "010_"])
def test_a_real_utf8_page_with_a_stray_byte_or_a_gbk_footer_is_read_as_utf8(prefix):
    # A reader sees (a real UTF-8 page with one stray byte before </title>, or with a footer a server includes in
    # GBK): the same report; a browser shows a replacement mark or two. A detector read such pages as ptcp154 or
    # cp775 mojibake; read as GB18030 (its few words are in the footer) every other character changes.
    raw = next((Path(__file__).resolve().parents[2] / "shared" / "corpus").glob(prefix + "*")).read_bytes()
    stray = raw.replace(b"</title>", b"\x93</title>", 1)
    footer = raw.replace(
        b"</body>", "主办单位：平潭综合实验区管委会办公室　政府网站标识码".encode("gbk") + b"</body>", 1
    )
    small = ("<ul>" + "<li>2023年度政府信息公开工作年度报告</li>" * 3 + "</ul>").encode() + "政府网站标识码".encode(
        "gbk"
    )
    for page in (stray, footer, small):
        for declared in (None, "utf-8", "iso-8859-1"):
            text, codec = decode(page, declared)
            assert codec == "utf-8"
            assert text.count("政府信息公开") == page.decode("utf-8", errors="replace").count("政府信息公开")
    assert read_report(footer, prefix).title == read_report(raw, prefix).title


@pytest.mark.parametrize("say", [None, "gbk", "iso-8859-1"])
def test_a_listing_put_together_from_pieces_in_two_charsets_reads_each_piece_in_its_own(say):
    # A reader sees (a GBK listing whose navigation and footer a server includes from files saved in UTF-8, as
    # portals assemble pages): every piece in its own characters. Read whole as one charset, the pieces in the other
    # were mojibake; read as UTF-8 because the navigation has more of the pages' words, the listing lost its reports.
    nav = "".join(
        f"<a href='/{i}'>{w}</a>"
        for i, w in enumerate(["首页", "政府信息公开", "政府信息公开指南", "信息公开年度报告"])
    )
    items = "".join(
        f"<li><a href='/r/{y}.html'>平潭综合实验区{y}年政府信息公开工作年度报告</a>（75394432.52元）</li>"
        for y in (2023, 2022)
    )
    page = (
        "<html><head><meta charset='gbk'><title>年报</title></head><body>".encode("gbk")
        + f"<div>{nav}</div>".encode()
        + f"<ul>{items}</ul>".encode("gbk")
        + "<div>主办：平潭综合实验区管理委员会 政府网站标识码</div></body></html>".encode()
    )
    text, _ = decode(page, say)
    for words in ("<title>年报</title>", nav, items, "主办：平潭综合实验区管理委员会"):
        assert words in text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_report_saved_in_utf16_without_its_mark_is_read(codec):
    # A seed saved as Windows' "Unicode" text less its BOM: the same report, not "a binary file".
    text = SEEDS["tongliao"].read_text(encoding="utf-8")
    plain = read_report(text.encode("utf-8"), "seed")
    wide = read_report(text.encode(codec), "wide")
    assert wide.title == plain.title
    assert {k: t.status for k, t in wide.tables.items()} == {k: t.status for k, t in plain.tables.items()}
    assert [f.rule for f in run_rules(wide)] == [f.rule for f in run_rules(plain)]
    assert sniff(bytes(range(256)) * 16) == "binary"  # bytes with NULs that read as no report's words


def _corpus(prefix: str) -> str:
    return next((Path(__file__).resolve().parents[2] / "shared" / "corpus").glob(prefix + "*")).read_text("utf-8")


def _same_report(got: Report, want: Report) -> None:
    assert (got.title, got.year, got.agency, got.published) == (want.title, want.year, want.agency, want.published)
    assert {k: t.rows for k, t in got.tables.items()} == {k: t.rows for k, t in want.tables.items()}
    assert [(f.rule, f.message) for f in run_rules(got)] == [(f.rule, f.message) for f in run_rules(want)]


@pytest.mark.parametrize("prefix", ["009_", "008_"])
def test_a_gbk_page_behind_a_utf8_byte_order_mark_is_read_as_gbk(prefix):
    # A reader sees (a real page in GBK, a template's UTF-8 BOM in front of it: "BOM头", as portals' includes leave
    # it): the same report. The mark made the page UTF-8 with every character replaced: "not a report".
    real = _corpus(prefix)
    gbk = real.replace('charset="UTF-8"', 'charset="gbk"')
    raw = codecs.BOM_UTF8 + gbk.encode("gb18030")
    assert decode(raw, "gbk") == (gbk, "gb18030")
    _same_report(read_page(raw, prefix, None, "gbk"), read_report(real.encode(), prefix))


@pytest.mark.parametrize("say", [None, "big5", "iso-8859-1"])
def test_a_traditional_copy_in_big5_is_read_named_or_not(say):
    # A reader sees (004 in traditional characters, saved in Big5 as Windows writes it, with 碁 and 銹 of its
    # extensions): the same report, whether the page names big5, nothing, or a server's default ISO-8859-1. Strict
    # Big5 failed on those characters, and a detector took the page for ISO-8859-13: "not a report".
    import opencc  # noqa: PLC0415

    real = _corpus("004_")
    traditional = opencc.OpenCC("s2t").convert(real.replace('<meta charset="utf-8" ', "<meta "))
    page = traditional.replace("</body>", "<p>碁銹</p></body>")
    if say == "big5":
        page = page.replace("<head>", '<head><meta charset="big5">', 1)
    raw = page.encode("cp950", errors="xmlcharrefreplace")  # what Big5 lacks (衆), as Word writes it: &#34886;
    with pytest.raises(UnicodeDecodeError):
        raw.decode("big5")
    _same_report(read_page(raw, "004", None, say), read_report(real.encode(), "004"))


@pytest.mark.parametrize("say", ["koi8-r", "euc-kr", "big5"])
def test_gbk_bytes_a_page_says_are_another_charset_are_read_as_gbk(say):
    # A reader sees (a real page in GBK whose <meta> names another double- or single-byte charset): GBK, the only
    # reading that gives the portal's words; the named one "decodes" the bytes into nonsense, a listing so read
    # holding no report links (and every year's report called missing).
    real = _corpus("004_")
    page = real.replace('<meta charset="utf-8" ', f'<meta charset="{say}" ')
    assert decode(page.encode("gb18030"))[1] == "gb18030"
    _same_report(read_report(page.encode("gb18030"), "004"), read_report(real.encode(), "004"))


@pytest.mark.parametrize("seed", ["tongliao", "tianmen"])
def test_a_gbk_export_that_wrote_question_marks_for_spaces_reads_as_the_report(seed):
    # A reader sees (a seed saved in GBK by an encoder that writes "?" for what GBK lacks: the en spaces before its
    # headings and after its lines, "????一、总体情况", "0????????"): the report, its parts and numbers. The parts
    # were called missing, and every number that a run of "?" followed was doubted.
    text = SEEDS[seed].read_text(encoding="utf-8")
    raw = text.encode("gbk", errors="replace")
    assert b"??" in raw
    _same_report(read_report(raw, seed), read_report(text.encode(), seed))


@pytest.mark.parametrize("saved_by", ["blink", "word"])
def test_a_page_saved_as_one_file_is_read_as_the_page(saved_by):
    # A reader sees (a real portal page saved as "网页，单个文件": Chrome's .mhtml, its HTML quoted-printable with a
    # picture beside it; or Word's .mht, its HTML base64 in GBK): the page. It was refused as "not a report".
    from email.mime.image import MIMEImage  # noqa: PLC0415
    from email.mime.multipart import MIMEMultipart  # noqa: PLC0415
    from email.mime.text import MIMEText  # noqa: PLC0415

    real = _corpus("009_")
    location = "https://www.pingtan.gov.cn/jhtml/ct/ct_2.htm"
    saved = MIMEMultipart("related", type="text/html")
    if saved_by == "blink":
        saved["From"] = "<Saved by Blink>"
        saved["Snapshot-Content-Location"] = location
        page = MIMEText(real, "html", "utf-8")
        page.replace_header("Content-Transfer-Encoding", "quoted-printable")
        page.set_payload(quopri.encodestring(real.encode()).decode("ascii"))
    else:
        gbk = real.replace('charset="UTF-8"', 'charset="gb2312"')
        page = MIMEText(gbk.encode("gb18030"), "html", "gb2312")  # base64
    page["Content-Location"] = location
    saved.attach(page)
    saved.attach(MIMEImage(b"\x89PNG\r\n\x1a\n" + bytes(64), "png"))
    raw = saved.as_bytes()
    assert sniff(raw) == "mhtml"
    _same_report(read_report(raw, "009.mhtml"), read_report(real.encode(), "009"))
