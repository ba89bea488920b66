"""Stage: the service's timetable. Every source polled on its interval, on the monotonic clock, until stopped.

When a source is next due is kept in ``loop.time()`` (monotonic): a wall clock stepped back a day, or ahead
by months, moves no poll; each step is logged once. APScheduler is the clock that fires the timetable's tick
(one job, every TICK seconds, draining what is due); because APScheduler 3 times its jobs by the wall clock,
a watchdog on the monotonic clock re-arms the tick when a step back left it waiting. A poll never waits for delivery: the delivery pass is
its own task, woken after polls and at least every ``DELIVER_EVERY`` seconds, so a slow channel delays only
its own messages. Between polls the loop also takes the polls asked for by ``govmon poll`` beside the
running service (``Control.requested``) and a new configuration after SIGHUP (``Control.reloaded``).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor import reading
from monitor.alerts.channels.registry import SEND_TIMEOUT
from monitor.config import Settings, Source
from monitor.errors import StorageError
from monitor.watch.liveness import Liveness
from monitor.watch.poll import Watcher

STOP_GRACE = 3.0  # on SIGTERM, the polls in hand get this long to finish; then they are cut off (and say so)
SEND_GRACE = SEND_TIMEOUT + 5.0  # and the alert being sent its channel's time (no other is begun after the stop)
TICK = 1.0  # how often the loop looks at requests, a reload and the wall clock between polls
DELIVER_EVERY = 60.0  # a delivery pass at least this often, and after polls
CLOCK_STEP = 30.0  # a wall clock that moved this much more or less than the monotonic one was stepped
STORAGE_RETRY = 60.0  # a poll the database failed (locked, full, restarting) is due again this much later
log = logging.getLogger("govmon")


@dataclass
class Control:
    """What reaches the running service from outside, each looked at once a tick: the sources asked for
    (``govmon poll --source ID`` beside it) and a new configuration (SIGHUP)."""

    requested: Callable[[], list[str]] = list
    reloaded: Callable[[], Settings | None] = lambda: None


class Timetable:
    """When each source is next due, in monotonic seconds: a due-ordered heap, so a tick looks only at what is
    due (not at every source), whatever N. ``due`` holds each source's time; a heap entry that no longer
    matches it (the source was polled, asked for, or removed since) is dropped when it comes up."""

    def __init__(self, sources: Iterable[Source], now: float, spread: float | None) -> None:
        self.due: dict[str, float] = {}
        self.interval: dict[str, int] = {}
        self.heap: list[tuple[float, str]] = []
        self.spread = spread
        self.sync(sources, now)

    def sync(self, sources: Iterable[Source], now: float) -> tuple[list[str], list[str]]:
        """The sources of a (new) configuration: new ones due within the spread, removed ones dropped, the
        others keep their time. Returns (added, removed)."""
        due, wanted = self.due, {s.id: s.interval for s in sources}
        added = [i for i in wanted if i not in due]
        removed = [i for i in due if i not in wanted]
        for i in removed:
            del due[i]
        self.interval = wanted
        draw, spread = random.random, self.spread  # (uniform(0, first) is first * random(): a call less each)
        for i in added:  # (once `if i in added` over all: a list searched per source, quadratic in N)
            due[i] = now + (min(60.0, wanted[i] / 10) if spread is None else spread) * draw()
        self.heap = [(at, i) for i, at in due.items()]
        heapq.heapify(self.heap)
        return added, removed

    def set_due(self, source_id: str, at: float) -> None:
        self.due[source_id] = at
        heapq.heappush(self.heap, (at, source_id))

    def take(self, now: float, busy: Iterable[str], limit: int | None = None) -> list[str]:
        """The sources due at ``now`` that are not being polled (a poll longer than its interval is not
        started twice: it is due again when it ends, ``polled``), the longest due first, at most ``limit``;
        the others stay in the queue, due."""
        skip, found = set(busy), list[str]()
        while self.heap and self.heap[0][0] <= now and (limit is None or len(found) < limit):
            at, i = heapq.heappop(self.heap)
            if self.due.get(i) == at and i not in skip:
                found.append(i)
                skip.add(i)
        return found

    def polled(self, source_id: str, now: float) -> None:
        if source_id in self.due:
            interval = self.interval[source_id]
            self.set_due(source_id, now + interval + random.uniform(0, min(300, interval // 10)))


async def _deliveries(deliver: Callable[[], Awaitable[Any]], stop: asyncio.Event, kick: asyncio.Event) -> None:
    """The delivery pass, its own task: after polls (``kick``) and at least every DELIVER_EVERY seconds."""
    while not stop.is_set():
        try:
            async with asyncio.timeout(DELIVER_EVERY):
                await kick.wait()
        except TimeoutError:
            pass
        kick.clear()
        if stop.is_set():
            return
        try:
            await deliver()
        except StorageError as exc:  # a database locked, full or restarting: one line; tried again next pass
            log.error("delivery pass: %s; tried again", exc)
        except Exception:  # a bug in a pass must not end delivery for good: logged, tried again next pass
            log.exception("delivery pass failed")


class _Clock:
    """Logs a step of the wall clock against the monotonic one, once per step."""

    def __init__(self, wall: Callable[[], float], mono: Callable[[], float]) -> None:
        self.wall, self.mono = wall, mono
        self.offset = wall() - mono()

    def check(self) -> None:
        offset = self.wall() - self.mono()
        step = offset - self.offset
        if abs(step) > CLOCK_STEP:
            log.warning(
                "the wall clock stepped %s by %.0f s; polls and retries keep their times (monotonic clock)",
                "back" if step < 0 else "ahead",
                abs(step),
            )
            self.offset = offset


async def run(
    watcher: Watcher,
    stop: asyncio.Event,
    deliver: Callable[[], Awaitable[Any]] | None = None,
    spread: float | None = None,
    *,
    control: Control | None = None,
    wall: Callable[[], float] = time.time,
) -> None:
    """The service: every source on its interval (jittered), until `stop` is set; then the polls in hand
    get STOP_GRACE to finish. First polls are spread over `spread` seconds (default: a tenth of the
    interval, at most a minute) so a restart does not fire every source at once."""
    loop = asyncio.get_running_loop()
    control = control or Control()
    clock = _Clock(wall, loop.time)
    table = Timetable(watcher.settings.sources, loop.time(), spread)
    watcher.store.sync_sources(watcher.settings.sources)
    polls = _Polls(watcher, table, stop)
    kick = polls.kick
    sender = asyncio.create_task(_deliveries(deliver, stop, kick)) if deliver else None
    ticked = loop.time()
    said = _Said(loop.time)
    reload: Settings | None = None  # a configuration reloaded (SIGHUP), applied once its sources are stored

    async def tick() -> None:
        """What is due now: a new configuration, polls asked for, sources whose time has come."""
        nonlocal ticked, reload
        ticked = loop.time()
        if stop.is_set():
            return
        clock.check()
        reload = control.reloaded() or reload
        try:
            if reload is not None:  # its sources stored first: a database failing meanwhile leaves it pending whole
                watcher.store.sync_sources(reload.sources)
                _reload(watcher, table, reload, loop.time())
                reload = None
            for source_id in control.requested():
                if source_id in table.due:
                    table.set_due(source_id, loop.time())
                    log.info("source %s: poll asked for; due now", source_id)
        except StorageError as exc:  # a database locked, full or restarting: one line a minute; tried again
            said.say(str(exc))
        polls.fill()

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=TICK),
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    log.info("govmon running: %d sources", len(watcher.settings.sources))
    with Liveness() as alive:  # systemd told: ready now, alive at each watchdog turn, stopping once stopped
        await _watchdog(scheduler, stop, lambda: loop.time() - ticked, alive.beat)
    scheduler.shutdown(wait=False)
    kick.set()  # the delivery pass, waiting for polls, ends now; one under way gets STOP_GRACE like the polls
    await _finish(watcher, polls.running, sender)


class _Polls:
    """The polls in hand: at most ``4 x concurrency`` at once, as in `poll`; the due ones beyond stay in the queue
    (a restart makes every source due within `spread`), so the machine works on what it can finish and a stop has
    little to cut off. A poll that ends starts the next due one at once, as `poll`'s workers do, not at the next
    tick; no task is made for a source before it can be polled."""

    def __init__(self, watcher: Watcher, table: Timetable, stop: asyncio.Event) -> None:
        self.watcher, self.table, self.stop = watcher, table, stop
        self.slots = watcher.settings.concurrency * 4
        self.running: dict[str, asyncio.Task[None]] = {}
        self.kick = asyncio.Event()  # a poll ended: the delivery pass looks for its alerts
        self.loop = asyncio.get_running_loop()

    def fill(self) -> None:
        if self.stop.is_set() or len(self.running) >= self.slots:
            return
        for source_id in self.table.take(self.loop.time(), self.running, self.slots - len(self.running)):
            self.running[source_id] = asyncio.create_task(self.job(self.watcher.settings.source(source_id)))

    async def job(self, source: Source) -> None:
        held = failed = False
        try:
            held = (await self.watcher.poll_source(source)).held
            self.kick.set()
        except asyncio.CancelledError:  # cut off by a stop: marked interrupted by _finish
            return
        except StorageError as exc:  # the database locked, full or restarting: one line; tried again soon
            log.error("source %s: %s", source.id, exc)
            failed = True
        finally:
            if held:  # another worker polls it now: looked at again once its lease could have lapsed (killed)
                self.table.set_due(source.id, self.loop.time() + self.watcher.settings.lease_seconds)
            elif failed:  # not polled: again in a minute, not a whole interval later
                self.table.set_due(source.id, self.loop.time() + STORAGE_RETRY)
            else:
                self.table.polled(source.id, self.loop.time())
            self.running.pop(source.id, None)
            self.fill()


def _reload(watcher: Watcher, table: Timetable, new: Settings, now: float) -> None:
    """A configuration reloaded (SIGHUP) whose sources are stored: the watcher's, and the timetable's sources."""
    watcher.settings = new
    added, removed = table.sync(new.sources, now)
    log.info("reloaded %s: %d sources (%d added, %d removed)", new.path, len(new.sources), len(added), len(removed))


class _Said:
    """An error said once a minute at most while it lasts (the tick runs every second)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock, self.last, self.at = clock, "", -3600.0

    def say(self, error: str) -> None:
        if error != self.last or self.clock() - self.at > 60:
            log.error("%s; tried again", error)
            self.last, self.at = error, self.clock()


