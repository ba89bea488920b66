"""Stage: parse, bounded. Reading one document in a child process with a time and a memory limit.

A page can be hostile or just odd (200,000 nested <div>s, an attribute soup, a PDF bomb): reading
it must cost bounded time and memory and end in a one-line error, while every other source goes
on. So ``read_page``/``read_report`` here run the parser of ``parse.py`` in a child process (a
forkserver child: cheap to start, no threads inherited) under RLIMIT_AS and RLIMIT_CPU, with a
wall-clock deadline after which the child is killed. The watcher awaits it in a thread, so the
event loop keeps serving its sockets while a page is parsed, and the second core gets work.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from monitor.errors import InputError
from monitor.model import Report
from monitor.parse import read_page as _read_page
from monitor.parse import read_report as _read_report

SECONDS = 60  # one document's CPU and wall-clock budget; real reports take well under a second
MEMORY = 1024 * 2**20

_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["monitor.parse"])
_LIVE: set[multiprocessing.process.BaseProcess] = set()  # children reading now: kill_all() ends them on shutdown
_KILLED: set[multiprocessing.process.BaseProcess] = set()


def _child(conn: Connection, fn: Callable[..., Report], args: tuple[Any, ...], seconds: int, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    try:
        conn.send(("ok", fn(*args)))
    except InputError as exc:
        conn.send(("input", str(exc)))
    except MemoryError:
        conn.send(("input", f"reading it needs more than {memory // 2**20} MiB; gave up"))
    except RecursionError:
        conn.send(("input", "its markup is nested too deeply to be a report page; gave up"))
    except Exception as exc:  # a parser bug must not take the service down: report it as this input's problem
        conn.send(("input", f"it cannot be read: {type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        conn.close()


def bounded(fn: Callable[..., Report], *args: Any, seconds: int | None = None, memory: int | None = None) -> Report:
    """``fn(*args)`` in a limited child process. Raises InputError when it fails or goes past a limit."""
    seconds, memory = seconds or SECONDS, memory or MEMORY
    parent, child = _CTX.Pipe(duplex=False)
    # Not a daemon: the PDF reader forks its own limited child. The parent kills and joins this one in every
    # case below, and RLIMIT_CPU ends it even if the parent is killed first.
    proc = _CTX.Process(target=_child, args=(child, fn, args, seconds, memory), daemon=False)
    proc.start()
    _LIVE.add(proc)
    child.close()
    try:
        if not parent.poll(seconds + 5):
            raise InputError(f"reading it took more than {seconds} s; gave up (a pathological page?)")
        status, result = parent.recv()
    except EOFError as exc:
        if proc in _KILLED:
            raise InputError("not read: govmon is stopping; the next poll reads it") from exc
        raise InputError(f"reading it went past its limits ({seconds} s CPU, {memory // 2**20} MiB); gave up") from exc
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        _LIVE.discard(proc)
        _KILLED.discard(proc)
        parent.close()
    if status != "ok":
        raise InputError(result)
    return result  # type: ignore[no-any-return]


def kill_all() -> int:
    """End every child still reading (the service is stopping): each waiting caller gets an InputError
    at once instead of after its document's budget. Returns how many were killed."""
    live = [p for p in list(_LIVE) if p.is_alive()]
    for proc in live:
        _KILLED.add(proc)
        proc.kill()
    return len(live)


def read_page(data: bytes, source: str, kind: str | None = None, charset: str | None = None, **limits: int) -> Report:
    return bounded(_read_page, data, source, kind, charset, **limits)


def read_report(data: bytes, source: str, kind: str | None = None, charset: str | None = None, **limits: int) -> Report:
    return bounded(_read_report, data, source, kind, charset, **limits)
