"""The store's calls a poll begins and ends with (``Store.start_polls``, ``Store.finish_polls``): those asked in
one turn of the event loop made as one call, and on a shared store (``Store.polls_apart``) in a thread of their
own while the loop goes on. Each was a round trip of its own with the loop waiting on it: at 1,000 sources on
PostgreSQL, a third of the steady pass."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Generic, TypeVar

from monitor.errors import StorageError
from monitor.store import PollAsk, PollEnd, PollStart, Store

log = logging.getLogger("govmon")
A = TypeVar("A")
R = TypeVar("R")


class Batched(Generic[A, R]):
    """``call`` made once for every item asked while it was not being made, its answers handed back in order;
    in ``apart``'s thread when there is one. ``unwanted(item, answer)``: an answer whose asker was cut off
    meanwhile (a stop)."""

    def __init__(
        self,
        call: Callable[[list[A]], list[R]],
        apart: Executor | None,
        unwanted: Callable[[A, R], None] | None = None,
    ) -> None:
        self.call, self.apart, self.unwanted = call, apart, unwanted
        self.asked: list[tuple[A, asyncio.Future[R]]] = []
        self.sending: asyncio.Task[None] | None = None

    async def __call__(self, item: A) -> R:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[R] = loop.create_future()
        self.asked.append((item, answer))
        if self.sending is None:  # sent at the next turn, with whatever else is asked in this one
            self.sending = loop.create_task(self._send())
        return await answer

    async def drained(self) -> None:
        """Until every item asked so far has been sent and answered (a stop: what polls cut off meanwhile asked, an
        end or a lease to give back, is made before the store is closed)."""
        while self.sending is not None:
            await asyncio.wait([self.sending])

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        asked: list[tuple[A, asyncio.Future[R]]] = []
        try:
            while self.asked:  # what was asked while a call was being made goes in the next
                asked, self.asked = self.asked, []
                items = [item for item, _ in asked]
                try:
                    answers = (
                        await loop.run_in_executor(self.apart, self.call, items) if self.apart else self.call(items)
                    )
                except Exception as exc:  # the database is away (StorageError): every asker says so, as each did
                    for _, answer in asked:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (item, answer), got in zip(asked, answers, strict=True):
                    if not answer.done():
                        answer.set_result(got)
                    elif self.unwanted is not None:
                        self.unwanted(item, got)
                asked = []
        except BaseException:  # cut off itself (the loop closing): so are those waiting on it
            for _, answer in [*asked, *self.asked]:
                answer.cancel()
            self.asked = []
            raise
        finally:
            self.sending = None


@functools.cache
def _apart() -> ThreadPoolExecutor:
    """The thread a process makes a shared store's poll calls in: one, however many watchers it makes (a thread
    costs its stack and a malloc arena, which every fork of the process inherits as mapped memory)."""
    return ThreadPoolExecutor(1, thread_name_prefix="govmon-polls")


class PollCalls:
    """A watcher's ``start_polls`` and ``finish_polls``, each batched; a shared store's made in ``_apart``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        apart = _apart() if store.polls_apart else None
        self.start = Batched(store.start_polls, apart, self._given_back)
        self.finish = Batched(self._finish, apart)

    async def drained(self) -> None:
        """Until the starts and ends asked so far are made."""
        await self.start.drained()
        await self.finish.drained()

    def _finish(self, ends: list[PollEnd]) -> list[None]:
        self.store.finish_polls(ends)
        return [None] * len(ends)

    def _given_back(self, ask: PollAsk, begun: PollStart) -> None:
        """A poll cut off (a stop) while it was being begun: the source it was granted is free at once."""
        if begun.claim:
            try:
                self.store.release_source(ask.source_id)
            except StorageError as exc:  # its lease lapses instead
                log.warning("source %s: giving back its lease failed: %s", ask.source_id, exc)