async def _watchdog(
    scheduler: AsyncIOScheduler, stop: asyncio.Event, since_tick: Callable[[], float], beat: Callable[[], None]
) -> None:
    """Until stopped: when the tick has not run for three of its intervals (APScheduler waits on the wall
    clock, which was stepped back), it is made due now. Each turn is a ``beat``: the loop runs."""
    while not stop.is_set():
        beat()
        try:
            async with asyncio.timeout(TICK * 3):
                await stop.wait()
        except TimeoutError:
            pass
        if not stop.is_set() and since_tick() > TICK * 3:
            scheduler.modify_job("tick", next_run_time=datetime.now(UTC))
            scheduler.wakeup()


async def _finish(watcher: Watcher, running: dict[str, asyncio.Task[None]], sender: asyncio.Task[None] | None) -> None:
    """The polls in hand get STOP_GRACE; then they are cut off and marked interrupted. The delivery pass begins no
    message after the stop; the one in hand gets SEND_GRACE, its channel's time: cut off, the server may have taken
    it, and it would be sent again at the next start."""
    if running:
        log.info("stopping: finishing %d poll(s) in hand (at most %.0f s)", len(running), STOP_GRACE)
        _, late = await asyncio.wait(set(running.values()), timeout=STOP_GRACE)
        if late:  # documents being read end at once; fetches are cancelled; their polls are marked interrupted
            reading.kill_all()
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            # the ends (and leases given back) the polls cut off had asked for are made first: a poll that had done
            # its work is stored as done, with its alerts, not marked interrupted
            await watcher.calls.drained()
            cut = watcher.store.mark_interrupted()
            if cut:
                log.warning("stopping: %d poll(s) cut off after %.0f s; the next poll picks them up", cut, STOP_GRACE)
    if sender is not None:
        _, slow = await asyncio.wait({sender}, timeout=SEND_GRACE)
        if slow:
            log.warning("stopping: the alert being sent was cut off after %.0f s; it is sent again", SEND_GRACE)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
    log.info("govmon stopped")
