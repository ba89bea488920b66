"""Finding a listing's links and a report page's attachments, beside lxml parsing the same page (issue #28).

    python benchmarks/bench_discover.py [-n RUNS]

For each real portal page of ../shared/corpus (*.html, 121-346 KiB of portal chrome, as a column page is), the
median of RUNS in-process calls of ``discover(page, url, link_pattern)`` and ``attachments(page, url)``, each
beside the floor measured in the same run: lxml's parse of the same text (UTF-8 bytes, as ``reading.tree``
parses them). PYTHONPATH selects the checkout measured (a copy of an older commit, for a before figure).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from monitor.model import DEFAULT_LINK_PATTERN
from monitor.watch.attachments import attachments
from monitor.watch.discover import discover

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
URL = "http://www.example.gov.cn/col/nb/index.html"


def median_ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    runs = parser.parse_args().runs
    pattern = re.compile(DEFAULT_LINK_PATTERN)
    print(f"{'page':48} {'KiB':>5} {'floor ms':>9} {'discover ms':>12} {'×':>5} {'attachments ms':>15} {'×':>5}")
    for path in sorted(CORPUS.glob("*.html")):
        page = path.read_text(encoding="utf-8")
        data = page.encode("utf-8")
        floor = median_ms(lambda: etree.fromstring(data, etree.HTMLParser(encoding="utf-8")), runs)  # noqa: B023
        found = median_ms(lambda: discover(page, URL, pattern), runs)  # noqa: B023
        attached = median_ms(lambda: attachments(page, URL), runs)  # noqa: B023
        print(
            f"{path.name[:48]:48} {len(data) // 1024:5d} {floor:9.2f} {found:12.2f} {found / floor:5.1f}"
            f" {attached:15.2f} {attached / floor:5.1f}"
        )


if __name__ == "__main__":
    main()
