"""Throughput of the checker: the five seeds, HTML pages and the real PDFs, in one process.

    python benchmarks/bench_check.py [N]      # N inputs, default 1000

Prints reports/second on one core, PDF pages/second, and the process's peak RSS. The real
portal pages (../shared/corpus, Word-pasted markup) are also timed against a floor measured in
the same run: a bare lxml parse of the same bytes, median of five rounds, printed as a ratio.
Target (issue #2): >= 200 reports/s on the text seeds.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

import lxml.html

from monitor.checks.pipeline import run_rules
from monitor.demo.pages import report_page
from monitor.reading.formats import extract
from monitor.reading.report import read_report

ROOT = Path(__file__).resolve().parent.parent


def run(label: str, inputs: list[bytes], n: int) -> dict[str, object]:
    findings = 0
    start = time.perf_counter()
    for i in range(n):
        findings += len(run_rules(read_report(inputs[i % len(inputs)], f"input-{i}")))
    elapsed = time.perf_counter() - start
    return {
        "inputs": label,
        "count": n,
        "mean_kib": round(sum(map(len, inputs)) / len(inputs) / 1024, 1),
        "seconds": round(elapsed, 2),
        "reports_per_second": round(n / elapsed, 1),
        "findings": findings,
    }


def real_pages_vs_lxml(rounds: int = 9) -> None:
    """govmon check on each real portal page over a bare lxml parse of the same bytes; and the HTML reader
    alone (bytes -> text blocks and grids, ``extract``) over the same floor."""
    corpus = ROOT.parent / "shared" / "corpus"
    for page in sorted(corpus.glob("*.html")):
        data = page.read_bytes()
        ratios, ours, reader = [], [], []
        for _ in range(rounds):
            start = time.perf_counter()
            lxml.html.document_fromstring(data)
            floor = time.perf_counter() - start
            start = time.perf_counter()
            run_rules(read_report(data, page.name))
            ours.append(time.perf_counter() - start)
            ratios.append(ours[-1] / floor)
            start = time.perf_counter()
            extract(data)
            reader.append((time.perf_counter() - start) / floor)
        print(
            json.dumps(
                {
                    "inputs": page.name,
                    "kib": len(data) // 1024,
                    "check_ms": round(statistics.median(ours) * 1000, 1),
                    "ratio_to_lxml_parse": round(statistics.median(ratios), 1),
                    "html_reader_ratio_to_lxml_parse": round(statistics.median(reader), 1),
                },
                ensure_ascii=False,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=1000, metavar="N", help="inputs to check (default 1000)")
    n = parser.parse_args().n
    seeds = [p.read_bytes() for p in sorted((ROOT / "monitor" / "demo" / "seeds").glob("*.txt"))]
    html = report_page(read_report(seeds[0], "seed").to_json()).encode("utf-8")
    for row in (
        run("five text seeds", seeds, n),
        run("HTML portal page (spanned tables, Word-style markup)", [html], n // 4),
    ):
        print(json.dumps(row, ensure_ascii=False))
    real_pages_vs_lxml()
    pdfs = sorted((ROOT / "tests" / "fixtures").glob("*.pdf"))
    start, pages = time.perf_counter(), 0
    for i in range(max(3, n // 50)):
        report = read_report(pdfs[i % len(pdfs)].read_bytes(), "pdf")
        run_rules(report)
        pages += report.pages
    elapsed = time.perf_counter() - start
    row = {
        "inputs": "three real published PDFs",
        "count": max(3, n // 50),
        "pages": pages,
        "pdf_pages_per_second": round(pages / elapsed, 1),
        "seconds": round(elapsed, 2),
    }
    print(json.dumps(row, ensure_ascii=False))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mib": round(peak_mb, 1)}))


if __name__ == "__main__":
    main()
