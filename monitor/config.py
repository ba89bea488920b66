"""Stage: config. ``sources.toml`` -> typed, validated Settings, once, at start-up.

Every error names the file, the line and the key (``sources.toml:14: [[source]] #2 key
'kind': must be one of department, government``). Secrets are never in the file: it names
environment variables (``password_env``, ``secret_env``) that are read here and checked.
"""

from __future__ import annotations

import codecs
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from monitor.model import DEFAULT_LINK_PATTERN
from monitor.model.bodies import Body, normal_name

KINDS = ("department", "government")
TLS_MODES = ("ssl", "starttls", "none")
WEBHOOK_FORMATS = ("json", "dingtalk", "wecom", "feishu")
DIGESTS = ("off", "daily")
MAX_INTERVAL = 366 * 86400  # a year and a day: more is a typo ("3000000d" overflowed the scheduler)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a line break in a header or address poisons every message after it
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")  # local addresses (oversight@localhost) are addresses too


@dataclass(frozen=True)
class Source:
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
    database_line: str = ""  # "FILE:LINE: [monitor] key 'database'": what a failure to connect names
    first_poll: str = "summary"  # a source's first poll: one summary of its past reports ("summary") or a mail each

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


def _is_http_url(url: str) -> bool:
    """An http(s) URL with a host and, if it gives one, a port that exists (``http://[::1/x`` and
    ``:99999`` fail here, at load, not in the middle of a poll)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError when out of range or not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not _CONTROL.search(url)


class _Reader:
    """Walks the parsed TOML, checking types and keys, and finds line numbers for messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def line_of(self, header: str, index: int, key: str | None) -> int:
        """Line of `key` inside the index-th `header` table ([monitor], [[source]], ...), or of the header."""
        seen, start = -1, None
        pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(header) + r"\s*\]\]?\s*(#.*)?$")
        for n, line in enumerate(self.lines):
            if pattern.match(line):
                seen += 1
                if seen == index:
                    start = n
                    break
        if start is not None and key is None:
            return start + 1
        for n in range(start + 1 if start is not None else 0, len(self.lines)):
            if start is not None and re.match(r"^\s*\[", self.lines[n]):
                break
            if re.match(r"^\s*" + re.escape(key or "") + r"\s*=", self.lines[n]) and start is not None:
                return n + 1
        if key:  # a table of that name ([alerts.emial], [monitr]): the line of its own header
            own = re.compile(r"^\s*\[\[?\s*(" + re.escape(header) + r"\.)?" + re.escape(key) + r"\s*\]\]?")
            hit = next((n for n, line in enumerate(self.lines) if own.match(line)), None)
            if hit is not None:
                return hit + 1
        return start + 1 if start is not None else 1

    def fail(self, header: str, index: int, key: str | None, message: str) -> ConfigError:
        where = f"[[{header}]] #{index + 1}" if header in ("source", "alerts.webhook") else f"[{header}]"
        what = f"{where} key '{key}'" if key else where
        return ConfigError(f"{self.path}:{self.line_of(header, index, key)}: {what}: {message}")

    def table(
        self,
        data: dict[str, Any],
        header: str,
        index: int,
        allowed: dict[str, type | tuple[type, ...]],
        required: tuple[str, ...],
    ) -> dict[str, Any]:
        for key, value in data.items():
            if key not in allowed:
                raise self.fail(header, index, key, f"unknown key; valid keys are {', '.join(sorted(allowed))}")
            want = allowed[key]
            if (isinstance(value, bool) and want is not bool) or not isinstance(value, want):
                names = want.__name__ if isinstance(want, type) else " or ".join(t.__name__ for t in want)
                raise self.fail(header, index, key, f"must be a {names}, not {type(value).__name__} ({value!r})")
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and _CONTROL.search(item):
                    raise self.fail(header, index, key, f"{item!r} holds a line break or control character")
        for key in required:
            if key not in data:
                raise self.fail(header, index, None, f"missing required key '{key}'")
        return data

    def env(self, header: str, index: int, key: str, name: str | None, needed: bool) -> str | None:
        """The secret named by ``name`` from the environment, when this command sends (``needed``)."""
        if name is None or not needed:
            return None
        value = os.environ.get(name)
        if not value:
            raise self.fail(
                header, index, key, f"environment variable {name} is not set (secrets come from the environment)"
            )
        return value


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file (give --config PATH or set GOVMON_CONFIG)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    text = text.removeprefix("\ufeff")  # a BOM from a Windows editor: not part of the TOML
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{at[1]}:{at[2]}" if at else str(path)
        raise ConfigError(f"{where}: not valid TOML: {re.sub(r' [(]at line.*[)]$', '', str(exc))}") from exc


