"""The watcher's work handed to the reader pool (``reading.bounded``) and awaited: a document read, a listing's links
found (``discover``), a page's attachments. The watcher's own process only coordinates: parsing a real listing
page of 150-350 KB and finding its links takes 2.6-9 ms (bs4 took 27-40), its loop held, where handing it over
costs ~0.1 ms (issue #28)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from monitor import reading

T = TypeVar("T")


async def handed(read: Callable[..., T], *args: Any) -> T:
    """``read(*args)`` (a function of ``reading``) handed to the reader pool and waited for in a thread of its own,
    which ends with it: not in asyncio's default executor, which the documents in hand would fill (its other work,
    the fetcher's address lookups among it, then waited behind them), nor in threads kept for the whole process (one
    that forks afterwards, as the PDF reader does, should have none left behind). A stop after this
    (``reading.kill_all``: ``since``) begins none; nor does its poll's end (cut off at its deadline: ``wanted``), so
    a document nobody waits for holds no reader and no place among those in hand."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[T] = loop.create_future()
    call = functools.partial(read, *args, since=reading.stops(), wanted=lambda: not answer.cancelled())

    def wait() -> None:
        try:
            result = call()
        except StopIteration as exc:  # (a future refuses it: it would never be settled)
            settle = functools.partial(_failed, answer, RuntimeError(f"StopIteration: {exc}"))
        except BaseException as exc:
            settle = functools.partial(_failed, answer, exc)
        else:
            settle = functools.partial(_answered, answer, result)
        with contextlib.suppress(RuntimeError):  # (the loop is closed: nobody waits for it any more)
            loop.call_soon_threadsafe(settle)

    threading.Thread(target=wait, name="govmon-read", daemon=True).start()
    try:
        return await answer
    except asyncio.CancelledError:
        reading.wake_waiting()  # (its thread, if still waiting for a reader, leaves now)
        raise


def _answered(answer: asyncio.Future[T], result: T) -> None:
    if not answer.done():  # (its task cancelled meanwhile)
        answer.set_result(result)


def _failed(answer: asyncio.Future[Any], exc: BaseException) -> None:
    if not answer.done():
        answer.set_exception(exc)
