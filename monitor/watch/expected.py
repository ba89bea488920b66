"""Stage: watch, the bodies a source is expected to carry, and from which year: what a late alarm is raised for
(``poll.Watcher.missing``) and what ``status`` and the overview call 逾期未发布, one rule for both (review 103:
a 热点 box's body was not mailed, yet status called it late).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from monitor.config import Source
from monitor.model.bodies import normal_name, place_key, same_name
from monitor.store import StoredBody

Owners = dict[str, frozenset[str]]  # a body's ``place_key`` -> the sources whose agency or roster names it


@dataclass(frozen=True)
class Expected:
    """A body the source is expected to carry: its name and kind, its report years stored, and the first year
    expected of it (None: every year)."""

    name: str
    kind: str
    years: frozenset[int]
    since: int | None


def named_by(source: Source) -> list[str]:
    """The bodies a source names: its agency, its roster's and their former names."""
    return [source.agency, *(n for b in source.bodies for n in (b.name, *b.aliases))]


def owners(sources: Iterable[Source]) -> Owners:
    """Per body named by a source's agency or roster, those sources: made once for all of them."""
    found: dict[str, set[str]] = {}
    for source in sources:
        for name in named_by(source):
            found.setdefault(place_key(name), set()).add(source.id)
    return {name: frozenset(ids) for name, ids in found.items()}


def elsewhere(source: Source, name: str, owned: Owners) -> bool:
    """Whether another source's agency or roster names the body (its own column expects it: not this one, where
    it is listed only beside the source's own, as a 热点 box's link: review 105's two alarms for one body)."""
    return bool(owned.get(place_key(name), frozenset()) - {source.id})


def carried_here(source: Source, bodies: list[StoredBody], owned: Owners) -> list[StoredBody]:
    """The bodies with reports stored under ``source`` that it carries: all but those another source names, other
    than its own body and its roster's."""
    here = _named_here(source)
    return [b for b in bodies if here(b.name) or not elsewhere(source, b.name, owned)]


def _named_here(source: Source) -> Callable[[str], bool]:
    """Whether the source's agency or its roster names a body (a stored body of a roster is stored under its
    roster name: looked up, not compared with each)."""
    roster = {place_key(b.name) for b in source.bodies}
    return lambda name: place_key(name) in roster or same_name(name, source.agency)


def expected(
    source: Source, bodies: list[StoredBody], years: Iterable[int] = (), owned: Callable[[], Owners] | None = None
) -> list[Expected]:
    """The bodies ``source`` is expected to carry (``bodies``: those with reports stored under it): a rostered body
    every year (a body listed here off the roster, never); without a roster, on a listing of several bodies, a
    body other than the source's own only from the year of its first report (it may have joined the listing late);
    beside the source's own, one other body's one report is as likely a sidebar's link (review 102): not yet
    expected; nor a body another source names (``owned``: its own column expects it). With nothing stored, the
    source's agency (``years``: the years its listing shows). ``owned`` is asked only of a source without a roster
    carrying a body other than its agency (most carry their own alone): at 150,000 sources it takes ~0.3 s."""
    if owned is not None and not source.bodies and not all(same_name(b.name, source.agency) for b in bodies):
        bodies = carried_here(source, bodies, owned())
    stored = {b.name: b for b in bodies}
    if source.bodies:
        return [
            Expected(b.name, b.kind, stored[b.name].years if b.name in stored else frozenset(), None)
            for b in source.bodies
        ]
    if not stored:
        return [Expected(normal_name(source.agency), source.kind, frozenset(years), None)]
    # one body's listing (the usual source) or the source's own body: every year, as a roster's body. Beside the
    # source's own, one other body's one report is as likely a 热点 box's link on the column's page (review 102: a
    # sidebar's 公安局 report made 公安局 late on 社会事业局's column): expected once it publishes here in two
    # years; a column of several bodies' reports expects each from its first
    own = len(stored) == 1
    others = [b for b in stored.values() if not same_name(b.name, source.agency)]
    stray = {b.name for b in others if len(b.years) < 2} if len(others) == 1 < len(stored) else set()
    return [
        Expected(
            b.name,
            b.kind or source.kind,
            b.years,
            None if own or same_name(b.name, source.agency) else min(b.years),
        )
        for b in stored.values()
        if b.name not in stray
    ]
