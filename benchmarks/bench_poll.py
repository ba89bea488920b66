"""`govmon poll` over N local sources beside its floor: a bare aiohttp client doing the same GETs at the same
limits in the same run.

    python benchmarks/bench_poll.py [--sources N] [--hosts H] [--pages real|seed] [--listing bare|page] [--runs R]
        [--synthetic K]

A separate process serves N portals (a listing page + one report each) on 127.0.0.2..127.0.0.(H+1), so the
per-host limit behaves as with real portals. With ``--pages real`` (the default) the reports are the real
pages of ../shared/corpus and the seeds in turn (the portal pages as served, 20-220 KB of Word-pasted
HTML); ``seed`` serves one 4 KB text seed. A listing is a bare list of its one link (93 bytes), or with ``--listing
page`` that list in a real portal page's chrome (corpus 009's page, 136 KB: a column page is as large as its
articles' pages), as a real portal's column is. Each pass, govmon's and the floor's, runs in a process of its own
(as `govmon poll` does) polling into a SQLite file under /var/tmp (on disk, not a tmpfs /tmp, so the
bytes written are real):

- first pass: everything new (fetched, read, checked, stored), against the floor fetching the same bodies;
- steady state: every page answers 304 (the server counts what it sent), median of R passes, against the
  floor making the same conditional GETs (median of R too).

With ``--synthetic K`` (for 20,000 and 150,000 sources, whose first pass would take half an hour and hours), the
first pass polls the first K sources for real, and the database of all N is made of copies of their rows in SQL
(Python's sqlite3 writing the benchmark's own SQLite file: each source's listing page, document, version, body
and poll, under its own URLs), so the steady state is measured on N sources as if all had been read. One pass over
them all is made first and not measured: it tells, once, the events the copies' models told in their first pass (a
body's report missing), which are not copied.

Each figure is the whole process tree's, not the pass process's alone: this process is the tree's subreaper,
so the readers and the forkserver are reaped into its RUSAGE_CHILDREN (CPU), and a sampler sums the VmRSS of
every live process of the tree (peak RSS) and the write_bytes of /proc/<pid>/io (bytes written). Printed:
wall, tree CPU, CPU per report, cores used (CPU / wall), peak tree RSS and bytes written (per new report
beside the body bytes fetched per report), each beside the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import dataclasses
import json
import multiprocessing
import os
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from monitor.config import Settings, Source
from monitor.model import DEFAULT_LINK_PATTERN
from monitor.reading.report import read_report
from monitor.store import open_store
from monitor.watch.fetch import Fetcher
from monitor.watch.poll import Watcher

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = ROOT / "monitor" / "demo" / "seeds" / "004_39039b5b6710b1f1.txt"
LISTING = '<html><body><ul><li><a href="t.html">2021年政府信息公开工作年度报告</a></li></ul></body></html>'.encode()
ETAG = '"v1"'
CONCURRENCY, PER_HOST = 64, 2
LATENCY = 0.002  # with ``peaks``: each answer takes this long, as a portal's does


def pages(kind: str) -> list[tuple[bytes, str, bytes]]:
    """The report pages served in turn: (bytes, content type, the place its body is named by)."""
    files = [(SEED, "text/plain")] if kind in ("seed", "own") else []  # own: bench_workers' name for the seed
    if kind not in ("seed", "own"):
        files += [(p, "text/html") for p in sorted((SHARED / "corpus").glob("*.html"))]
        files += [(p, "text/plain") for p in sorted((SHARED / "seeds").glob("*.txt"))]
    out = []
    for path, content_type in files:
        body = path.read_bytes()
        agency = read_report(body, path.name).agency or ""
        place = m.group(0) if (m := re.match(r".+?[省市区县州旗盟]", agency)) else agency
        out.append((body, content_type, place.encode()))
    return out


def own_body(page: tuple[bytes, str, bytes], i: int) -> bytes:
    """Source i's report: the page with its body's place renamed (平潭综合实验区 -> 示例七区), so every source
    carries its own body's report as a real province does; otherwise the N sources would list ten bodies'
    reports, which the watcher stores once and remembers as duplicates (a first pass of ten reports)."""
    body, _, place = page
    numeral = "".join("〇一二三四五六七八九"[int(d)] for d in str(i))
    return body.replace(place, f"示例{numeral}".encode() + place[-3:]) if place else body


def column_page() -> bytes:
    """``LISTING``'s list in a real portal page's chrome (``--listing page``)."""
    page = (SHARED / "corpus" / "009_pingtan_social_affairs_bureau_2023.html").read_bytes()
    end = page.lower().rindex(b"</body>")
    return page[:end] + LISTING[LISTING.index(b"<ul>") : LISTING.index(b"</body>")] + page[end:]


def serve(
    hosts: int, port: int, kind: str, ready: Any, counts: Any, *, peaks: Any = None, listing: str = "bare"
) -> None:
    """The portals. ``counts``: [bodies sent, 304s sent]; ``peaks`` (bench_workers): per host, the most requests
    it had in hand at once."""
    reports = pages(kind)
    listed = column_page() if listing == "page" else LISTING
    inflight = [0] * hosts

    async def handler(request: web.Request) -> web.Response:
        if peaks is None:
            return await answer(request)
        host = int((request.transport.get_extra_info("sockname") or ("127.0.0.2",))[0].rsplit(".", 1)[1]) - 2
        inflight[host] += 1
        peaks[host] = max(peaks[host], inflight[host])
        try:
            await asyncio.sleep(LATENCY)  # a portal's own time: requests overlap, so their number can be seen
            return await answer(request)
        finally:
            inflight[host] -= 1

    async def answer(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            with counts.get_lock():
                counts[1] += 1
            return web.Response(status=304, headers={"ETag": ETAG})
        with counts.get_lock():
            counts[0] += 1
        if not request.path.endswith("t.html"):
            return web.Response(body=listed, content_type="text/html", charset="utf-8", headers={"ETag": ETAG})
        i = int(request.path.split("/")[1][1:])
        page = reports[i % len(reports)]
        return web.Response(body=own_body(page, i), content_type=page[1], headers={"ETag": ETAG})

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


class Tree:
    """One pass's process tree, measured from outside: its CPU (reaped into this process's RUSAGE_CHILDREN, this
    process being the subreaper of every orphan), and a sampler of its summed VmRSS and write_bytes."""

    def __init__(self, root: int) -> None:
        self.root, self.peak_rss = root, 0
        self.written: dict[int, int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def members(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, grew = {self.root}, True
        while grew:
            more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
            tree |= more
            grew = bool(more)
        return [pid for pid in tree if pid in parents]

    def _sample(self) -> None:
        while not self.done.wait(0.1):
            rss = 0
            for pid in self.members():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    rss += int(status.split("VmRSS:")[1].split()[0]) * 1024 if "VmRSS:" in status else 0
                    io = Path(f"/proc/{pid}/io").read_text()
                    self.written[pid] = int(io.split("write_bytes:")[1].split()[0])
                except (OSError, IndexError):
                    continue
            self.peak_rss = max(self.peak_rss, rss)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def _subreaper() -> None:
    """Orphans of a pass (the forkserver, its readers) come to this process, which reaps them: their CPU counts."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap(keep: set[int]) -> None:
    """Wait for every child of this process but ``keep`` (those before the pass: the portals' server, the
    resource tracker) to end, reaping each: its CPU then counts in RUSAGE_CHILDREN."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = _children() - keep
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)


def _children() -> set[int]:
    me, found = os.getpid(), set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


async def govmon_pass(settings: Settings) -> dict[str, Any]:
    store = open_store(settings)
    wall = time.perf_counter()
    async with Fetcher(settings.user_agent, settings.concurrency, settings.per_host) as fetcher:
        results = await Watcher(settings, store, fetcher).poll()
    store.close()
    return {
        "wall": time.perf_counter() - wall,
        "failed": sum(bool(r.error or r.problems) for r in results),
        "new_versions": sum(r.new_versions for r in results),
    }


async def floor_pass(urls: list[str], conditional: bool) -> dict[str, Any]:
    """The least any poller does: each source's listing, then its report, at the same limits."""
    wall = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=PER_HOST)
    headers = {"If-None-Match": ETAG} if conditional else {}
    fetched = 0
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            nonlocal fetched
            for u in (url, url + "t.html"):
                async with session.get(u, headers=headers) as resp:
                    fetched += len(await resp.read())

        await asyncio.gather(*(one(u) for u in urls))
    return {"wall": time.perf_counter() - wall, "failed": 0, "new_versions": 0, "fetched": fetched}


