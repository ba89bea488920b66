"""Copy detection (history.copied) at a province's scale, as the watcher does it.

    python benchmarks/bench_copies.py [N]      # N reports of one year, default 10000

Builds N distinct reports of one year from the real clauses of ../shared/corpus and the seeds (each
sentence three random clauses, its numbers changed), plants a copy of the previous
report's section 五 in every 100th, and stores them one by one in a real SQLite store as the watcher
does: prints (MinHash + LSH bands), the indexed candidate query, and the exact comparison of the
candidates. Prints the time per report beside its floor measured in the same run (building the
same shingle sets, the least any method must do), the all-pairs comparison extrapolated from a
sample, the planted copies found and the false flags (both must be all and 0), and the prints'
size in the database (read with sqlite3 and SQLite's ``dbstat``: the file's own storage is measured there).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from monitor.checks import copies
from monitor.model import Report
from monitor.reading.report import read_report
from monitor.store import NewVersion, open_store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def clause_pool() -> list[str]:
    """The clauses (between commas) of the real reports' prose: sentences are made of three of them."""
    pool: set[str] = set()
    for path in [*sorted((SHARED / "corpus").glob("0*")), *sorted((SHARED / "seeds").glob("*.txt"))]:
        report = read_report(path.read_bytes(), path.name)
        for part in copies.parts(report).values():
            clauses = re.split(r"[。；，,;]", part.replace("\n", ""))
            pool.update(c for c in clauses if 6 <= len(c) <= 60 and "|" not in c)
    return sorted(pool)


def make(i: int, pool: list[str], rng: random.Random, five: list[str] | None = None) -> Report:
    def sentence() -> str:
        return re.sub(r"\d+", lambda _: str(rng.randint(1, 999)), "，".join(rng.sample(pool, 3))) + "。"

    one = [sentence() for _ in range(10)]
    five = five or [sentence() for _ in range(5)]
    lines = [f"单位{i}2023年政府信息公开工作年度报告", "一、总体情况", *one, "五、存在的主要问题及改进情况", *five]
    return Report(
        f"https://example.gov.cn/{i}.html",
        "\n".join(lines),
        agency=f"单位{i}",
        year=2023,
        sections={1: (2, 2 + len(one)), 5: (3 + len(one), len(lines))},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "n", nargs="?", type=int, default=10000, metavar="N", help="reports of one year to store (default 10000)"
    )
    n = parser.parse_args().n
    rng = random.Random(7)
    pool = clause_pool()
    reports: list[Report] = []
    planted: set[int] = set()
    for i in range(n):
        if i % 100 == 99:
            previous = reports[-1]
            reports.append(make(i, pool, rng, previous.lines[previous.sections[5][0] : previous.sections[5][1]]))  # type: ignore[index]
            planted.add(i)
        else:
            reports.append(make(i, pool, rng))

    start = time.perf_counter()
    for r in reports:  # each part's shingles, of a copy of the report: the run below builds them again, as the
        copies.compared(dataclasses.replace(r))  # watcher would (what is compared is kept while a report lives)
    floor = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        flagged: set[int] = set()
        start = time.perf_counter()
        for i, r in enumerate(reports):
            marks = copies.prints(r)
            others = store.similar(f"s{i}", 2023, marks)
            if any(list(copies.compare(r, o)) for o in others):
                flagged.add(i)
            store.save_version(
                NewVersion(
                    f"s{i}", r.input, None, 2023, b"", str(i), str(i), "text/plain", r, [], None, None, None, marks
                )
            )
        watcher = time.perf_counter() - start
        store.close()
        con = sqlite3.connect(Path(tmp) / "bench.db")
        (rows,) = con.execute("SELECT count(*) FROM prints").fetchone()
        (pages,) = con.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('prints', 'prints_by_key', 'prints_by_version')"
        ).fetchone()
        con.close()

    sample = [rng.sample(reports, 2) for _ in range(200)]
    start = time.perf_counter()
    for a, b in sample:
        list(copies.compare(a, b))
    pair = (time.perf_counter() - start) / len(sample)
    all_pairs = pair * n * (n - 1) / 2

    print(
        json.dumps(
            {
                "reports": n,
                "seconds": round(watcher, 1),
                "ms_per_report": round(watcher / n * 1000, 2),
                "floor_shingles_seconds": round(floor, 1),
                "ratio_to_floor": round(watcher / floor, 1),
                "all_pairs_estimated_seconds": round(all_pairs),
                "all_pairs_over_lsh": round(all_pairs / watcher),
                "planted_copies": len(planted),
                "found": len(flagged & planted),
                "false_flags": len(flagged - planted),
                "prints_rows": rows,
                "prints_mib": round((pages or 0) / 2**20, 1),
                "median_pair_ms": round(statistics.median([pair * 1000]), 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
