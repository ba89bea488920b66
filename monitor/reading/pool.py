"""A warm, bounded pool of reader processes: a document is read in a long-lived worker, not a fresh child.

A fresh child per document cost 20-25 ms of CPU beyond the read (the spawn protocol, cold caches: the OpenCC
dictionary alone 7.4 ms). A worker here starts once, warms its caches, then reads document after document, each
under the same limits a fresh child had:

- CPU: before each document the worker sets its soft RLIMIT_CPU to what it has used so far plus the budget; past
  it the kernel ends the worker (SIGXCPU).
- memory: the soft RLIMIT_AS is the document's budget while it is read (a MemoryError is its one line).
- wall clock: the caller waits at most the budget (+5 s), then kills the worker.

A worker that breaches a limit, crashes, or ran out of memory is killed and replaced; its document gets its one
line, as before. Each worker is recycled after ``RECYCLE`` documents, so nothing a reader leaks can grow. At most
``size`` workers (one per core by default; ``[monitor] readers``), started as needed; a caller waits for one
that is free, so one hostile document holds one worker, never the others.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.util import Finalize
from typing import Any

from monitor.errors import InputError, NotRead
from monitor.model.failures import damaged
from monitor.reading import collect_less
from monitor.reading.normalise import warm
from monitor.reading.sandbox import STOPPING, Limits, answer

RECYCLE = 200  # documents a worker reads before it is replaced
_SPENT = {False: b"\x00", True: b"\x01"}  # an answer's first byte: the worker must be replaced (after a MemoryError)
WITHDRAWN = "未读取：这次检查已不再等待它"  # (its caller has gone: nobody reads this line)
_UNLIMITED = resource.RLIM_INFINITY
log = logging.getLogger("govmon")


def serve(conn: Connection) -> None:
    """The worker's side: warm, then read each job under its limits and send one answer, until the pipe closes."""
    warm()
    collect_less()
    while True:
        try:
            limits, read, args = conn.recv()
        except (EOFError, OSError):
            break
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent = math.ceil(usage.ru_utime + usage.ru_stime)
        resource.setrlimit(resource.RLIMIT_CPU, (spent + limits.seconds, _UNLIMITED))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, _UNLIMITED))
        status, result = answer(limits, read, args)
        resource.setrlimit(resource.RLIMIT_AS, (_UNLIMITED, _UNLIMITED))
        try:
            message = pickle.dumps((status, result), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an answer that cannot be pickled is still one line
            status, message = "input", pickle.dumps(("input", damaged(limits.failed, exc)))
        spent = status == "input" and result == limits.exhausted
        try:  # its first byte says whether this worker is spent: the caller frees it before unpickling the rest
            conn.send_bytes(_SPENT[spent] + message)
        except OSError:  # the caller is gone (killed, or stopped waiting): nobody to answer
            break
    os._exit(0)  # as the fresh child did: no teardown of every module loaded (ten times a read)


@dataclass(eq=False)
class _Worker:
    proc: BaseProcess
    conn: Connection
    read: int = 0  # documents read so far
    killed: bool = field(default=False)  # by kill_all: the service is stopping


class Pool:
    """Workers of ``ctx``, at most ``size`` at once; ``before_first()`` runs before the first is started (it
    sets the forkserver's preload)."""

    def __init__(self, ctx: BaseContext, size: int, before_first: Callable[[], None]) -> None:
        self.ctx, self.size, self.before_first = ctx, size, before_first
        self.idle: list[_Worker] = []
        self.busy: set[_Worker] = set()
        self.started = 0
        self.starting = 0  # workers ``warm_up`` is starting, not yet idle: they hold their places
        self.lock = threading.Condition()  # (reentrant: ``_take`` starts a worker holding it)
        self.closes = 0  # how many times ``close`` ran: workers a warm-up started before one are not kept
        self.preloaded = False
        self.stops = 0  # how many times ``kill_all`` ran: a caller waiting for a worker then is told so

    def resize(self, size: int) -> None:
        with self.lock:
            self.size = max(1, size)
            self.lock.notify_all()

    def run(
        self,
        limits: Limits,
        read: Callable[..., Any],
        args: tuple[Any, ...],
        since: int | None = None,
        wanted: Callable[[], bool] | None = None,
    ) -> Any:
        """``read(*args)`` in a worker, within ``limits``. Raises InputError with the document's one line. ``since``:
        ``stops`` as it was when the caller handed the document over (in another thread, maybe before this one
        began): a stop since then, and the document is not begun; nor is it once ``wanted()`` says its caller no
        longer waits for it (``wake`` has waiting callers ask)."""
        worker = self._take(since, wanted)
        try:
            worker.conn.send((limits, read, args))
            if not worker.conn.poll(limits.seconds + 5):
                self._end(worker)
                raise InputError(limits.too_long)
            message = worker.conn.recv_bytes()
        except (EOFError, OSError) as exc:  # it died: past its CPU or memory, crashed, or killed by kill_all
            self._end(worker)
            raise (NotRead(STOPPING) if worker.killed else InputError(limits.exhausted)) from exc
        worker.read += 1
        if message[:1] == _SPENT[True] or worker.read >= RECYCLE:  # after a MemoryError its heap is suspect
            self._end(worker)
        else:
            self._give_back(worker)
        # Unpickled once the worker is free: a report is ~0.5 ms of this process's time, which the worker, idle
        # between documents, waited for before (~1 ms a document in all, 5 % of a reader's time in a first pass).
        status, result = pickle.loads(memoryview(message)[1:])
        if status != "ok":
            raise InputError(result)
        return result

    def _take(self, since: int | None, wanted: Callable[[], bool] | None) -> _Worker:
        with self.lock:
            stops = self.stops if since is None else since
            while True:
                if self.stops != stops:  # the service is stopping: no document is begun now
                    raise NotRead(STOPPING)
                if wanted is not None and not wanted():
                    self.lock.notify()  # (the wake-up this one took may have been a free worker's)
                    raise NotRead(WITHDRAWN)
                if self.idle or len(self.busy) + self.starting < self.size:
                    break
                self.lock.wait()
            worker = self.idle.pop() if self.idle else None
            if worker is None:
                self._first()
                worker = self._start()
            self.busy.add(worker)
            return worker

    def warm_up(self) -> None:
        """Start the worker a first document would start, in a thread of its own, when none is there or starting:
        a pass that will read reports (sources never read) has it ready by the time its first report is fetched,
        not after (the forkserver's start and a reader's imports: ~0.3 s of one core, which every report behind the
        first waited for). One: the others a pass needs fork from the started forkserver in milliseconds, and a
        source whose listing fails at once holds one idle reader, not one a core. Never waits: the lock held means a
        worker is being started or taken already."""
        if not self.lock.acquire(blocking=False):
            return
        try:
            if self.idle or self.busy or self.starting:
                return
            self.starting = 1
            since = self.closes
        finally:
            self.lock.release()
        threading.Thread(target=self._warm, args=(since,), name="govmon-readers", daemon=True).start()

    def _warm(self, since: int) -> None:
        made: _Worker | None = None
        try:
            with self.lock:
                self._first()
            made = self._start()  # (not under the lock: the forkserver starts first)
        except Exception as exc:  # a worker that cannot start: the first document starts one, and says why
            log.warning("starting a reader ahead of the first document failed: %s", exc)
        finally:
            with self.lock:
                self.starting -= 1
                kept = made if self.closes == since else None  # (closed meanwhile: not kept)
                if kept is not None:
                    self.idle.append(kept)
                self.lock.notify_all()
            if made is not None and kept is None:
                _stop(made)

    def _first(self) -> None:
        """Under the lock: what runs before the first worker starts (the forkserver's preload), once."""
        if not self.preloaded:
            self.preloaded = True
            self.before_first()

    def _start(self) -> _Worker:
        here, there = self.ctx.Pipe()
        # Not a daemon: the PDF reader forks its own limited child. ``close`` ends it; a killed parent closes its
        # pipe, and the worker leaves at EOF.
        proc = self.ctx.Process(target=serve, args=(there,), daemon=False)  # type: ignore[attr-defined]
        proc.start()
        there.close()
        with self.lock:
            self.started += 1
        return _Worker(proc, here)

    def _give_back(self, worker: _Worker) -> None:
        with self.lock:
            self.busy.discard(worker)
            if len(self.idle) < self.size:
                self.idle.append(worker)
                worker = None  # type: ignore[assignment]
            self.lock.notify()
        if worker is not None:
            _stop(worker)

    def _end(self, worker: _Worker) -> None:
        with self.lock:
            self.busy.discard(worker)
            self.lock.notify()
        _stop(worker, kill=True)

    def wake(self) -> None:
        """Every caller waiting for a free worker looks again whether it is still wanted (``run``'s ``wanted``)."""
        with self.lock:
            self.lock.notify_all()

    def kill_all(self) -> int:
        """Kill every worker reading now (the service is stopping): each caller waiting for its answer hears so at
        once, not after its budget, and each caller waiting for a free worker is told the same, not given one.
        Returns how many were killed."""
        with self.lock:
            busy = [w for w in self.busy if w.proc.is_alive()]
            self.stops += 1
            self.lock.notify_all()
        for worker in busy:
            worker.killed = True
            worker.proc.kill()
        return len(busy)

    def reading(self) -> int:
        """How many workers are reading a document now."""
        with self.lock:
            return len(self.busy)

    def close(self) -> None:
        """End the idle workers (at exit; multiprocessing would otherwise wait for them forever)."""
        with self.lock:
            idle, self.idle = self.idle, []
            self.closes += 1
        for worker in idle:
            _stop(worker)
        self.kill_all()


def _stop(worker: _Worker, kill: bool = False) -> None:
    if kill and worker.proc.is_alive():
        worker.proc.kill()
    worker.conn.close()  # an idle worker leaves at EOF
    worker.proc.join(5)
    if worker.proc.is_alive():
        worker.proc.kill()
        worker.proc.join(5)


def make(ctx: BaseContext, size: int, before_first: Callable[[], None]) -> Pool:
    """The pool, closed at exit before multiprocessing joins this process's children: an ``atexit`` hook ran
    after that join in a process multiprocessing started (its exit joins the children first, then runs
    ``atexit``), so a poll run in one (bench_workers' workers) never ended, waiting on its idle readers."""
    pool = Pool(ctx, size, before_first)
    Finalize(pool, pool.close, exitpriority=10)
    return pool
