"""Stage: overview. The static site a supervisor opens from disk (``govmon overview --out DIR``, and the
service after its polls when ``overview_dir`` is set): ``index.html``, a grid of sources × years coloured
by each standing (status.py), and ``r/<version>.html`` per report with its three tables, the failing
cells highlighted, the findings in Chinese, and its versions with what changed between them.

Plain HTML and CSS from the templates in alerts/ (overview.html, overview_report.html): no JavaScript,
nothing fetched from elsewhere, readable at phone width. Jinja2 escapes every scraped string. Each file
is written beside its final name and renamed into place, so a reader never sees half a page.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from monitor.alerts.render import DEFAULT_TEMPLATES, diff_view, finding_views, hot_cells, table_view
from monitor.config import Settings
from monitor.model import STATUS_CN, TABLE_LABELS
from monitor.present import status
from monitor.store import Store, open_store

YEARS_SHOWN = 7  # the grid's columns: the last years a supervisor still acts on
REBUILD_EVERY = 300.0  # the service rebuilds at most this often (seconds), after a poll
COLOURS = {  # background, text: the legend and the grid
    "missing": ("#b71c1c", "#fff"),
    "unchecked": ("#455a64", "#fff"),
    "errors": ("#e65100", "#fff"),
    "unreadable": ("#6a1b9a", "#fff"),
    "late": ("#f9a825", "#222"),
    "warnings": ("#c5e1a5", "#222"),
    "on_time": ("#2e7d32", "#fff"),
    "not_due": ("#eeeeee", "#555"),
}


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(DEFAULT_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=True,  # every scraped title, agency, message and number is escaped
    )


def _write(path: Path, text: str) -> None:
    """Write a page only when its bytes changed: the service rebuilds the site every few minutes, and rewriting
    every report's page each time (12,001 files at 2,000 sources × 7 years) wore the disk for nothing."""
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def years_of(store: Store, today: date) -> list[int]:
    """The grid's years: from the oldest report stored (at most YEARS_SHOWN back) to last year."""
    span = store.year_span()
    last = today.year - 1
    first = max(span[0], last - YEARS_SHOWN + 1) if span else last
    return list(range(min(first, last), last + 1))


def _report_page(store: Store, s: status.Standing) -> dict[str, Any]:
    versions = store.history(s.version_id)  # type: ignore[arg-type]
    latest = versions[-1]
    report, findings = latest.report, latest.findings
    hot = hot_cells(findings)
    tables = []
    for key, state in (report.table_status if report else {}).items():
        numbers = report.tables.get(key) if report else None
        view = table_view(key, numbers, hot.get(key, set())) if numbers else {"name": TABLE_LABELS[key], "rows": []}
        tables.append({**view, "status": STATUS_CN.get(state, state)})
    history = []
    for v in versions:
        diff = diff_view(v.diff) if v.diff else None
        history.append({"fetched": v.fetched_at[:16].replace("T", " "), "id": v.id, "diff": diff})
    return {
        "s": s,
        "state_cn": status.STATES[s.state],
        "report": report,
        "findings": finding_views(findings),
        "tables": tables,
        "versions": history,
        "colours": COLOURS,
    }


def build(settings: Settings, store: Store, out: Path, today: date, years: list[int] | None = None) -> Path:
    """Write the site into ``out``; returns the index page's path."""
    env = _environment()
    years = years or years_of(store, today)
    grid: dict[tuple[str, str], dict[int, status.Standing]] = {}  # (source, body) -> year -> standing
    for s in status.standings(settings, store, years, today):
        grid.setdefault((s.source, s.body or s.agency), {})[s.year] = s
    latest = [row[years[-1]] for row in grid.values()]
    page = env.get_template("overview_report.html")
    for row in grid.values():
        for s in row.values():
            if s.version_id is not None:
                _write(out / "r" / f"{s.version_id}.html", page.render(**_report_page(store, s)))
    order = {k: i for i, k in enumerate(status.STATES)}
    place = {src.id: i for i, src in enumerate(settings.sources)}
    cells = {key: [row[y] for y in years] for key, row in grid.items()}
    # grouped by source (sources.toml order), the worst body of each on top
    keys = sorted(cells, key=lambda k: (place[k[0]], min(order[c.state] for c in cells[k]), k[1]))
    sources = {src.id: src for src in settings.sources}
    rows = [{"source": sources[k[0]], "body": k[1], "cells": cells[k]} for k in keys]
    index = env.get_template("overview.html").render(
        years=years,
        rows=rows,
        today=today.isoformat(),
        totals=status.totals(latest),
        states=status.STATES,
        colours=COLOURS,
        timely=status.TIMELY_CN,
    )
    _write(out / "index.html", index)
    return out / "index.html"


class Rebuilder:
    """The service's overview: rebuilt after a poll, at most every REBUILD_EVERY seconds (clock injected)."""

    def __init__(
        self, settings: Settings, clock: Callable[[], float] = time.monotonic, every: float = REBUILD_EVERY
    ) -> None:
        self.settings, self.clock, self.every = settings, clock, every
        self.last = -every - 1.0

    def due(self) -> bool:
        return self.settings.overview_dir is not None and self.clock() - self.last >= self.every

    def __call__(self, today: date) -> Path | None:
        """Build now if due, with its own connection (it runs in a worker thread)."""
        if not self.due():
            return None
        self.last = self.clock()
        store = open_store(self.settings)
        try:
            return build(self.settings, store, self.settings.overview_dir, today)  # type: ignore[arg-type]
        finally:
            store.close()
