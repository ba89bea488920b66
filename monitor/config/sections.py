"""Each table of ``sources.toml`` read into its record: the database (SQLite path or PostgreSQL URL), the e-mail
and webhook channels (secrets from the environment, never the file), and each ``[[source]]`` with its roster."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from monitor.config.reader import Reader, is_http_url
from monitor.config.settings import (
    DIGESTS,
    KINDS,
    TLS_MODES,
    WEBHOOK_FORMATS,
    Email,
    SourceRow,
    Webhook,
    parse_duration,
)
from monitor.model import DEFAULT_LINK_PATTERN
from monitor.model.bodies import normal_name

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")  # local addresses (oversight@localhost) are addresses too
# One object for each distinct interval and link pattern, however many sources share it (a province's file repeats
# a few of each; re.compile's own cache drops its oldest entries past 512 distinct patterns)
_duration = lru_cache(maxsize=256)(parse_duration)
_pattern = lru_cache(maxsize=4096)(re.compile)


def database_url(r: Reader, mon: dict[str, Any]) -> str | None:
    """``database`` naming a PostgreSQL server (``postgresql://user@host:port/dbname``; its password comes
    from the environment, read by ``load``); None for the SQLite file."""
    value = str(mon.get("database", ""))
    if not re.match(r"(?i)postgres(ql)?://", value):
        if "database_password_env" in mon:
            raise r.fail("monitor", 0, "database_password_env", "only a postgresql:// database has a password")
        if "database" in mon and (not value.strip() or value.endswith(("/", "\\"))):
            raise r.fail("monitor", 0, "database", "must name the SQLite file (e.g. govmon.db) or a postgresql:// URL")
        return None
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
    return value


def email_section(r: Reader, e: dict[str, Any]) -> Email:
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
    addresses(r, h, 0, "from", [e["from"]])  # (unchecked, every mail failed at the server's MAIL FROM)
    to = addresses(r, h, 0, "to", e["to"])
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
        digest=e.get("digest", "off"),
        password_env=e.get("password_env"),
    )


def addresses(r: Reader, header: str, index: int, key: str, values: list[Any]) -> tuple[str, ...]:
    for v in values:
        if not isinstance(v, str) or not _EMAIL.match(v.split("<")[-1].rstrip(">").strip()):
            raise r.fail(header, index, key, f"{v!r} is not an e-mail address")
    return tuple(values)


def webhook_section(r: Reader, i: int, w: dict[str, Any]) -> Webhook:
    h = "alerts.webhook"
    r.table(w, h, i, {"name": str, "url": str, "format": str, "secret_env": str}, ("name", "url"))
    if not is_http_url(w["url"]):
        raise r.fail(h, i, "url", f"{w['url']!r} is not an http(s) URL")
    fmt = w.get("format", "json")
    if fmt not in WEBHOOK_FORMATS:
        raise r.fail(h, i, "format", f"unknown format '{fmt}'; valid formats are {', '.join(WEBHOOK_FORMATS)}")
    secret_env = w.get("secret_env")
    return Webhook(w["name"], w["url"], fmt, None, secret_env)


_SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {
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
}


def source_section(r: Reader, i: int, s: dict[str, Any], default_interval: int) -> SourceRow:
    """A ``[[source]]`` checked, as its row (``cache.settings`` makes the Source of it)."""
    h = "source"
    r.table(s, h, i, _SOURCE_KEYS, ("id", "agency", "kind", "list_url"))
    if not _ID.match(s["id"]):
        raise r.fail(h, i, "id", "use lower-case letters, digits, '-' and '_' (it names the source in commands)")
    if s["kind"] not in KINDS:
        raise r.fail(h, i, "kind", f"must be one of {', '.join(KINDS)}")
    if not is_http_url(s["list_url"]):
        raise r.fail(h, i, "list_url", f"{s['list_url']!r} is not an http(s) URL")
    if "@" in s["list_url"] and urlsplit(s["list_url"]).password is not None:
        raise r.fail(h, i, "list_url", "holds a user name and password; a portal's listing is public, give it without")
    try:
        interval = _duration(s["interval"]) if "interval" in s else default_interval
    except ValueError as exc:
        raise r.fail(h, i, "interval", str(exc)) from exc
    try:
        pattern = s.get("link_pattern", DEFAULT_LINK_PATTERN)
        _pattern(pattern)
    except re.error as exc:
        raise r.fail(h, i, "link_pattern", f"not a valid regular expression: {exc}") from exc
    if not 1 <= s.get("max_pages", 5) <= 100:
        raise r.fail(h, i, "max_pages", "must be between 1 and 100")
    if "encoding" in s:
        try:
            codecs.lookup(s["encoding"])
        except LookupError as exc:
            raise r.fail(h, i, "encoding", f"unknown encoding '{s['encoding']}'") from exc
    return (
        s["id"],
        s["agency"],
        s["kind"],
        s["list_url"],
        interval,
        pattern,
        s.get("max_pages", 5),
        s.get("encoding"),
        addresses(r, h, i, "alert_to", s["alert_to"]) if "alert_to" in s else (),
        roster(r, i, s["bodies"]) if "bodies" in s else (),
    )


def roster(r: Reader, i: int, items: list[Any]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """``bodies = [{name = "…", kind = "government|department", aliases = ["…"]}]``: each a body this listing
    carries; a name (or alias) given twice is an error, it would make two bodies of one."""
    if not items:
        return ()
    out: list[tuple[str, str, tuple[str, ...]]] = []
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
        out.append((normal_name(b["name"]), b["kind"], tuple(normal_name(a) for a in aliases)))  # (a Body's values)
    return tuple(out)
