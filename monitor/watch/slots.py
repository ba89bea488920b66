"""A host's request slots shared by every worker on one database (``HostSlots``, the store's), held in this
process by ``HostGate``: per-host politeness across workers, for ``fetch``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from monitor.errors import StorageError

log = logging.getLogger("govmon")
SLOT_WAIT = 0.1  # how often a request waits for a host's slot other workers hold
# A worker hands a host's slot from one of its requests to the next for at most HOLD seconds, then gives it back and
# asks again only after PAUSE (longer than SLOT_WAIT): the other workers waiting for that host get it meanwhile.
# Handing over without end starved them: at 20,000 sources a second worker polled 256 sources while the first
# polled the rest, and 749 of its requests ran past their deadline (false "failing" sources).
HOLD, PAUSE = 5.0, 2.5 * SLOT_WAIT
# A slot nobody here wants any more is kept LINGER seconds before it is freed: a source's next request to the host
# (its report, after its listing) or another source's takes it without two round trips (free, take again). Other
# workers wait at most that much longer for the host.
LINGER = 2.5 * SLOT_WAIT


class HostSlots(Protocol):
    """Per-host politeness across workers (a shared store): at most ``limit`` requests to a host at once in
    total, each holding a slot until it ends (or ``lease`` seconds, when its worker was killed)."""

    def take_host_slot(self, host: str, limit: int, lease: float) -> int | None: ...

    def free_host_slot(self, host: str, slot: int) -> None: ...


class HostGate:
    """One host's requests in this process, with a shared store's slots: they queue here first, so only per_host
    of them at a time ask the database (each asking is a round trip: 64 requests asking every SLOT_WAIT cost 7 a
    source), and a slot a request is done with goes straight to the next one queued (no round trip to free it
    and take it again) for HOLD seconds; the database's slot is freed LINGER seconds after nobody here wants it
    (a request that comes meanwhile takes it), or after HOLD, when it is the other workers' turn. At 1,000 sources
    on 32 hosts, freeing at once cost ~0.9 round trips a source, as many as the rest of a poll."""

    def __init__(self, host: str, per_host: int) -> None:
        self.host, self.limit = host, per_host
        self.queue = asyncio.Semaphore(per_host)
        self.idle: list[int] = []  # slots held for the requests queued (handed over, not freed)
        self.waiting = 0  # requests queued
        self.using = 0  # requests holding a slot
        self.taken: dict[int, float] = {}  # slot -> when this process took it from the store (the loop's clock)
        self.resume = 0.0  # a slot was given back for the others' turn: not asked for again before this
        self.linger: asyncio.TimerHandle | None = None  # frees the idle slots when nobody here wants them
        self.given = 0.0  # when a request here was last done with a slot (the loop's clock)

    async def take(self, slots: HostSlots, lease: float) -> int:
        self.waiting += 1
        try:
            await self.queue.acquire()
        except BaseException:
            self.waiting -= 1
            if not self.waiting and not self.using:  # a slot handed over to a request cancelled meanwhile
                self.free_idle(slots)
            raise
        self.waiting -= 1
        self.using += 1
        if self.idle:
            return self.idle.pop()
        loop = asyncio.get_running_loop()
        try:
            if (turn := self.resume - loop.time()) > 0:
                await asyncio.sleep(turn)
            while (slot := slots.take_host_slot(self.host, self.limit, lease)) is None:
                await asyncio.sleep(SLOT_WAIT)
        except BaseException:
            self.using -= 1
            self.queue.release()
            raise
        self.taken[slot] = loop.time()
        return slot

    def give(self, slots: HostSlots, slot: int) -> None:
        self.using -= 1
        now = asyncio.get_running_loop().time()
        self.given = now
        if now - self.taken.get(slot, now) < HOLD:
            self.idle.append(slot)  # to the next request queued, or one that comes within LINGER
        else:
            slots.free_host_slot(self.host, slot)
            self.taken.pop(slot, None)
            if self.waiting:  # held for HOLD: the other workers' turn before this one asks again
                self.resume = now + PAUSE
        if len(self.idle) > self.waiting and self.linger is None:
            self.linger = asyncio.get_running_loop().call_later(LINGER, self._lingered, slots)
        self.queue.release()

    def _lingered(self, slots: HostSlots) -> None:
        """LINGER after the last request here was done with a slot: the slots no request here waits for, freed."""
        self.linger = None
        loop = asyncio.get_running_loop()
        if (left := self.given + LINGER - loop.time()) > 0:  # used again meanwhile
            self.linger = loop.call_later(left, self._lingered, slots)
            return
        try:
            while len(self.idle) > self.waiting:
                slot = self.idle.pop()
                slots.free_host_slot(self.host, slot)
                self.taken.pop(slot, None)
        except StorageError as exc:  # the database is away: the slots' lease lapses; the polls' own calls say so
            log.warning("freeing a request slot of %s failed: %s", self.host, exc)

    def free_idle(self, slots: HostSlots) -> None:
        if self.linger is not None:
            self.linger.cancel()
            self.linger = None
        while self.idle:
            slot = self.idle.pop()
            slots.free_host_slot(self.host, slot)
            self.taken.pop(slot, None)
