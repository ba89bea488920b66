"""Time and peak memory of one `poll` over N local sources: first pass (all new), second (all 304).

    python benchmarks/bench_poll.py [N] [HOSTS]      # default N=1000 sources spread over 32 hosts

A separate process serves N portals (a listing page + one report each) on 127.0.0.2..127.0.0.(HOSTS+1),
so the per-host limit behaves as with real portals; this process polls them into a fresh SQLite file.
Target (issue #3): N=10,000 second pass under 60 s on 2 cores, under 200 MB peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from monitor.config import Settings, Source
from monitor.fetch import Fetcher
from monitor.model import DEFAULT_LINK_PATTERN
from monitor.scheduler import Watcher
from monitor.store import Store

ROOT = Path(__file__).resolve().parent.parent
REPORT = (ROOT / "monitor" / "demo" / "seeds" / "004_39039b5b6710b1f1.txt").read_bytes()
LISTING = '<html><body><ul><li><a href="t.html">2021年政府信息公开工作年度报告</a></li></ul></body></html>'.encode()
ETAG = '"v1"'


def serve(hosts: int, port: int, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        body = REPORT if request.path.endswith("t.html") else LISTING
        return web.Response(
            body=body,
            content_type="text/plain" if body is REPORT else "text/html",
            charset="utf-8",
            headers={"ETag": ETAG},
        )

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


async def one_pass(settings: Settings) -> tuple[float, int]:
    store = Store(settings.database)
    start = time.perf_counter()
    async with Fetcher(settings.user_agent, settings.concurrency, settings.per_host) as fetcher:
        results = await Watcher(settings, store, fetcher).poll()
    store.close()
    return time.perf_counter() - start, sum(r.new_versions for r in results)


def main() -> None:
    import re  # noqa: PLC0415

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    port = 18_000 + n % 1000
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(hosts, port, ready), daemon=True)
    server.start()
    ready.wait(30)
    pattern = re.compile(DEFAULT_LINK_PATTERN)
    sources = tuple(
        Source(f"s{i}", f"单位{i}", "government", f"http://127.0.0.{i % hosts + 2}:{port}/s{i}/", 3600, pattern, 1)
        for i in range(n)
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            path=Path(tmp) / "sources.toml",
            database=Path(tmp) / "bench.db",
            user_agent="govmon-bench",
            concurrency=64,
            per_host=2,
            default_interval=3600,
            failure_threshold=3,
            sources=sources,
        )
        first, new = asyncio.run(one_pass(settings))
        second, again = asyncio.run(one_pass(settings))
        size = settings.database.stat().st_size / 2**20
    server.terminate()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "sources": n,
                "hosts": hosts,
                "first_pass_s": round(first, 1),
                "first_new_versions": new,
                "second_pass_s": round(second, 1),
                "second_new_versions": again,
                "peak_rss_mib": round(peak, 1),
                "database_mib": round(size, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
