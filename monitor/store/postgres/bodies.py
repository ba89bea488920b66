"""Bodies in PostgreSQL: the publishers reports are attributed to (``documents.body_id``), each by its normalised
name; a roster's aliases merged into the body they name. The same answers as the SQLite store's
(``sqlite.bodies``). The upgrade that adds them (migration ``BODIES_MIGRATION``) attributes the stored reports
here, in Python (the names are normalised by ``model.bodies``, the reports packed). Mixed into ``PostgresStore``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from monitor.model.bodies import Attribution, one_body_forms
from monitor.store.encoding import body_name, unpack
from monitor.store.postgres.connected import Connected
from monitor.store.records import StoredBody

if TYPE_CHECKING:
    from monitor.config import Source


class Bodies(Connected):
    def bodies(self, source: str | None = None, names: Iterable[str] = ()) -> list[StoredBody]:
        return stored_bodies(self.conn.execute(*bodies_query(source, list(names))))

    def _body_id(self, a: Attribution) -> int:
        """The body's id, added when new; a roster's kind, or the one read, is kept over none."""
        row = self.conn.execute(
            "INSERT INTO bodies (name, kind) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET kind = "
            "coalesce(bodies.kind, excluded.kind) RETURNING id",
            [a.body, a.kind],
        ).fetchone()
        return int(row[0]) if row else 0

    def _attribute_stored(self) -> None:
        """Once, in the migration that adds bodies: each stored document attributed to the body its latest report
        names ('read'), else to its source's agency ('assumed'), as SQLite's migration 9 does; a body's kind is
        the first document's (its report's, else its source's)."""
        rows = self.conn.execute(
            "SELECT d.id, v.report, s.agency, s.kind FROM documents d JOIN versions v ON v.id = (SELECT max(id) "
            "FROM versions WHERE document_id = d.id) LEFT JOIN sources s ON s.id = d.source ORDER BY d.id"
        ).fetchall()
        named: list[tuple[int, str | None, str | None, str]] = []  # document, body, its kind, how
        for doc_id, packed, agency, source_kind in rows:
            report = json.loads(unpack(packed) or "{}")
            read = body_name(report.get("agency"))
            kind = source_kind if report.get("kind") is None else report["kind"]  # SQL's coalesce
            named.append((doc_id, read or body_name(agency), kind, "assumed" if read is None else "read"))
        with self.conn.cursor() as cur:
            cur.executemany(  # in the documents' order: a body's kind is its first document's
                "INSERT INTO bodies (name, kind) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                [(name, kind) for _, name, kind, _ in named if name is not None],
            )
        self.conn.execute(
            "UPDATE documents d SET body_id = b.id, body_how = x.how FROM unnest(%s::bigint[], %s::text[], "
            "%s::text[]) AS x(doc, name, how) LEFT JOIN bodies b ON b.name = x.name WHERE d.id = x.doc",
            [[n[0] for n in named], [n[1] for n in named], [n[3] for n in named]],
        )

    def _merge_forms(self) -> None:
        """Once, after the stored reports were attributed: the bodies of one source whose names are one body's
        (洪泽区人民政府 and 淮安市洪泽区人民政府, ``model.bodies.one_body_forms``) made one, under the name first
        stored, as ``sqlite.bodies`` does. A poll does this as it goes."""
        rows = self.conn.execute(
            "SELECT DISTINCT d.source, b.id, b.name FROM documents d JOIN bodies b ON b.id = d.body_id ORDER BY b.id"
        ).fetchall()
        with self._transaction():
            for into, body_id in one_body_forms(rows):
                self.conn.execute("UPDATE documents SET body_id = %s WHERE body_id = %s", [into, body_id])
                self.conn.execute("DELETE FROM bodies WHERE id = %s", [body_id])

    def _merge_roster(self, sources: Iterable[Source]) -> None:
        """Each rostered body's kind as the roster says; documents stored under one of its aliases (a former
        name) moved to it, the alias's body removed. Called inside ``sync_sources``'s transaction."""
        for body in (b for s in sources for b in s.bodies):
            self.conn.execute(
                "INSERT INTO bodies (name, kind) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
                [body.name, body.kind],
            )
            for alias in body.aliases:
                self.conn.execute(
                    "UPDATE documents SET body_id = (SELECT id FROM bodies WHERE name = %s) WHERE body_id = "
                    "(SELECT id FROM bodies WHERE name = %s)",
                    [body.name, alias],
                )
                self.conn.execute("DELETE FROM bodies WHERE name = %s", [alias])


def bodies_query(source: str | None, names: list[str]) -> tuple[str, list[Any]]:
    """``Bodies.bodies``'s statement and its arguments."""
    among = []  # one IN of a UNION, each part from an index: "x IN (…) OR name = ANY(…)" scanned every body
    if source:
        among.append("SELECT body_id FROM documents WHERE source = %s")
    if names:
        among.append("SELECT id FROM bodies WHERE name = ANY(%s)")
    sql = (
        "SELECT b.id, b.name, b.kind, array_agg(DISTINCT d.source), array_agg(DISTINCT d.year) FILTER (WHERE "
        "d.year IS NOT NULL), (SELECT x.body_how FROM documents x WHERE x.body_id = b.id ORDER BY "
        "coalesce(x.year, 0) DESC, x.id DESC LIMIT 1) FROM bodies b JOIN documents d ON d.body_id = b.id "
        + (f"WHERE b.id IN ({' UNION '.join(among)}) " if among else "")
        + 'GROUP BY b.id ORDER BY b.name COLLATE "C"'  # as SQLite orders text: by code point
    )
    return sql, [*([source] if source else []), *([names] if names else [])]


# ``bodies_query``'s rows for each source asked (with reports listed on it, or named by its roster: ``%s`` the
# sources, then the (source, name) pairs of the rosters), the source first: ``start_polls``' for all its polls at once
BODIES_OF = (
    "WITH wanted AS (SELECT DISTINCT source, body_id FROM documents WHERE source = ANY(%s) UNION SELECT r.source, b.id "
    "FROM unnest(%s::text[], %s::text[]) AS r(source, name) JOIN bodies b ON b.name = r.name) "
    "SELECT w.source, b.id, b.name, b.kind, array_agg(DISTINCT d.source), array_agg(DISTINCT d.year) FILTER (WHERE "
    "d.year IS NOT NULL), (SELECT x.body_how FROM documents x WHERE x.body_id = b.id ORDER BY coalesce(x.year, 0) "
    "DESC, x.id DESC LIMIT 1) FROM wanted w JOIN bodies b ON b.id = w.body_id JOIN documents d ON d.body_id = b.id "
    'GROUP BY w.source, b.id ORDER BY w.source, b.name COLLATE "C"'
)


def stored_bodies(rows: Iterable[tuple[Any, ...]]) -> list[StoredBody]:
    return [
        StoredBody(i, name, kind, tuple(sorted(sources)), frozenset(years or ()), how)
        for i, name, kind, sources, years, how in rows
    ]
