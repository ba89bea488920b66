"""Bodies: the publishers reports are attributed to (``documents.body_id``), each by its normalised name; a
roster's aliases merged into the body they name. Mixed into ``SqliteStore``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from monitor.model.bodies import one_body_forms
from monitor.store.records import StoredBody
from monitor.store.sqlite.rows import Connected

if TYPE_CHECKING:
    from monitor.config import Source


class Bodies(Connected):
    def bodies(self, source: str | None = None, names: Iterable[str] = ()) -> list[StoredBody]:
        names = list(names)
        among = []  # one IN of a UNION, each part from an index (an OR of the two may scan every body)
        if source:
            among.append("SELECT body_id FROM documents WHERE source = ?")
        if names:
            among.append("SELECT id FROM bodies WHERE name IN (SELECT value FROM json_each(?))")  # one argument
        rows = self.db.conn.execute(
            "SELECT b.id, b.name, b.kind, group_concat(DISTINCT d.source), group_concat(DISTINCT d.year), "
            "(SELECT x.body_how FROM documents x WHERE x.body_id = b.id ORDER BY coalesce(x.year, 0) DESC, x.id DESC "
            "LIMIT 1) FROM bodies b JOIN documents d ON d.body_id = b.id "
            + (f"WHERE b.id IN ({' UNION '.join(among)}) " if among else "")
            + "GROUP BY b.id ORDER BY b.name",
            [*([source] if source else []), *([json.dumps(names)] if names else [])],
        )
        return [
            StoredBody(
                i,
                name,
                kind,
                tuple(sorted((sources or "").split(","))),
                frozenset(int(y) for y in (years or "").split(",") if y),
                how,
            )
            for i, name, kind, sources, years, how in rows
        ]

    def _merge_forms(self) -> None:
        """Once, when migration 9 attributed the stored reports: the bodies of one source whose names are one
        body's (洪泽区人民政府 and 淮安市洪泽区人民政府, ``model.bodies.one_body_forms``) made one, under the name
        first stored. A poll does this as it goes (a name read is matched to the source's bodies)."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT d.source, b.id, b.name FROM documents d JOIN bodies b ON b.id = d.body_id ORDER BY b.id"
        ).fetchall()
        with self._transaction():
            for into, body_id in one_body_forms(rows):
                self.db.conn.execute("UPDATE documents SET body_id = ? WHERE body_id = ?", [into, body_id])
                self.db.conn.execute("DELETE FROM bodies WHERE id = ?", [body_id])

    def _merge_roster(self, sources: Iterable[Source]) -> None:
        """Each rostered body's kind as the roster says; documents stored under one of its aliases (a former
        name) moved to it, the alias's body removed. Called inside ``sync_sources``'s transaction."""
        for body in (b for s in sources for b in s.bodies):
            self.db.conn.execute(
                "INSERT INTO bodies (name, kind) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind",
                [body.name, body.kind],
            )
            for alias in body.aliases:
                self.db.conn.execute(
                    "UPDATE documents SET body_id = (SELECT id FROM bodies WHERE name = ?) WHERE body_id = "
                    "(SELECT id FROM bodies WHERE name = ?)",
                    [body.name, alias],
                )
                self.db.conn.execute("DELETE FROM bodies WHERE name = ?", [alias])
