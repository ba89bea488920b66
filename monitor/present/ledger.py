"""What the overview builds again: the sources whose standing may have changed since its last build, and the
record of every source's group the summary pages count (the ledger), kept beside the pages.

The store gives each source a new mark with every write its standing depends on (``Store.source_changes``);
the ledger keeps, per source, the mark it was last built from, the bodies it carried then and its counts by
state. A rebuild computes the standings of the sources whose mark moved and of every source that carries one of
their bodies (a body stands under the first source carrying it, and its report may be stored through another),
and draws the summary from the ledger: at 20,000 sources × 7 years, the read of 140,000 standings (tens of
seconds) becomes the read of a few. Anything the marks cannot tell (sources.toml, the database, the grid's
years, a deadline passed since, an upgrade: the key) makes the next build a whole one; so does a missing or
damaged ledger.

Files: ``.marks/_ledger.json`` (the key and the number of parts) and ``.marks/_groups-N.json`` (the groups of
the summary's N-th page): a change rewrites its part's file, never all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from monitor.config import Settings, Source
from monitor.model import deadline
from monitor.model.bodies import normal_name
from monitor.model.statute import KIND_CN
from monitor.present import status
from monitor.present.pages import MARKS, mark, write
from monitor.store import Store
from monitor.watch.expected import named_by


@dataclass
class Entry:
    """A source's group as a build left it."""

    changed: int  # the store's mark for the source it was built from
    config: int  # its settings the grid shows or depends on (``configured``)
    carried: list[tuple[str, str]]  # the bodies the source carried (before a body listed on two stood once)
    bodies: int  # the bodies its grid shows
    counts: dict[str, int]  # per state in the grid's last year, ``earlier`` and ``published`` (status.totals)


def key(settings: Settings, years: list[int], today: date, parts: int, salt: int) -> int:
    """What a rebuild from the ledger takes as unchanged: the database, the grid's years, which deadlines have
    passed (a body without a report turns from 未到期限 to 逾期未发布), the summary's paging, the templates and the
    grid's paging (``salt``: an upgrade that changes them draws every page again). (The sources are checked one
    by one: ``configured``, ``Ledger.fits``.)"""
    passed = sorted((y, k) for y in years for k in KIND_CN if today > deadline(y, k))
    return mark(settings.database, years, passed, parts, salt)


def configured(source: Source) -> int:
    """A source's settings its grid shows or depends on: its agency and kind, its roster, its listing's address
    and pages (whether the listing was read to its end is told from the pages stored under that address)."""
    return mark(source.agency, source.kind, source.list_url, source.max_pages, source.bodies)


