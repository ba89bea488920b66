"""The validated ``sources.toml`` kept between starts: at 150,000 sources, parsing and validating the file is
~2 s of every start of ``govmon run``; reading back what a byte-identical file validated to is ~0.4 s.

The cache is a file in the state folder (beside the database; STATE_DIRECTORY under systemd, else the file's
folder), one per configuration file (``.govmon-config-<digest of its path>.cache``). It is used only when its key
matches: the file's bytes, the path it was given as, the environment variable the file's paths depend on
(``STATE_DIRECTORY``), govmon's version and code, and Python's (marshal's format). It never holds a secret:
passwords and tokens come from the environment at every load, after it. A cache that cannot be read, is damaged
or truncated (its checksum), or is of another key is ignored, and the file is parsed and validated as ever; one
that cannot be written is not written. Only a file larger than ``CACHE_ABOVE`` is cached: a small one is parsed
in less time than the cache takes to check.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import re
import sys
from pathlib import Path
from typing import Any

import monitor
from monitor.config.settings import Email, Settings, Source, Webhook
from monitor.model.bodies import Body

CACHE_ABOVE = 1 << 20  # bytes of sources.toml (~7,000 sources): below it, parsing is under a tenth of a second
_FORMAT = b"govmon-config-cache 1"
_STATE_DIR = re.compile(rb"""^[ \t]*state_dir[ \t]*=[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)')""", re.M)


@functools.cache
def code() -> bytes:
    """The digest of govmon's code (every module of the package; ~0.7 MB read once a process, a few ms) and of
    the Python that runs it: an upgrade that changes how the file is validated makes every cache stale."""
    digest = hashlib.blake2b(sys.version.encode() + monitor.__version__.encode())
    for module in sorted(Path(monitor.__file__).parent.rglob("*.py")):
        digest.update(module.read_bytes())
    return digest.digest()


def key(path: Path, raw: bytes) -> bytes:
    """What a cached configuration must have been made from: these bytes, read as this path, by this code, in
    this environment."""
    digest = hashlib.blake2b(_FORMAT + code())
    for part in (str(path), str(path.absolute()), os.environ.get("STATE_DIRECTORY", "")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(raw)
    return digest.digest()


def where(path: Path, raw: bytes) -> Path:
    """The cache file of the configuration at ``path``: in its state folder, found before the file is parsed as
    ``load`` finds it after (the file's ``state_dir``, else STATE_DIRECTORY, else the file's folder). A guess
    that misses (a ``state_dir`` written otherwise) only puts the cache elsewhere: the key decides its use."""
    found, at = None, raw.find(b"state_dir")
    while found is None and at >= 0:  # (each place it is named, not a search of the file: 0.1 s at 20 MB)
        found = _STATE_DIR.match(raw, raw.rfind(b"\n", 0, at) + 1)
        at = raw.find(b"state_dir", at + 1)
    if found:
        base = path.parent / (found[1] if found[1] is not None else found[2]).decode("utf-8", "replace")
    elif os.environ.get("STATE_DIRECTORY"):
        base = Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    else:
        base = path.parent
    name = hashlib.blake2b(str(path.absolute()).encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return base / f".govmon-config-{name}.cache"


def recall(path: Path, raw: bytes) -> Settings | None:
    """The settings this file validated to before, or None (no cache, another key, damaged: all the same)."""
    if len(raw) <= CACHE_ABOVE:
        return None
    try:
        kept = where(path, raw).read_bytes()
    except OSError:
        return None
    check, body = kept[:32], kept[32:]
    if hashlib.blake2b(body, digest_size=32).digest() != check:
        return None
    try:
        made_from, fields = marshal.loads(body)
        return _settings(fields) if made_from == key(path, raw) else None
    except (ValueError, EOFError, TypeError, IndexError, KeyError, AttributeError):  # (a checksum collision)
        return None


def keep(path: Path, raw: bytes, settings: Settings) -> None:
    """Write the cache of a file that validated (without secrets); silently nothing when it cannot be written."""
    if len(raw) <= CACHE_ABOVE:
        return
    body = marshal.dumps((key(path, raw), _fields(settings)))
    target = where(path, raw)
    partial = target.with_name(f"{target.name}.partial")  # (two writing at once: the checksum tells)
    try:
        partial.write_bytes(hashlib.blake2b(body, digest_size=32).digest() + body)
        os.replace(partial, target)  # whole or not at all: a reader never sees half a cache
    except OSError:
        pass
    finally:  # (also when stopped mid-write: no 13 MB left behind)
        with contextlib.suppress(OSError):
            partial.unlink()


def _path(value: Path | None) -> str | None:
    return None if value is None else str(value)


def _fields(s: Settings) -> tuple[Any, ...]:
    """Settings as marshal's plain values; no secret (the password and secrets fields are left out)."""
    email = s.email
    return (
        str(s.path),
        str(s.database),
        s.user_agent,
        s.concurrency,
        s.per_host,
        s.default_interval,
        s.failure_threshold,
        s.readers,
        None
        if email is None
        else (
            email.host,
            email.port,
            email.tls,
            email.sender,
            email.to,
            email.username,
            email.digest,
            email.password_env,
        ),
        tuple((w.name, w.url, w.format, w.secret_env) for w in s.webhooks),
        _path(s.outbox_dir),
        _path(s.overview_dir),
        _path(s.templates_dir),
        s.database_url,
        s.database_password_env,
        s.database_line,
        s.first_poll,
        s.lease_seconds,
        tuple(
            (
                x.id,
                x.agency,
                x.kind,
                x.list_url,
                x.interval,
                x.link_pattern.pattern,
                x.max_pages,
                x.encoding,
                x.alert_to,
                tuple([(b.name, b.kind, b.aliases) for b in x.bodies]) if x.bodies else (),
            )
            for x in s.sources
        ),
    )


def _email(host: str, port: int, tls: str, sender: str, to: tuple[str, ...], *rest: str | None) -> Email:
    username, digest, password_env = rest
    return Email(host, port, tls, sender, to, username=username, digest=str(digest), password_env=password_env)


def _settings(f: tuple[Any, ...]) -> Settings:
    email = f[8]
    patterns: dict[str, re.Pattern[str]] = {}  # one object per distinct pattern, as validation makes them
    kinds = {k: sys.intern(k) for k in ("government", "department")}
    sources = tuple(
        Source(
            i,
            agency,
            kinds.get(kind, kind),
            url,
            interval,
            patterns.get(p) or patterns.setdefault(p, re.compile(p)),
            pages,
            encoding,
            to,
            tuple(Body(*b) for b in bodies) if bodies else (),
        )
        for i, agency, kind, url, interval, p, pages, encoding, to, bodies in f[18]
    )
    return Settings(
        path=Path(f[0]),
        database=Path(f[1]),
        user_agent=f[2],
        concurrency=f[3],
        per_host=f[4],
        default_interval=f[5],
        failure_threshold=f[6],
        sources=sources,
        readers=f[7],
        email=None if email is None else _email(*email),
        webhooks=tuple(Webhook(name, url, fmt, None, env) for name, url, fmt, env in f[9]),
        outbox_dir=None if f[10] is None else Path(f[10]),
        overview_dir=None if f[11] is None else Path(f[11]),
        templates_dir=None if f[12] is None else Path(f[12]),
        database_url=f[13],
        database_password_env=f[14],
        database_line=f[15],
        first_poll=f[16],
        lease_seconds=f[17],
    )
