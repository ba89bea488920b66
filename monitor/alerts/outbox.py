"""Stage: alerts, the outbox's policy. Which stored deliveries are due (backoff, a clock that was ahead), which
e-mails wait for the daily digest, each channel's share of a pass (``PASS_BUDGET``, the channels side by side),
and when a failure is dead (permanent, or three days and ``MIN_ATTEMPTS`` tries). Each message goes out through
the channel registry (``channels.send``); the transports know nothing of this. ``try_channels`` sends a sample
through each configured channel, outside the outbox (``govmon alerts test``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.alerts.channels import DeliveryError, Link, Outgoing, recipients, send
from monitor.alerts.render import Rendered, Renderer, sample_payload
from monitor.config import Settings
from monitor.errors import InputError
from monitor.model import BEIJING, Payload
from monitor.store import Delivery, Store

log = logging.getLogger("govmon.alerts")
GIVE_UP = timedelta(days=3)


MIN_ATTEMPTS = 8  # and at least this many tries (about 4 hours of backoff): +73 h on the clock is not 3 days


DIGEST_HOUR = 8  # daily digests go out at 08:00 Beijing time


PASS_ROWS = 500  # due alerts read a pass, oldest first, besides the digests
DIGEST_ROWS = 5_000  # alerts one digest carries at most (the rest: the next day's)

PASS_BUDGET = 120.0  # one channel's share of a pass: past it the rest waits for the next pass; never the poll


# ---------------------------------------------------------------- the outbox
def backoff(attempts: int) -> timedelta:
    """1 min, 3 min, 9 min, 27 min, then every hour: an outage fixed at noon is not noticed at 6 p.m."""
    return timedelta(seconds=min(3600, 60 * 3**attempts))


def _digest_due(store: Store, recipient: str, now: datetime) -> bool:
    """Whether ``recipient``'s digest goes now: once a day, from 08:00."""
    local = now.astimezone(BEIJING)
    today = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if local < today:
        return False
    # a digest stamped more than a day ahead was sent by a clock that was ahead (then corrected): it says nothing
    # of whether today's went, and must not hold the digests back until the clock has caught up with it
    last = store.last_delivered("email", recipient, before=now + timedelta(days=1))
    return last is None or last < today.astimezone(UTC)


@dataclass
class Sent:
    """What one delivery pass did, in all and per channel: channel -> [delivered, failed]."""

    delivered: int = 0
    failed: int = 0
    deferred: int = 0  # left pending because the pass ran out of time
    channels: dict[str, list[int]] = field(default_factory=dict)

    def count(self, channel: str, n: int, ok: bool) -> None:
        self.channels.setdefault(channel, [0, 0])[0 if ok else 1] += n
        if ok:
            self.delivered += n
        else:
            self.failed += n


Batches = dict[tuple[str, str | int], list[Delivery]]


def payload_of(delivery: Delivery) -> Payload:
    """A due delivery's payload as sent: its event's, with the tables and findings of the version it names
    (``report``/``findings``: None when it names none, or the version is gone)."""
    payload = delivery.event.payload
    if delivery.report is None or delivery.findings is None:
        return payload
    return payload.with_version(delivery.report.tables, delivery.report.table_status, delivery.findings)


async def deliver_due(
    settings: Settings, store: Store, renderer: Renderer, now: datetime | None = None, ignore_backoff: bool = False
) -> Sent:
    """Send what is due at ``now`` (the clock, unless a test gives one); with ``ignore_backoff`` everything
    pending. Each channel in its own task, concurrently. Returns what was delivered and what failed. Never
    raises for a channel."""
    now = now or datetime.now(UTC)
    rows, held = [], []
    digests = settings.email is not None and settings.email.digest == "daily"
    for recipient in store.pending_recipients("email") if digests else ():  # a digest due carries all its alerts
        held.append(("email", recipient))  # e-mails never take the places of other channels' alerts
        if ignore_backoff or _digest_due(store, recipient, now):
            rows += store.due_deliveries(now, DIGEST_ROWS, ignore_backoff, to=("email", recipient))
    rows = store.due_deliveries(now, limit=PASS_ROWS, ignore_backoff=ignore_backoff, held=held) + rows
    channels: dict[str, Batches] = {}
    for row in rows:
        groups = channels.setdefault(row.channel, {})
        if row.channel == "email" and digests:
            groups.setdefault(("digest", row.recipient), []).append(row)
        else:
            groups.setdefault(("one", row.id), []).append(row)
    sent = Sent()
    renders: dict[int, tuple[Rendered, Payload]] = {}  # each event rendered once per pass, whatever its recipients
    async with Link() as link:
        await asyncio.gather(
            *(
                _channel(settings, store, renderer, link, groups=groups, now=now, sent=sent, renders=renders)
                for groups in channels.values()
            )
        )
    return sent


