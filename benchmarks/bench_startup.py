"""`govmon check` of one draft, as a process, beside the bare interpreter and an lxml parse of the same file.

    python benchmarks/bench_startup.py [FILE] [-n RUNS]

Prints the median wall time of each (machines are noisy: medians of alternating runs), check's time over the
bare interpreter start (target, issue #24: <= 0.3 s) and its ratio to the lxml floor. PYTHONPATH selects the
checkout measured (e.g. an older one, for a before figure). The package is byte-compiled first, as pip does when
it installs the wheel.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "009_pingtan_social_affairs_bureau_2023.html"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT), help="the draft to check")
    parser.add_argument("-n", type=int, default=9, help="runs of each (default 9)")
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "lxml parse": [sys.executable, "-c", "import lxml.html, sys; lxml.html.parse(sys.argv[1])", args.file],
        "govmon check": [sys.executable, "-m", "monitor", "check", args.file],
    }
    # An installed wheel is byte-compiled by pip; a checkout run with PYTHONDONTWRITEBYTECODE=1 (as this machine's
    # shell sets) compiles every module on every start, ~0.1-0.3 s that no user pays. Compile as pip does.
    compileall.compile_dir(ROOT / "monitor", quiet=1)
    for command in commands.values():
        timed(command)  # warm the page cache
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.n):
        for name, command in commands.items():  # alternating, so a drift of the machine hits all alike
            runs[name].append(timed(command))
    median = {name: statistics.median(values) for name, values in runs.items()}
    for name, value in median.items():
        print(
            f"{name:<16} median {value * 1000:7.1f} ms  (min {min(runs[name]) * 1000:.1f}, max {max(runs[name]) * 1000:.1f})"
        )
    bare, floor, check = median["python -c pass"], median["lxml parse"], median["govmon check"]
    print(f"check over the bare interpreter: {(check - bare) * 1000:.0f} ms (target <= 300 ms)")
    print(f"check / lxml parse as a process: {check / floor:.1f}x")


if __name__ == "__main__":
    main()