@dataclass
class Ledger:
    folder: Path  # the site's .marks
    key: int
    per_part: int  # groups on one summary page
    entries: dict[str, Entry] = field(default_factory=dict)  # in sources.toml order as last built
    dirty: set[int] = field(default_factory=set)  # parts to write
    parts: int = 0  # as last written

    @classmethod
    def load(cls, out: Path, key: int, per_part: int) -> Ledger:
        """The last build's ledger if it was made under ``key``; an empty one (a whole build) otherwise."""
        ledger = cls(out / MARKS, key, per_part)
        try:
            head = json.loads((ledger.folder / "_ledger.json").read_text(encoding="utf-8"))
            if head["key"] != key:
                return ledger
            for n in range(head["parts"]):
                part = json.loads((ledger.folder / f"_groups-{n}.json").read_text(encoding="utf-8"))
                for source, (changed, config, carried, bodies, counts) in part.items():
                    ledger.entries[source] = Entry(changed, config, [(a, b) for a, b in carried], bodies, counts)
            ledger.parts = head["parts"]
        except (OSError, ValueError, KeyError, TypeError):  # none yet, or damaged: built whole
            ledger.entries = {}
        return ledger

    def fits(self, settings: Settings) -> bool:
        """Whether a rebuild can start from it: the sources it knows are the first of sources.toml, in their
        order (sources added at the end are new groups; one removed or moved shifts every page after it)."""
        known = list(self.entries)
        return bool(known) and known == [s.id for s in settings.sources[: len(known)]]

    def put(self, index: int, source: str, entry: Entry) -> None:
        """The group of the ``index``-th source (sources.toml order) as built now."""
        if self.entries.get(source) != entry:
            self.entries[source] = entry
            self.dirty.add(index // self.per_part)

    def save(self, settings: Settings, every: bool) -> None:
        """The changed parts (``every``: all), then the head naming the key they were built under."""
        ids = [s.id for s in settings.sources]
        parts = max(1, -(-len(ids) // self.per_part))
        for n in range(parts) if every else sorted(self.dirty):
            chunk = ids[n * self.per_part : (n + 1) * self.per_part]
            data = {
                i: [e.changed, e.config, e.carried, e.bodies, e.counts] for i in chunk if (e := self.entries.get(i))
            }
            write(self.folder / f"_groups-{n}.json", json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        if every:
            for stale in self.folder.glob("_groups-*.json"):
                with contextlib.suppress(ValueError, OSError):
                    if int(stale.stem.split("-")[1]) >= parts:
                        stale.unlink()
        if every or parts != self.parts:
            write(self.folder / "_ledger.json", json.dumps({"key": self.key, "parts": parts}))


def affected(settings: Settings, store: Store, ledger: Ledger, changes: dict[str, int]) -> list[Source]:
    """The sources whose grid must be computed again (sources.toml order): those whose mark moved, whose settings
    changed or that are new, and every source carrying one of the bodies they carry or carried (whose standing or
    place may have moved with them); and a source whose grid page is gone from the folder (removed by hand)."""
    grids = f"{ledger.folder.parent}/g/"

    def moved(s: Source) -> bool:
        e = ledger.entries.get(s.id)
        return e is None or (e.changed, e.config) != (changes.get(s.id, 0), configured(s))

    stale = [s for s in settings.sources if moved(s) or not os.path.exists(f"{grids}{s.id}.html")]
    if not stale:
        return []
    names = {n for s in stale if (e := ledger.entries.get(s.id)) for n, _ in e.carried}
    names |= {n for _, bodies in status.carried(settings, store, stale) for n, _ in bodies}
    names |= {normal_name(n) for s in stale for n in named_by(s)}  # (a body a source names is carried there only)
    ids = {s.id for s in stale} | carriers(settings, store, names).keys()
    return [s for s in settings.sources if s.id in ids]


def carriers(settings: Settings, store: Store, names: Iterable[str]) -> dict[str, set[str]]:
    """Per source that may carry one of the bodies ``names`` (its roster names it, a report of it was listed on
    it, or the source has neither and its agency is the body), those of the names it may carry."""
    names = set(names)
    out: dict[str, set[str]] = {}
    for s in settings.sources:
        if s.bodies:
            for b in s.bodies:
                if b.name in names:
                    out.setdefault(s.id, set()).add(b.name)
        elif (agency := normal_name(s.agency)) in names:
            out.setdefault(s.id, set()).add(agency)
    for body in store.bodies(names=names):
        for source in body.sources:
            out.setdefault(source, set()).add(body.name)
    return out


def shown(
    settings: Settings, store: Store, ledger: Ledger, groups: list[tuple[Source, status.Bodies]]
) -> list[tuple[Source, status.Bodies]]:
    """``groups`` (freshly carried) with each body only under the source ``status.shown`` puts it under: among the
    other sources carrying it, as the ledger knows them (their marks did not move, so neither did what they
    carry)."""
    fresh = {source.id: {n for n, _ in bodies} for source, bodies in groups}
    order = {s.id: i for i, s in enumerate(settings.sources)}
    first: dict[str, tuple[int, int]] = {}
    for source, names in carriers(settings, store, {n for b in fresh.values() for n in b}).items():
        held = fresh.get(source)
        if held is None:
            entry = ledger.entries.get(source)
            held = {n for n, _ in entry.carried} if entry else set()
        at = order.get(source, len(order))
        for name in names & held:
            place = (status.rank(settings.sources[at], name), at) if at < len(order) else (2, at)
            first[name] = min(first.get(name, (2, len(order))), place)
    return [
        (source, [b for b in bodies if first.get(b[0], (0, -1))[1] == order[source.id]]) for source, bodies in groups
    ]
