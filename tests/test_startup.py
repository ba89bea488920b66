"""What `govmon check` loads (issue #28): a portal page or a text draft is read in the command's own process by
the HTML or text reader alone; the watcher's stacks, the reader processes and the other formats' readers are
not imported. A PDF is still parsed in a forked child under its limits. Each check runs in a fresh interpreter, and the test
reads its ``sys.modules``: a guard against an import that creeps back into the start, not a timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SEEDS = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "seeds"

RUN = """
import contextlib, io, sys
from monitor.present.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["check", *sys.argv[1:]])
modules = sorted(sys.modules)
import json
print(json.dumps({"code": code, "out": out.getvalue(), "modules": modules}))
"""

# what only the watcher, the store, the alerts, the site or another format's reader needs
NOT_FOR_A_PAGE = (
    "aiohttp",
    "apscheduler",
    "sqlite_utils",
    "sqlite3",
    "jinja2",
    "aiosmtplib",
    "bs4",
    "multiprocessing",
    "charset_normalizer",  # the pages declare their charset or are UTF-8
    "datasketch",
    "numpy",
    "pdfplumber",
    "pypdfium2",
    "docx",
    "openpyxl",
    "xlrd",
    "olefile",
    "zipfile",  # a zip's reader asks for it (DOCX, XLSX, OFD, archives)
    "json",  # only --json prints it
    "monitor.store",
    "monitor.watch",
    "monitor.alerts",
    "monitor.config",
    "monitor.reading.pool",
    "monitor.reading.sandbox",
    "monitor.reading.pdf",
    "monitor.reading.ocr",
    "monitor.reading.docx",
    "monitor.reading.sheet",
)


def _check(*files: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *map(str, files)], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(done.stdout)


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_checking_pages_imports_only_their_readers_and_the_rules():
    pages = sorted(CORPUS.glob("*.html")) + sorted(SEEDS.glob("*.txt"))
    assert len(pages) >= 6
    result = _check(*pages)
    assert result["out"].count("== ") == len(pages)  # each page read and checked
    assert [name for name in NOT_FOR_A_PAGE if _loaded(result["modules"], name)] == []
    for needed in ("lxml", "monitor.reading.html", "monitor.reading.text_tables", "monitor.checks.prose"):
        assert _loaded(result["modules"], needed)


def test_a_pdf_is_still_read_in_a_bounded_reader_process():
    (pdf, *_) = sorted(CORPUS.glob("*.pdf"))
    result = _check(pdf)
    assert "== " in result["out"]
    for needed in ("monitor.reading.pdf", "monitor.reading.sandbox", "multiprocessing"):  # a forked, limited child
        assert _loaded(result["modules"], needed)
    assert not _loaded(result["modules"], "pdfplumber")  # parsed there, never in the command's own process


def test_a_word_character_is_every_cjk_ideograph_too():
    """``reading.parts`` finds a word with ``\\w`` alone (``[\\u4e00-\\u9fff\\w]`` cost ~2 ms to compile at every
    start): the same only while every ideograph of the block is a letter to ``re``, as in Python >= 3.11."""
    from monitor.reading.parts import _WORD  # noqa: PLC0415

    assert all(_WORD.match(chr(c)) for c in range(0x4E00, 0xA000))
    assert [c for c in "，。、：；（）|-— \u3000" if _WORD.match(c)] == []


def test_a_page_too_large_to_read_here_is_read_in_a_fork_as_it_is_read_here(tmp_path):
    """Past ``IN_PROCESS`` a page is read in a bounded child: a fork of the command (its readers loaded), not the
    service's pool, whose forkserver takes 0.2-0.7 s to start. What it reads is what the command reads itself."""
    from monitor.present.check import IN_PROCESS  # noqa: PLC0415

    page = sorted(CORPUS.glob("*.html"))[0]
    large = tmp_path / page.name
    large.write_bytes(page.read_bytes().replace(b"</body>", b"<!--" + b" " * IN_PROCESS + b"--></body>"))
    here, forked = _check(page), _check(large)
    assert forked["code"] == here["code"]
    assert forked["out"].replace(str(large), str(page)) == here["out"]
    assert _loaded(forked["modules"], "monitor.reading.sandbox")
    assert not _loaded(forked["modules"], "monitor.reading.pool")
