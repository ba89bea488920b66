"""The overview's pages on disk: each written only when what it shows changed since the last build.

A page is named (its path under the site's folder) with a mark: a digest of everything it shows (the standings
it draws, the findings, the links). The marks of the last build are kept beside the pages in a small SQLite
file (``.pages.sqlite``, a few MB at 20,000 sources × 7 years; a JSON file of them would be rewritten whole on
every build). A page whose mark is unchanged and whose file is there is neither rendered nor written: the
service rebuilds every few minutes, and rendering 140,000 pages to find the one that changed cost minutes. A
page the last build wrote that this one does not (a report's older version, a source removed) is deleted;
nothing else in the folder is touched. Each file is written beside its final name and renamed into place, so a
reader never sees half a page.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

MARKS = ".pages.sqlite"


def mark(*parts: object) -> int:
    """The digest of what a page shows (``repr`` of its inputs: dataclasses, tuples, strings, numbers)."""
    return zlib.crc32(repr(parts).encode("utf-8"))


class Pages:
    """One build's pages under ``out``; ``salt`` (the templates' digest) changing makes every page stale."""

    def __init__(self, out: Path, salt: int) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        try:
            self.db, self.old = _marks(out / MARKS)
        except sqlite3.DatabaseError:  # damaged (a disk that filled up): every page is written again
            (out / MARKS).unlink()
            self.db, self.old = _marks(out / MARKS)
        self.stale = self.old.pop("", None) != salt  # the salt is kept under the empty name
        self.salt = salt
        self.new: dict[str, int] = {}
        self.written: list[Path] = []

    def page(self, name: str, digest: int, render: Callable[[], str]) -> None:
        """The page ``name`` (e.g. ``g/s1.html``) showing what ``digest`` marks; ``render`` called only when its
        file must be written."""
        self.new[name] = digest
        path = self.out / name
        if not self.stale and self.old.get(name) == digest and path.exists():
            return
        if _write(path, render()):
            self.written.append(path)

    def finish(self) -> list[Path]:
        """Delete the last build's pages this one did not make, and keep this build's marks; the deleted pages."""
        removed = []
        for name in self.old.keys() - self.new.keys():
            path = self.out / name
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
        changed = [(n, m) for n, m in self.new.items() if self.old.get(n) != m]
        with self.db:
            self.db.executemany("DELETE FROM marks WHERE name = ?", [(n,) for n in self.old.keys() - self.new.keys()])
            self.db.executemany("INSERT OR REPLACE INTO marks (name, mark) VALUES (?, ?)", changed)
            if self.stale:
                self.db.execute("INSERT OR REPLACE INTO marks (name, mark) VALUES ('', ?)", [self.salt])
        self.db.close()
        return removed


def _marks(path: Path) -> tuple[sqlite3.Connection, dict[str, int]]:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, mark INTEGER NOT NULL) WITHOUT ROWID")
    return db, dict(db.execute("SELECT name, mark FROM marks"))


def _write(path: Path, text: str) -> bool:
    """Write a page unless its bytes are already there; whether it was written."""
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True
