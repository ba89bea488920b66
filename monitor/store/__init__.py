"""Stage: store. Sources and polls, listing pages, documents and their versions, the alert outbox: kept in a
database behind one protocol, ``Store`` (``protocol``), with typed records in and out (``records``; the domain
ones are the model's ``Report``, ``Finding`` and ``Event``). Callers open it with ``open_store`` and see no SQL,
no JSON text and no driver: a failure of the database or its disk is ``errors.StorageError``.

A report's new version, its findings, and the alert events they cause are written in one transaction, so a
crash mid-poll leaves either all of them or none: polling again then stores the version once and the alert
once (events have a unique key).

The one implementation is SQLite (``sqlite/``: one file, the embedded default), with what only a file
database has: the instance lock (one `run`/`poll` per database: ``instance_lock``, ``is_locked``) and the online
``backup``. A new store implements ``Store`` and is chosen in ``open_store``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from monitor.store.protocol import Store
from monitor.store.records import (
    Delivery,
    LastReport,
    Listing,
    NewVersion,
    PageCache,
    ReportSummary,
    SourceState,
    StoredBody,
    StoredDocument,
    StoredEvent,
    StoredReport,
    StoredVersion,
    UnreadableReport,
    VersionHashes,
    VersionSummary,
    YearReport,
)
from monitor.store.sqlite.backup import backup
from monitor.store.sqlite.lock import instance_lock, is_locked

if TYPE_CHECKING:
    from monitor.config import Settings

__all__ = [
    "Delivery",
    "LastReport",
    "Listing",
    "NewVersion",
    "PageCache",
    "ReportSummary",
    "SourceState",
    "Store",
    "StoredBody",
    "StoredDocument",
    "StoredEvent",
    "StoredReport",
    "StoredVersion",
    "UnreadableReport",
    "VersionHashes",
    "VersionSummary",
    "YearReport",
    "backup",
    "instance_lock",
    "is_locked",
    "open_store",
]


def open_store(where: Settings | str | Path, create: bool = True) -> Store:
    """The store of a configuration (its ``database``) or at a path, opened and migrated. With ``create=False`` a
    database that is not there yet is an error (a read-only command), not a new one."""
    from monitor.store.sqlite.store import SqliteStore  # noqa: PLC0415  (sqlite-utils only for a command that reads)

    return SqliteStore(where if isinstance(where, str | Path) else where.database, create=create)
