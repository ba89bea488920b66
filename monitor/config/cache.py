"""The validated ``sources.toml`` kept between starts: at 150,000 sources, parsing and validating the file is
~2 s of every start of ``govmon run``; reading back what a byte-identical file validated to is ~0.4 s.

The cache is a file in the state folder (beside the database; STATE_DIRECTORY under systemd, else the file's
folder), one per configuration file (``.govmon-config-<digest of its path>.cache``). It is used only when its key
matches: the file's bytes, the path it was given as, govmon's version and code, and Python's (marshal's format);
and the environment variable the file's paths may depend on, ``STATE_DIRECTORY``, must be as it was when they did
(when the file sets no ``state_dir``). It never holds a secret:
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
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any

import monitor
from monitor.config.settings import KINDS, Email, Settings, Source, SourceRow, Webhook
from monitor.model.bodies import Body

CACHE_ABOVE = 1 << 20  # bytes of sources.toml (~7,000 sources): below it, parsing is under a tenth of a second
_FORMAT = b"govmon-config-cache 2"  # (2: the key before the marshalled settings, not in them)
_KEY = 64  # bytes of ``key``
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
    """What a cached configuration must have been made from: these bytes, read as this path, by this code (the
    environment is checked apart: ``state_env``)."""
    digest = hashlib.blake2b(_FORMAT + code())
    for part in (str(path), str(path.absolute())):
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
    written()  # (a cache this process is writing: whole first)
    try:
        kept = where(path, raw).read_bytes()
    except OSError:
        return None
    check, made_from, body = kept[:32], kept[32 : 32 + _KEY], kept[32 + _KEY :]
    if _checksum(made_from, body) != check or made_from != key(path, raw):
        return None
    try:
        state, head, rows = marshal.loads(body)
        return settings(head, rows) if state == state_env(head) else None
    except (ValueError, EOFError, TypeError, IndexError, KeyError, AttributeError):  # (a checksum collision)
        return None


def state_env(head: dict[str, Any]) -> str | None:
    """STATE_DIRECTORY as the settings depend on it: not at all when the file sets ``state_dir`` (None), else
    its value ("" when not set). So the service (which has it) and an admin's command (which has not) share the
    cache of a file that sets ``state_dir``, as the README's deployment does."""
    return None if head.get("state_dir_set") else os.environ.get("STATE_DIRECTORY", "")


def remember(path: Path, raw: bytes, head: Settings, rows: list[SourceRow], state_dir_set: bool) -> Settings:
    """The settings of a file that validated (``head``: every setting but the sources; ``rows``: the sources'
    values, checked), its cache written (when large). Built from the cache's own bytes: fresh objects, side by
    side, where the checked values were scattered among the parsed file's, freed by now (at 150,000 sources,
    ~75 MiB of `run`'s memory held for nothing); and so the settings are the same whether cached or not."""
    plain = _plain(head)
    plain["state_dir_set"] = state_dir_set
    if len(raw) <= CACHE_ABOVE:
        return settings(plain, rows)
    body = marshal.dumps((state_env(plain), plain, rows))
    rows.clear()  # (the caller passed its only reference: the checked values go with it)
    # Written in a thread while the settings are made: hashing the file for the key, the checksum and the write
    # let go of the GIL (~50 ms of `run`'s first start at 150,000 sources, issue #28). ``recall`` and the
    # interpreter's exit wait for it.
    writer = threading.Thread(target=_write, args=(path, raw, body), name="govmon-config-cache")
    _writers.append(writer)
    writer.start()
    _, plain, rows = marshal.loads(body)
    return settings(plain, rows)


_writers: list[threading.Thread] = []


def written() -> None:
    """Every cache this process began writing, written (or given up)."""
    while True:
        try:
            writer = _writers.pop()
        except IndexError:  # (one at a time: another thread may take the last meanwhile)
            return
        writer.join()


def _checksum(made_from: bytes, body: bytes) -> bytes:
    digest = hashlib.blake2b(made_from, digest_size=32)
    digest.update(body)
    return digest.digest()


def _write(path: Path, raw: bytes, body: bytes) -> None:
    """The cache file: its checksum, its key, the settings; whole or not at all (a reader never sees half of it;
    two processes writing at once: the checksum tells). Any failure, even in finding where (a module of govmon
    unreadable mid-upgrade as ``code`` reads them), only leaves it unwritten: it is never needed."""
    try:
        made_from = key(path, raw)
        target = where(path, raw)
    except Exception:
        return
    partial = target.with_name(f"{target.name}.partial")
    try:
        with partial.open("wb") as out:
            out.write(_checksum(made_from, body))
            out.write(made_from)
            out.write(body)
        os.replace(partial, target)
    except OSError:
        pass
    finally:  # (also when stopped mid-write: no 13 MB left behind)
        with contextlib.suppress(OSError):
            partial.unlink()


def _public(record: Any) -> dict[str, Any]:
    """A record's fields but its secrets: a secret is a field kept out of its repr (``field(repr=False)``:
    the database's password, the SMTP password, a webhook's secret), read from the environment at each load."""
    return {f.name: getattr(record, f.name) for f in fields(record) if f.repr}


def _plain(s: Settings) -> dict[str, Any]:
    """Every setting but the sources and the secrets, as marshal's plain values (a Path as its text)."""
    out = _public(s)
    del out["sources"]
    for name, value in out.items():
        if isinstance(value, Path):
            out[name] = str(value)
    out["email"] = None if s.email is None else _public(s.email)
    out["webhooks"] = tuple(_public(w) for w in s.webhooks)
    return out


_PATHS = {f.name for f in fields(Settings) if "Path" in str(f.type)}


def settings(plain: dict[str, Any], rows: list[SourceRow]) -> Settings:
    """The Settings of ``_plain``'s values and the sources' rows (secrets None: ``load`` adds them)."""
    values: dict[str, Any] = {k: (Path(v) if k in _PATHS and v is not None else v) for k, v in plain.items()}
    del values["state_dir_set"]
    values["email"] = None if values.get("email") is None else Email(**values["email"])
    values["webhooks"] = tuple(Webhook(**w) for w in values.get("webhooks", ()))
    patterns: dict[str, re.Pattern[str]] = {}  # one object per distinct pattern, as validation makes them
    kinds = {k: sys.intern(k) for k in KINDS}
    values["sources"] = tuple(
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
            tuple([Body(*b) for b in bodies]) if bodies else (),
        )
        for i, agency, kind, url, interval, p, pages, encoding, to, bodies in rows
    )
    return Settings(**values)