async def _channel(
    settings: Settings,
    store: Store,
    renderer: Renderer,
    link: Link,
    *,
    groups: Batches,
    now: datetime,
    sent: Sent,
    renders: dict[int, tuple[Rendered, Payload]],
) -> None:
    """One channel's share of a pass, in order, within PASS_BUDGET."""
    start = time.monotonic()
    for n, ((mode, _), batch) in enumerate(groups.items()):
        if n and time.monotonic() - start > PASS_BUDGET:
            left = sum(len(b) for b in list(groups.values())[n:])
            sent.deferred += left
            log.warning(
                "delivery via %s over %.0f s: %d alert(s) left for the next pass",
                batch[0].channel,
                PASS_BUDGET,
                left,
            )
            return
        first = batch[0]
        for r in batch:
            if r.event_id not in renders:
                payload = payload_of(r)
                renders[r.event_id] = (renderer.render(r.event.kind, payload), payload)
        rendered = [renders[r.event_id][0] for r in batch]
        ids = [r.id for r in batch]
        message = Outgoing(
            first.event.kind,
            first.event.key if mode == "one" else _digest_key(now, ids),
            renders[first.event_id][1],
            renderer.digest(rendered) if mode == "digest" else rendered[0],
        )
        try:
            await send(settings, first.channel, first.recipient, message, link=link)
        except Exception as failed:  # a channel's own fault (an answer it did not foresee) fails this message, to be
            # tried again; never the pass, whose other channels share its connections
            exc = failed if isinstance(failed, DeliveryError) else _unforeseen(first, failed)
            old = now - min(datetime.fromisoformat(r.created) for r in batch) > GIVE_UP
            dead = exc.permanent or (old and first.attempts + 1 >= MIN_ATTEMPTS)
            store.mark_failed(ids, str(exc), None if dead else now + backoff(first.attempts))
            sent.count(first.channel, len(ids), ok=False)
            log.warning(
                "alert %s via %s to %s: attempt %d failed%s: %s",
                first.event.key,
                first.channel,
                first.recipient,
                first.attempts + 1,
                " (gave up)" if dead else "",
                exc,
            )
            continue
        store.mark_delivered(ids, now)
        sent.count(first.channel, len(ids), ok=True)
        log.info("alert %s delivered via %s to %s", first.event.key, first.channel, first.recipient)


def _unforeseen(first: Delivery, exc: Exception) -> DeliveryError:
    log.error("alert %s via %s: unforeseen failure: %s: %s", first.event.key, first.channel, type(exc).__name__, exc)
    return DeliveryError(f"{first.channel}: {type(exc).__name__}: {exc}")


def _digest_key(now: datetime, ids: list[int]) -> str:
    """A digest's key (its Message-ID's): the day and the deliveries it carries. The same digest sent again (after
    a crash) keeps it, so a mail system may drop the copy; a second digest of the day (``alerts send``, or one
    with alerts left over) has its own, so no mail system drops it as a copy of the first."""
    carried = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]
    return f"digest|{now.astimezone(BEIJING).date()}|{carried}"


async def try_channels(settings: Settings, only: str | None, renderer: Renderer) -> list[tuple[str, str, str | None]]:
    """A sample alert through each configured channel (or the one named: ``email``, ``eml``, ``webhook:NAME`` or
    ``NAME``), outside the outbox: (channel, recipient, error or None)."""
    targets = [(c, r) for c, r in recipients(settings, None) if only in (None, c, c.split(":", 1)[-1])]
    if not targets:
        raise InputError(f"no alert channel{' named ' + only if only else ''} is configured in {settings.path}")
    payload = sample_payload("test")
    message = Outgoing("test", f"test|{datetime.now(UTC).isoformat()}", payload, renderer.render("test", payload))
    outcome: list[tuple[str, str, str | None]] = []
    async with Link() as link:
        for channel, recipient in targets:
            try:
                await send(settings, channel, recipient, message, link=link)
                outcome.append((channel, recipient, None))
            except DeliveryError as exc:
                outcome.append((channel, recipient, str(exc)))
    return outcome
