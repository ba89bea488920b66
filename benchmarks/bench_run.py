"""`govmon run` at N sources: seconds to its first HTTP request, requests in its first minute, and
seconds from SIGTERM to exit, beside `govmon poll`'s request rate on the same portals (the floor).

    python benchmarks/bench_run.py [N] [HOSTS] [POLL_N]   # default N=5000 sources over 32 local hosts
    python benchmarks/bench_run.py 150000 32 1000         # the country (issues #25, #28): ~2 minutes

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
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_poll import Tree, _children, _reap, _subreaper, serve  # the same portals, the same tree figures

GOVMON = str(Path(sys.executable).parent / "govmon")


def config(folder: Path, n: int, hosts: int, port: int, name: str = "sources.toml") -> Path:
    lines = ['[monitor]\ndatabase = "bench.db"\nconcurrency = 64\nper_host = 2\n']
    for i in range(n):
        lines.append(
            f'[[source]]\nid = "s{i}"\nagency = "单位{i}"\nkind = "government"\n'
            f'list_url = "http://127.0.0.{i % hosts + 2}:{port}/s{i}/"\ninterval = "6h"\n'
        )
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    if "--help" in sys.argv:
        print(__doc__)
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    poll_n = min(n, int(sys.argv[3])) if len(sys.argv) > 3 else n
    port = 19_000 + n % 1000
    ready, counts = multiprocessing.Event(), multiprocessing.Array("l", 2)  # 200s and 304s answered

    def hits() -> int:
        return int(counts[0] + counts[1])

    server = multiprocessing.Process(target=serve, args=(hosts, port, "seed", ready, counts), daemon=True)
    _subreaper()
    server.start()
    ready.wait(30)
    out: dict[str, float | int] = {"sources": n}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(Path(tmp), n, hosts, port)
        out["poll_sources"] = poll_n
        start = time.monotonic()
        floor_cfg = str(config(Path(tmp), poll_n, hosts, port, "poll.toml"))
        done = subprocess.run([GOVMON, "poll", "--config", floor_cfg], capture_output=True, check=False)
        poll_s = time.monotonic() - start
        out["poll_s"], out["poll_requests_per_s"] = round(poll_s, 1), round(hits() / poll_s)
        out["poll_failed"] = done.stdout.count(b"FAILED")
        (Path(tmp) / "bench.db").unlink()
        base = hits()
        keep = _children()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        proc = subprocess.Popen([GOVMON, "run", "--config", str(cfg), "--spread", "60"], stderr=subprocess.DEVNULL)
        tree = Tree(proc.pid)
        while hits() == base and time.monotonic() - start < 300:
            time.sleep(0.05)
        out["run_first_request_s"] = round(time.monotonic() - start, 2)
        out["run_rss_at_first_request_mib"] = round(tree.peak_rss / 2**20, 1)  # start-up's memory, all processes
        time.sleep(max(0.0, 60 - (time.monotonic() - start)))
        out["run_requests_first_minute"] = hits() - base
        # the floor: `poll`'s own rate on the same portals (run spreads its first polls over the minute)
        out["run_rate_vs_poll"] = round((hits() - base) / 60 / max(1, out["poll_requests_per_s"]), 2)
        stop = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(proc.pid, 0)
        out["sigterm_to_exit_s"] = round(time.monotonic() - stop, 2)
        tree.stop()
        _reap(keep)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["run_peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)  # the largest single process
        out["run_peak_tree_rss_mib"] = round(tree.peak_rss / 2**20, 1)  # govmon run and its readers together
        out["run_tree_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
        proc.returncode = 0  # reaped by wait4
    server.terminate()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
