"""Bytes the SQLite store writes per new report, beside what it keeps: a season's first pass seen from the disk.

    python benchmarks/bench_writes.py [--reports N] [--years Y]

N real reports (the pages of ../shared/corpus and the seeds, read, checked and printed as the watcher does,
in turn) are stored through ``Store.save_version``, each under its own source and URL, spread over Y report
years, into a new database under /var/tmp (on disk: the bytes written are real). Printed: the bytes written
per report (``write_bytes`` of /proc/self/io: the WAL, the checkpoints, the database file) over the second half
of the reports, when the tables already hold the first; beside the floor, the bytes the database grew by per
report over the same reports (what is kept). PYTHONPATH selects the checkout measured (an older one for a
before figure); the watcher's own `bench_poll.py` stores only one report per body, and its pages are a few
bodies, so it no longer shows this.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_admin import inputs

from monitor.store import open_store


def written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=2000, metavar="N")
    parser.add_argument("--years", type=int, default=1, metavar="Y")
    args = parser.parse_args()
    reports = inputs()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        db = Path(tmp) / "govmon.db"
        store = open_store(db)
        half = args.reports // 2
        start = time.monotonic()
        for i in range(args.reports):
            if i == half:
                store.close()  # a checkpoint: the second half starts from a settled file
                store = open_store(db)
                before, grown, half_start = written(), size(db), time.monotonic()
            year = 2024 - i % args.years
            v = reports[i % len(reports)]
            store.save_version(replace(v, source=f"s{i}", url=f"http://127.0.0.1/s{i}/{year}.html", year=year))
        store.close()
        wrote = written() - before
        kept = size(db) - grown
        n = args.reports - half
        print(
            json.dumps(
                {
                    "reports": args.reports,
                    "years": args.years,
                    "measured_over": n,
                    "kib_written_per_report": round(wrote / n / 1024, 1),
                    "floor_kib_kept_per_report": round(kept / n / 1024, 1),
                    "ratio": round(wrote / kept, 1) if kept > 0 else None,
                    "ms_per_save": round((time.monotonic() - half_start) / n * 1000, 2),
                    "total_s": round(time.monotonic() - start, 1),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
