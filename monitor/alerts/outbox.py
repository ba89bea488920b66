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
import socket
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.alerts.channels import DeliveryError, Link, Outgoing, recipients, send
from monitor.alerts.render import Rendered, Renderer, sample_payload
from monitor.config import Settings
from monitor.errors import InputError, StorageError
from monitor.model import BEIJING, Payload
from monitor.store import Delivery, Store

log = logging.getLogger("govmon.alerts")
GIVE_UP = timedelta(days=3)


MIN_ATTEMPTS = 8  # and at least this many tries (about 4 hours of backoff): +73 h on the clock is not 3 days


DIGEST_HOUR = 8  # daily digests go out at 08:00 Beijing time


PASS_ROWS = 500  # due alerts read a pass, oldest first, besides the digests
DIGEST_PAGE = 100  # alerts one digest carries at most (~1 MiB: far below a mail server's size limit); more: more mails
DIGEST_PAGES = 50  # digests to one recipient a pass at most (the rest: the next pass's, ``_digest_due``)

PASS_BUDGET = 120.0  # one channel's share of a pass: past it the rest waits for the next pass; never the poll


# ---------------------------------------------------------------- the outbox
def backoff(attempts: int) -> timedelta:
    """1 min, 3 min, 9 min, 27 min, then every hour: an outage fixed at noon is not noticed at 6 p.m."""
    return timedelta(seconds=min(3600, 60 * 3**attempts))


def _digest_due(store: Store, recipient: str, oldest: datetime, now: datetime) -> bool:
    """Whether ``recipient``'s digest goes now (``oldest``: when its oldest alert pending was queued): from 08:00,
    once a day; again only for alerts queued before the day's digest went that it did not carry (its later pages
    cut off by a failure or the pass's time), not for those queued since, which wait for tomorrow's."""
    local = now.astimezone(BEIJING)
    today = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if local < today:
        return False
    # a digest stamped more than a day ahead was sent by a clock that was ahead (then corrected): it says nothing
    # of whether today's went, and must not hold the digests back until the clock has caught up with it
    last = store.last_delivered("email", recipient, before=now + timedelta(days=1))
    return last is None or last < today.astimezone(UTC) or oldest < last


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


Work = list[Delivery] | str  # a message's deliveries, or a recipient whose digests are read page by page


def payload_of(delivery: Delivery) -> Payload:
    """A due delivery's payload as sent: its event's, with the tables and findings of the version it names
    (``report``/``findings``: None when it names none, or the version is gone)."""
    payload = delivery.event.payload
    if delivery.report is None or delivery.findings is None:
        return payload
    return payload.with_version(delivery.report.tables, delivery.report.table_status, delivery.findings)


