"""Stage: overview. The static site a supervisor opens from disk (``govmon overview --out DIR``, and the
service after its polls when ``overview_dir`` is set), split so that every page opens at once on a phone at
any number of sources:

- ``index.html`` (and ``index-2.html``… past GROUPS_PER_PAGE groups): the summary, each group (a source and
  the bodies it carries, sources.toml order) with its bodies' counts by state for the last year, and the
  totals;
- ``g/<source>.html`` (and ``g/<source>-2.html``… past ROWS_PER_PAGE bodies): the group's grid of bodies ×
  years coloured by each standing (status.py), worst body first;
- ``r/<version>.html``: a report with its three tables, the failing cells highlighted, the findings in
  Chinese, and its versions with what changed between them.

Plain HTML and CSS from the templates in alerts/ (overview.html, overview_group.html, overview_report.html):
no JavaScript, nothing fetched from elsewhere, readable at phone width. Jinja2 escapes every scraped string.
Only the pages whose content changed since the last build are rendered and written (pages.py): a rebuild
after one new report writes its page, its group's page and the summary pages that count it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from monitor.alerts.render import DEFAULT_TEMPLATES, diff_view, finding_views, hot_cells, table_view
from monitor.config import Settings, Source, cache
from monitor.model import STATUS_CN, TABLE_LABELS, said_cn
from monitor.present import ledger, status
from monitor.present.pages import Pages, mark
from monitor.store import Store, open_store
from monitor.watch.expected import owners

YEARS_SHOWN = 7  # the grid's columns: the last years a supervisor still acts on
REBUILD_EVERY = 300.0  # the service rebuilds at most this often (seconds), after a poll
ROWS_PER_PAGE = 200  # bodies on one group page (~2 KB each at 7 years): a roster of thousands is split
GROUPS_PER_PAGE = 500  # groups on one summary page (~0.4 KB each)
TEMPLATES = ("overview.html", "overview_group.html", "overview_report.html")
COLOURS = {  # background, text: the legend and the grid
    "missing": ("#b71c1c", "#fff"),
    "unchecked": ("#455a64", "#fff"),
    "errors": ("#e65100", "#fff"),
    "unreadable": ("#6a1b9a", "#fff"),
    "late": ("#f9a825", "#222"),
    "warnings": ("#c5e1a5", "#222"),
    "undated": ("#a5d6a7", "#222"),
    "on_time": ("#2e7d32", "#fff"),
    "not_due": ("#eeeeee", "#555"),
}
ORDER = {k: i for i, k in enumerate(status.STATES)}


@dataclass
class Site:
    """What a build did: the summary's first page, and the pages it wrote and deleted (unchanged ones are not)."""

    index: Path
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


@dataclass
class Group:
    """A source and the bodies it carries: each body's standing per year, worst body first."""

    source: Source
    rows: list[tuple[str, list[status.Standing]]]  # (body, a standing per year of the grid)

    def pages(self) -> list[str]:
        """The group's page names: one per ROWS_PER_PAGE bodies."""
        n = max(1, -(-len(self.rows) // ROWS_PER_PAGE))
        return [f"g/{self.source.id}.html"] + [f"g/{self.source.id}-{i}.html" for i in range(2, n + 1)]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DEFAULT_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=True,  # every scraped title, agency, message and number is escaped
    )
    env.filters["said"] = said_cn  # a fetch's failure as staff read it
    return env


def years_of(store: Store, today: date) -> list[int]:
    """The grid's years: from the oldest report stored (at most YEARS_SHOWN back) to last year."""
    span = store.year_span()
    last = today.year - 1
    first = max(span[0], last - YEARS_SHOWN + 1) if span else last
    return list(range(min(first, last), last + 1))


def _report_page(store: Store, s: status.Standing, back: str, group: str) -> dict[str, Any]:
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
        "back": back,
        "group": group,
    }


