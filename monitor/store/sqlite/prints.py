"""Copy prints in the SQLite store (``checks.copies.prints``: a report's ~126 LSH band hashes), laid out for
the disk. Mixed into ``SqliteStore`` through ``Versions``.

A report's band hashes are random keys: inserted into the ``(year, key, version_id)`` index one report at a
time they land on ~126 different leaves, each a whole page appended to the WAL by the report's transaction
and written again by the checkpoint: ~800 KiB written per new report for ~1 KiB of hashes. So a new report's
hashes go first into ``prints_log``, one row per version (the hashes packed, in version order: the table
grows at its end), and every FOLD reports the log is folded into the index in one sorted sweep, which
dirties each leaf of that year's part of the index once for hundreds of reports. Looking for candidates reads
both: the index a bounded number per band as before, and the log, which this store keeps decoded in memory
(read again only when another process changed it: the log's newest version id and row count say so).
Candidates come out the same as with every hash in the index.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from monitor.store.sqlite.rows import Connected

FOLD = 512  # reports logged before the log is folded into the index (the log is at most ~600 KB)
UNREAD = (-1, -1)


class Log:
    """The log decoded: per version its year and band hashes, and per (year, hash) the versions that have it,
    oldest first (a new report's candidates in the log are looked up, not found by a pass over all of it)."""

    def __init__(self) -> None:
        self.versions: dict[int, tuple[int, frozenset[int]]] = {}
        self.bands: dict[tuple[int, int], list[int]] = {}

    def add(self, vid: int, year: int, keys: frozenset[int]) -> None:
        """A version newer than every one logged (ids only grow)."""
        self.versions[vid] = (year, keys)
        for key in keys:
            self.bands.setdefault((year, key), []).append(vid)

    def drop(self, vid: int) -> None:
        if (entry := self.versions.pop(vid, None)) is None:
            return
        year, keys = entry
        for key in keys:
            band = self.bands[(year, key)]
            band.remove(vid)
            if not band:
                del self.bands[(year, key)]


def pack_keys(keys: Iterable[int]) -> bytes:
    ordered = sorted(set(keys))
    return struct.pack(f"<{len(ordered)}q", *ordered)


def unpack_keys(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 8}q", data)


class Prints(Connected):
    log: Log  # the log as last read or written by this store
    log_mark: tuple[int, int]  # (newest version id, rows) of the log then

    def _log(self) -> Log:
        mark = (  # two statements: each alone is answered from the b-tree without a scan (max, OP_Count)
            self.db.conn.execute("SELECT coalesce(max(version_id), 0) FROM prints_log").fetchone()[0],
            self.db.conn.execute("SELECT count(*) FROM prints_log").fetchone()[0],
        )
        if mark != self.log_mark:
            self.log = Log()
            for vid, year, keys in self.db.conn.execute("SELECT version_id, year, keys FROM prints_log ORDER BY 1"):
                self.log.add(vid, year, frozenset(unpack_keys(keys)))
            self.log_mark = (mark[0], mark[1])
        return self.log

    def _replace_prints(self, document_id: int, version_id: int, year: int | None, keys: list[int]) -> None:
        """Inside the new version's transaction: the document's older versions' prints dropped, the new one's
        logged (folded into the index when the log is full). The caller forgets the log on a rollback."""
        log = self._log()
        older = [vid for (vid,) in self.db.conn.execute("SELECT id FROM versions WHERE document_id = ?", [document_id])]
        self.db.conn.execute(
            "DELETE FROM prints WHERE version_id IN (SELECT id FROM versions WHERE document_id = ?)", [document_id]
        )
        if any(vid in log.versions for vid in older):
            self.db.conn.execute(
                "DELETE FROM prints_log WHERE version_id IN (SELECT id FROM versions WHERE document_id = ?)",
                [document_id],
            )
            for vid in older:
                log.drop(vid)
        if year is not None and keys:
            self.db.conn.execute(
                "INSERT INTO prints_log (version_id, year, keys) VALUES (?, ?, ?)", [version_id, year, pack_keys(keys)]
            )
            log.add(version_id, year, frozenset(keys))
        self.log_mark = (max(log.versions, default=0), len(log.versions))
        if len(log.versions) >= FOLD:
            self._fold()

    def _fold_now(self) -> int:
        """Fold the log into the index now (``sqlite.store.fold_prints``); how many versions' prints it held."""
        with self._transaction():
            folded = len(self._log().versions)
            self._fold()
        return folded

    def _fold(self) -> None:
        """The log into the index, in key order, in the current transaction."""
        entries = sorted((year, key, vid) for (year, key), vids in self.log.bands.items() for vid in vids)
        self.db.conn.executemany("INSERT OR IGNORE INTO prints (year, key, version_id) VALUES (?, ?, ?)", entries)
        self.db.conn.execute("DELETE FROM prints_log")
        self.log, self.log_mark = Log(), (0, 0)

    def _band_matches(self, year: int, keys: set[int], first: int) -> dict[int, list[int]]:
        """Per band hash of ``keys``, the ``first`` oldest logged versions of ``year`` that have it (the log keeps
        each band's oldest first: a band a template's hundreds of copies share is not copied whole)."""
        bands = self._log().bands
        return {key: bands[(year, key)][:first] for key in keys if (year, key) in bands}

    def _shared(self, versions: list[int], keys: set[int]) -> dict[int, int]:
        """How many of ``keys`` each of the logged ``versions`` has (those with any), oldest first."""
        logged = self._log().versions
        counts = {vid: len(logged[vid][1] & keys) for vid in sorted(versions) if vid in logged}
        return {vid: n for vid, n in counts.items() if n}
