"""Stage: config. ``sources.toml`` -> typed, validated Settings, once, at start-up.

Every error names the file, the line and the key (``sources.toml:14: [[source]] #2 key
'kind': must be one of department, government``). Secrets are never in the file: it names
environment variables (``password_env``, ``secret_env``) that are read here and checked.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.config import cache, halves
from monitor.config.reader import Piece, Reader, consumed, decode, parse_toml, read_bytes, tables, unique
from monitor.config.sections import database_url, email_section, source_section, webhook_section
from monitor.config.settings import (
    DIGESTS,
    FIRST_POLL,
    KINDS,
    LEASE_SECONDS,
    MAX_INTERVAL,
    MOST_READERS,
    TLS_MODES,
    WEBHOOK_FORMATS,
    Email,
    Settings,
    Source,
    SourceRow,
    Webhook,
    parse_duration,
)
from monitor.errors import ConfigError

__all__ = [
    "DIGESTS",
    "FIRST_POLL",
    "KINDS",
    "LEASE_SECONDS",
    "MAX_INTERVAL",
    "MOST_READERS",
    "TLS_MODES",
    "WEBHOOK_FORMATS",
    "Email",
    "Settings",
    "Source",
    "Webhook",
    "load",
    "parse_duration",
]


def _state_base(path: Path, mon: dict[str, Any]) -> Path:
    """Where relative state paths (database, outbox_dir) live: in state_dir when the file sets it, so the
    service and an admin's command find the same database; else in systemd's StateDirectory= when set;
    else beside the file."""
    if "state_dir" in mon:
        return path.parent / str(mon["state_dir"])
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    return path.parent


def load(path: str | os.PathLike[str], secrets: bool = True) -> Settings:
    """Read and validate sources.toml. Raises ConfigError naming file, line and key. ``secrets``: read the
    environment variables the file names (only the commands that send need them; the others never do).
    A large file that validated before, byte for byte, is read back from its cache (``cache``)."""
    path = Path(path)
    raw = read_bytes(path)
    with _uncollected():
        settings = cache.recall(path, raw)
        if settings is None:
            settings = cache.remember(path, raw, *_validate(path, decode(path, raw)))  # (its only reference: freed)
    return _with_secrets(settings, lambda: Reader(path, decode(path, raw)), secrets)


@contextlib.contextmanager
def _uncollected() -> Iterator[None]:
    """Python's cycle collector paused while the file is parsed and its sources made: each of its full
    collections walks every object made so far, and at 150,000 sources they took ~0.2 s of a start. What is made
    here holds no cycle (dicts, lists, strings, records): freed as ever when no longer referenced."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _with_secrets(settings: Settings, reader: Callable[[], Reader], secrets: bool) -> Settings:
    """The secrets the file names, from the environment (never from the file, never cached): the database's
    password always, the channels' when ``secrets``. A variable not set names the file, line and key."""
    wanted = [settings.database_password_env if settings.database_url else None]
    if secrets:
        wanted += [settings.email.password_env if settings.email else None]
        wanted += [w.secret_env for w in settings.webhooks]
    # every one set: the file is not decoded again, there is no error to give the line of
    return _secrets_from(settings, None if all(os.environ.get(n) for n in wanted if n) else reader(), secrets)


def _secrets_from(settings: Settings, r: Reader | None, secrets: bool) -> Settings:
    def env(header: str, index: int, key: str, name: str | None, needed: bool) -> str | None:
        if r is not None:
            return r.env(header, index, key, name, needed)
        return os.environ[name] if name and needed else None

    email = settings.email
    if email is not None:
        email = replace(email, password=env("alerts.email", 0, "password_env", email.password_env, secrets))
    hooks = tuple(
        replace(w, secret=env("alerts.webhook", i, "secret_env", w.secret_env, secrets))
        for i, w in enumerate(settings.webhooks)
    )
    password = (
        env("monitor", 0, "database_password_env", settings.database_password_env, True)
        if settings.database_url
        else None
    )
    return replace(settings, email=email, webhooks=hooks, database_password=password)


def _validate(path: Path, text: str) -> tuple[Settings, list[SourceRow], bool]:
    """``_check`` of rtoml's reading (``parse_toml``); when it fails, of tomli's: a file with a mistake gets the
    error it always got, its values quoted as tomli reads them (a date's time zone, say)."""
    try:
        return _check(path, text, fast=True)
    except ConfigError:
        return _check(path, text, fast=False)


def _one_bracket(r: Reader, path: Path, data: dict[str, Any]) -> None:
    """`[source]` for `[[source]]`, a common slip, said as such (not as [monitor]'s key 'source')."""
    if isinstance(data.get("source"), dict):
        line = r.line_of("source", 0, None)
        raise ConfigError(f"{path}:{line}: [source] must be written [[source]] (two brackets: one table per source)")