def groups_of(groups: list[tuple[Source, status.Bodies]], standings: Iterable[status.Standing]) -> list[Group]:
    """A ``Group`` per source of ``groups`` (the bodies each shows), in that order, each source's bodies worst
    first: ``standings`` are theirs."""
    grid: dict[str, dict[str, list[status.Standing]]] = {}  # source -> body -> a standing per year
    for s in standings:
        grid.setdefault(s.source, {}).setdefault(s.body or s.agency, []).append(s)
    out = []
    for source, _ in groups:
        bodies = grid.get(source.id, {})
        rows = sorted(bodies.items(), key=lambda kv: (min(ORDER[c.state] for c in kv[1]), kv[0]))
        out.append(Group(source, rows))
    return out


@dataclass
class _Build:
    pages: Pages
    env: jinja2.Environment
    store: Store
    years: list[int]
    settings: Settings


def _render_report(b: _Build, s: status.Standing, back: str, group: str) -> str:
    return b.env.get_template("overview_report.html").render(**_report_page(b.store, s, back, group))


def _group_pages(b: _Build, group: Group, index: str) -> None:
    """The group's grid pages and the pages of the reports they link to."""
    names = group.pages()
    grid = b.env.get_template("overview_group.html")
    for n, name in enumerate(names):
        rows = group.rows[n * ROWS_PER_PAGE : (n + 1) * ROWS_PER_PAGE]
        back = f"../{name}"
        for _, cells in rows:
            for s in (c for c in cells if c.version_id is not None):
                render = functools.partial(_render_report, b, s, back, group.source.agency)
                b.pages.page(
                    group.source.id, f"r/{s.version_id}.html", mark(s, s.checked, back, group.source.agency), render
                )
        context = {
            "source": group.source, "years": b.years, "rows": rows, "parts": names, "part": name, "index": index,
            "states": status.STATES, "colours": COLOURS,
        }  # fmt: skip
        digest = mark(group.source, b.years, rows, names, name, index)
        b.pages.page(group.source.id, name, digest, functools.partial(grid.render, **context))


EARLIER = ("missing", "errors", "unreadable")  # what the summary counts in the years before the last


def _counts(group: Group) -> dict[str, int]:
    """The group's bodies per state in the grid's last year, and (``earlier``) its cells of the years before
    that are 逾期未发布, 有错误 or 无法读取: still to act on, and not in the last year's counts; ``published``:
    its bodies with a report of the last year (the summary's totals)."""
    counts = dict.fromkeys(status.STATES, 0)
    counts["earlier"] = counts["published"] = 0
    for _, cells in group.rows:
        counts[cells[-1].state] += 1
        counts["earlier"] += sum(c.state in EARLIER for c in cells[:-1])
        counts["published"] += cells[-1].timely is not None
    return counts


def _totals(entries: list[ledger.Entry]) -> dict[str, int]:
    """``status.totals`` of every body's last-year standing, from the groups' counts."""
    return {
        "sources": sum(e.bodies > 0 for e in entries),
        "bodies": sum(e.bodies for e in entries),
        "published": sum(e.counts["published"] for e in entries),
        **{k: sum(e.counts.get(k, 0) for e in entries) for k in status.STATES},  # (a state added since a ledger)
    }