def _state_base(path: Path, mon: dict[str, Any]) -> Path:
    """Where relative state paths (database, outbox_dir) live: in state_dir when the file sets it, so the
    service and an admin's command find the same database; else in systemd's StateDirectory= when set;
    else beside the file."""
    if "state_dir" in mon:
        return path.parent / str(mon["state_dir"])
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    return path.parent


def _unique(r: _Reader, table: str, values: list[str], key: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise r.fail(table, i, key, f"duplicate {what} '{value}'")
        seen.add(value)


def _tables(r: _Reader, parent: str, key: str, items: Any) -> list[dict[str, Any]]:
    """``[[parent.key]]`` entries: each must be a table (``webhook = [1]`` is not one)."""
    for item in items:
        if not isinstance(item, dict):
            raise r.fail(parent, 0, key, f"each entry must be a table ([[{key}]] ...), not {item!r}")
    return list(items)


def load(path: str | os.PathLike[str], secrets: bool = True) -> Settings:
    """Read and validate sources.toml. Raises ConfigError naming file, line and key. ``secrets``: read the
    environment variables the file names (only the commands that send need them; the others never do)."""
    path = Path(path)
    text, data = _read_toml(path)
    r = _Reader(path, text)
    for key in data:
        if key not in ("monitor", "alerts", "source"):
            raise ConfigError(
                f"{path}:{r.line_of('', 0, key)}: unknown table [{key}]; "
                "valid tables are [monitor], [alerts.email], [[alerts.webhook]] and [[source]]"
            )
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
        },
        (),
    )
    if mon.get("first_poll", "summary") not in FIRST_POLL:
        raise r.fail("monitor", 0, "first_poll", f"must be one of: {', '.join(FIRST_POLL)}")

    for key in ("concurrency", "per_host", "failure_threshold"):
        if key in mon and not 1 <= mon[key] <= 1000:
            raise r.fail("monitor", 0, key, "must be between 1 and 1000")
    if "readers" in mon and not 1 <= mon["readers"] <= 64:
        raise r.fail("monitor", 0, "readers", "must be between 1 and 64")
    try:
        default_interval = parse_duration(mon.get("default_interval", "6h"))
    except ValueError as exc:
        raise r.fail("monitor", 0, "default_interval", str(exc)) from exc
    base = _state_base(path, mon)
    alerts = r.table(data.get("alerts", {}), "alerts", 0, {"email": dict, "webhook": list, "templates_dir": str}, ())
    email = _email(r, alerts["email"], secrets) if "email" in alerts else None
    webhooks = _tables(r, "alerts", "webhook", alerts.get("webhook", []))
    hooks = tuple(_webhook(r, i, w, secrets) for i, w in enumerate(webhooks))
    _unique(r, "alerts.webhook", [w.name for w in hooks], "name", "webhook name")
    listed = _tables(r, "monitor", "source", data.get("source", []))
    sources = tuple(_source(r, i, s, default_interval) for i, s in enumerate(listed))
    _unique(r, "source", [s.id for s in sources], "id", "source id")
    url, password = _database_url(r, mon)
    return Settings(
        path=path,
        database=base / ("govmon.db" if url else mon.get("database", "govmon.db")),
        database_url=url,
        database_password=password,
        database_password_env=mon.get("database_password_env"),
        database_line=f"{path}:{r.line_of('monitor', 0, 'database')}: [monitor] key 'database'",
        user_agent=mon.get("user_agent", "govreport-monitor/0.1 (+https://github.com/govreport-monitor)"),
        concurrency=mon.get("concurrency", 8),
        per_host=mon.get("per_host", 2),
        default_interval=default_interval,
        failure_threshold=mon.get("failure_threshold", 3),
        sources=sources,
        readers=mon.get("readers"),
        email=email,
        webhooks=hooks,
        outbox_dir=base / mon["outbox_dir"] if "outbox_dir" in mon else None,
        overview_dir=base / mon["overview_dir"] if "overview_dir" in mon else None,
        templates_dir=path.parent / alerts["templates_dir"] if "templates_dir" in alerts else None,
        first_poll=mon.get("first_poll", "summary"),
    )


