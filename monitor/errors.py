"""The one place for the product's exceptions.

Each message is a single actionable line; ``cli.py`` prints it and picks the exit code.
"""

import errno
import os
import shutil


class GovmonError(Exception):
    """Base class: str(error) is what the user reads."""

    exit_code = 2


class InputError(GovmonError):
    """A report file or URL that cannot be used: empty, binary, unreadable, too large."""


class NotRead(InputError):
    """A document not read at all: govmon was stopping, or the poll that asked for it had gone. It is read next
    time, never remembered as one that could not be read."""


class ConfigError(GovmonError):
    """An invalid sources.toml: the message names the file, the line and the key."""


class FetchError(GovmonError):
    """A portal that could not be fetched after the retries."""


class StateError(GovmonError):
    """The database is not there yet, or another govmon process holds it."""


class StorageError(StateError):
    """The database or its disk failed (full, damaged, gone): not a source's fault nor the caller's. Every store
    raises it, whatever its driver raises (``storage_error`` words it)."""


def storage_error(path: object, exc: BaseException) -> StorageError:
    """A database or disk failure as the one line an admin acts on (not a traceback)."""
    text = str(exc)
    try:
        free = shutil.disk_usage(os.path.dirname(os.path.abspath(str(path)))).free // 2**20
    except OSError:
        free = -1
    full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "disk is full" in text
    if full or ("disk I/O error" in text and 0 <= free < 1):  # SQLite's I/O error growing a file on a full disk
        return StorageError(
            f"{path}: the disk is full ({max(free, 0)} MiB free on its filesystem): free some space there, then run again "
            "(nothing stored so far is lost)"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StorageError(
            f"{path}: the database is damaged ({text}): stop govmon, then restore the last backup "
            "(`govmon backup`; README 'Backup and restore'), or move the file aside to start afresh"
        )
    return StorageError(f"{path}: cannot use the database: {text}")


class ReaderMissing(InputError):
    """A report in a format whose reader is not installed here (LibreOffice, the OCR engine): it is a
    report all the same, which staff are told in one Chinese line, never "not a report"."""


class NotAReport(InputError):
    """A page read whole that holds no report (no statutory tables, and no attachment that is one): under a link
    that names a report, a report that cannot be read; under a doubtful one (``discover.Link.doubt``), no report."""
