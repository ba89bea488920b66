"""Stage: service. The watcher wired to its parts: the store under the instance lock, the fetcher, the
parser pool and alert delivery. ``poll_once`` is one pass (``govmon poll``), ``serve`` the service that
repeats it until SIGTERM (``govmon run``), each rewriting the overview site when ``overview_dir`` is set; ``send_now`` and ``try_channels`` are delivery on demand
(``govmon alerts send`` and ``govmon alerts test``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from monitor import config
from monitor.alerts import outbox
from monitor.alerts.outbox import Sent, deliver_due
from monitor.alerts.render import Renderer
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.model import china_today
from monitor.store import Store, instance_lock, is_locked, open_store
from monitor.watch.document import PollResult
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher
from monitor.watch.timetable import Control, run

log = logging.getLogger("govmon")


@dataclass
class Polled:
    """One pass: per source what happened, what the delivery after it did, and what the outbox still holds."""

    results: list[PollResult]
    sent: Sent
    left: dict[str, int]


async def poll_once(
    settings: Settings,
    ids: list[str] | None,
    renderer: Renderer,
    progress: Callable[[int, int], None] | None = None,
    publish: Publisher | None = None,
) -> Polled:
    """One pass over the sources, then the alerts that are due, the site (``publish``), then what is left in the
    outbox. A full disk or a damaged database ends it with ``StorageError``: where, and what to do."""
    with instance_lock(settings):
        store = open_store(settings)
        store.mark_interrupted()
        try:
            async with _fetcher(settings, store) as fetcher:
                results = await Watcher(settings, store, fetcher).poll(ids, progress)
            sent = await deliver_due(settings, store, renderer)
            if publish is not None and publish.due():
                publish(china_today())
            return Polled(results, sent, store.alert_counts())
        finally:
            store.close()


def _fetcher(settings: Settings, store: Store) -> Fetcher:
    """The fetcher; on a shared database its per-host limit holds across every worker (the store's slots)."""
    slots = store if settings.database_url is not None else None
    return Fetcher(
        settings.user_agent, settings.concurrency, settings.per_host, slots=slots, slot_lease=settings.lease_seconds
    )


class Publisher(Protocol):
    """What the service rewrites after its polls (the overview site): at most as often as it is due, in a worker
    thread with its own connection. The present layer gives it; the watcher knows nothing of pages."""

    settings: Settings

    def due(self) -> bool: ...

    def __call__(self, today: date) -> object: ...


def _reloader(settings: Settings) -> tuple[Callable[[], None], Callable[[], Settings | None]]:
    """SIGHUP: sources.toml read again and validated; a file with a mistake keeps the running configuration
    and the log says why. Returns (the signal handler, what the timetable asks once a tick)."""
    asked: list[bool] = []
    current = [settings]

    def reloaded() -> Settings | None:
        if not asked:
            return None
        asked.clear()
        try:
            new = config.load(current[0].path)
        except ConfigError as exc:
            log.error("SIGHUP: %s; keeping the running configuration", exc)
            return None
        fixed = ("database", "user_agent", "concurrency", "per_host", "readers")
        if any(getattr(new, k) != getattr(current[0], k) for k in fixed):
            log.warning("SIGHUP: database, user_agent, concurrency, per_host and readers take effect on a restart")
        current[0] = new
        return new

    return lambda: asked.append(True), reloaded


async def serve(settings: Settings, spread: float | None, renderer: Renderer, publish: Publisher | None = None) -> None:
    """The service, until SIGTERM or SIGINT; SIGHUP reloads sources.toml."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    hup, reloaded = _reloader(settings)
    loop.add_signal_handler(signal.SIGHUP, hup)
    with instance_lock(settings):
        store = open_store(settings)
        store.mark_interrupted()
        # what is made so far (the modules, the configuration: at 150,000 sources ~1.5 million objects) lives as
        # long as the service: kept out of the cycle collector's walks (~0.1 s of the timetable's start)
        gc.freeze()
        try:
            async with _fetcher(settings, store) as fetcher:
                watcher = Watcher(settings, store, fetcher)
                watcher.leave_fresh = True

                async def after_polls() -> None:
                    await deliver_due(watcher.settings, store, renderer, stopping=stop.is_set)
                    if publish is not None and publish.due():  # in a thread with its own connection
                        publish.settings = watcher.settings
                        await asyncio.to_thread(publish, china_today())

                control = Control(requested=store.take_poll_requests, reloaded=reloaded)
                await run(watcher, stop, after_polls, spread=spread, control=control)
        finally:
            gc.unfreeze()
            store.close()


async def send_now(settings: Settings, store: Store, renderer: Renderer) -> Sent | tuple[str, int]:
    """Everything pending, now, ignoring backoff. When the service holds the database it is the one that
    sends (two senders would send twice): the pending rows are made due and (its PID, how many) returned."""
    holder = is_locked(settings)
    if holder:
        return holder, store.make_due(datetime.now(UTC))
    with instance_lock(settings):
        return await deliver_due(settings, store, renderer, ignore_backoff=True)


async def try_channels(settings: Settings, only: str | None, renderer: Renderer) -> list[tuple[str, str, str | None]]:
    """A sample alert through each configured channel (or the one named): (channel, recipient, error or None)."""
    return await outbox.try_channels(settings, only, renderer)
