"""Several workers on one PostgreSQL database beside the floor of the same run: one `govmon poll` on a SQLite
file, over the same N local sources at the same limits.

    python benchmarks/bench_workers.py [--sources N] [--hosts H] [--runs R] [--workers W] [--lease S] [--synthetic K]
                                       [--readers R] [--cpus C]

bench_poll's server (a separate process) serves N portals (a listing + one 4 KB seed report each, every source's
report its own body's, each answer taking 2 ms) on 127.0.0.2..127.0.0.(H+1). Each pass is the service's own
(``service.poll_once``: leases, shared per-host slots, the delivery after it) in a spawned process per worker,
as `govmon poll` runs. Measured, each against the SQLite single process of the same run:

- first pass (everything new: fetched, read, checked, stored): SQLite, PostgreSQL with 1 worker, with W workers;
- steady state (every page answers 304), median of R passes, the same three. Before each PostgreSQL pass the
  sources' last poll is forgotten (as their interval passing would), else a pass leaves what another polled;
- a killed worker: W `govmon run` services (``service.serve``) on a fresh database with ``lease_seconds`` = S;
  one is SIGKILLed when half the sources are polled; the seconds until the others have polled every source.

With ``--synthetic K`` (20,000 and 150,000 sources, whose first pass would take half an hour and hours), each
store's first pass polls the first K sources for real, and the other sources' rows are copies of theirs made in
SQL (bench_poll's ``replicate``; ``replicate_pg`` the same in PostgreSQL), so the steady state is measured on N
sources as if all had been read; the killed-worker run is left out.

With ``--cpus C`` each worker (the SQLite process too), with its readers, runs in a cgroup of its own allowed C
cores (root and the cgroup ``cpu`` controller needed): as if each had a machine of C cores, while the database
and the portals' server share the rest. On this 2-core machine one worker alone already keeps ~1.8 cores busy,
so without it two workers cannot show how the CPU-bound part of a first pass scales with workers (a machine
each); with ``--cpus 0.5 --readers 1`` they can. The killed-worker run is not confined.

Prints wall seconds, the ratios to SQLite (below 1: faster), requests per second the server answered, the most
requests any host had in hand at once (never above per_host = 2), how many sources each pass failed (must be 0),
how many polls the workers made in a pass (N: each source once), the documents and versions the database holds
(N each: nothing stored twice, nothing lost). The PostgreSQL server is a throwaway cluster (tests/pg.py), or the
one GOVMON_TEST_POSTGRES names. This machine has 2 cores shared with other work: the ratios, not the seconds,
are the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import os
import pickle
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_poll import as_govmon, bench_settings, copy_statements, replicate
from bench_poll import serve as portals

from monitor.alerts.render import Renderer
from monitor.config import Settings
from monitor.store import open_store
from monitor.watch.service import poll_once, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from pg import cluster, fresh_database, run  # noqa: E402  (the tests' throwaway PostgreSQL)

CGROUPS = (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup"))  # cgroup v1's cpu controller, or v2's root


def cgroup(cpus: float, name: str) -> Path:
    """A cgroup ``name`` allowed ``cpus`` cores (cgroup v1's cpu controller, else v2's ``cpu.max``), made by the
    parent: raises OSError (one line for the user, ``arguments``) where this machine will not have it."""
    v1 = CGROUPS[0].is_dir()
    group = (CGROUPS[0] if v1 else CGROUPS[1]) / name
    group.mkdir(exist_ok=True)
    if v1:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text(str(round(cpus * 100000)))
    else:
        (group / "cpu.max").write_text(f"{round(cpus * 100000)} 100000")
    return group


def confine(group: Path) -> None:
    """This process, and every child it starts from now (its readers), in ``group``."""
    (group / "cgroup.procs").write_text(str(os.getpid()))


def unconfine(prefix: str) -> None:
    """The groups named ``prefix``..., removed once their processes have ended (said when one cannot be)."""
    for root in CGROUPS:
        for group in root.glob(f"{prefix}*"):
            for _ in range(100):  # its last processes may take a moment to be reaped
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                print(f"bench_workers: cgroup {group} still has processes: left in place", file=sys.stderr)


def _worker(settings: Settings, out: Any, group: Path | None = None) -> None:
    if group is not None:
        confine(group)
    as_govmon()
    start = time.perf_counter()
    polled = asyncio.run(poll_once(settings, None, Renderer(settings.templates_dir)))
    out.put(
        {
            "wall": time.perf_counter() - start,
            "failed": sum(bool(r.error or r.problems) for r in polled.results),
            "polled": sum(not r.elsewhere for r in polled.results),
        }
    )


def _service(settings: Settings) -> None:
    as_govmon()
    asyncio.run(serve(settings, 0.0, Renderer(settings.templates_dir)))


class Server:
    """bench_poll's portals in their own process, with what they counted: answers sent, per-host peaks."""

    def __init__(self, hosts: int) -> None:
        with socket.socket() as probe:  # a port free on the first host (another benchmark may hold a fixed one)
            probe.bind(("127.0.0.2", 0))
            self.port = probe.getsockname()[1]
        ready = multiprocessing.Event()
        self.counts, self.peaks = multiprocessing.Array("l", 2), multiprocessing.Array("l", hosts)
        args = (hosts, self.port, "own", ready, self.counts)
        self.process = multiprocessing.Process(target=portals, args=args, kwargs={"peaks": self.peaks}, daemon=True)
        self.process.start()
        ready.wait(30)

    def reset(self) -> int:
        for h in range(len(self.peaks)):
            self.peaks[h] = 0
        return int(self.counts[0] + self.counts[1])

    def answered(self, since: int) -> tuple[int, int]:
        """(answers since ``reset`` gave ``since``, the most requests one host had in hand at once)."""
        return int(self.counts[0] + self.counts[1]) - since, max(self.peaks)