def _database_url(r: _Reader, mon: dict[str, Any]) -> tuple[str | None, str | None]:
    """``database`` naming a PostgreSQL server (``postgresql://user@host:port/dbname``), and its password from
    the environment; (None, None) for the SQLite file."""
    value = str(mon.get("database", ""))
    if not re.match(r"(?i)postgres(ql)?://", value):
        if "database_password_env" in mon:
            raise r.fail("monitor", 0, "database_password_env", "only a postgresql:// database has a password")
        return None, None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError as exc:
        raise r.fail("monitor", 0, "database", f"not a valid postgresql:// URL: {exc}") from None
    if parts.password is not None:
        raise r.fail(
            "monitor",
            0,
            "database",
            "holds a password; give it in the environment variable database_password_env names",
        )
    password = r.env("monitor", 0, "database_password_env", mon.get("database_password_env"), True)
    return value, password


def _email(r: _Reader, e: dict[str, Any], secrets: bool) -> Email:
    h = "alerts.email"
    r.table(
        e,
        h,
        0,
        {
            "host": str,
            "port": int,
            "tls": str,
            "username": str,
            "password_env": str,
            "from": str,
            "to": list,
            "digest": str,
        },
        ("host", "from", "to"),
    )
    tls = e.get("tls", "ssl")
    if tls not in TLS_MODES:
        raise r.fail(h, 0, "tls", f"must be one of {', '.join(TLS_MODES)}")
    if e.get("digest", "off") not in DIGESTS:
        raise r.fail(h, 0, "digest", f"must be one of {', '.join(DIGESTS)}")
    to = _addresses(r, h, 0, "to", e["to"])
    if not to:
        raise r.fail(h, 0, "to", "needs at least one address")
    port = e.get("port", {"ssl": 465, "starttls": 587, "none": 25}[tls])
    if not 1 <= port <= 65535:
        raise r.fail(h, 0, "port", f"must be a TCP port, 1 to 65535, not {port}")
    return Email(
        host=e["host"],
        port=port,
        tls=tls,
        sender=e["from"],
        to=to,
        username=e.get("username"),
        password=r.env(h, 0, "password_env", e.get("password_env"), secrets),
        digest=e.get("digest", "off"),
        password_env=e.get("password_env"),
    )


def _addresses(r: _Reader, header: str, index: int, key: str, values: list[Any]) -> tuple[str, ...]:
    for v in values:
        if not isinstance(v, str) or not _EMAIL.match(v.split("<")[-1].rstrip(">").strip()):
            raise r.fail(header, index, key, f"{v!r} is not an e-mail address")
    return tuple(values)


def _webhook(r: _Reader, i: int, w: dict[str, Any], secrets: bool) -> Webhook:
    h = "alerts.webhook"
    r.table(w, h, i, {"name": str, "url": str, "format": str, "secret_env": str}, ("name", "url"))
    if not _is_http_url(w["url"]):
        raise r.fail(h, i, "url", f"{w['url']!r} is not an http(s) URL")
    fmt = w.get("format", "json")
    if fmt not in WEBHOOK_FORMATS:
        raise r.fail(h, i, "format", f"unknown format '{fmt}'; valid formats are {', '.join(WEBHOOK_FORMATS)}")
    secret_env = w.get("secret_env")
    return Webhook(w["name"], w["url"], fmt, r.env(h, i, "secret_env", secret_env, secrets), secret_env)


