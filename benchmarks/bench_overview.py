"""`govmon overview` on a province-sized database: the full build, and the rebuild after one changed report
(what the service does every few minutes), each beside a floor measured in the same run.

    python benchmarks/bench_overview.py [--sources 2000,20000] [--years 7] [--runs R]

The database: the real pages of ../shared/corpus and the seeds, read and checked as the watcher does and
stored through ``Store.save_version`` for the first sources (one document per source and year); every other
source's documents and versions are copies of those rows made in SQL through sqlite3 (the same stored bytes
under another source, body and URL), which takes minutes where 140,000 saves would take hours. Copy prints are
not copied: the overview never reads them.

Printed per size:
- full build: wall seconds and bytes written, beside the floor: a bare Jinja render of the report page's
  template (no tables, no findings) once per report into memory, no store;
- rebuild after one changed report (a new version of one source's latest report, stored through the store):
  wall seconds, files and bytes written, beside two floors: reading every body's standing for the grid's years
  (``status.standings``, what any build of the grid must read from the store), and writing the same number of
  bytes as that rebuild did into as many files;
- the largest page, and the number of pages;
- the targets (issue #28): rebuild <= 2 s and <= 1 MB written at 20,000 x 7, no page over 500 KB.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_admin import config, inputs  # noqa: E402

from monitor.config import load  # noqa: E402
from monitor.model.bodies import Attribution  # noqa: E402
from monitor.present import overview, status  # noqa: E402
from monitor.store import open_store  # noqa: E402

TODAY = date(2025, 6, 1)
SEEDED = 20  # sources stored through the store; the others are copies of their rows


def build_db(db: Path, n: int, years: int) -> None:
    reports = inputs()
    store = open_store(db)
    seeded = min(SEEDED, n)
    for i in range(seeded):
        for y in range(years):
            v = reports[(i * years + y) % len(reports)]
            year = TODAY.year - 1 - y
            body = Attribution(f"单位{i}", "government", "assumed")
            store.save_version(
                replace(v, source=f"s{i}", url=f"http://127.0.0.1/s{i}/{year}.html", year=year, attribution=body)
            )
    store.close()
    import sqlite3  # noqa: PLC0415

    con = sqlite3.connect(db)
    with con:
        con.execute("CREATE TEMP TABLE n (i INTEGER PRIMARY KEY)")
        con.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(seeded, n)])
        con.execute("INSERT INTO bodies (name, kind) SELECT '单位' || i, 'government' FROM n")
        con.executemany(  # as the watcher's sync_sources leaves them
            "INSERT INTO sources (id, agency, kind, list_url) VALUES (?, ?, 'government', ?)",
            [(f"s{i}", f"单位{i}", f"http://127.0.0.1/s{i}/") for i in range(n)],
        )
        con.execute(
            "INSERT INTO documents (source, url, title, year, first_seen, body_id, body_how) SELECT 's' || n.i, "
            "'http://127.0.0.1/s' || n.i || '/' || d.year || '.html', d.title, d.year, d.first_seen, "
            "(SELECT id FROM bodies WHERE name = '单位' || n.i), 'assumed' FROM n JOIN documents d "
            f"ON d.source = 's' || (n.i % {seeded}) ORDER BY n.i, d.year"
        )
        con.execute(
            "INSERT INTO versions (document_id, fetched_at, sha256, content_hash, content_type, raw, text, report, "
            "findings, diff) SELECT c.id, v.fetched_at, v.sha256, v.content_hash, v.content_type, v.raw, v.text, "
            "v.report, v.findings, v.diff FROM documents c JOIN documents d ON d.year = c.year AND d.source = "
            f"'s' || (CAST(substr(c.source, 2) AS INTEGER) % {seeded}) JOIN versions v ON v.document_id = d.id "
            f"WHERE CAST(substr(c.source, 2) AS INTEGER) >= {seeded} ORDER BY c.id, v.id"
        )
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def written_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def site_pages(out: Path) -> tuple[int, int]:
    """(number of pages, the largest page's bytes)."""
    sizes = [p.stat().st_size for p in out.rglob("*.html")]
    return len(sizes), max(sizes)


@functools.lru_cache(maxsize=1)
def first_input() -> Any:
    return inputs()[0]


def change_one(settings: Any, source: str) -> None:
    """A new version of ``source``'s latest report with one more finding, stored the way the watcher does."""
    store = open_store(settings)
    try:
        year = TODAY.year - 1
        doc = store.document(f"http://127.0.0.1/{source}/{year}.html")
        assert doc is not None
        latest = store.latest_version(doc.id)
        assert latest is not None
        assert latest.report is not None
        report = latest.report
        raw = store.raw(latest.id) + b" "
        v = first_input()
        store.save_version(
            replace(
                v, source=source, url=doc.url, year=year, raw=raw, sha256=f"{time.time_ns():064x}", report=report,
                findings=[*latest.findings, *v.findings[:1]], attribution=None,
            )
        )  # fmt: skip
    finally:
        store.close()


def floor_render(rows: int) -> float:
    """A bare Jinja render of the report page's template (no tables, no findings) once per report, no store."""
    env = overview.environment()
    page = env.get_template("overview_report.html")
    start = time.monotonic()
    for _ in range(rows):
        page.render(
            s=status.Standing("s0", "单位", "government", 2024, "2025-03-31", "on_time"),
            state_cn="按时发布", report=None, findings=[], tables=[], versions=[], colours=overview.COLOURS,
            back="../g/s0.html", group="单位",
        )  # fmt: skip
    return time.monotonic() - start


def floor_write(folder: Path, files: int, total: int) -> float:
    """Writing ``total`` bytes into ``files`` files, each beside its name and renamed into place."""
    folder.mkdir(parents=True, exist_ok=True)
    each = max(total // max(files, 1), 1)
    start = time.monotonic()
    for i in range(max(files, 1)):
        tmp = folder / f".{i}.tmp"
        tmp.write_bytes(b"x" * each)
        os.replace(tmp, folder / f"{i}.html")
    return time.monotonic() - start


def one_size(folder: Path, n: int, years: int, runs: int) -> dict[str, Any]:
    db = folder / "govmon.db"
    start = time.monotonic()
    build_db(db, n, years)
    print(f"  {n} x {years}: database built in {time.monotonic() - start:.0f} s", file=sys.stderr)
    settings = load(config(folder, db, n))
    out = folder / "site"
    store = open_store(settings)
    before = written_bytes()
    start = time.monotonic()
    site = overview.build(settings, store, out, TODAY)
    full_s = time.monotonic() - start
    full_bytes = written_bytes() - before
    store.close()
    floor_full = floor_render(n * years)
    rebuilds, rebuild_bytes, files = [], [], []
    for r in range(runs):
        change_one(settings, f"s{(r * 7919) % n}")
        store = open_store(settings)
        before = written_bytes()
        start = time.monotonic()
        site = overview.build(settings, store, out, TODAY)
        rebuilds.append(time.monotonic() - start)
        rebuild_bytes.append(written_bytes() - before)
        files.append(len(site.written))
        store.close()
    pages, largest = site_pages(out)
    wrote = int(statistics.median(rebuild_bytes))
    floor = statistics.median(floor_write(folder / "floor", int(statistics.median(files)), wrote) for _ in range(3))
    rebuild_s = statistics.median(rebuilds)
    store = open_store(settings)
    start = time.monotonic()
    sum(1 for _ in status.standings(settings, store, overview.years_of(store, TODAY), TODAY))
    standings_s = time.monotonic() - start
    store.close()
    return {
        "sources": n,
        "years": years,
        "full_build": {"wall_s": round(full_s, 2), "mib_written": round(full_bytes / 2**20, 1),
                       "floor_bare_render_s": round(floor_full, 2), "ratio": round(full_s / floor_full, 1)},
        "rebuild_after_one_change": {
            "wall_s": round(rebuild_s, 3), "files_written": int(statistics.median(files)),
            "kib_written": round(wrote / 1024, 1), "floor_standings_s": round(standings_s, 3),
            "ratio_to_standings": round(rebuild_s / standings_s, 2), "floor_write_same_bytes_s": round(floor, 4),
        },
        "pages": pages,
        "largest_page_kib": round(largest / 1024, 1),
        "targets": {"rebuild_s": 2, "kib_written": 1024, "largest_page_kib": 500},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", default="2000,20000", help="comma-separated sizes (default 2000,20000)")
    parser.add_argument("--years", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, metavar="R", help="rebuilds measured (median)")
    args = parser.parse_args()
    for n in (int(s) for s in args.sources.split(",")):
        with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
            print(json.dumps(one_size(Path(tmp), n, args.years, args.runs), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
