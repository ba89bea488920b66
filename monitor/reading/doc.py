"""Stage: extract (.doc, .wps, .odt, .rtf). A Word 97-2003, WPS Writer, OpenDocument or RTF report -> a Document,
through LibreOffice.

The Word 97 binary format keeps its tables as paragraph runs marked by cell and row ends, with merged
cells in separate property records; no maintained Python library reads them with their spans. LibreOffice
does, and it is a Debian package: ``soffice --headless --convert-to docx`` turns the file into a DOCX,
which ``extract_docx.py`` reads into grids with their rowspans and colspans, the same as a report
published as .docx. A WPS Writer ``.wps`` file is the same binary inside an OLE2 file (sniffed by its
``WordDocument`` stream), so LibreOffice's Word filter reads it too. An OpenDocument text (.odt, what
LibreOffice and some WPS versions save) and an RTF file are converted the same way: their tables come out as
DOCX tables with their merges, which no hand-written reader of ours would match.

Bounded: the converter runs with a fresh profile in a temporary folder, with a CPU and an address-space
limit and a wall-clock timeout; a file it cannot convert is one InputError line. Without LibreOffice the
report is ``ReaderMissing``: staff read that LibreOffice must be installed to read it, never that it is
not a report.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from monitor.errors import InputError, ReaderMissing
from monitor.model import Document
from monitor.reading.docx import docx_document

SECONDS = 60
MEMORY = 2048 * 2**20
MISSING = (
    "需要安装LibreOffice才能读取此Word 97-2003/WPS文件(.doc/.wps)；"
    "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)"
)


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _limit() -> None:  # in the converter's process, before it starts
    resource.setrlimit(resource.RLIMIT_CPU, (SECONDS, SECONDS))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = MEMORY if hard == resource.RLIM_INFINITY else min(MEMORY, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def convert(data: bytes, suffix: str, target: str, missing: str = MISSING) -> bytes:
    """``data`` (a file of ``suffix``) converted by LibreOffice to ``target`` (docx, xlsx...). Raises InputError."""
    program = soffice()
    if program is None:
        raise ReaderMissing(missing)
    with tempfile.TemporaryDirectory(prefix="govmon-lo-") as tmp:
        src = Path(tmp) / f"report.{suffix}"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        command = [
            program,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(src),
        ]
        env = {**os.environ, "HOME": tmp}
        try:
            subprocess.run(
                command, capture_output=True, timeout=SECONDS + 5, check=False, env=env, preexec_fn=_limit, cwd=tmp
            )
        except subprocess.TimeoutExpired as exc:
            raise InputError(f"转换.{suffix}文件超过{SECONDS + 5}秒，已放弃") from exc
        made = out / f"report.{target.split(':', maxsplit=1)[0]}"
        if not made.is_file() or made.stat().st_size == 0:
            raise InputError(f".{suffix}文件无法读取：LibreOffice无法转换（文件可能已损坏）")
        return made.read_bytes()


def _as_docx(data: bytes, suffix: str, named: str) -> Document:
    missing = f"需要安装LibreOffice才能读取此{named}文件(.{suffix})；{MISSING.split('；', 1)[1]}"
    doc = docx_document(convert(data, suffix, "docx", missing))
    doc.kind, doc.encoding = suffix, suffix
    return doc


def doc_document(data: bytes) -> Document:
    """A Word 97-2003 (.doc) or WPS (.wps) report: converted to DOCX, read as one."""
    doc = docx_document(convert(data, "doc", "docx"))
    doc.kind, doc.encoding = "doc", "doc"
    return doc


def odt_document(data: bytes) -> Document:
    """An OpenDocument text report (.odt): converted to DOCX, read as one."""
    return _as_docx(data, "odt", "OpenDocument文本")


def rtf_document(data: bytes) -> Document:
    """An RTF report: converted to DOCX, read as one."""
    return _as_docx(data, "rtf", "RTF")