def forget_polls(settings: Settings) -> None:
    """As the sources' interval passing would: no source counts as polled just now by another worker."""
    if settings.database_url:
        open_store(settings).close()  # its tables made, on a first pass
        run(settings.database_url, "UPDATE sources SET polled_at = NULL, polled_by = NULL")


def replicate_pg(url: str, k: int, n: int) -> None:
    """bench_poll's ``replicate`` in PostgreSQL: sources k..n-1 made known as if polled, copies of source (i % k)'s
    rows under source i's URLs (one script, one session: its temporary tables last to its end)."""
    statements = [
        "CREATE TEMP TABLE n (i INTEGER PRIMARY KEY, j INTEGER NOT NULL)",
        f"INSERT INTO n SELECT g, g % {int(k)} FROM generate_series({int(k)}, {int(n) - 1}) g",
        *copy_statements("IS NOT DISTINCT FROM"),
    ]
    run(url, ";\n".join(statements))
    run(url, "VACUUM ANALYZE")


def workers_pass(
    settings: Settings, workers: int, server: Server, tree: Path | None = None, cpus: float = 0.0
) -> dict[str, Any]:
    """``workers`` spawned processes polling at once; the wall time until the last is done. With ``tree``, each
    is this script run with another checkout's ``monitor`` first on its path (``--before``); with ``cpus``, each
    is allowed that many cores."""
    forget_polls(settings)
    since = server.reset()
    start = time.perf_counter()
    if tree is not None:
        results = _other_tree(settings, workers, tree)
    else:
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        prefix = f"govmon-bench-{os.getpid()}-"
        try:
            groups = [cgroup(cpus, f"{prefix}{i}") if cpus else None for i in range(workers)]
            children = [ctx.Process(target=_worker, args=(settings, out, group)) for group in groups]
            for child in children:
                child.start()
            results = [out.get() for _ in children]
            for child in children:
                child.join()
        finally:
            if cpus:
                unconfine(prefix)
    wall = time.perf_counter() - start
    answers, peak = server.answered(since)
    return {
        "wall": wall,
        "failed": max(r["failed"] for r in results),
        "polled": sum(r["polled"] for r in results),
        "rps": answers / wall,
        "peak": peak,
    }


def _other_tree(settings: Settings, workers: int, tree: Path) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile(suffix=".pickle") as held_settings:
        held_settings.write(pickle.dumps(settings))
        held_settings.flush()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT / "benchmarks")])}
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", held_settings.name]
        children = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(workers)]
        return [json.loads(child.communicate()[0]) for child in children]


def polled_ok(settings: Settings) -> int:
    """How many sources have had a poll without error."""
    store = open_store(settings)
    try:
        return len(store.sources_read())
    finally:
        store.close()


def killed_worker(settings: Settings, workers: int, n: int) -> dict[str, Any]:
    """``workers`` services on a fresh database, one SIGKILLed when half the sources are polled: the seconds until
    the others have polled every source (its sources wait for their lease to lapse)."""
    open_store(settings).close()  # its tables made
    ctx = multiprocessing.get_context("spawn")
    services = [ctx.Process(target=_service, args=(settings,)) for _ in range(workers)]
    for service in services:
        service.start()
    while polled_ok(settings) < n // 2:
        time.sleep(0.05)
    os.kill(services[0].pid or 0, signal.SIGKILL)
    killed, at = time.perf_counter(), polled_ok(settings)
    deadline = killed + 30 * settings.lease_seconds
    while (done := polled_ok(settings)) < n and time.perf_counter() < deadline:
        time.sleep(0.05)
    pickup = time.perf_counter() - killed
    for service in services[1:]:
        os.kill(service.pid or 0, signal.SIGTERM)
    for service in services:
        service.join(60)
    return {
        "lease_s": settings.lease_seconds,
        "polled_when_killed": at,
        "all_polled_s_after_kill": round(pickup, 1) if done == n else None,
        "sources_polled": done,
    }


def held(settings: Settings) -> tuple[int, int]:
    store = open_store(settings)
    try:
        reports = list(store.reports())
        return len(reports), sum(r.versions for r in reports)
    finally:
        store.close()


