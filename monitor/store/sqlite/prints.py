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
Log = dict[int, tuple[int, frozenset[int]]]  # version id -> (year, its band hashes)
UNREAD = (-1, -1)


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
            rows = self.db.conn.execute("SELECT version_id, year, keys FROM prints_log")
            self.log = {vid: (year, frozenset(unpack_keys(keys))) for vid, year, keys in rows}
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
        if any(vid in log for vid in older):
            self.db.conn.execute(
                "DELETE FROM prints_log WHERE version_id IN (SELECT id FROM versions WHERE document_id = ?)",
                [document_id],
            )
            for vid in older:
                log.pop(vid, None)
        if year is not None and keys:
            self.db.conn.execute(
                "INSERT INTO prints_log (version_id, year, keys) VALUES (?, ?, ?)", [version_id, year, pack_keys(keys)]
            )
            log[version_id] = (year, frozenset(keys))
        self.log_mark = (max(log, default=0), len(log))
        if len(log) >= FOLD:
            self._fold()

    def _fold_now(self) -> int:
        """Fold the log into the index now (``sqlite.store.fold_prints``); how many versions' prints it held."""
        with self._transaction():
            folded = len(self._log())
            self._fold()
        return folded

    def _fold(self) -> None:
        """The log into the index, in key order, in the current transaction."""
        entries = sorted((year, key, vid) for vid, (year, keys) in self.log.items() for key in keys)
        self.db.conn.executemany("INSERT OR IGNORE INTO prints (year, key, version_id) VALUES (?, ?, ?)", entries)
        self.db.conn.execute("DELETE FROM prints_log")
        self.log, self.log_mark = {}, (0, 0)

    def _band_matches(self, year: int, keys: set[int]) -> dict[int, list[int]]:
        """Per band hash of ``keys``, the logged versions of ``year`` that have it, oldest first."""
        out: dict[int, list[int]] = {}
        for vid, (y, logged) in sorted(self._log().items()):
            if y == year:
                for key in logged & keys:
                    out.setdefault(key, []).append(vid)
        return out

    def _shared(self, versions: list[int], keys: set[int]) -> dict[int, int]:
        """How many of ``keys`` each of the logged ``versions`` has (those with any), oldest first."""
        log = self._log()
        counts = {vid: len(log[vid][1] & keys) for vid in sorted(versions) if vid in log}
        return {vid: n for vid, n in counts.items() if n}
