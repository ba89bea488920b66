"""Several workers on one PostgreSQL database beside the floor of the same run: one `govmon poll` on a SQLite
file, over the same N local sources at the same limits.

    python benchmarks/bench_workers.py [--sources N] [--hosts H] [--runs R] [--workers W]

bench_poll's server (a separate process) serves N portals (a listing + one 4 KB seed report each) on
127.0.0.2..127.0.0.(H+1). Each pass is the service's own (``service.poll_once``: leases, shared per-host slots,
the delivery after it) in a spawned process per worker, as `govmon poll` runs. Measured, each against the
SQLite single process of the same run:

- first pass (everything new: fetched, read, checked, stored): SQLite, PostgreSQL with 1 worker, with W workers;
- steady state (every page answers 304), median of R passes, the same three.

Prints wall seconds, the ratios to SQLite (below 1: faster), how many sources each pass failed (must be 0),
how many polls the W workers made in a pass (N: each source once) and how many documents and versions the
database holds (N each: nothing stored twice). The PostgreSQL server is a throwaway cluster (tests/pg.py), or
the one GOVMON_TEST_POSTGRES names. This machine has 2 cores shared with other work: the ratios, not the
seconds, are the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_poll import bench_settings, serve

from monitor.alerts.render import Renderer
from monitor.config import Settings
from monitor.store import open_store
from monitor.watch.service import poll_once

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from pg import cluster, fresh_database  # noqa: E402  (the tests' throwaway PostgreSQL)

CONCURRENCY, PER_HOST = 32, 2


def _worker(settings: Settings, out: Any) -> None:
    start = time.perf_counter()
    polled = asyncio.run(poll_once(settings, None, Renderer(settings.templates_dir)))
    out.put(
        {
            "wall": time.perf_counter() - start,
            "failed": sum(bool(r.error or r.problems) for r in polled.results),
            "polled": sum(not r.elsewhere for r in polled.results),
        }
    )


def workers_pass(settings: Settings, workers: int) -> dict[str, Any]:
    """``workers`` spawned processes polling at once; the wall time until the last is done."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start = time.perf_counter()
    children = [ctx.Process(target=_worker, args=(settings, out)) for _ in range(workers)]
    for child in children:
        child.start()
    results = [out.get() for _ in children]
    for child in children:
        child.join()
    return {
        "wall": time.perf_counter() - start,
        "failed": max(r["failed"] for r in results),
        "polled": sum(r["polled"] for r in results),
    }


def held(settings: Settings) -> tuple[int, int]:
    store = open_store(settings)
    try:
        reports = list(store.reports())
        return len(reports), sum(r.versions for r in reports)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000, metavar="N")
    parser.add_argument("--hosts", type=int, default=16, metavar="H")
    parser.add_argument("--runs", type=int, default=3, metavar="R", help="steady-state passes (median)")
    parser.add_argument("--workers", type=int, default=2, metavar="W")
    args = parser.parse_args()
    n, hosts = args.sources, args.hosts
    with socket.socket() as probe:  # a port free on the first host (another benchmark may hold a fixed one)
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    ready, counts = multiprocessing.Event(), multiprocessing.Array("l", 2)
    server = multiprocessing.Process(target=serve, args=(hosts, port, "seed", ready, counts), daemon=True)
    server.start()
    ready.wait(30)
    out: dict[str, Any] = {"sources": n, "hosts": hosts, "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp, cluster() as server_url:
        base = bench_settings(Path(tmp), n, hosts, port)
        setups = {
            "sqlite": (base, 1),
            "postgresql_1": (dataclasses.replace(base, database_url=fresh_database(server_url, "bench_one")), 1),
            f"postgresql_{args.workers}": (
                dataclasses.replace(base, database_url=fresh_database(server_url, "bench_many")),
                args.workers,
            ),
        }
        first = {name: workers_pass(s, w) for name, (s, w) in setups.items()}
        steady: dict[str, list[dict[str, Any]]] = {name: [] for name in setups}
        for _ in range(args.runs):  # interleaved, so a busy moment of the machine falls on each alike
            for name, (s, w) in setups.items():
                steady[name].append(workers_pass(s, w))
        floor_first = first["sqlite"]["wall"]
        floor_steady = statistics.median(r["wall"] for r in steady["sqlite"])
        for name, (s, _) in setups.items():
            wall = statistics.median(r["wall"] for r in steady[name])
            documents, versions = held(s)
            out[name] = {
                "first_wall_s": round(first[name]["wall"], 1),
                "first_ratio_to_sqlite": round(first[name]["wall"] / floor_first, 2),
                "steady_wall_s": round(wall, 1),
                "steady_ratio_to_sqlite": round(wall / floor_steady, 2),
                "failed_sources": max(r["failed"] for r in [first[name], *steady[name]]),
                "polls_per_pass": [r["polled"] for r in [first[name], *steady[name]]],
                "documents": documents,
                "versions": versions,
            }
    server.terminate()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