def _summary_pages(b: _Build, book: ledger.Ledger, today: date) -> None:
    """The summary's pages: a row per source from the ledger (its group as last computed), the totals."""
    template, sources, years = b.env.get_template("overview.html"), b.settings.sources, b.years
    n = max(1, -(-len(sources) // GROUPS_PER_PAGE))
    names = ["index.html"] + [f"index-{i}.html" for i in range(2, n + 1)]
    totals = _totals([book.entries[s.id] for s in sources])
    for i, name in enumerate(names):
        rows = [
            {
                "source": s,
                "page": f"g/{s.id}.html",
                "bodies": book.entries[s.id].bodies,
                "counts": {**dict.fromkeys(status.STATES, 0), **book.entries[s.id].counts},  # (a state added since)
            }
            for s in sources[i * GROUPS_PER_PAGE : (i + 1) * GROUPS_PER_PAGE]
        ]
        first = i == 0  # the totals and the date only on the first page: one change rewrites one other page
        context = {
            "years": years, "rows": rows, "parts": names, "part": name, "first": first, "today": today.isoformat(),
            "totals": totals, "states": status.STATES, "colours": COLOURS, "groups": len(sources),
        }  # fmt: skip
        digest = mark(years, rows, names, name, (today, totals, len(sources)) if first else None)
        b.pages.page("_summary", name, digest, functools.partial(template.render, **context))


def build(settings: Settings, store: Store, out: Path, today: date, years: list[int] | None = None) -> Site:
    """Write the site into ``out``: the pages whose content changed since the last build. The groups computed
    are those of the sources the store says changed since that build (ledger.py), or, without a ledger that
    fits, all of them."""
    env = environment()
    years = years or years_of(store, today)
    pages = Pages(out, salt(env))
    book = ledger.Ledger.load(out, ledger.key(settings, years, today, GROUPS_PER_PAGE, pages.salt), GROUPS_PER_PAGE)
    changes = store.source_changes()  # before reading: a write during the build moves the mark again
    every = not book.fits(settings)
    if every:
        book.entries = {}  # every group again, in sources.toml's order
        carried = status.carried(settings, store)
        shown = status.shown(carried)
    else:
        carried = status.carried(settings, store, ledger.affected(settings, store, book, changes))
        shown = ledger.shown(settings, store, book, carried)
    b = _Build(pages, env, store, years, settings)
    order = {s.id: i for i, s in enumerate(settings.sources)}
    groups = groups_of(
        shown,
        status.standings_of(
            store, shown, years, today, owners(settings.sources), every=every, failing_after=settings.failure_threshold
        ),
    )
    for (source, held), group in zip(carried, groups, strict=True):
        n = order[source.id]
        _group_pages(b, group, "../" + _index_of(n))
        entry = ledger.Entry(
            changes.get(source.id, 0), ledger.configured(source), held, len(group.rows), _counts(group)
        )
        book.put(n, source.id, entry)
    _summary_pages(b, book, today)
    removed = pages.finish(every)
    book.save(settings, every)
    return Site(out / "index.html", pages.written, removed)


def _index_of(group: int) -> str:
    """The summary page listing the ``group``-th group."""
    part = group // GROUPS_PER_PAGE
    return "index.html" if part == 0 else f"index-{part + 1}.html"


def salt(env: jinja2.Environment) -> int:
    """The templates' digest, the grid's paging and govmon's code: after an upgrade that changes how a page is
    drawn, how a grid is split or how a standing is read or counted, every group's pages are drawn again."""
    return mark(ROWS_PER_PAGE, cache.code(), *(_template_source(env, t) for t in TEMPLATES))


def _template_source(env: jinja2.Environment, name: str) -> str:
    loader = env.loader
    assert loader is not None
    return loader.get_source(env, name)[0]


class Rebuilder:
    """The service's overview: rebuilt after a poll, at most every REBUILD_EVERY seconds (clock injected)."""

    def __init__(
        self, settings: Settings, clock: Callable[[], float] = time.monotonic, every: float = REBUILD_EVERY
    ) -> None:
        self.settings, self.clock, self.every = settings, clock, every
        self.last = -every - 1.0

    def due(self) -> bool:
        return self.settings.overview_dir is not None and self.clock() - self.last >= self.every

    def __call__(self, today: date) -> Site | None:
        """Build now if due, with its own connection (it runs in a worker thread)."""
        if not self.due():
            return None
        self.last = self.clock()
        store = open_store(self.settings)
        try:
            return build(self.settings, store, self.settings.overview_dir, today)  # type: ignore[arg-type]
        finally:
            store.close()
