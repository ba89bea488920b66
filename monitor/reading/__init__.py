"""Stage: reading. A report's bytes, whatever they are, into a ``Report``: the format told by the bytes
(``formats``: one registry of readers, one module each), the document model they give (``monitor.model``),
normalised (``normalise``), its parts found by meaning (``parts``), its facts (``facts``), its statutory tables
read from grids (``grid_rows``, ``grids``) or text (``text_cells``, ``text_tables``) by one cell grammar (``cells``), all
assembled in ``report``.

This face reads a document in a warm, limited worker process (``pool``: one per core, each document under its own
CPU, memory and wall-clock budget), so a hostile or odd page costs bounded time and memory and ends in one line,
while the caller's loop keeps serving: ``read_page`` and ``read_report``.
``report.read_page``/``read_report`` are the same, read in this process.

Importing this package (as importing any of its modules does) imports nothing else: the pool, multiprocessing
and the readers are imported when a document is first read here, so `govmon check` of a page, which reads it in
its own process, does not pay for them.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from monitor.model import Report
    from monitor.reading.pool import Pool
    from monitor.reading.sandbox import Limits

# a ``Limits.too_long``'s words in every reader: still reading when its wall-clock time was up, its CPU within
# budget (past its CPU or memory it dies: ``exhausted``). A busy machine does that to a sound document, so the
# watcher remembers such a failure for the day only, not for as long as the bytes stay the same.
OVERRAN = re.compile(r"超过\d+秒，已放弃")

SECONDS = 60  # one document's CPU and wall-clock budget; real reports take well under a second
MEMORY = 1024 * 2**20
T = TypeVar("T")
_MADE: list[Pool] = []
_MAKING = threading.Lock()  # the poll reads several documents in threads: one pool for them all


def collect_less() -> None:
    """This process's cycle collector looks at its youngest objects every 7,000 made, not Python's 700: reading or
    checking a report makes tens of thousands (lines, cells, records, an answer unpickled), nearly all freed by
    their count alone, and each collection walked whatever had survived meanwhile, the older generations in turn.
    Over a first pass of 1,000 real pages: the watcher's collections 0.67 -> 0.17 s, a reader's ~0.3 -> ~0.01 ms
    a report. Cycles (a parsed listing's tree) are still collected, a little later."""
    gc.set_threshold(7000, 10, 10)


def _pool() -> Pool:
    """The readers' pool, made when first needed: one per core until ``readers`` says otherwise."""
    with _MAKING:
        if not _MADE:
            _MADE.append(_make())
        return _MADE[0]


def _make() -> Pool:
    import multiprocessing  # noqa: PLC0415

    from monitor.reading import pool  # noqa: PLC0415

    ctx = multiprocessing.get_context("forkserver")

    def preload() -> None:
        """Before the first reader: the forkserver imports every reader and the modules callers said their readers
        need (``preload``), so each reader starts with them. Nothing else of govmon: the fetcher, the store's
        driver, the alerts and the scheduler were ~30 MiB in every reader for nothing (issue #28). Each reader
        still runs the main script (Python's spawn protocol; preloading "__main__" does so in the forkserver only
        from Python 3.13): `govmon`'s imports the CLI's module and no command."""
        from monitor.reading import formats  # noqa: PLC0415

        formats.load_readers()  # imported on first use elsewhere; a reader imports them all at once
        # a copy first: the poll reads several documents in threads, and another may be importing meanwhile
        ours = {m for m in list(sys.modules) if m.startswith("monitor.reading")}
        ctx.set_forkserver_preload(["__main__", *sorted(ours | _PRELOAD)])

    return pool.make(ctx, os.cpu_count() or 2, preload)


_PRELOAD: set[str] = set()


def preload(*modules: str) -> None:
    """Modules the readers need beyond the reading package (those of a function a caller hands them, as
    ``read_page_and``'s ``then``): imported once by the readers' forkserver before its first reader."""
    _PRELOAD.update(modules)


def readers(size: int | None) -> int:
    """Set how many documents are read at once (``[monitor] readers``; None: one per core). Returns it."""
    _pool().resize(size or os.cpu_count() or 2)
    return _pool().size


def warm_up() -> None:
    """Start the readers now, in the background, unless they are started: a poll of a source never read is about
    to read its reports (``Pool.warm_up``)."""
    _pool().warm_up()


def reading_now() -> int:
    """How many documents are being read now."""
    return _pool().reading()


def kill_all() -> int:
    """End every document being read (the service is stopping; it calls this on SIGTERM): each waiting caller
    gets its InputError at once. Returns how many were ended."""
    from monitor.reading import sandbox  # noqa: PLC0415

    return _pool().kill_all() + sandbox.kill_all()


def stops() -> int:
    """How many times reading was stopped in this process (``kill_all``): what a caller that hands a document to
    another thread gives ``bounded`` as ``since``, so that a stop in between begins no document."""
    return _pool().stops


def bounded(
    fn: Callable[..., T],
    *args: Any,
    seconds: int | None = None,
    memory: int | None = None,
    since: int | None = None,
    wanted: Callable[[], bool] | None = None,
) -> T:
    """``fn(*args)`` in a limited reader process. Raises InputError when it fails or goes past a limit, or when it
    was not begun: reading was stopped since ``since`` (``stops``), or ``wanted()`` said its caller had gone."""
    answer: T = _pool().run(_limits(args, seconds, memory), fn, args, since, wanted)
    return answer


def wake_waiting() -> None:
    """The documents waiting for a free reader look again whether their callers still want them (``bounded``'s
    ``wanted``): one whose caller has gone is not begun."""
    _pool().wake()


def _limits(args: tuple[Any, ...], seconds: int | None, memory: int | None) -> Limits:
    from monitor.reading import sandbox  # noqa: PLC0415
    from monitor.reading.formats import budget  # noqa: PLC0415

    # a scan read by OCR, a file converted by LibreOffice: a larger budget, each reader bounding its own part
    default = (budget(args[0]) if args and isinstance(args[0], bytes) else None) or (SECONDS, MEMORY)
    seconds, memory = seconds or default[0], memory or default[1]
    return sandbox.Limits(
        seconds,
        memory,
        too_long=f"读取超过{seconds}秒，已放弃（页面可能异常）",
        exhausted=f"读取超出限制（{seconds}秒CPU、{memory // 2**20} MiB内存），已放弃",
    )


def read_report_forked(data: bytes, source: str, kind: str | None = None, charset: str | None = None) -> Report:
    """``read_report`` in a fork of this process, under the limits a reader of the pool has (CPU, memory, the
    wall clock). For a caller with one thread (`govmon check`): its fork has the readers and caches it has
    loaded and starts in milliseconds, where the pool's forkserver and first reader take 0.2-0.7 s. With other
    threads running (a fork copies none of them, and may copy a lock one of them holds), the pool reads it."""
    import multiprocessing  # noqa: PLC0415

    from monitor.reading import report, sandbox  # noqa: PLC0415

    if threading.active_count() > 1:
        return read_report(data, source, kind, charset)
    args = (data, source, kind, charset)
    limits = _limits(args, None, None)  # (the document's, on top of what the fork starts with: ``sandbox.child``)
    ctx = multiprocessing.get_context("fork")
    # not a daemon: the PDF reader forks a limited child of its own
    answer: Report = sandbox.run_limited(ctx, limits, report.read_report, args, daemon=False)
    return answer


def read_page(data: bytes, source: str, kind: str | None = None, charset: str | None = None, **limit: Any) -> Report:
    from monitor.reading import report  # noqa: PLC0415

    return bounded(report.read_page, data, source, kind, charset, **limit)


def read_page_and(
    then: Callable[[Report, bytes], T],
    data: bytes,
    source: str,
    kind: str | None = None,
    charset: str | None = None,
    *,
    since: int | None = None,
    wanted: Callable[[], bool] | None = None,
) -> tuple[Report, T]:
    """``read_page``, then ``then(report, data)`` in the same reader process: what the caller would otherwise work
    out from the report and its bytes in its own process (the watcher's snapshot, copy prints and what it stores),
    so that one only coordinates.
    ``then`` must be picklable (a module's function, or a ``functools.partial`` of one)."""
    return bounded(_read_then, data, source, kind, charset, then, since=since, wanted=wanted)


def _read_then(
    data: bytes, source: str, kind: str | None, charset: str | None, then: Callable[[Report, bytes], T]
) -> tuple[Report, T]:
    from monitor.reading import report  # noqa: PLC0415

    page = report.read_page(data, source, kind, charset)
    return page, then(page, data)


def read_report(data: bytes, source: str, kind: str | None = None, charset: str | None = None, **limit: Any) -> Report:
    from monitor.reading import report  # noqa: PLC0415

    return bounded(report.read_report, data, source, kind, charset, **limit)