def figures(first: dict[str, Any], steady: list[dict[str, Any]], floor: tuple[float, float]) -> dict:
    wall = statistics.median(r["wall"] for r in steady)
    return {
        "first_wall_s": round(first["wall"], 1),
        "first_ratio_to_sqlite": round(first["wall"] / floor[0], 2),
        "first_requests_per_s": round(first["rps"]),
        "steady_wall_s": round(wall, 2),
        "steady_ratio_to_sqlite": round(wall / floor[1], 2),
        "steady_requests_per_s": round(statistics.median(r["rps"] for r in steady)),
        "most_requests_one_host_had_at_once": max(r["peak"] for r in [first, *steady]),
        "failed_sources": max(r["failed"] for r in [first, *steady]),
        "polls_per_pass": [r["polled"] for r in [first, *steady]],
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000, metavar="N")
    parser.add_argument("--hosts", type=int, default=16, metavar="H")
    parser.add_argument("--runs", type=int, default=3, metavar="R", help="steady-state passes (median)")
    parser.add_argument("--workers", type=int, default=2, metavar="W")
    parser.add_argument("--lease", type=int, default=10, metavar="S", help="lease_seconds of the killed-worker run")
    parser.add_argument("--before", type=Path, metavar="TREE", help="also PostgreSQL with 1 worker on TREE's monitor/")
    parser.add_argument(
        "--readers",
        type=int,
        default=0,
        metavar="R",
        help="reader processes per worker ([monitor] readers; 0: one a core)",
    )
    parser.add_argument(
        "--cpus", type=float, default=0.0, metavar="C", help="each worker allowed C cores, as if a machine each"
    )
    parser.add_argument(
        "--synthetic", type=int, default=0, metavar="K", help="poll K sources for real, the others copied in SQL"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # one pass of pickled settings (--before)
    args = parser.parse_args()
    if args.cpus:
        if args.cpus < 0.01 or args.before:
            parser.error("--cpus takes a number of cores of at least 0.01, and not with --before")
        try:  # a probe, made as a worker's will be
            cgroup(args.cpus, f"govmon-bench-probe-{os.getpid()}")
        except OSError as exc:
            parser.error(f"--cpus needs a cgroup cpu controller this user can set ({exc})")
        finally:
            unconfine(f"govmon-bench-probe-{os.getpid()}")
    return args


def main() -> None:
    args = arguments()
    if args.worker:
        out = multiprocessing.SimpleQueue()
        _worker(pickle.loads(args.worker.read_bytes()), out)
        print(json.dumps(out.get()))
        return
    n, hosts = args.sources, args.hosts
    server = Server(hosts)
    out: dict[str, Any] = {"sources": n, "hosts": hosts, "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp, cluster() as server_url:
        base = bench_settings(Path(tmp), n, hosts, server.port)
        if args.readers:  # each worker one core's worth of readers: how the first pass scales with workers
            base = dataclasses.replace(base, readers=args.readers)
            out["readers_per_worker"] = args.readers
        if args.cpus:
            out["cpus_per_worker"] = args.cpus
        out["per_host"] = base.per_host
        setups = {
            "sqlite": (base, 1),
            "postgresql_1": (dataclasses.replace(base, database_url=fresh_database(server_url, "bench_one")), 1),
            f"postgresql_{args.workers}": (
                dataclasses.replace(base, database_url=fresh_database(server_url, "bench_many")),
                args.workers,
            ),
        }
        trees: dict[str, Path] = {}
        if args.before:
            trees["postgresql_1_before"] = args.before
            before = dataclasses.replace(base, database_url=fresh_database(server_url, "bench_before"))
            setups["postgresql_1_before"] = (before, 1)
        k = min(n, max(hosts, args.synthetic - args.synthetic % hosts)) if args.synthetic else n
        first = {
            name: workers_pass(dataclasses.replace(s, sources=s.sources[:k]), w, server, trees.get(name), args.cpus)
            for name, (s, w) in setups.items()
        }
        if k < n:
            out["synthetic"] = {"polled_sources": k, "copied_sources": n - k}
            for s, _ in setups.values():
                if s.database_url:
                    replicate_pg(s.database_url, k, n)
                else:
                    replicate(s.database, k, n)
        steady: dict[str, list[dict[str, Any]]] = {name: [] for name in setups}
        for _ in range(args.runs):  # interleaved, so a busy moment of the machine falls on each alike
            for name, (s, w) in setups.items():
                steady[name].append(workers_pass(s, w, server, trees.get(name), args.cpus))
        floor = (first["sqlite"]["wall"], statistics.median(r["wall"] for r in steady["sqlite"]))
        for name, (s, _) in setups.items():
            documents, versions = held(s)
            out[name] = figures(first[name], steady[name], floor)
            out[name] |= {"documents": documents, "versions": versions, "lost": n - documents}
        if k < n:  # the killed-worker run polls every source for real: not at this N
            server.process.terminate()
            print(json.dumps(out, indent=2))
            return
        kill = dataclasses.replace(
            base, database_url=fresh_database(server_url, "bench_kill"), lease_seconds=args.lease
        )
        out[f"killed_one_of_{args.workers}_services"] = killed_worker(kill, args.workers, n)
        documents, versions = held(kill)
        out[f"killed_one_of_{args.workers}_services"] |= {"documents": documents, "versions": versions}
    server.process.terminate()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
