"""The settings ``sources.toml`` becomes: typed, frozen records (``Settings`` with its ``Source``s, ``Email``,
``Webhook``s) and the words each key may take. ``monitor.config.load`` makes them; every stage reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar, dataclass_transform

from monitor.errors import ConfigError
from monitor.model.bodies import Body

KINDS = ("department", "government")
TLS_MODES = ("ssl", "starttls", "none")
WEBHOOK_FORMATS = ("json", "dingtalk", "wecom", "feishu")
DIGESTS = ("off", "daily")
MOST_READERS = 64  # ``[monitor] readers`` at most
MAX_INTERVAL = 366 * 86400  # a year and a day: more is a typo ("3000000d" overflowed the scheduler)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def _record(cls: type[_T]) -> type[_T]:
    """A dataclass with slots, frozen for the type checker (mypy refuses an assignment to a field), not at run
    time: a frozen dataclass's __init__ sets each field by ``object.__setattr__``, and at 150,000 sources that was
    0.15-0.2 s of each start of `run` (their records made from the cache: 0.06 s now). Hashed by its fields, as a
    frozen one is."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


@_record
class Source:  # slots: `run` holds one per source, 150,000 of them for the whole country
    id: str
    agency: str
    kind: str
    list_url: str
    interval: int  # seconds
    link_pattern: re.Pattern[str]
    max_pages: int = 5
    encoding: str | None = None
    alert_to: tuple[str, ...] = ()
    bodies: tuple[Body, ...] = ()  # the roster: the bodies whose reports this listing carries (empty: as seen)


# A [[source]] as checked, in plain values (what the cache of the validated file holds, monitor/config/cache.py):
# id, agency, kind, list_url, interval (s), link_pattern (its text), max_pages, encoding, alert_to, and the roster
# as (name, kind, aliases) each
SourceRow = tuple[
    str, str, str, str, int, str, int, str | None, tuple[str, ...], tuple[tuple[str, str, tuple[str, ...]], ...]
]


@dataclass(frozen=True)
class Email:
    host: str
    port: int
    tls: str
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # None until read from password_env (run, poll, send)
    digest: str = "off"
    password_env: str | None = None


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str
    format: str
    secret: str | None = field(default=None, repr=False)
    secret_env: str | None = None


LEASE_SECONDS = 60  # a shared database's leases (``lease_seconds``): a killed worker's sources polled again within it
FIRST_POLL = ("summary", "each")  # a source's first poll: its past reports in one message, or a message each


@dataclass(frozen=True)
class Settings:
    path: Path
    database: Path
    user_agent: str
    concurrency: int
    per_host: int
    default_interval: int
    failure_threshold: int
    sources: tuple[Source, ...]
    readers: int | None = None  # documents read at once, each in a warm worker process; None: one per core
    email: Email | None = None
    webhooks: tuple[Webhook, ...] = ()
    outbox_dir: Path | None = None  # a folder of .eml files instead of (or besides) SMTP: the demo's sink
    overview_dir: Path | None = None  # where the service writes the static overview after its polls
    templates_dir: Path | None = None  # admins' edited alert templates; each file found here wins over the shipped one
    # `database = "postgresql://…"`: the shared store several workers poll from (None: the SQLite file above);
    # its password comes from the environment variable `database_password_env` names, never from the file
    database_url: str | None = None
    database_password: str | None = field(default=None, repr=False)
    database_password_env: str | None = None
    database_line: str = ""  # "FILE:LINE: [monitor] key 'database'": what a failure to connect names (PostgreSQL only)
    first_poll: str = "summary"  # a source's first poll: one summary of its past reports ("summary") or a mail each
    # on a shared (postgresql://) database: how long a worker's hold on a source it polls, and on a host's request
    # slot, lasts unless renewed; a live worker renews them every third of it, so a killed one's lapse this soon
    lease_seconds: int = LEASE_SECONDS

    @cached_property
    def _by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    def source(self, source_id: str) -> Source:
        if source_id in self._by_id:
            return self._by_id[source_id]
        raise ConfigError(
            f"{self.path}: no source with id '{source_id}' (known: {', '.join(s.id for s in self.sources)})"
        )


def parse_duration(value: str) -> int:
    m = _DURATION.match(value)
    if not m:
        raise ValueError("must be a duration like '90s', '30m', '6h' or '1d'")
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds < 60:
        raise ValueError("must be at least 60s: portals are polled, not hammered")
    if seconds > MAX_INTERVAL:
        raise ValueError("must be at most 366d")
    return seconds
