"""Stage: status. What a supervisor of many bodies asks about year Y: who has published, when, on time or
late, with errors or not, who is still missing after the deadline. One ``Standing`` per body and year (the
bodies of each source: its roster, else the bodies whose reports it listed, else its agency; a body listed on
two sources stands once, under the first), read from the store; ``govmon status`` prints them worst first and
``govmon overview`` draws them grouped by source.

A report counts as on time when its 发布日期 is on or before 第四十九条's deadline, or, when the page
gives no date, when govmon saw it before the deadline; otherwise its timeliness is unknown (govmon
may have started watching late): it is never called late on a guess.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from monitor.config import Settings, Source
from monitor.model import china_day, deadline
from monitor.model.bodies import normal_name, same_name
from monitor.reading.facts import title_body
from monitor.store import Store, StoredBody, UnreadableReport, YearReport
from monitor.watch.discover import unopened
from monitor.watch.expected import Owners, carried_here, expected, owners
from monitor.watch.listing import listing_complete

# Worst first: the order `status` sorts by, and the overview's legend.
STATES = {
    "missing": "逾期未发布",
    "unchecked": "未能检查",  # no report, and the source's listing not read whole since the deadline: nobody knows
    "errors": "有错误",
    "unreadable": "无法读取",  # a table that cannot be read, or a listed report that could not be read at all
    "late": "逾期发布",
    "warnings": "有警告",
    "undated": "发布日期不明",  # published, found only after its deadline, its page giving no 发布日期: on time or not?
    "on_time": "按时发布",
    "not_due": "未到期限",
}
TIMELY_CN = {"on_time": "按时", "late": "逾期", "unknown": "发布日期不明"}


@dataclass
class Standing:
    source: str
    agency: str
    kind: str
    year: int
    due: str
    state: str  # a key of STATES
    timely: str | None = None  # on_time, late, unknown (None: nothing published)
    title: str | None = None
    url: str | None = None
    published: str | None = None  # the report's 发布日期, when the page gives one
    found: str | None = None  # when govmon first saw it
    versions: int = 0
    version_id: int | None = None
    errors: int = 0
    warnings: int = 0
    unreadable: list[str] = field(default_factory=list)  # tables that could not be read
    resolved: list[str] = field(default_factory=list)  # findings of the version before that this one no longer has
    source_error: str | None = None  # the source's last poll failed: why
    read_on: str | None = None  # the day (in China) its source's listing was last read (None: never)
    listing_cut: bool = False  # its source's listing, as last read, went on past max_pages: not read whole
    error: str | None = None  # the report listed for this year could not be read (this time): why
    body: str | None = None  # the body whose report this is (added to status --json with body_kind, body_how)
    body_kind: str | None = None
    body_how: str | None = None  # how its report was attributed (model.bodies.HOW; assumed: the source's agency)
    checked: int = field(default=0, repr=False)  # a digest of the version's findings (not in --json): the overview
    # rewrites a report's page when it changed, and a version checked again keeps its id

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["checked"]
        return {**data, "state_cn": STATES[self.state]}


def _standing(
    source: Source,
    body: tuple[str, str],
    year: int,
    row: YearReport | None,
    today: date,
    *,
    bad: UnreadableReport | None,
) -> Standing:
    due = deadline(year, body[1])
    s = Standing(source.id, source.agency, source.kind, year, due.isoformat(), "not_due", body=body[0])
    s.body_kind, s.error = body[1], bad.error if bad else None
    if row is None and bad:  # listed, but not read: never called missing
        s.state, s.title, s.url = "unreadable", bad.title, bad.url
        return s
    if row is None:
        s.state = "missing" if today > due else "not_due"
        return s
    s.body_how = row.body_how
    findings = row.findings
    s.checked = zlib.crc32(repr(findings).encode())
    keys = {f.key for f in findings}
    s.title, s.url = row.title, row.url
    s.versions, s.version_id = row.versions, row.version_id
    s.published = row.published
    s.found = china_day(row.first_seen).isoformat() if row.first_seen else None  # the day in China, as 发布日期
    if s.found and date.fromisoformat(s.found) <= due:  # out by the day govmon first read it, whatever date a
        s.timely = "on_time"  # later version gives (a correction dated the day it was made: review 113)
    elif s.published:
        s.timely = "on_time" if date.fromisoformat(s.published) <= due else "late"
    else:
        s.timely = "unknown"
    s.errors = sum(f.severity == "error" for f in findings)
    s.warnings = sum(f.severity == "warning" for f in findings)
    s.unreadable = [k for k, st in row.table_status.items() if st in ("image", "ambiguous")]
    if row.before:
        s.resolved = [f.message for f in row.before if f.key not in keys and f.rule != "revision.changed"]
    if s.errors:
        s.state = "errors"
    elif s.unreadable:
        s.state = "unreadable"
    elif s.timely == "late":
        s.state = "late"
    elif s.warnings:
        s.state = "warnings"
    else:
        s.state = "undated" if s.timely == "unknown" else "on_time"
    return s


def bodies_of(source: Source, stored: list[StoredBody], owned: Owners) -> list[tuple[str, str]]:
    """(name, kind) of each body the source carries: its roster, then the other bodies whose reports it listed, but
    those another source names (shown there, where they are expected: ``watch.expected``); without either, its
    agency."""
    out = [(b.name, b.kind) for b in source.bodies]
    out += [
        (b.name, b.kind or source.kind)
        for b in carried_here(source, stored, owned)
        if not any(b.name == name for name, _ in out)
    ]
    return out or [(normal_name(source.agency), source.kind)]


def _unread(bad: list[UnreadableReport], body: str, own: str) -> UnreadableReport | None:
    """The source's listed report that could not be read and may be ``body``'s (its title names no other; one
    govmon cannot follow naming none is the source's ``own`` body's, as its alarm is held back: ``watch.poll``)."""
    for r in bad:
        named = title_body(r.title) or (own if unopened(r.url) else None)
        if named is None or same_name(named, body):
            return r
    return None


Bodies = list[tuple[str, str]]  # (name, kind) of each body a source carries


def carried(settings: Settings, store: Store, only: Iterable[Source] | None = None) -> list[tuple[Source, Bodies]]:
    """Per configured source (of ``only``, else all, in sources.toml order), the bodies it carries (``bodies_of``):
    for all of them, every stored body read in one query."""
    sources = settings.sources if only is None else list(only)
    stored, owned = _stored(store, sources, every=only is None), owners(settings.sources)
    return [(source, bodies_of(source, stored.get(source.id, []), owned)) for source in sources]


def _stored(store: Store, sources: Iterable[Source], *, every: bool) -> dict[str, list[StoredBody]]:
    """Per source, its bodies with reports stored: for ``every`` source in one query."""
    if not every:
        return {source.id: store.bodies(source.id) for source in sources}
    stored: dict[str, list[StoredBody]] = {}
    for body in store.bodies():  # by name, as ``store.bodies(source)`` gives each source's
        for source_id in body.sources:
            stored.setdefault(source_id, []).append(body)
    return stored


def shown(groups: list[tuple[Source, Bodies]]) -> list[tuple[Source, Bodies]]:
    """Each body under one source that carries it: its own (the source whose agency it is: its listing read there,
    its alarm told from there; review 106), else the first (sources.toml order). A body listed on two stands once."""
    under: dict[str, tuple[int, int]] = {}
    for n, (source, bodies) in enumerate(groups):
        for name, _ in bodies:
            under[name] = min(under.get(name, (2, n)), (rank(source, name), n))
    return [(source, [b for b in bodies if under[b[0]][1] == n]) for n, (source, bodies) in enumerate(groups)]


def rank(source: Source, name: str) -> int:
    """Where a body carried by several sources is shown: 0 under its own source, 1 elsewhere."""
    return 0 if same_name(name, source.agency) else 1


def standings(settings: Settings, store: Store, years: Iterable[int], today: date) -> Iterator[Standing]:
    """Per configured source and each of its bodies, per year, the body's standing (sources.toml order)."""
    groups = shown(carried(settings, store))
    yield from standings_of(
        store, groups, years, today, owners(settings.sources), every=True, failing_after=settings.failure_threshold
    )