async def deliver_due(
    settings: Settings,
    store: Store,
    renderer: Renderer,
    now: datetime | None = None,
    ignore_backoff: bool = False,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> Sent:
    """Send what is due at ``now`` (the clock, unless a test gives one); with ``ignore_backoff`` everything
    pending. Each channel in its own task, concurrently; once ``stopping`` (the service's stop), no message more is
    begun. Returns what was delivered and what failed. Never raises for a channel; a database that fails (locked,
    full, away) ends the pass with StorageError once every channel's message in hand is done."""
    now = now or datetime.now(UTC)
    _record_unrecorded(store)  # sent at an earlier pass whose database failed as it recorded them: never sent again
    digests = settings.email is not None and settings.email.digest == "daily"
    work: dict[str, list[Work]] = {}
    # e-mails for a digest never take the places of other channels' alerts: read apart, a recipient's once due
    for row in store.due_deliveries(now, PASS_ROWS, ignore_backoff, held="email" if digests else None):
        work.setdefault(row.channel, []).append([row])
    for recipient, oldest in (store.pending_recipients("email") if digests else {}).items():
        if ignore_backoff or _digest_due(store, recipient, oldest, now):
            work.setdefault("email", []).append(recipient)
    sent = Sent()
    try:
        async with Link() as link:
            delivery = _Pass(settings, store, renderer, link, now, ignore_backoff, sent, stopping)
            # each channel to its end: one whose database call failed must not close the connections under another's
            # message in hand (a message sent then counted failed: sent again)
            ended = await asyncio.gather(
                *(delivery.channel(name, items) for name, items in work.items()), return_exceptions=True
            )
    finally:
        _release(store)
    for failure in ended:
        if isinstance(failure, BaseException):
            raise failure
    return sent


# Per store: deliveries sent whose record failed (the database locked, full or away as they were marked): recorded at
# the next pass before anything is sent, so a message the server took is not sent again.
_UNRECORDED: weakref.WeakKeyDictionary[Store, dict[int, datetime]] = weakref.WeakKeyDictionary()


def _record_unrecorded(store: Store) -> None:
    held = _UNRECORDED.get(store)
    while held:
        at = next(iter(held.values()))
        ids = [i for i, when in held.items() if when == at]
        store.mark_delivered(ids, at)  # (failing again: StorageError ends this pass too, before anything is sent)
        for i in ids:
            del held[i]


def _release(store: Store) -> None:
    """What the pass took to send and did not (its time was up, a stop, the database failed): free at once for the
    next pass or another worker, not after a claim's ten minutes."""
    try:
        store.release_deliveries()
    except StorageError as exc:  # (its claims lapse instead)
        log.warning("giving back the alerts this pass did not send failed: %s", exc)


@dataclass
class _Pass:
    """One delivery pass: what it needs to send a message and record how it went."""

    settings: Settings
    store: Store
    renderer: Renderer
    link: Link
    now: datetime
    ignore_backoff: bool
    sent: Sent
    stopping: Callable[[], bool]
    renders: dict[int, tuple[Rendered, Payload]] = field(default_factory=dict)  # each event once, whoever gets it

    async def channel(self, name: str, work: list[Work]) -> None:
        """One channel's share of the pass, in order, within PASS_BUDGET. A recipient's digest is its alerts due,
        DIGEST_PAGE at a time (a mail a mail server takes), until they are sent, one fails, DIGEST_PAGES are sent
        or the pass's time is up (then the rest go at the next pass: ``_digest_due``)."""
        start = time.monotonic()
        for n, item in enumerate(work):
            if self.stopping():  # the service stops: no message begun now, to be cut off (and sent again) at its end
                left = work[n:]
                self.sent.deferred += sum(len(x) for x in left if isinstance(x, list))
                log.info("stopping: %d message(s) via %s left for the next start", len(left), name)
                return
            if n and time.monotonic() - start > PASS_BUDGET:
                left = work[n:]
                self.sent.deferred += sum(len(x) for x in left if isinstance(x, list))
                log.warning(
                    "delivery via %s over %.0f s: %d message(s) left for the next pass", name, PASS_BUDGET, len(left)
                )
                return
            if isinstance(item, list):
                await self.deliver(item, digest=False)
                continue
            for _ in range(DIGEST_PAGES):  # (bounded: a store that failed to mark a page delivered reads it again)
                if self.stopping():
                    break
                page = self.store.due_deliveries(self.now, DIGEST_PAGE, self.ignore_backoff, to=(name, item))
                if not page or not await self.deliver(page, digest=True) or len(page) < DIGEST_PAGE:
                    break
                if time.monotonic() - start > PASS_BUDGET:  # the rest at the next pass (``_digest_due``)
                    break

    async def deliver(self, batch: list[Delivery], *, digest: bool) -> bool:
        """Send one message (one alert, or a digest of several) and record it; whether it was delivered."""
        first, ids = batch[0], [r.id for r in batch]
        for r in batch:
            if r.event_id not in self.renders:
                payload = payload_of(r)
                self.renders[r.event_id] = (self.renderer.render(r.event.kind, payload), payload)
        rendered = [self.renders[r.event_id][0] for r in batch]
        message = Outgoing(
            first.event.kind,
            _digest_key(self.now, ids) if digest else first.event.key,
            self.renders[first.event_id][1],
            self.renderer.digest(rendered) if digest else rendered[0],
            f"{min(r.created for r in batch)}|{_installation(self.settings)}",
        )
        try:
            await send(self.settings, first.channel, first.recipient, message, link=self.link)
        except Exception as failed:  # a channel's own fault (an answer it did not foresee) fails this message, to be
            # tried again; never the pass, whose other channels share its connections
            exc = failed if isinstance(failed, DeliveryError) else _unforeseen(first, failed)
            if digest and exc.too_big and len(batch) > 1:  # larger than the mail server takes: in halves
                half = len(batch) // 2
                return all(
                    [await self.deliver(batch[:half], digest=True), await self.deliver(batch[half:], digest=True)]
                )
            old = self.now - min(datetime.fromisoformat(r.created) for r in batch) > GIVE_UP
            dead = exc.permanent or (old and first.attempts + 1 >= MIN_ATTEMPTS)
            self.store.mark_failed(ids, str(exc), None if dead else self.now + backoff(first.attempts))
            self.sent.count(first.channel, len(ids), ok=False)
            log.warning(
                "alert %s via %s to %s: attempt %d failed%s: %s",
                message.key,
                first.channel,
                first.recipient,
                first.attempts + 1,
                " (gave up)" if dead else "",
                exc,
            )
            return False
        self.sent.count(first.channel, len(ids), ok=True)
        try:
            self.store.mark_delivered(ids, self.now)
        except StorageError:  # sent: recorded at the next pass (``_record_unrecorded``), never sent again
            _UNRECORDED.setdefault(self.store, {}).update(dict.fromkeys(ids, self.now))
            log.warning(
                "alert %s delivered via %s to %s; recorded at the next pass",
                message.key,
                first.channel,
                first.recipient,
            )
            raise
        log.info("alert %s delivered via %s to %s", message.key, first.channel, first.recipient)
        return True


def _unforeseen(first: Delivery, exc: Exception) -> DeliveryError:
    log.error("alert %s via %s: unforeseen failure: %s: %s", first.event.key, first.channel, type(exc).__name__, exc)
    return DeliveryError(f"{first.channel}: {type(exc).__name__}: {exc}")


def _installation(settings: Settings) -> str:
    """This installation as its messages' Message-IDs tell it apart: its machine and its database (two installations
    with the same source ids mailing one mailbox, their events made in the same second: review 113)."""
    return f"{socket.gethostname()}|{settings.database_url or settings.database}"


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
            except Exception as exc:
                outcome.append((channel, recipient, f"{type(exc).__name__}: {exc}"))
    return outcome
