"""The alert outbox's SQL for PostgreSQL: events (unique keys: an alert is queued once, whichever worker found
it), their deliveries, and the claim that makes each delivery sent by one worker: ``due_deliveries`` marks what
it returns as this worker's for ``CLAIM`` (rows another worker holds are skipped, not waited for; its own it
sees again, as a digest not due yet), and the mark of the attempt releases it. A worker killed mid-send leaves its claim to expire: the delivery is sent again then.
Mixed into ``PostgresStore``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from monitor.model import Event, Payload
from monitor.store.encoding import HORIZON, delivery, iso, unpack
from monitor.store.postgres.connected import Connected
from monitor.store.records import Delivery, StoredEvent

CLAIM = timedelta(minutes=10)  # longer than a delivery pass (alerts.outbox.PASS_BUDGET)
_DELIVERY = (
    "SELECT d.*, e.kind, e.key, e.source, e.payload, e.created{} FROM deliveries d JOIN events e ON e.id = d.event_id"
)


def _delivery(row: dict[str, object]) -> Delivery:
    if isinstance(row.get("report"), bytes):
        row = {**row, "report": unpack(row["report"])}  # type: ignore[arg-type]
    return delivery(row)


# Events, each unless recorded already (a key is queued once, whichever worker found it), with a delivery per
# recipient, in their order: two parts of a WITH (``EVENTS.format(document=SQL, version=SQL)``: the ids the
# events name), ``event_args``'s arrays as its arguments, so a statement storing a poll's end or a version stores
# its events with it (one round trip, where an event was one each)
EVENTS = (
    "e AS (INSERT INTO events (key, kind, source, document_id, version_id, created, payload) SELECT t.key, t.kind, "
    "t.source, {document}, {version}, %(stamp)s, t.payload FROM unnest(%(keys)s::text[], %(kinds)s::text[], "
    "%(sources)s::text[], %(payloads)s::text[]) WITH ORDINALITY AS t(key, kind, source, payload, n) ORDER BY t.n "
    "ON CONFLICT (key) DO NOTHING RETURNING id, key), "
    "r AS (INSERT INTO deliveries (event_id, channel, recipient, next_attempt) SELECT e.id, r.channel, r.recipient, "
    "%(stamp)s FROM e JOIN unnest(%(to_keys)s::text[], %(channels)s::text[], %(recipients)s::text[]) WITH ORDINALITY "
    "AS r(key, channel, recipient, n) ON r.key = e.key ORDER BY r.n ON CONFLICT DO NOTHING)"
)


def first_events(events: Iterable[Event]) -> list[Event]:
    """The first event of each key, in their order: a later one of the same key is not stored."""
    first: dict[str, Event] = {}
    for event in events:
        first.setdefault(event.key, event)
    return list(first.values())


def event_args(events: Iterable[Event]) -> dict[str, list[str | None]]:
    """``EVENTS``'s arguments: the first event of each key, its recipients beside it."""
    kept = first_events(events)
    return {
        "keys": [e.key for e in kept],
        "kinds": [e.kind for e in kept],
        "sources": [e.source for e in kept],
        "payloads": [json.dumps(e.payload.to_json(), ensure_ascii=False) for e in kept],
        "to_keys": [e.key for e in kept for _ in e.recipients],
        "channels": [c for e in kept for c, _ in e.recipients],
        "recipients": [r for e in kept for _, r in e.recipients],
    }