def _source(r: _Reader, i: int, s: dict[str, Any], default_interval: int) -> Source:
    h = "source"
    r.table(
        s,
        h,
        i,
        {
            "id": str,
            "agency": str,
            "kind": str,
            "list_url": str,
            "interval": str,
            "link_pattern": str,
            "max_pages": int,
            "encoding": str,
            "alert_to": list,
            "bodies": list,
        },
        ("id", "agency", "kind", "list_url"),
    )
    if not _ID.match(s["id"]):
        raise r.fail(h, i, "id", "use lower-case letters, digits, '-' and '_' (it names the source in commands)")
    if s["kind"] not in KINDS:
        raise r.fail(h, i, "kind", f"must be one of {', '.join(KINDS)}")
    if not _is_http_url(s["list_url"]):
        raise r.fail(h, i, "list_url", f"{s['list_url']!r} is not an http(s) URL")
    if urlsplit(s["list_url"]).password is not None:
        raise r.fail(h, i, "list_url", "holds a user name and password; a portal's listing is public, give it without")
    try:
        interval = parse_duration(s["interval"]) if "interval" in s else default_interval
    except ValueError as exc:
        raise r.fail(h, i, "interval", str(exc)) from exc
    try:
        pattern = re.compile(s.get("link_pattern", DEFAULT_LINK_PATTERN))
    except re.error as exc:
        raise r.fail(h, i, "link_pattern", f"not a valid regular expression: {exc}") from exc
    if not 1 <= s.get("max_pages", 5) <= 100:
        raise r.fail(h, i, "max_pages", "must be between 1 and 100")
    if "encoding" in s:
        try:
            codecs.lookup(s["encoding"])
        except LookupError as exc:
            raise r.fail(h, i, "encoding", f"unknown encoding '{s['encoding']}'") from exc
    return Source(
        id=s["id"],
        agency=s["agency"],
        kind=s["kind"],
        list_url=s["list_url"],
        interval=interval,
        link_pattern=pattern,
        max_pages=s.get("max_pages", 5),
        encoding=s.get("encoding"),
        alert_to=_addresses(r, h, i, "alert_to", s.get("alert_to", [])),
        bodies=_roster(r, i, s.get("bodies", [])),
    )


def _roster(r: _Reader, i: int, items: list[Any]) -> tuple[Body, ...]:
    """``bodies = [{name = "…", kind = "government|department", aliases = ["…"]}]``: each a body this listing
    carries; a name (or alias) given twice is an error, it would make two bodies of one."""
    out: list[Body] = []
    seen: set[str] = set()
    for n, b in enumerate(items, 1):
        if not isinstance(b, dict):
            raise r.fail("source", i, "bodies", f"entry {n} must be a table {{name = ..., kind = ...}}, not {b!r}")
        unknown = sorted(set(b) - {"name", "kind", "aliases"})
        if unknown or not isinstance(b.get("name"), str) or not b["name"].strip():
            why = f"unknown key '{unknown[0]}'; valid keys are aliases, kind, name" if unknown else "needs a name"
            raise r.fail("source", i, "bodies", f"entry {n}: {why}")
        if b.get("kind") not in KINDS:
            raise r.fail("source", i, "bodies", f"entry {n} ({b['name']}): kind must be one of {', '.join(KINDS)}")
        aliases = b.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise r.fail("source", i, "bodies", f"entry {n} ({b['name']}): aliases must be a list of names")
        for name in (b["name"], *aliases):
            if normal_name(name) in seen:
                raise r.fail("source", i, "bodies", f"entry {n}: '{name}' is named twice in the roster")
            seen.add(normal_name(name))
        out.append(Body(normal_name(b["name"]), b["kind"], tuple(normal_name(a) for a in aliases)))
    return tuple(out)
