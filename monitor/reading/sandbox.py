"""Running one risky read in a child process under a CPU, memory and wall-clock limit.

The PDF, OCR, OFD and workbook readers use it: the child sets its limits, runs the reader and sends back
``("ok", result)`` or ``("input", message)``; the parent waits at most the budget, then kills and joins the
child in every case. (A whole document is read by the warm workers of ``pool``, which answer the same way.) What went wrong becomes an
``InputError`` with a line a person can act on.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from monitor.errors import InputError, NotRead
from monitor.model.failures import damaged

STOPPING = "未读取：govmon正在停止，下次检查时再读取"  # a document not read because govmon was stopping (``NotRead``)


@dataclass(frozen=True)
class Limits:
    seconds: int
    memory: int  # bytes of address space
    too_long: str  # the InputError when the child is still reading after the budget
    exhausted: str  # when it died (killed by RLIMIT_CPU or out of memory)
    failed: str = "无法读取"  # prefix for a reader's unexpected exception


def answer(limits: Limits, read: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    """``read(*args)`` as the message a child sends back: ``("ok", result)`` or ``("input", one line)``."""
    try:
        return ("ok", read(*args))
    except InputError as exc:
        return ("input", str(exc))
    except MemoryError:
        return ("input", limits.exhausted)
    except RecursionError:
        return ("input", "页面标记嵌套过深，不可能是报告页面，已放弃")
    except Exception as exc:  # a reader's bug or a damaged file must not take the service down
        return ("input", damaged(limits.failed, exc))


def child(conn: Connection, limits: Limits, read: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child's side: limits first, then the read, then one message back. The memory budget is the
    document's, on top of the address space the child was forked with: that is its parent's (its modules, and
    a malloc arena of up to 64 MiB for each thread it has had), which a budget counted from zero left the document
    less of the more the parent held; at 1 GiB a workbook then failed to import a module (``failed to map
    segment``) in a parent that had run many threads."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (mapped + limits.memory, mapped + limits.memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.seconds, limits.seconds))
    try:
        conn.send(answer(limits, read, args))
    finally:
        conn.close()
    # Leave at once: a normal exit tears down every module the parent had loaded (aiohttp, lxml, pdfminer...),
    # which costs ten times the read itself. Nothing is left to flush: the answer went through the pipe.
    os._exit(0)


_LIVE: set[BaseProcess] = set()  # children reading now: kill_all() ends them when the service stops
_KILLED: set[BaseProcess] = set()


def kill_all() -> int:
    """End every child still reading (the service is stopping): each waiting caller gets an InputError
    at once instead of after its budget. Returns how many were killed."""
    live = [p for p in list(_LIVE) if p.is_alive()]
    for proc in live:
        _KILLED.add(proc)
        proc.kill()
    return len(live)


def run_limited(
    ctx: BaseContext, limits: Limits, read: Callable[..., Any], args: tuple[Any, ...], *, daemon: bool = True
) -> Any:
    """``read(*args)`` in a child process of ``ctx``, within ``limits``. Raises InputError."""
    parent, end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child, args=(end, limits, read, args), daemon=daemon)  # type: ignore[attr-defined]
    proc.start()
    _LIVE.add(proc)
    end.close()
    try:
        if not parent.poll(limits.seconds + 5):
            raise InputError(limits.too_long)
        status, result = parent.recv()
    except EOFError as exc:
        if proc in _KILLED:
            raise NotRead(STOPPING) from exc
        raise InputError(limits.exhausted) from exc
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        _LIVE.discard(proc)
        _KILLED.discard(proc)
        parent.close()
    if status != "ok":
        raise InputError(result)
    return result
