"""Stage: store. Sources and polls, listing pages, documents and their versions, the alert outbox: kept in a
database behind one protocol, ``Store`` (``protocol``), with typed records in and out (``records``; the domain
ones are the model's ``Report``, ``Finding`` and ``Event``). Callers open it with ``open_store`` and see no SQL,
no JSON text and no driver: a failure of the database or its disk is ``errors.StorageError``.

A report's new version, its findings, and the alert events they cause are written in one transaction, so a
crash mid-poll leaves either all of them or none: polling again then stores the version once and the alert
once (events have a unique key).

Two implementations: SQLite (``sqlite/``: one file, the embedded default), with what only a file database has:
the instance lock (one `run`/`poll` per database: ``instance_lock``, ``is_locked``) and the online ``backup``;
and PostgreSQL (``postgres/``: ``database = "postgresql://…"``), one database several workers share, where
leases take the instance lock's place (``instance_lock`` holds nothing there). ``open_store`` chooses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import InputError, StateError
from monitor.store.encoding import packed
from monitor.store.protocol import Store
from monitor.store.records import (
    Claim,
    Delivery,
    KnownReport,
    LastReport,
    Listing,
    NewVersion,
    Packed,
    PageCache,
    PollAsk,
    PollEnd,
    PollStart,
    ReportReads,
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
from monitor.store.sqlite import lock
from monitor.store.sqlite.backup import backup

if TYPE_CHECKING:
    from monitor.config import Settings

__all__ = [
    "Claim",
    "Delivery",
    "KnownReport",
    "LastReport",
    "Listing",
    "NewVersion",
    "Packed",
    "PageCache",
    "PollAsk",
    "PollEnd",
    "PollStart",
    "ReportReads",
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
    "is_url",
    "migrate_to",
    "open_store",
    "packed",
]


def open_store(where: Settings | str | Path, create: bool = True) -> Store:
    """The store of a configuration (its ``database``) or at a path or URL, opened and migrated. With
    ``create=False`` a SQLite database that is not there yet is an error (a read-only command), not a new one."""
    url = where.database_url if not isinstance(where, str | Path) else str(where) if is_url(where) else None
    if url is not None:
        from monitor.store.postgres.store import PostgresStore  # noqa: PLC0415  (psycopg: the [postgres] extra)

        if isinstance(where, str | Path):
            return PostgresStore(url)
        return PostgresStore(url, where.database_password, where.database_line)
    from monitor.store.sqlite.store import SqliteStore  # noqa: PLC0415  (sqlite-utils only for a command that reads)

    return SqliteStore(where if isinstance(where, str | Path) else where.database, create=create)


def migrate_to(settings: Settings, url: str) -> dict[str, int]:
    """`govmon db migrate-to URL`: the configuration's SQLite database copied into the empty PostgreSQL database
    at ``url`` (its password: PGPASSWORD, as for psql), counts checked; the rows copied per table."""
    from monitor.store.postgres.migrate import migrate_to as copy  # noqa: PLC0415

    if settings.database_url is not None:
        raise StateError(f"{settings.database_line}: already a PostgreSQL database; migrate-to copies a SQLite one")
    if not is_url(url):
        raise InputError(f"{url}: not a postgresql:// URL (postgresql://USER@HOST:PORT/DBNAME)")
    if settings.database.exists() and not lock.is_locked(settings.database):  # (the copy refuses a held file)
        from monitor.store.sqlite.store import fold_prints  # noqa: PLC0415

        fold_prints(settings.database)  # every copy print in the table the copy reads (sqlite/prints.py)
    return copy(settings.database, url)


def is_url(where: str | Path) -> bool:
    """A database named by a ``postgresql://`` URL (not a SQLite file)."""
    return isinstance(where, str) and where.lower().startswith(("postgresql://", "postgres://"))


@contextmanager
def instance_lock(where: Settings | Path) -> Iterator[None]:
    """One `run` or `poll` per SQLite database (``sqlite.lock``); on a shared PostgreSQL database several
    workers run at once and the leases keep them apart, so nothing is held."""
    if not isinstance(where, Path) and where.database_url is not None:
        yield
        return
    with lock.instance_lock(where if isinstance(where, Path) else where.database):
        yield


def is_locked(where: Settings | Path) -> str | None:
    """The PID holding a SQLite database's instance lock (None: none, or a shared database)."""
    if not isinstance(where, Path) and where.database_url is not None:
        return None
    return lock.is_locked(where if isinstance(where, Path) else where.database)
