"""The overview's pages on disk: each written only when what it shows changed since the last build.

A page is named (its path under the site's folder) with a mark: a digest of everything it shows (the standings
it draws, the findings, the links). The marks of the last build are kept beside the pages, one small JSON file
per group of pages (``.marks/<source id>.json`` for a source's grid and its reports' pages, ``_summary.json`` for
the summary): one file of them all would be rewritten whole (megabytes at 20,000 sources × 7 years) on every
build. A page whose mark is unchanged and whose file is there is neither rendered nor written: the service
rebuilds every few minutes, and rendering 140,000 pages to find the one that changed cost minutes. A page the
last build wrote and this one does not (a report's older version, a source removed) is deleted; nothing else in
the folder is touched. Each file is written beside its final name and renamed into place, so a reader never
sees half a page.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

MARKS = ".marks"
SALT = "_salt"  # the templates' digest: a name no page has


def mark(*parts: object) -> int:
    """The digest of what a page shows (``repr`` of its inputs: dataclasses, tuples, strings, numbers)."""
    return zlib.crc32(repr(parts).encode("utf-8"))


class Pages:
    """One build's pages under ``out``; ``salt`` (the templates' digest) changing makes every page stale."""

    def __init__(self, out: Path, salt: int) -> None:
        self.out, self.salt = out, salt
        self.marks = out / MARKS
        self.marks.mkdir(parents=True, exist_ok=True)
        self.old: dict[str, dict[str, int]] = {}  # group -> page -> mark, as the last build left them
        self.new: dict[str, dict[str, int]] = {}
        self.written: list[Path] = []

    def _old(self, group: str) -> dict[str, int]:
        if group not in self.old:
            try:
                marks = json.loads((self.marks / f"{group}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):  # none yet, or damaged (a disk that filled up): its pages written again
                marks = {}
            self.old[group] = marks if isinstance(marks, dict) else {}
        return self.old[group]

    def page(self, group: str, name: str, digest: int, render: Callable[[], str]) -> None:
        """The page ``name`` (e.g. ``g/s1.html``) of ``group`` showing what ``digest`` marks; ``render`` called
        only when its file must be written."""
        old = self._old(group)
        self.new.setdefault(group, {})[name] = digest
        path = self.out / name
        if old.get(SALT) == self.salt and old.get(name) == digest and path.exists():
            return
        if write(path, render()):
            self.written.append(path)

    def finish(self, every: bool = True) -> list[Path]:
        """Delete the last build's pages this one did not make, and keep this build's marks; the deleted pages.
        A build of some groups only (``every`` false: the others unchanged) leaves the other groups' pages."""
        removed = []
        gone = {p.stem for p in self.marks.glob("*.json") if not p.stem.startswith("_")} if every else set()
        gone -= self.new.keys()
        made = {name for marks in self.new.values() for name in marks}  # a page may move to another group
        for group in sorted(gone | self.new.keys()):
            old, new = self._old(group), self.new.get(group, {})
            for name in sorted(old.keys() - made - {SALT}):
                with contextlib.suppress(FileNotFoundError):
                    (self.out / name).unlink()
                    removed.append(self.out / name)
            if not new:
                (self.marks / f"{group}.json").unlink()
            elif {**new, SALT: self.salt} != old:
                write(self.marks / f"{group}.json", json.dumps({SALT: self.salt, **new}, separators=(",", ":")))
        return removed


def write(path: Path, text: str) -> bool:
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
