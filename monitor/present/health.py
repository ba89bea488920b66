"""Stage: health. ``govmon health``: is the service doing its job? From the database alone, so a systemd timer
or a monitoring agent can ask it: each source's last poll against its interval, sources failing in a row,
and the age of what waits in the outbox. Exit 0 ok, 1 warning, 2 critical (as monitoring plugins do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.config import Settings
from monitor.store import SourceState, Store

LATE = 3  # a source not polled for this many intervals (plus SLACK): the service is not polling it
SLACK = timedelta(minutes=10)
OUTBOX_WARN = timedelta(hours=1)  # an alert waiting this long: a channel has been down for a while
OUTBOX_CRIT = timedelta(hours=24)
LEVELS = ("OK", "WARNING", "CRITICAL")


@dataclass
class Health:
    level: int = 0
    problems: list[str] = field(default_factory=list)
    summary: str = ""

    def add(self, level: int, problem: str) -> None:
        self.level = max(self.level, level)
        self.problems.append(f"{LEVELS[level]}: {problem}")

    def text(self) -> str:
        return "\n".join([f"govmon health: {LEVELS[self.level]}: {self.summary}", *self.problems])


def _age(now: datetime, stamp: str | None) -> timedelta | None:
    """How long ago ``stamp`` was, in whole seconds (negative: it is ahead of this clock)."""
    return timedelta(seconds=round((now - datetime.fromisoformat(stamp)).total_seconds())) if stamp else None


def check(settings: Settings, store: Store, now: datetime) -> Health:
    health = Health()
    state = {s.id: s for s in store.sources()}
    polled = 0
    ahead: list[timedelta] = []  # last polls stamped ahead of this clock: how late they are cannot be told
    for source in settings.sources:
        s = state.get(source.id) or SourceState(source.id)
        age = _age(now, s.last_poll)
        if age is None:
            health.add(1, f"source {source.id}: never polled")
            continue
        polled += 1
        if age < -SLACK:
            ahead.append(-age)
        elif age > LATE * timedelta(seconds=source.interval) + SLACK:
            health.add(2, f"source {source.id}: last polled {age} ago (every {source.interval} s): is govmon running?")
        if s.consecutive_failures >= settings.failure_threshold:
            health.add(1, f"source {source.id}: {s.consecutive_failures} failed polls in a row: {s.last_error}")
    if ahead:
        health.add(
            1,
            f"{len(ahead)} source(s) last polled at a time ahead of this clock, by up to {max(ahead)}: "
            "the clock was wrong then or is now; whether govmon still polls them cannot be told",
        )
    oldest, pending = store.oldest_pending()
    waiting = _age(now, oldest)
    if waiting is not None and waiting < -SLACK:
        health.add(
            1,
            f"outbox: the oldest pending alert is stamped {-waiting} ahead of this clock: how long "
            "alerts have waited cannot be told (govmon alerts list)",
        )
    elif waiting is not None and waiting > OUTBOX_WARN:
        level = 2 if waiting > OUTBOX_CRIT else 1
        health.add(level, f"outbox: {pending} alert(s) pending, the oldest for {waiting} (govmon alerts list)")
    dead = store.alert_counts()["dead"]
    if dead:
        health.add(1, f"outbox: {dead} dead alert(s) (govmon alerts list; govmon alerts retry)")
    unreadable = len(store.unreadable_reports())
    health.summary = (
        f"{polled}/{len(settings.sources)} source(s) polled, {pending} alert(s) pending, {dead} dead, "
        f"{unreadable} report page(s) unreadable"
    )
    return health
