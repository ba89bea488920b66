"""The admin commands on a province-sized database: `govmon reports`, `reports --json`, `status` and
`sources` over N sources x Y years of real reports, each beside a floor measured in the same run.

    python benchmarks/bench_admin.py [--sources N] [--years Y] [--runs R] [--db PATH]

The database is built the way the watcher stores a report (Store.save_version: the raw body, the report
JSON, its text, findings and copy prints) from the real pages of ../shared/corpus and the seeds in turn,
one document per source and year. With --db an existing file is reused (built there first if missing).
Each command runs in its own process; wall seconds and peak RSS (from wait4) are the median of R runs.
The floor: a bare Python sqlite3 script printing a line per document with its latest findings, the
rows `reports` prints. Targets (issue #12): peak RSS <= 250 MB; database <= 2 GB at 20,000 x 7.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
GOVMON = str(Path(sys.executable).parent / "govmon")
FLOOR = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
sql = ("SELECT d.source, d.url, d.title, d.year, v.findings FROM documents d JOIN versions v ON v.id = "
       "(SELECT max(id) FROM versions WHERE document_id = d.id) ORDER BY d.source, d.year DESC")
for source, url, title, year, findings in con.execute(sql):
    print(f"[{source}] {title or url} ({year})\\n    {url}\\n    {findings}")
"""


def inputs() -> list[Any]:
    """Each real input read once as the watcher reads it: a version to store copies of."""
    from monitor.checks import copies  # noqa: PLC0415  (the measuring process stays small: its RSS is its children's floor)
    from monitor.checks.pipeline import run_rules  # noqa: PLC0415
    from monitor.checks.revision import snapshot  # noqa: PLC0415
    from monitor.reading.report import read_report  # noqa: PLC0415
    from monitor.store import NewVersion  # noqa: PLC0415

    files = sorted((SHARED / "corpus").glob("*.*")) + sorted((SHARED / "seeds").glob("*.txt"))
    out = []
    for path in files:
        if path.suffix == ".md" and path.name == "README.md":
            continue
        raw = path.read_bytes()
        report = read_report(raw, path.name)
        _, content_hash = snapshot(report)
        version = NewVersion(
            "", "", report.title, report.year, raw, hashlib.sha256(raw).hexdigest(), content_hash,
            path.suffix.lstrip("."), report, run_rules(report), None, None, None, copies.prints(report),
        )  # fmt: skip
        out.append(version)
    return out


def build(db: Path, n: int, years: int) -> None:
    from monitor.store import open_store  # noqa: PLC0415

    reports = inputs()
    store = open_store(db)
    start = time.monotonic()
    for i in range(n):
        for y in range(years):
            v = reports[(i * years + y) % len(reports)]
            year = 2024 - y
            store.save_version(replace(v, source=f"s{i}", url=f"http://127.0.0.1/s{i}/{year}.html", year=year))
        if i % 1000 == 999:
            print(f"  built {i + 1} sources x {years} years in {time.monotonic() - start:.0f} s", file=sys.stderr)
    store.close()


def config(folder: Path, db: Path, n: int) -> Path:
    lines = [f'[monitor]\ndatabase = "{db}"\n']
    for i in range(n):
        lines.append(
            f'[[source]]\nid = "s{i}"\nagency = "单位{i}"\nkind = "government"\nlist_url = "http://127.0.0.1/s{i}/"\n'
        )
    path = folder / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def measure(argv: list[str], runs: int) -> dict[str, float]:
    walls, rss = [], []
    for _ in range(runs):
        start = time.monotonic()
        with open(os.devnull, "wb") as sink:
            proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.monotonic() - start)
        rss.append(usage.ru_maxrss / 1024)
        if status != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode() if proc.stderr else status}")
    return {"wall_s": round(statistics.median(walls), 2), "peak_rss_mib": round(statistics.median(rss), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=20_000, metavar="N")
    parser.add_argument("--years", type=int, default=7, metavar="Y")
    parser.add_argument("--runs", type=int, default=3, metavar="R")
    parser.add_argument("--db", type=Path, help="keep (or reuse) the database here")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.db, args.sources, args.years)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = (args.db or Path(tmp) / "bench.db").resolve()
        if not db.exists():
            start = time.monotonic()
            argv = [sys.executable, __file__, "--build-only", "--db", str(db)]
            subprocess.run([*argv, "--sources", str(args.sources), "--years", str(args.years)], check=True)
            print(f"  built in {time.monotonic() - start:.0f} s", file=sys.stderr)
        cfg = str(config(Path(tmp), db, args.sources))
        size = db.stat().st_size + sum(p.stat().st_size for p in db.parent.glob(db.name + "-wal"))
        out: dict[str, object] = {
            "source_count": args.sources,
            "years": args.years,
            "database_mib": round(size / 2**20),
            "kib_per_report": round(size / 1024 / (args.sources * args.years), 1),
        }
        floor = measure([sys.executable, "-c", FLOOR, str(db)], args.runs)
        out["floor"] = floor
        commands = {
            "reports": ["reports"],
            "reports --json": ["reports", "--json"],
            "status": ["status", "--year", "2023", "--as-of", "2024-06-01"],
            "sources": ["sources"],
        }
        for name, argv in commands.items():
            got = measure([GOVMON, *argv, "--config", cfg], args.runs)
            out[name] = {**got, "ratio": round(got["wall_s"] / floor["wall_s"], 1)}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
