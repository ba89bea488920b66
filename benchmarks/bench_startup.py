"""`govmon check` as a process, beside the bare interpreter and an lxml parse of the same files (issue #28).

    python benchmarks/bench_startup.py [FILE] [-n RUNS]

Figures, each the median of alternating runs (the machine is noisy), wall time and the process's CPU (user +
system, steadier under load):

- one page: `govmon check FILE` over `python -c 'import lxml.html; lxml.html.parse(FILE)'` (target <= 3x);
- many pages in one call: `govmon check` of the real portal pages (../shared/corpus/*.html), and of every real
  page that is not a PDF (those, the corpus's text and Markdown, ../shared/seeds), over one process parsing each of
  them with lxml (target <= 5x);
- `govmon --help`, and the bare interpreter.

PYTHONPATH selects the checkout measured (e.g. a copy of an older commit, for a before figure). The package is
byte-compiled first, as pip does when it installs the wheel.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT = SHARED / "corpus" / "009_pingtan_social_affairs_bureau_2023.html"
FLOOR = "import lxml.html, sys\nfor name in sys.argv[1:]: lxml.html.parse(name)"


# No directory before PYTHONPATH on sys.path (Python >= 3.11's -P): run from a checkout, `python -m monitor` and
# `python -c` would import that checkout's package whatever PYTHONPATH names
ENV = {**os.environ, "PYTHONSAFEPATH": "1"}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU of the process and its children) of one run, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def pages(suffixes: tuple[str, ...]) -> list[str]:
    """The real pages of the corpus and the seeds with these suffixes (not its README)."""
    found = sorted((SHARED / "corpus").glob("*")) + sorted((SHARED / "seeds").glob("*"))
    return [str(p) for p in found if p.suffix in suffixes and p.name != "README.md"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT), help="the draft to check")
    parser.add_argument("-n", type=int, default=9, help="runs of each (default 9)")
    args = parser.parse_args()
    portal, every = pages((".html",)), pages((".html", ".txt", ".md"))
    govmon = [sys.executable, "-m", "monitor"]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "lxml parse": [sys.executable, "-c", FLOOR, args.file],
        "govmon check": [*govmon, "check", args.file],
        f"lxml parse x{len(portal)}": [sys.executable, "-c", FLOOR, *portal],
        f"govmon check x{len(portal)}": [*govmon, "check", *portal],
        f"lxml parse x{len(every)}": [sys.executable, "-c", FLOOR, *every],
        f"govmon check x{len(every)}": [*govmon, "check", *every],
        "govmon --help": [*govmon, "--help"],
    }
    # An installed wheel is byte-compiled by pip; a checkout run with PYTHONDONTWRITEBYTECODE=1 (as this machine's
    # shell sets) compiles every module on every start, ~0.1-0.3 s that no user pays. Compile as pip does, the
    # package the commands import (PYTHONPATH may name another checkout).
    compile_it = "import compileall, monitor, os; compileall.compile_dir(os.path.dirname(monitor.__file__), quiet=1)"
    subprocess.run([sys.executable, "-c", compile_it], check=True, env=ENV)
    for command in commands.values():
        timed(command)  # warm the page cache
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.n):
        for name, command in commands.items():  # alternating, so a drift of the machine hits all alike
            runs[name].append(timed(command))
    wall = {name: statistics.median(w for w, _ in values) for name, values in runs.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in runs.items()}
    for name, values in runs.items():
        walls = [w for w, _ in values]
        print(
            f"{name:<18} median {wall[name] * 1000:7.1f} ms  (min {min(walls) * 1000:.1f}, max {max(walls) * 1000:.1f})"
            f"  CPU {cpu[name] * 1000:6.1f} ms"
        )
    names = list(commands)
    print(f"check over the bare interpreter: {(wall['govmon check'] - wall['python -c pass']) * 1000:.0f} ms")
    for label, check, floor, target in (
        ("one page", "govmon check", "lxml parse", 3),
        (f"{len(portal)} portal pages in one call", names[4], names[3], 5),
        (f"{len(every)} pages (HTML, text) in one call", names[6], names[5], 5),
    ):
        print(
            f"{label:<34} check / lxml parse as a process: {wall[check] / wall[floor]:.2f}x wall, "
            f"{cpu[check] / cpu[floor]:.2f}x CPU (target <= {target}x)"
        )


if __name__ == "__main__":
    main()
