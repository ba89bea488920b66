"""`govmon run` at N sources: seconds to its first HTTP request, requests in its first minute, and
seconds from SIGTERM to exit, beside `govmon poll`'s request rate on the same portals (the floor).

    python benchmarks/bench_run.py [N] [HOSTS] [POLL_N]   # default N=5000 sources over 32 local hosts
    python benchmarks/bench_run.py 150000 32 1000         # the country (issues #25, #28): ~2 minutes
    python benchmarks/bench_run.py 150000 32 1000 --postgresql   # the same on a throwaway PostgreSQL (#25)

POLL_N (default N): the floor, `poll`'s first-pass request rate, is measured on the first POLL_N sources
(a first pass is CPU-bound, so its rate hardly depends on N; at 20,000 a whole first pass takes ~30 min).
One run prints one set of figures; on a shared machine run it several times and quote the medians (the floor
itself moves from run to run, so compare ratios, each to its own run's floor).

The portals are bench_poll.py's (a listing page and one report each, on 127.0.0.2.., served by a
separate process that counts the requests it answers). Memory and CPU are the whole tree's (`run`, its
forkserver and readers), as bench_poll measures them; the RSS at the first request is start-up's. Targets
(issue #28, 2 cores, up to 150,000 sources): first request within 2 s; requests in the first minute at least
0.9 of `poll`'s rate; SIGTERM within 5 s (the polls in hand get STOP_GRACE = 3 s at most); peak RSS of the
tree within 250 MiB. A `run` that makes no request within 300 s is given up on (first request printed as 300).

Two starts are measured. The first (``run_*``) is a first installation's: a new database, and sources.toml never
validated before. After its minute, `run`'s own RSS, the tree's summed RSS and the tree's summed PSS (a page
shared by the forkserver and its readers counted once) are taken, then SIGTERM. The second (``restart_*``, 10 s)
is a restart's: the database the first left, and the cache of the validated sources.toml it wrote
(monitor/config/cache.py).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_poll import Tree, _children, _reap, _subreaper, serve  # the same portals, the same tree figures

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pg import cluster, fresh_database

GOVMON = str(Path(sys.executable).parent / "govmon")


def config(
    folder: Path, n: int, hosts: int, port: int, name: str = "sources.toml", *, database: str = "bench.db"
) -> Path:
    lines = [f'[monitor]\ndatabase = "{database}"\nconcurrency = 64\nper_host = 2\n']
    for i in range(n):
        lines.append(
            f'[[source]]\nid = "s{i}"\nagency = "单位{i}"\nkind = "government"\n'
            f'list_url = "http://127.0.0.{i % hosts + 2}:{port}/s{i}/"\ninterval = "6h"\n'
        )
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class _Run(Tree):
    """One `govmon run`'s tree, with when it started, the portals' count of requests then, and the CPU seconds
    `run`'s own process had used at its first request (less moved by a loaded machine than the wall clock)."""

    start: float
    base: int
    cpu: float


def _start(cfg: Path, hits: Callable[[], int]) -> tuple[subprocess.Popen[bytes], _Run, float]:
    """`govmon run` started; returns when it made its first request (after 300 s: given up, 300 printed)."""
    base, start = hits(), time.monotonic()
    proc = subprocess.Popen([GOVMON, "run", "--config", str(cfg), "--spread", "60"], stderr=subprocess.DEVNULL)
    tree = _Run(proc.pid)
    tree.start, tree.base = start, base
    while hits() == base and time.monotonic() - start < 300:
        time.sleep(0.01)
    took = round(time.monotonic() - start, 2)
    # utime, stime, and those of the children it reaped (the child that checks half of a large sources.toml)
    ticks = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]
    tree.cpu = round(sum(map(int, ticks)) / os.sysconf("SC_CLK_TCK"), 2)
    return proc, tree, took


def _stop(proc: subprocess.Popen[bytes], tree: Tree) -> tuple[float, Any]:
    """SIGTERM; (seconds to its exit, its rusage)."""
    stop = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4
    took = round(time.monotonic() - stop, 2)
    tree.stop()
    return took, usage