def _check(path: Path, text: str, fast: bool) -> tuple[Settings, list[SourceRow], bool]:
    """The file's settings, every value checked, without secrets (``_with_secrets`` adds them): all but the
    sources, the sources' rows (``cache.remember`` makes the Settings of both), and whether it sets ``state_dir``
    (if not, STATE_DIRECTORY may place the state)."""
    data, more = parse_toml(path, text, fast)
    r = Reader(path, text)
    for key in data:
        if key not in ("monitor", "alerts", "source"):
            raise ConfigError(
                f"{path}:{r.line_of('', 0, key)}: unknown table [{key}]; "
                "valid tables are [monitor], [alerts.email], [[alerts.webhook]] and [[source]]"
            )
    _one_bracket(r, path, data)
    r.table(data, "monitor", 0, {"monitor": dict, "alerts": dict, "source": list}, ())
    mon = r.table(
        data.get("monitor", {}),
        "monitor",
        0,
        {
            "database": str,
            "database_password_env": str,
            "user_agent": str,
            "concurrency": int,
            "per_host": int,
            "readers": int,
            "default_interval": str,
            "failure_threshold": int,
            "outbox_dir": str,
            "overview_dir": str,
            "state_dir": str,
            "first_poll": str,
            "lease_seconds": int,
        },
        (),
    )
    if mon.get("first_poll", "summary") not in FIRST_POLL:
        raise r.fail("monitor", 0, "first_poll", f"must be one of: {', '.join(FIRST_POLL)}")

    for key in ("concurrency", "per_host", "failure_threshold"):
        if key in mon and not 1 <= mon[key] <= 1000:
            raise r.fail("monitor", 0, key, "must be between 1 and 1000")
    if "readers" in mon and not 1 <= mon["readers"] <= MOST_READERS:
        raise r.fail("monitor", 0, "readers", f"must be between 1 and {MOST_READERS}")
    if "lease_seconds" in mon and not 1 <= mon["lease_seconds"] <= 3600:
        raise r.fail("monitor", 0, "lease_seconds", "must be between 1 and 3600")
    try:
        default_interval = parse_duration(mon.get("default_interval", "6h"))
    except ValueError as exc:
        raise r.fail("monitor", 0, "default_interval", str(exc)) from exc
    base = _state_base(path, mon)
    alerts = r.table(data.get("alerts", {}), "alerts", 0, {"email": dict, "webhook": list, "templates_dir": str}, ())
    email = email_section(r, alerts["email"]) if "email" in alerts else None
    webhooks = tables(r, "alerts", "webhook", alerts.get("webhook", []))
    hooks = tuple(webhook_section(r, i, w) for i, w in enumerate(webhooks))
    unique(r, "alerts.webhook", [w.name for w in hooks], "name", "webhook name")

    def rows_of(listed: Sequence[Piece], made: int) -> list[SourceRow]:
        """The sources of these pieces (``parse_toml``) checked, in turn; ``made``: the sources before them."""
        rows: list[SourceRow] = []
        for piece in listed:
            start, checked = made + len(rows), tables(r, "monitor", "source", piece())
            rows += [source_section(r, start + i, s, default_interval) for i, s in consumed(checked)]
        return rows

    rows = rows_of([lambda: data.pop("source", [])], 0)  # the file's (tomli), or none: the pieces hold them
    rows += halves.checked(more, len(rows), rows_of)
    unique(r, "source", [row[0] for row in rows], "id", "source id")
    url = database_url(r, mon)
    if not url and (base / mon.get("database", "govmon.db")).is_dir():
        raise r.fail("monitor", 0, "database", "is a folder: name the SQLite file in it (e.g. govmon.db)")
    head = Settings(
        path=path,
        database=base / ("govmon.db" if url else mon.get("database", "govmon.db")),
        database_url=url,
        database_password_env=mon.get("database_password_env"),
        # what a failure to reach the server names (a SQLite file's errors name its path; finding the line would
        # split a 150,000-source file into lines for nothing)
        database_line=f"{path}:{r.line_of('monitor', 0, 'database')}: [monitor] key 'database'" if url else "",
        user_agent=mon.get("user_agent", "govreport-monitor/0.1 (+https://github.com/govreport-monitor)"),
        concurrency=mon.get("concurrency", 8),
        per_host=mon.get("per_host", 2),
        default_interval=default_interval,
        failure_threshold=mon.get("failure_threshold", 3),
        sources=(),
        readers=mon.get("readers"),
        email=email,
        webhooks=hooks,
        outbox_dir=base / mon["outbox_dir"] if "outbox_dir" in mon else None,
        overview_dir=base / mon["overview_dir"] if "overview_dir" in mon else None,
        templates_dir=path.parent / alerts["templates_dir"] if "templates_dir" in alerts else None,
        first_poll=mon.get("first_poll", "summary"),
        lease_seconds=mon.get("lease_seconds", LEASE_SECONDS),
    )
    return head, rows, "state_dir" in mon