def standings_of(
    store: Store,
    groups: list[tuple[Source, Bodies]],
    years: Iterable[int],
    today: date,
    owned: Owners,
    *,
    every: bool = False,
    failing_after: int = 2,
) -> Iterator[Standing]:
    """The standings of the bodies ``groups`` show, by year then source: of every configured source (``every``:
    each table read whole), or of a few (the overview's rebuild: read by source and body). ``owned``: the bodies
    each source's agency or roster names (``expected.owners``); ``failing_after``: ``failure_threshold``."""
    ids = [source.id for source, _ in groups]
    states = list(store.sources()) if every else [store.source_state(i) for i in ids]
    errors = {s.id: s.last_error for s in states if s.consecutive_failures}
    failing = {s.id for s in states if s.consecutive_failures >= failing_after}
    if every:
        read = store.sources_read()
        names = None
    else:
        read = store.sources_read(ids)
        names = [name for _, bodies in groups for name, _ in bodies]
    cut = {source.id for source, _ in groups if source.id in read and not listing_complete(store, source)}
    stored = _stored(store, (source for source, _ in groups), every=every)
    # the first year each body is expected (``watch.expected``, as its late alarm is raised); a body not expected
    # (off the roster, a 热点 box's one report) is shown only in the years its reports were found
    since = {
        source.id: {e.name: e.since or 0 for e in expected(source, stored.get(source.id, []), (), lambda: owned)}
        for source, _ in groups
    }
    unreadable = {} if every else {i: store.unreadable_reports(source=i) for i in ids}
    for year in years:
        rows = store.body_year_reports(year, names)
        bad = (
            store.unreadable_reports(year=year) if every else [r for i in ids for r in unreadable[i] if r.year == year]
        )
        for source, bodies in groups:
            for body in bodies:
                unread = _unread(
                    [r for r in reversed(bad) if r.source == source.id], body[0], normal_name(source.agency)
                )
                if body[0] not in rows and unread is None and year < since[source.id].get(body[0], year + 1):
                    continue  # not expected that year: nothing to say of it
                s = _standing(source, body, year, rows.get(body[0]), today, bad=unread)
                s.source_error = errors.get(source.id)
                s.read_on = china_day(read[source.id]).isoformat() if source.id in read else None
                s.listing_cut = source.id in cut
                whole = s.read_on is not None and s.read_on > s.due and not s.listing_cut
                if s.state == "missing" and (not whole or source.id in failing):
                    s.state = "unchecked"  # (its listing not read whole since the deadline, or failing, as its mail
                    # said: whether it is there now is not known, review 113; one failed fetch leaves the 逾期未发布 a
                    # whole reading after the deadline told, review 114)
                yield s


def worst_first(items: Iterable[Standing]) -> list[Standing]:
    order = {k: i for i, k in enumerate(STATES)}
    return sorted(items, key=lambda s: (order[s.state], -s.errors, -s.warnings, s.source, s.body or ""))


def totals(items: list[Standing]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for s in items:
        counts[s.state] += 1
    return {
        "sources": len({s.source for s in items}),
        "bodies": len(items),
        "published": sum(s.timely is not None for s in items),
        **counts,
    }