def _memory(root: int) -> dict[str, float]:
    """Now: `run`'s own RSS, the tree's summed RSS, and the tree's summed PSS (each page shared by k processes
    counted 1/k in each: the forkserver's modules, which its readers share after the fork, counted once)."""
    rss = pss = 0
    own = 0.0
    tree = Tree(root)
    tree.stop()
    for pid in tree.members():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        kib = int(status.split("VmRSS:")[1].split()[0])
        own = kib / 1024 if pid == root else own
        rss += kib
        pss += int(rollup.split("Pss:")[1].split()[0])
    return {"run_rss_mib": round(own, 1), "tree_rss_mib": round(rss / 1024, 1), "tree_pss_mib": round(pss / 1024, 1)}


def _floor(folder: Path, shape: tuple[int, int, int], database: str, hits: Callable[[], int]) -> dict[str, Any]:
    """`govmon poll`'s first pass over the first POLL_N sources: its request rate is the floor of `run`'s."""
    poll_n, hosts, port = shape
    start = time.monotonic()
    floor_cfg = str(config(folder, poll_n, hosts, port, "poll.toml", database=database))
    done = subprocess.run([GOVMON, "poll", "--config", floor_cfg], capture_output=True, check=False)
    poll_s = time.monotonic() - start
    return {
        "poll_sources": poll_n,
        "poll_s": round(poll_s, 1),
        "poll_requests_per_s": round(hits() / poll_s),
        "poll_failed": done.stdout.count(b"FAILED"),
    }


def main() -> None:
    if "--help" in sys.argv:
        print(__doc__)
        return
    shared = "--postgresql" in sys.argv  # a throwaway PostgreSQL server (tests/pg.py) instead of the SQLite file
    argv = [a for a in sys.argv if a != "--postgresql"]
    n = int(argv[1]) if len(argv) > 1 else 5000
    hosts = int(argv[2]) if len(argv) > 2 else 32
    poll_n = min(n, int(argv[3])) if len(argv) > 3 else n
    port = 19_000 + n % 1000
    ready, counts = multiprocessing.Event(), multiprocessing.Array("l", 2)  # 200s and 304s answered

    def hits() -> int:
        return int(counts[0] + counts[1])

    server = multiprocessing.Process(target=serve, args=(hosts, port, "seed", ready, counts), daemon=True)
    _subreaper()
    server.start()
    ready.wait(30)
    out: dict[str, Any] = {"sources": n, "store": "postgresql" if shared else "sqlite"}
    with tempfile.TemporaryDirectory() as tmp, cluster() if shared else contextlib.nullcontext("") as server_url:
        databases = (
            ("bench.db", "bench.db")
            if not shared
            else (fresh_database(server_url, "bench_run"), fresh_database(server_url, "bench_floor"))
        )
        cfg = config(Path(tmp), n, hosts, port, database=databases[0])
        out |= _floor(Path(tmp), (poll_n, hosts, port), databases[1], hits)
        if not shared:
            (Path(tmp) / "bench.db").unlink()
        keep = _children()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        # the first start: a new database, no cache of the validated sources.toml (a first installation)
        proc, tree, first = _start(cfg, hits)
        out["run_first_request_s"], out["run_cpu_to_first_request_s"] = first, tree.cpu
        out["run_rss_at_first_request_mib"] = round(tree.peak_rss / 2**20, 1)  # start-up's memory, all processes
        base = tree.base
        time.sleep(max(0.0, 60 - (time.monotonic() - tree.start)))
        out["run_requests_first_minute"] = hits() - base
        # the floor: `poll`'s own rate on the same portals (run spreads its first polls over the minute)
        out["run_rate_vs_poll"] = round((hits() - base) / 60 / max(1, out["poll_requests_per_s"]), 2)
        out.update(_memory(proc.pid))
        out["sigterm_to_exit_s"], usage = _stop(proc, tree)
        _reap(keep)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["run_peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)  # the largest single process
        out["run_peak_tree_rss_mib"] = round(tree.peak_rss / 2**20, 1)  # govmon run and its readers together
        out["run_tree_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
        # a restart (`systemctl restart`, a reboot): the database of the first start, the cache it left
        proc, tree, first = _start(cfg, hits)
        out["restart_first_request_s"], out["restart_cpu_to_first_request_s"] = first, tree.cpu
        out["restart_rss_at_first_request_mib"] = round(tree.peak_rss / 2**20, 1)
        time.sleep(max(0.0, 10 - (time.monotonic() - tree.start)))
        out["restart_run_rss_mib"] = _memory(proc.pid)["run_rss_mib"]
        _, usage = _stop(proc, tree)
        _reap(keep)
        out["restart_run_peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
    server.terminate()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