class Outbox(Connected):
    def events(self) -> list[StoredEvent]:
        to: dict[int, list[tuple[str, str]]] = {}
        for event_id, channel, recipient in self.conn.execute(
            "SELECT event_id, channel, recipient FROM deliveries ORDER BY id"
        ):
            to.setdefault(event_id, []).append((channel, recipient))
        rows = self.conn.execute("SELECT id, key, kind, source, payload, created, version_id FROM events ORDER BY id")
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
        with self._transaction():
            claimed = [
                r[0]
                for r in self.conn.execute(
                    "UPDATE deliveries SET claimed_by = %s, claimed_until = now() + %s WHERE id IN (SELECT id FROM "
                    "deliveries WHERE status = 'pending' AND (attempts = 0 OR next_attempt <= %s OR next_attempt > %s "
                    "OR %s) AND (claimed_until IS NULL OR claimed_until < now() OR claimed_until > now() + %s OR "
                    "claimed_by = %s)"
                    + (" AND channel != %s" if held else "")
                    + (" AND channel = %s AND recipient = %s" if to else "")
                    + " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
                    [
                        self.worker,
                        CLAIM,
                        iso(at),
                        iso(at + HORIZON),
                        ignore_backoff,
                        HORIZON,
                        self.worker,
                        *([held] if held else []),
                        *(to or ()),
                        limit,
                    ],
                )
            ]
        sql = _DELIVERY.format(", v.report AS report, v.findings") + (
            " LEFT JOIN versions v ON v.id = e.version_id WHERE d.id = ANY(%s) ORDER BY d.id"
        )
        return [_delivery(r) for r in self._rows(sql, [claimed])]

    def pending_recipients(self, channel: str) -> dict[str, datetime]:
        rows = self.conn.execute(
            "SELECT d.recipient, min(e.created) FROM deliveries d JOIN events e ON e.id = d.event_id "
            "WHERE d.channel = %s AND d.status = 'pending' GROUP BY 1",
            [channel],
        )
        return {recipient: datetime.fromisoformat(created) for recipient, created in rows}

    def deliveries(self, delivered: bool = False) -> list[Delivery]:
        where = "" if delivered else " WHERE d.status != 'delivered'"
        return [_delivery(r) for r in self._rows(_DELIVERY.format("") + where + " ORDER BY d.id")]

    def last_delivered(self, channel: str, recipient: str, before: datetime) -> datetime | None:
        row = self.conn.execute(
            "SELECT max(delivered_at) FROM deliveries WHERE channel = %s AND recipient = %s AND status = 'delivered' "
            "AND delivered_at < %s",
            [channel, recipient, iso(before)],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def mark_delivered(self, delivery_ids: Iterable[int], at: datetime) -> None:
        self.conn.execute(
            "UPDATE deliveries SET status = 'delivered', delivered_at = %s, claimed_until = NULL WHERE id = ANY(%s)",
            [iso(at), list(delivery_ids)],
        )

    def release_deliveries(self) -> None:
        self.conn.execute(
            "UPDATE deliveries SET claimed_until = NULL WHERE claimed_by = %s AND claimed_until IS NOT NULL "
            "AND status = 'pending'",
            [self.worker],
        )

    def mark_failed(self, delivery_ids: Iterable[int], error: str, retry_at: datetime | None) -> None:
        self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = %s, claimed_until = NULL, "
            "status = CASE WHEN %s THEN 'dead' ELSE status END, next_attempt = coalesce(%s, next_attempt) "
            "WHERE id = ANY(%s)",
            [error[:500], retry_at is None, iso(retry_at) if retry_at else None, list(delivery_ids)],
        )

    def make_due(self, at: datetime) -> int:
        return self.conn.execute("UPDATE deliveries SET next_attempt = %s WHERE status = 'pending'", [iso(at)]).rowcount

    def revive_dead(self, at: datetime) -> int:
        return self.conn.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = %s, claimed_until = NULL "
            "WHERE status = 'dead'",
            [iso(at)],
        ).rowcount

    def alert_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "delivered": 0, "dead": 0}
        for status, n in self.conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status"):
            counts[status] = n
        return counts

    def oldest_pending(self) -> tuple[str | None, int]:
        row = self.conn.execute(
            "SELECT min(e.created), count(*) FROM deliveries d JOIN events e ON e.id = d.event_id "
            "WHERE d.status = 'pending'"
        ).fetchone()
        return (row[0], row[1]) if row else (None, 0)
