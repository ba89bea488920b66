"""`govmon check` as users run it: console script, python -m, files and URLs, exit codes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from conftest import SEEDS
from formats import CORPUS

from monitor.present.cli import main


@pytest.fixture
def portal() -> Iterator[str]:
    """A real aiohttp server on 127.0.0.1 in a thread (the CLI runs its own event loop)."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    gbk = SEEDS["laixi"].read_text(encoding="utf-8").encode("gb18030")  # declared gbk, as real sites do

    async def report(_request: web.Request) -> web.Response:
        return web.Response(body=gbk, content_type="text/plain", charset="gbk")

    async def missing(_request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def viewer(_request: web.Request) -> web.Response:
        return web.Response(text=VIEWER_PAGE, content_type="text/html")

    async def beside_other_years(_request: web.Request) -> web.Response:
        return web.Response(text=ATTACHED_BESIDE_OTHER_YEARS, content_type="text/html")

    async def title_linked(_request: web.Request) -> web.Response:
        return web.Response(text=ATTACHED_TITLE_LINKED, content_type="text/html")

    async def file_unnamed(_request: web.Request) -> web.Response:
        return web.Response(text=ATTACHED_UNNAMED, content_type="text/html")

    async def listing(_request: web.Request) -> web.Response:
        return web.Response(text=LISTING_OF_FILES, content_type="text/html")

    async def pdf(_request: web.Request) -> web.Response:
        return web.Response(
            body=(CORPUS / "001_huaian_hongze_district_2023.pdf").read_bytes(), content_type="application/pdf"
        )

    app.router.add_get("/report.txt", report)
    app.router.add_get("/missing", missing)
    app.router.add_get("/art/2024/1/20/art_1.html", viewer)
    app.router.add_get("/art/2023/3/20/art_2.html", beside_other_years)
    app.router.add_get("/uploadfiles/2024/01/20240120.pdf", pdf)
    app.router.add_get("/col/col1/index.html", listing)
    app.router.add_get("/art/2023/3/21/art_3.html", title_linked)
    app.router.add_get("/art/2023/3/22/art_4.html", file_unnamed)
    runner = web.AppRunner(app)
    try:
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = runner.addresses[0][1]
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{port}"
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
    finally:
        loop.close()


def test_console_script_human_output_and_exit_1():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "govmon"), "check", str(SEEDS["laixi"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "缺少第六部分“其他需要报告的事项”" in proc.stdout
    assert "错误 1 项" in proc.stdout


def test_python_dash_m_json_and_exit_0():
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "check", "--json", str(SEEDS["tongliao"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"] == []


def test_clean_report_says_no_problems(capsys):
    assert main(["check", str(SEEDS["tianmen"])]) == 0
    assert "未发现问题" in capsys.readouterr().out


def test_url_input_is_fetched_and_checked(check_json, portal):
    code, r = check_json(f"{portal}/report.txt")
    assert code == 1
    assert r["input"] == f"{portal}/report.txt"
    assert r["tables"]["applications"]["handled_total"]["total"] == 193


# a report page that only shows its PDF, in pdf.js (a TRS article page's shape)
VIEWER_PAGE = (
    "<html><head><title>洪泽区2023年政府信息公开工作年度报告</title></head><body><div class='article'>"
    "<h1>洪泽区2023年政府信息公开工作年度报告</h1><p>发布时间：2024-01-20</p>"
    "<iframe src='/pdfjs/web/viewer.html?file=/uploadfiles/2024/01/20240120.pdf' width='100%'></iframe></div></body></html>"
)


# a report page whose file is attached, beside a 相关阅读 box of the body's other years' reports (as portals show)
ATTACHED_BESIDE_OTHER_YEARS = (
    "<html><head><title>洪泽区人民政府2023年政府信息公开工作年度报告</title></head><body><div class='article'>"
    "<h1>洪泽区人民政府2023年政府信息公开工作年度报告</h1><p>发布时间：2024-01-20</p><p>现予公布，详见附件。</p>"
    "<p>附件：<a href='/uploadfiles/2024/01/20240120.pdf'>洪泽区人民政府2023年政府信息公开工作年度报告.pdf</a></p></div>"
    "<div class='related'><h3>相关阅读</h3><ul>"
    + "".join(
        f"<li><a href='/y{y}.html'>洪泽区人民政府{y}年政府信息公开工作年度报告</a></li>" for y in (2020, 2021, 2022)
    )
    + "</ul></div></body></html>"
)


# a 政府信息公开年报 column that links each year's report file directly
LISTING_OF_FILES = (
    "<html><head><title>政府信息公开年报_洪泽区人民政府</title></head><body><div class='list'><h2>政府信息公开年报</h2><ul>"
    + "".join(
        f"<li><a href='/uploadfiles/{y + 1}/01/{y + 1}0120.pdf'>洪泽区人民政府{y}年政府信息公开工作年度报告</a>"
        f"<span>{y + 1}-01-20</span></li>"
        for y in (2023, 2022, 2021, 2020)
    )
    + "</ul></div></body></html>"
)


def test_a_listing_of_report_files_is_said_to_be_one_not_checked_as_its_first_file(portal, capsys):
    """check URL of a column page listing several years' report files checked the first file as if it were the
    page's report, under the page's address: staff are told it is a listing instead."""
    assert main(["check", f"{portal}/col/col1/index.html"]) == 2
    err = capsys.readouterr().err
    assert "列出多份年度报告的栏目页" in err
    assert "Traceback" not in err


# the same page as a TRS template writes it: the title a link to the page itself, the file linked by its name
ATTACHED_TITLE_LINKED = ATTACHED_BESIDE_OTHER_YEARS.replace(
    "<h1>洪泽区人民政府2023年政府信息公开工作年度报告</h1>",
    "<h1><a href='./art_3.html'>洪泽区人民政府2023年政府信息公开工作年度报告</a></h1>",
)


# and with the file's link saying only 附件1 (review 65)
ATTACHED_UNNAMED = ATTACHED_TITLE_LINKED.replace(
    ">洪泽区人民政府2023年政府信息公开工作年度报告.pdf</a>", ">附件1</a>"
).replace("./art_3.html", "./art_4.html")


@pytest.mark.parametrize("page", ["art_2", "art_3", "art_4"])
def test_a_report_page_beside_other_years_reports_is_read_through_its_file(check_json, portal, page):
    """Review 60: check URL refused such a page as a listing (three reports named in its box) and never read its file;
    review 64: so it did again where the title is a link (its one file is the report, not a listing's item)."""
    day = {"art_2": "20", "art_3": "21", "art_4": "22"}[page]
    code, r = check_json(f"{portal}/art/2023/3/{day}/{page}.html")
    assert (r["year"], r["published"]) == (2023, "2024-01-20")
    assert [f["rule"] for f in r["findings"] if f["severity"] == "error"] == ["appeals.total"] * 2
    assert code == 1


def test_a_page_that_only_shows_its_pdf_is_checked_by_its_url_and_said_so_as_a_file(
    check_json, portal, tmp_path, capsys
):
    """Audit 14: such a page was "看起来不是…年度报告：既没有报告标题…", though its title is there. Its URL is read as the
    service reads it (the PDF it shows); the saved page says where the report is."""
    code, r = check_json(f"{portal}/art/2024/1/20/art_1.html")
    assert code == 1
    assert r["published"] == "2024-01-20"  # the page's; the PDF has no 发布时间
    assert [f["rule"] for f in r["findings"] if f["severity"] == "error"] == ["appeals.total"] * 2
    saved = tmp_path / "art_1.html"
    saved.write_text(VIEWER_PAGE, encoding="utf-8")
    assert main(["check", str(saved)]) == 2
    err = capsys.readouterr().err
    assert "本页只有报告标题，报告内容在页面嵌入或附带的文件" in err
    assert "既没有报告标题" not in err


def test_unusable_inputs_exit_2_with_one_line_each(capsys, tmp_path, portal):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    code = main(["check", str(empty), str(tmp_path / "nope.txt"), f"{portal}/missing"])
    err = capsys.readouterr().err.strip().split("\n")
    assert code == 2
    assert len(err) == 3
    assert "文件是空的" in err[0]
    assert "文件不存在" in err[1]
    assert "HTTP 404" in err[2]
    assert all("Traceback" not in line for line in err)


def test_usage_errors_exit_2(capsys):
    assert main(["check"]) == 2
    assert "至少给出一个" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["check", "--kind", "township", "x"])
    assert exc.value.code == 2


def test_rules_listing(capsys):
    assert main(["check", "--rules"]) == 0
    out = capsys.readouterr().out
    assert "applications.balance     error" in out
    assert "narrative.percentage" in out


def test_previous_enables_cross_year_rules(check_json, tmp_path):
    # the same body's report "for 2021" with 5 applications carried forward; 2022 says 37 carried over
    # (通辽's text standing in for 泸州's own 2021 report: the body's name is 泸州's, as the year before must be)
    last = SEEDS["tongliao"].read_text(encoding="utf-8").replace("通辽市", "泸州市")
    path = tmp_path / "last.txt"
    path.write_text(last, encoding="utf-8")
    code, r = check_json(str(SEEDS["luzhou"]), "--previous", str(path))
    assert code == 1
    assert [(f["column"], f["expected"], f["actual"]) for f in r["findings"] if f["rule"] == "history.carry_over"] == [
        ("natural_person", 0, 37),
        ("commercial", 0, 1),
        ("total", 0, 38),
    ]
    # another body's report, or a report of another year, is not the year before: said, and not compared
    code, r = check_json(str(SEEDS["luzhou"]), "--previous", str(SEEDS["tongliao"]))
    assert not [f for f in r["findings"] if f["rule"].startswith("history.")]


def test_a_previous_that_cannot_be_read_is_named_and_the_report_still_checked(tmp_path, capsys):
    """`--previous empty.html 2021.html` said only 文件是空的 (staff took their draft for empty), a folder was 文件不存在,
    and the report itself was not checked: now the line names --previous and the file, and the report is checked."""
    empty, folder = tmp_path / "2020.html", tmp_path / "lastyear"
    empty.write_bytes(b"")
    folder.mkdir()
    for previous, why in ((empty, "文件是空的"), (folder, "这是文件夹，--previous 需要一份报告文件")):
        assert main(["check", "--json", "--previous", str(previous), str(SEEDS["luzhou"])]) == 2
        out, err = capsys.readouterr()
        assert f"govmon: --previous {previous}" in err
        assert why in err
        assert "未用于跨年度核对" in err
        assert json.loads(out)["title"]  # the report, checked


def test_a_file_or_folder_that_cannot_be_read_is_its_own_line_and_the_others_are_checked(tmp_path, capsys, monkeypatch):
    """A file without read permission was called an internal error to report (读取时出现内部错误…请报告此问题); a folder
    without it stopped the whole call in English ("cannot use the database"), the files beside it unchecked.
    (Permissions are simulated: the tests may run as root, whom they do not stop.)"""
    locked, drafts = tmp_path / "locked.html", tmp_path / "drafts"
    locked.write_bytes(SEEDS["luzhou"].read_bytes())
    drafts.mkdir()
    real_read, real_iterdir = Path.read_bytes, Path.iterdir

    def read_bytes(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    def iterdir(self):
        if self == drafts:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    inside = tmp_path / "shut" / "a.html"  # in a folder that can be listed, not entered: is_file() raises
    real_is_file = Path.is_file

    def is_file(self):
        if self == inside:
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_file(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "is_file", is_file)
    monkeypatch.setattr("os.access", lambda path, _mode: Path(path) != drafts)
    assert main(["check", str(locked), str(drafts), str(inside), str(SEEDS["luzhou"])]) == 2
    out, err = capsys.readouterr()
    assert f"{locked}：没有读取权限，无法读取" in err
    assert f"{drafts}：文件夹没有读取权限，无法打开" in err
    assert f"{inside}：没有读取权限，无法读取" in err
    assert "内部错误" not in err
    assert "database" not in err
    assert "泸州市" in out  # the readable report, checked


def test_kind_option_overrides_inference(check_json):
    _, r = check_json(str(SEEDS["tongliao"]), "--kind", "department")
    assert r["kind"] == "department"
    assert [f["rule"] for f in r["findings"]] == ["timeliness.late"]  # 2022-03-08 is after 31 January


def test_check_reads_standard_input(monkeypatch, capsys):
    import io  # noqa: PLC0415

    from conftest import SEEDS  # noqa: PLC0415

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SEEDS["tongliao"].read_bytes())))
    assert main(["check", "-"]) == 0
    assert "== 通辽市2021年政府信息公开工作年度报告  [-]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/report.html",
        "http://100.100.100.200/latest/meta-data",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_check_refuses_private_and_metadata_addresses(capsys, url):
    assert main(["check", url]) == 2
    err = capsys.readouterr().err
    assert "网址指向内部网络地址，已拒绝访问" in err
    assert "--allow-private" in err


def test_a_closed_pipe_ends_quietly():
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from conftest import SEEDS  # noqa: PLC0415

    many = " ".join([str(SEEDS["laixi"])] * 30)  # well over a pipe's buffer of JSON: the writer meets the closed end
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m monitor check --json {many} | head -c 10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr == ""  # no traceback, no "Exception ignored" at shutdown
    assert done.stdout == "[\n  {\n    "
    assert done.returncode == 141  # 128 + SIGPIPE, as `yes | head` ends


def test_a_damaged_pdf_is_said_in_chinese_without_the_librarys_internals(tmp_path, capsys):
    """A real PDF with a page's dictionary broken: staff read 'PDF文件无法读取：PdfminerException: Invalid dictionary
    construct: [/'BaseFont', …' (the library's view of the file's insides). Now the Chinese says what it means."""
    raw = (CORPUS / "001_huaian_hongze_district_2023.pdf").read_bytes()
    assert b"/Type /Page" in raw
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(raw.replace(b"/Type /Page", b"/Type << /Page", 1))
    assert main(["check", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert "PDF文件无法读取：文件可能已损坏，或不是标准格式" in err
    assert "Invalid" not in err


def test_a_damaged_docx_is_said_in_chinese_without_the_librarys_internals(tmp_path, capsys):
    """A Word file whose [Content_Types].xml is not what Word writes: staff read python-docx's AttributeError text."""
    damaged = tmp_path / "draft.docx"
    rels = (
        "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'><Relationship Id='r1' "
        "Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument' "
        "Target='word/document.xml'/></Relationships>"
    )
    with zipfile.ZipFile(damaged, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", rels)
        z.writestr(
            "word/document.xml", "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>"
        )
    assert main(["check", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert "DOCX文件无法读取：文件可能已损坏，或不是标准格式（" in err
    assert "has no attribute" not in err