def as_govmon() -> None:
    """This spawned process's readers start as `govmon poll`'s do. A reader runs its parent's main script before its
    first document (Python's spawn protocol): `govmon`'s imports the CLI's module; this benchmark's would load the
    HTTP client, the watcher and the store into every reader, which govmon's forkserver keeps out of them."""
    main = sys.modules["__main__"]
    main.__spec__, main.__file__ = None, str(Path(sys.executable).parent / "govmon")


def _in_child(job: Any, args: tuple[Any, ...], out: Any) -> None:
    as_govmon()
    started = time.process_time()  # the interpreter's start and imports: not the pass's
    result = asyncio.run(job(*args))
    own = resource.getrusage(resource.RUSAGE_SELF)  # the pass's own process: what its readers are not
    out.put({**result, "startup_cpu": started, "own_cpu": own.ru_utime + own.ru_stime - started})
    out.close()
    out.join_thread()
    os._exit(0)  # as `govmon poll` ends: no teardown of every module counted as the pass's CPU


def measured(job: Any, *args: Any) -> dict[str, Any]:
    """``job(*args)`` in a fresh (spawned) process, as `govmon poll` runs; the figures of its whole tree."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    keep = _children()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = ctx.Process(target=_in_child, args=(job, args, out))
    child.start()
    tree = Tree(child.pid or 0)
    result: dict[str, Any] = out.get()
    child.join()
    tree.stop()
    _reap(keep)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime - result["startup_cpu"]
    return {**result, "cpu": cpu, "rss": tree.peak_rss, "written": sum(tree.written.values())}


def figures(runs: list[dict[str, Any]], floors: list[dict[str, Any]], reports: int) -> dict[str, Any]:
    """Medians of govmon's runs beside the floor's, and their ratios."""

    def med(rs: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in rs))

    wall, cpu, fwall, fcpu = med(runs, "wall"), med(runs, "cpu"), med(floors, "wall"), med(floors, "cpu")
    new = int(med(runs, "new_versions"))
    return {
        "wall_s": round(wall, 2),
        "floor_wall_s": round(fwall, 2),
        "wall_ratio": round(wall / fwall, 1),
        "tree_cpu_s": round(cpu, 2),
        "floor_cpu_s": round(fcpu, 2),
        "cpu_ratio": round(cpu / fcpu, 1),
        "cpu_ms_per_report": round(cpu / reports * 1000, 2),
        "watcher_cpu_ms_per_report": round(med(runs, "own_cpu") / reports * 1000, 2),  # the rest: its readers
        "floor_cpu_ms_per_report": round(fcpu / reports * 1000, 2),
        "cores_used": round(cpu / wall, 2),
        "floor_cores_used": round(fcpu / fwall, 2),
        "peak_tree_rss_mib": round(med(runs, "rss") / 2**20, 1),
        "floor_peak_rss_mib": round(med(floors, "rss") / 2**20, 1),
        "written_mib": round(med(runs, "written") / 2**20, 2),
        "written_kib_per_source": round(med(runs, "written") / reports / 1024, 1),
        **({"written_kib_per_new_report": round(med(runs, "written") / new / 1024, 1)} if new else {}),
        "new_versions": new,
        "failed_sources": max(int(r["failed"]) for r in runs),
    }


def bench_settings(folder: Path, n: int, hosts: int, port: int) -> Settings:
    """N sources on the ``serve``d portals (source i on host 127.0.0.(i % hosts + 2)), a database in ``folder``:
    what bench_poll and bench_workers both poll."""
    pattern = re.compile(DEFAULT_LINK_PATTERN)
    sources = tuple(
        Source(f"s{i}", f"单位{i}", "government", f"http://127.0.0.{i % hosts + 2}:{port}/s{i}/", 3600, pattern, 1)
        for i in range(n)
    )
    return Settings(
        path=folder / "sources.toml",
        database=folder / "bench.db",
        user_agent="govmon-bench",
        concurrency=CONCURRENCY,
        per_host=PER_HOST,
        default_interval=3600,
        failure_threshold=3,
        sources=sources,
    )


def copy_statements(same: str = "IS") -> list[str]:
    """The SQL that makes each source i of the temporary table ``n (i, j)`` a copy of source j (its model, polled
    for real): its rows under its own URLs. SQLite's and PostgreSQL's alike but for how two years, either maybe
    NULL, are compared (``same``: SQLite's ``IS``, PostgreSQL's ``IS NOT DISTINCT FROM``). A model's report
    stored as another's duplicate (a document without a version) is copied with that version: the copy's body
    is its own."""
    url = "replace({}, '/s' || n.j || '/', '/s' || n.i || '/')"
    return [
        # with its model's state after its polls (the last poll's time, the change mark): a source's first poll
        # must not be what the steady pass measures (its row grows, as no source's row does in a later pass)
        "INSERT INTO sources (id, agency, kind, list_url, last_poll, last_error, consecutive_failures, "
        "failing_alerted, changed, ever_read) SELECT 's' || n.i, '单位' || n.i, s.kind, "
        f"{url.format('s.list_url')}, s.last_poll, s.last_error, s.consecutive_failures, s.failing_alerted, "
        "s.changed, s.ever_read FROM n JOIN sources s ON s.id = 's' || n.j",
        "INSERT INTO polls (source, started, finished, ok, reports, new_versions) SELECT 's' || n.i, p.started, "
        "p.finished, p.ok, p.reports, p.new_versions FROM n JOIN polls p ON p.source = 's' || n.j",
        f"INSERT INTO pages (url, etag, last_modified, body, fetched_at, links) SELECT {url.format('p.url')}, "
        f"p.etag, p.last_modified, p.body, p.fetched_at, {url.format('p.links')} FROM n JOIN sources s "
        "ON s.id = 's' || n.j JOIN pages p ON p.url = s.list_url",
        "INSERT INTO bodies (name, kind) SELECT b.name || '·' || n.i, b.kind FROM n JOIN documents d "
        "ON d.source = 's' || n.j JOIN bodies b ON b.id = d.body_id",
        "INSERT INTO documents (source, url, title, year, first_seen, etag, last_modified, last_checked, body_id, "
        f"body_how) SELECT 's' || n.i, {url.format('d.url')}, d.title, d.year, d.first_seen, d.etag, "
        "d.last_modified, d.last_checked, (SELECT c.id FROM bodies c WHERE c.name = b.name || '·' || n.i), "
        "d.body_how FROM n JOIN documents d ON d.source = 's' || n.j LEFT JOIN bodies b ON b.id = d.body_id",
        # each model document's latest version, or its body's (a duplicate has none of its own)
        "CREATE TEMP TABLE model AS SELECT d.id AS doc, coalesce((SELECT max(id) FROM versions WHERE "
        "document_id = d.id), (SELECT max(w.id) FROM versions w JOIN documents x ON x.id = w.document_id "
        f"WHERE x.body_id = d.body_id AND x.year {same} d.year)) AS version FROM documents d",
        "INSERT INTO versions (document_id, fetched_at, sha256, content_hash, content_type, raw, text, report, "
        "findings, diff) SELECT c.id, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.raw, v.text, "
        "v.report, v.findings, v.diff FROM n JOIN documents d ON d.source = 's' || n.j JOIN documents c "
        f"ON c.url = {url.format('d.url')} JOIN model m ON m.doc = d.id JOIN versions v ON v.id = m.version "
        "ORDER BY c.id",
    ]


def replicate(db: Path, k: int, n: int) -> None:
    """Sources k..n-1 made known as if polled: copies of source (i % k)'s rows under source i's URLs (``k`` a
    multiple of the hosts, so source i and its model share a host)."""
    import sqlite3  # noqa: PLC0415

    con = sqlite3.connect(db)
    with con:
        con.execute("CREATE TEMP TABLE n (i INTEGER PRIMARY KEY, j INTEGER NOT NULL)")
        con.executemany("INSERT INTO n VALUES (?, ?)", [(i, i % k) for i in range(k, n)])
        for statement in copy_statements():
            con.execute(statement)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def checked_here(kind: str, rounds: int = 3) -> float:
    """ms of CPU `govmon check` takes a served report in one process (read, then its rules): the floor issue #28's
    first-pass target is set against ("≤ 15 ms of tree CPU a report, ≈1.5× an in-process check"), measured on this
    machine in this run. Each round reads the served pages under bodies' names not read before (no cache answers),
    after a round that warms the process; the median round."""
    from monitor.checks.pipeline import run_rules  # noqa: PLC0415

    served = [(page, content_type) for page, content_type, _ in pages(kind)]
    places = pages(kind)
    times = []
    for r in range(rounds + 1):
        docs = [own_body(places[i], 50_000 + r * 1000 + i) for i in range(len(served))]
        start = time.process_time()
        for doc, (_, content_type) in zip(docs, served, strict=True):
            run_rules(read_report(doc, "t.html" if "html" in content_type else "t.txt"), None)
        times.append((time.process_time() - start) / len(docs) * 1000)
    return statistics.median(times[1:])


def against_check(cpu_ms_per_report: float, kind: str) -> dict[str, float]:
    """The first pass's tree CPU a report beside an in-process check's (the target: ≤ 1.5× it), measured after the
    passes (this parent's CPU is not the tree's measured)."""
    check = checked_here(kind)
    return {"check_ms_per_report": round(check, 2), "cpu_ratio_to_check": round(cpu_ms_per_report / check, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000, metavar="N")
    parser.add_argument("--hosts", type=int, default=32, metavar="H", help="loopback addresses serving them")
    parser.add_argument("--pages", choices=["real", "seed"], default="real")
    parser.add_argument(
        "--listing", choices=["bare", "page"], default="bare", help="a bare list, or one in a real page's chrome"
    )
    parser.add_argument("--runs", type=int, default=3, metavar="R", help="steady-state passes (median)")
    parser.add_argument(
        "--synthetic", type=int, default=0, metavar="K", help="poll K sources for real, the others copied in SQL"
    )
    parser.add_argument(
        "--readers", type=int, default=0, metavar="R", help="reader processes ([monitor] readers; 0: one a core)"
    )
    args = parser.parse_args()
    if args.pages == "real" and not any((SHARED / "corpus").glob("*.html")):
        # (the portals would serve nothing: every source failed, and the figures printed were a failure's)
        parser.error(f"the real pages are read from {SHARED}/corpus, beside the checkout; not found (or --pages seed)")
    n, hosts = args.sources, args.hosts
    k = min(n, max(hosts, args.synthetic - args.synthetic % hosts)) if args.synthetic else n
    _subreaper()
    port = 18_000 + n % 1000
    ready, counts = multiprocessing.Event(), multiprocessing.Array("l", 2)
    server = multiprocessing.Process(
        target=serve, args=(hosts, port, args.pages, ready, counts), kwargs={"listing": args.listing}, daemon=True
    )
    server.start()
    if not ready.wait(30):
        raise SystemExit("bench_poll: the portals did not start in 30 s")
    settings = bench_settings(Path("/var/tmp"), n, hosts, port)
    urls = [src.list_url for src in settings.sources]
    out: dict[str, Any] = {
        "sources": n,
        "hosts": hosts,
        "pages": args.pages,
        "listing": args.listing,
        "cores": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:  # on disk (not a tmpfs /tmp): bytes written are real
        settings = dataclasses.replace(bench_settings(Path(tmp), n, hosts, port), readers=args.readers or None)
        few = dataclasses.replace(
            bench_settings(Path(tmp), k, hosts, port), readers=args.readers or None
        )  # N unless --synthetic
        floors = [measured(floor_pass, urls[:k], False) for _ in range(args.runs)]
        first = measured(govmon_pass, few)
        out["first"] = {"sources": k, **figures([first], floors, k)}
        body = statistics.median(f["fetched"] for f in floors) / k
        out["first"]["floor_body_kib_per_report"] = round(body / 1024, 1)
        out["first"] |= against_check(out["first"]["cpu_ms_per_report"], args.pages)
        if k < n:
            start = time.monotonic()
            replicate(settings.database, k, n)
            out["synthetic"] = {"copied_sources": n - k, "seconds": round(time.monotonic() - start, 1)}
            # the copies' first poll tells what their models told in their first pass (a body's report missing:
            # ~1 event a source), which the copy did not copy: not the steady state, so not measured
            out["synthetic"]["settling_pass_s"] = round(measured(govmon_pass, settings)["wall"], 1)
        steady, floors, sent = [], [], []
        for _ in range(args.runs):
            before = counts[0]
            steady.append(measured(govmon_pass, settings))
            sent.append(counts[0] - before)
            floors.append(measured(floor_pass, urls, True))
        out["steady"] = figures(steady, floors, n)
        out["steady"]["full_responses_per_pass"] = sent  # 0: every request of the pass was answered 304
        out["database_mib"] = round(settings.database.stat().st_size / 2**20, 1)
    server.terminate()
    print(json.dumps(out, indent=2))
    failed = [part for part in ("first", "steady") if out.get(part, {}).get("failed_sources")]
    if failed:  # figures of a pass whose sources failed measure the failure, not govmon
        raise SystemExit(
            f"bench_poll: sources failed in the {' and '.join(failed)} pass: the figures above are not govmon's"
        )


if __name__ == "__main__":
    main()
