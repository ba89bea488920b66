"""Stage: watch, the bodies a source is expected to carry, and from which year: what a late alarm is raised for
(``poll.Watcher.missing``) and what ``status`` and the overview call 逾期未发布, one rule for both (review 103:
a 热点 box's body was not mailed, yet status called it late).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.config import Source
from monitor.model.bodies import normal_name, same_name
from monitor.store import StoredBody


@dataclass(frozen=True)
class Expected:
    """A body the source is expected to carry: its name and kind, its report years stored, and the first year
    expected of it (None: every year)."""

    name: str
    kind: str
    years: frozenset[int]
    since: int | None


def expected(source: Source, bodies: list[StoredBody], years: Iterable[int] = ()) -> list[Expected]:
    """The bodies ``source`` is expected to carry (``bodies``: those with reports stored under it): a rostered body
    every year (a body listed here off the roster, never); without a roster, on a listing of several bodies, a
    body other than the source's own only from the year of its first report (it may have joined the listing late);
    beside the source's own, one other body's one report is as likely a sidebar's link (review 102): not yet
    expected. With nothing stored, the source's agency (``years``: the years its listing shows)."""
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
