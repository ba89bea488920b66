"""The alert outbox's SQL: events (unique keys, so an alert is queued once), their deliveries per channel
and recipient, and the retry state the delivery pass reads and writes. Mixed into ``SqliteStore``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from monitor.model import Event, Payload
from monitor.store.encoding import HORIZON, delivery, iso, now
from monitor.store.records import Delivery, StoredEvent
from monitor.store.sqlite.rows import Connected

_DELIVERY = (
    "SELECT d.*, e.kind, e.key, e.source, e.payload, e.created{} FROM deliveries d JOIN events e ON e.id = d.event_id"
)


class Outbox(Connected):
    def _add_event(self, event: Event, document_id: int | None, version_id: int | None = None) -> None:
        cur = self.db.conn.execute(
            "INSERT OR IGNORE INTO events (key, kind, source, document_id, version_id, created, payload) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                event.key,
                event.kind,
                event.source,
                document_id,
                version_id,
                now(),
                json.dumps(event.payload.to_json(), ensure_ascii=False),
            ],
        )
        if cur.rowcount == 0:
            return  # already recorded: never queued twice
        for channel, recipient in event.recipients:
            self.db.conn.execute(
                "INSERT OR IGNORE INTO deliveries (event_id, channel, recipient, next_attempt) VALUES (?, ?, ?, ?)",
                [cur.lastrowid, channel, recipient, now()],
            )

    def events(self) -> list[StoredEvent]:
        to: dict[int, list[tuple[str, str]]] = {}
        for event_id, channel, recipient in self.db.conn.execute(
            "SELECT event_id, channel, recipient FROM deliveries ORDER BY id"
        ):
            to.setdefault(event_id, []).append((channel, recipient))
        rows = self.db.conn.execute(
            "SELECT id, key, kind, source, payload, created, version_id FROM events ORDER BY id"
        )
        return [
            StoredEvent(
                i, created, version, Event(key, kind, source, Payload.from_json(json.loads(data)), (*to.get(i, ()),))
            )
            for i, key, kind, source, data, created, version in rows
        ]

    def due_deliveries(
        self,
        at: datetime,
        limit: int = 100,
        ignore_backoff: bool = False,
        held: str | None = None,
        to: tuple[str, str] | None = None,
    ) -> list[Delivery]:
        sql = _DELIVERY.format(", unpack(v.report) AS report, v.findings") + (
            " LEFT JOIN versions v ON v.id = e.version_id WHERE d.status = 'pending' "
            "AND (d.attempts = 0 OR d.next_attempt <= ? OR d.next_attempt > ? OR ?)"
            + (" AND d.channel != ?" if held else "")
            + (" AND d.channel = ? AND d.recipient = ?" if to else "")
            + " ORDER BY d.id LIMIT ?"
        )
        # a next attempt past HORIZON was set by a clock that was ahead (then corrected): due now, not in months;
        # one never attempted is due whatever its stamp says (a clock set back since it was queued held it)
        asked = [iso(at), iso(at + HORIZON), ignore_backoff, *([held] if held else []), *(to or ()), limit]
        return [delivery(r) for r in self.db.query(sql, asked)]

    def pending_recipients(self, channel: str) -> dict[str, datetime]:
        rows = self.db.conn.execute(
            "SELECT d.recipient, min(e.created) FROM deliveries d JOIN events e ON e.id = d.event_id "
            "WHERE d.channel = ? AND d.status = 'pending' GROUP BY 1",
            [channel],
        )
        return {recipient: datetime.fromisoformat(created) for recipient, created in rows}

    def deliveries(self, delivered: bool = False) -> list[Delivery]:
        where = "" if delivered else " WHERE d.status != 'delivered'"
        return [delivery(r) for r in self.db.query(_DELIVERY.format("") + where + " ORDER BY d.id")]

    def last_delivered(self, channel: str, recipient: str, before: datetime) -> datetime | None:
        row = self.db.conn.execute(
            "SELECT max(delivered_at) FROM deliveries WHERE channel = ? AND recipient = ? AND status = 'delivered' "
            "AND delivered_at < ?",
            [channel, recipient, iso(before)],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row[0] else None

    def mark_delivered(self, delivery_ids: Iterable[int], at: datetime) -> None:
        with self._transaction():
            for i in delivery_ids:
                self.db.table("deliveries").update(i, {"status": "delivered", "delivered_at": iso(at)})

    def release_deliveries(self) -> None:
        """Nothing to release: SQLite's store takes no claim (one process sends)."""

    def mark_failed(self, delivery_ids: Iterable[int], error: str, retry_at: datetime | None) -> None:
        with self._transaction():
            for i in delivery_ids:
                row = self.db.table("deliveries").get(i)
                update = {"attempts": row["attempts"] + 1, "last_error": error[:500]}
                if retry_at is None:
                    update["status"] = "dead"
                else:
                    update["next_attempt"] = iso(retry_at)
                self.db.table("deliveries").update(i, update)

    def make_due(self, at: datetime) -> int:
        with self._transaction():
            return self.db.conn.execute(
                "UPDATE deliveries SET next_attempt = ? WHERE status = 'pending'", [iso(at)]
            ).rowcount

    def revive_dead(self, at: datetime) -> int:
        with self._transaction():
            cur = self.db.conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ? WHERE status = 'dead'",
                [iso(at)],
            )
            return cur.rowcount

    def alert_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "delivered": 0, "dead": 0}
        for row in self.db.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts

    def oldest_pending(self) -> tuple[str | None, int]:
        oldest, count = self.db.conn.execute(
            "SELECT min(e.created), count(*) FROM deliveries d JOIN events e ON e.id = d.event_id "
            "WHERE d.status = 'pending'"
        ).fetchone()
        return oldest, count
