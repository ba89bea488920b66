"""`govmon db migrate-to postgresql://…`: an existing SQLite database copied into an empty PostgreSQL one, row
for row (every source, poll, page, body, document, version, finding, event and delivery, with their ids), in one
transaction, then each table's rows counted on both sides. The SQLite file is read, never changed (but for
the migrations this govmon's schema needs, as any command that opens it runs them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from monitor.errors import StateError, storage_error
from monitor.store.encoding import pack
from monitor.store.postgres.schema import COPIED, IDENTITY
from monitor.store.postgres.store import PostgresStore
from monitor.store.sqlite.lock import is_locked
from monitor.store.sqlite.store import SqliteStore

PACKED = {("versions", "report"), ("versions", "text")}  # rows an older govmon wrote as plain text are packed


def _rows(db: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    repack = [i for i, c in enumerate(columns) if (table, c) in PACKED]
    for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}"):
        if not repack:
            yield row
            continue
        values = list(row)
        for i in repack:
            if isinstance(values[i], str):
                values[i] = pack(values[i])
        yield tuple(values)


def migrate_to(source: Path, url: str, password: str | None = None) -> dict[str, int]:
    """Copy the SQLite database ``source`` into the empty PostgreSQL database at ``url``; the rows per table.
    Raises StateError (one line) when the service holds the file, the target is not empty, or a count differs."""
    if not source.exists():
        raise StateError(f"{source}: no database here; nothing to migrate")
    if holder := is_locked(source):
        raise StateError(f"{source}: govmon (PID {holder}) is running on it; stop it first (systemctl stop govmon)")
    SqliteStore(source, create=False).close()  # at this govmon's schema, as the copy expects
    target = PostgresStore(url, password)
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        held = [(t, n) for t, _ in COPIED if (n := _count(target.conn, t))]
        if held:
            raise StateError(
                f"{target.where}: not empty ({', '.join(f'{n} {t}' for t, n in held)}); migrate into a new database "
                "(createdb), so nothing there is mixed with the copy"
            )
        with target.conn.transaction(), target.conn.cursor() as cur:
            for table, columns in COPIED:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN".encode()) as copy:
                    for row in _rows(db, table, columns):
                        copy.write_row(row)
            for table in IDENTITY:  # new rows continue after the copied ids
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                    f"FROM {table}".encode()
                )
        counts = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table, _ in COPIED}
        differ = [
            f"{t} {n} in SQLite, {m} in PostgreSQL" for t, n in counts.items() if (m := _count(target.conn, t)) != n
        ]
        if differ:
            raise StateError(f"{target.where}: the copy does not match: {'; '.join(differ)}")
        return counts
    except sqlite3.DatabaseError as exc:
        raise storage_error(source, exc) from exc
    except psycopg.Error as exc:
        raise storage_error(target.where, Exception((str(exc).splitlines() or [type(exc).__name__])[0])) from exc
    finally:
        db.close()
        target.close()


def _count(conn: psycopg.Connection[tuple[Any, ...]], table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
    return int(row[0]) if row else 0
