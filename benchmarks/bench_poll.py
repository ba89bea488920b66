"""`govmon poll` over N local sources beside its floor: a bare aiohttp client doing the same GETs at the same
limits in the same run.

    python benchmarks/bench_poll.py [--sources N] [--hosts H] [--pages real|seed] [--runs R]

A separate process serves N portals (a listing page + one report each) on 127.0.0.2..127.0.0.(H+1), so the
per-host limit behaves as with real portals. With ``--pages real`` (the default) the reports are the real
pages of ../shared/corpus and the seeds in turn (the portal pages as served, 20-220 KB of Word-pasted
HTML); ``seed`` serves one 4 KB text seed. This process polls them into a fresh SQLite file:

- first pass: everything new (fetched, parsed, checked, stored), against the floor fetching the same bodies;
- steady state: every page answers 304 (the server counts what it sent), median of R passes, against the
  floor making the same conditional GETs.

Prints wall and CPU seconds, the ratios, how many sources failed (must be 0), peak RSS (of the govmon passes,
each run in its own process as `govmon poll` is) and the database size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from monitor.config import Settings, Source
from monitor.model import DEFAULT_LINK_PATTERN
from monitor.store import open_store
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = ROOT / "monitor" / "demo" / "seeds" / "004_39039b5b6710b1f1.txt"
LISTING = '<html><body><ul><li><a href="t.html">2021年政府信息公开工作年度报告</a></li></ul></body></html>'.encode()
ETAG = '"v1"'
CONCURRENCY, PER_HOST = 64, 2


def pages(kind: str) -> list[tuple[bytes, str]]:
    if kind == "seed":
        return [(SEED.read_bytes(), "text/plain")]
    html = [(p.read_bytes(), "text/html") for p in sorted((SHARED / "corpus").glob("*.html"))]
    text = [(p.read_bytes(), "text/plain") for p in sorted((SHARED / "seeds").glob("*.txt"))]
    return html + text


def serve(hosts: int, port: int, kind: str, ready: Any, counts: Any) -> None:
    reports = pages(kind)

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            with counts.get_lock():
                counts[1] += 1
            return web.Response(status=304, headers={"ETag": ETAG})
        with counts.get_lock():
            counts[0] += 1
        if not request.path.endswith("t.html"):
            return web.Response(body=LISTING, content_type="text/html", charset="utf-8", headers={"ETag": ETAG})
        body, content_type = reports[int(request.path.split("/")[1][1:]) % len(reports)]
        return web.Response(body=body, content_type=content_type, headers={"ETag": ETAG})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for h in range(hosts):
            await web.TCPSite(runner, f"127.0.0.{h + 2}", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def govmon_pass(settings: Settings) -> dict[str, Any]:
    store = open_store(settings)
    wall, cpu = time.perf_counter(), time.process_time()
    async with Fetcher(settings.user_agent, settings.concurrency, settings.per_host) as fetcher:
        results = await Watcher(settings, store, fetcher).poll()
    store.close()
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "failed": sum(bool(r.error or r.problems) for r in results),
        "new_versions": sum(r.new_versions for r in results),
    }


def _pass_in_child(settings: Settings, out: Any) -> None:
    result = asyncio.run(govmon_pass(settings))
    out.put({**result, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def govmon_in_child(settings: Settings) -> dict[str, Any]:
    """One govmon pass in a fresh (spawned) process, as `govmon poll` runs: its peak RSS is govmon's own,
    not this process's (which also holds the floor's client)."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_pass_in_child, args=(settings, out))
    child.start()
    result: dict[str, Any] = out.get()
    child.join()
    return result


async def floor_pass(urls: list[str], conditional: bool) -> dict[str, Any]:
    """The least any poller does: each source's listing, then its report, at the same limits."""
    wall, cpu = time.perf_counter(), time.process_time()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=PER_HOST)
    headers = {"If-None-Match": ETAG} if conditional else {}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            for u in (url, url + "t.html"):
                async with session.get(u, headers=headers) as resp:
                    await resp.read()

        await asyncio.gather(*(one(u) for u in urls))
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000, metavar="N")
    parser.add_argument("--hosts", type=int, default=32, metavar="H", help="loopback addresses serving them")
    parser.add_argument("--pages", choices=["real", "seed"], default="real")
    parser.add_argument("--runs", type=int, default=3, metavar="R", help="steady-state passes (median)")
    args = parser.parse_args()
    n, hosts = args.sources, args.hosts
    port = 18_000 + n % 1000
    ready, counts = multiprocessing.Event(), multiprocessing.Array("l", 2)
    server = multiprocessing.Process(target=serve, args=(hosts, port, args.pages, ready, counts), daemon=True)
    server.start()
    ready.wait(30)
    pattern = re.compile(DEFAULT_LINK_PATTERN)
    sources = tuple(
        Source(f"s{i}", f"单位{i}", "government", f"http://127.0.0.{i % hosts + 2}:{port}/s{i}/", 3600, pattern, 1)
        for i in range(n)
    )
    urls = [s.list_url for s in sources]
    out: dict[str, Any] = {"sources": n, "hosts": hosts, "pages": args.pages}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            path=Path(tmp) / "sources.toml",
            database=Path(tmp) / "bench.db",
            user_agent="govmon-bench",
            concurrency=CONCURRENCY,
            per_host=PER_HOST,
            default_interval=3600,
            failure_threshold=3,
            sources=sources,
        )
        floor = asyncio.run(floor_pass(urls, conditional=False))
        first = govmon_in_child(settings)
        out["first"] = {
            "wall_s": round(first["wall"], 1),
            "cpu_s": round(first["cpu"], 1),
            "floor_wall_s": round(floor["wall"], 2),
            "ratio": round(first["wall"] / floor["wall"], 1),
            "new_versions": first["new_versions"],
            "failed_sources": first["failed"],
        }
        steady, floors, sent = [], [], []
        for _ in range(args.runs):
            before = counts[0]
            steady.append(govmon_in_child(settings))
            sent.append(counts[0] - before)
            floors.append(asyncio.run(floor_pass(urls, conditional=True)))
        wall = statistics.median(r["wall"] for r in steady)
        floor_wall = statistics.median(r["wall"] for r in floors)
        out["steady"] = {
            "wall_s": round(wall, 1),
            "cpu_s": round(statistics.median(r["cpu"] for r in steady), 1),
            "floor_wall_s": round(floor_wall, 2),
            "ratio": round(wall / floor_wall, 1),
            "full_responses_per_pass": sent,  # 0: every request of the pass was answered 304
            "failed_sources": max(r["failed"] for r in steady),
        }
        out["database_mib"] = round(settings.database.stat().st_size / 2**20, 1)
    server.terminate()
    out["peak_rss_mib"] = round(max(r["rss_mib"] for r in [first, *steady]), 1)  # govmon's, each pass a process
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
