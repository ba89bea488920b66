"""Reading ``sources.toml`` with the place of every value: a ``Reader`` names the file, the line and the key in
every error (``sources.toml:14: [[source]] #2 key 'kind': must be one of department, government``)."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import rtoml
import tomli

from monitor.errors import ConfigError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a line break in a header or address poisons every message after it
# The URL every portal gives (a host name or IPv4 address, a port of at most 5 digits, no user or password): known
# good without urlsplit, a third of loading 150,000 sources; anything else is looked at by urlsplit.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::(\d{1,5}))?(?:[/?#][^\x00-\x20\x7f@]*)?", re.ASCII)


def is_http_url(url: str) -> bool:
    """An http(s) URL with a host and, if it gives one, a port that exists (``http://[::1/x`` and
    ``:99999`` fail here, at load, not in the middle of a poll)."""
    if (m := _PLAIN_URL.fullmatch(url)) and (m[1] is None or int(m[1]) <= 65535):
        return True
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError when out of range or not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not _CONTROL.search(url)


class Reader:
    """Walks the parsed TOML, checking types and keys, and finds line numbers for messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def lines(self) -> Iterator[tuple[int, str]]:
        """The file's lines as TOML counts them (each ends at a \\n), numbered from 0, cut one at a time as they are
        asked for: [monitor]'s `database` line, asked of every file naming a PostgreSQL server, split a
        150,000-source file whole (72 MiB of strings at `run`'s start, for one line near the top)."""
        text, start, n = self.text, 0, 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            yield n, text[start:end]
            start, n = end + 1, n + 1

    def line_of(self, header: str, index: int, key: str | None) -> int:
        """Line of `key` inside the index-th `header` table ([monitor], [[source]], ...), or of the header."""
        seen, start = -1, None
        pattern = re.compile(r"^\s*\[\[?\s*" + re.escape(header) + r"\s*\]\]?\s*(#.*)?$")
        numbered = self.lines()
        for n, line in numbered:
            if pattern.match(line):
                seen += 1
                if seen == index:
                    start = n
                    break
        if start is not None and key is None:
            return start + 1
        if start is not None:
            for n, line in numbered:  # the table's own lines, up to the next header
                if re.match(r"^\s*\[", line):
                    break
                if re.match(r"^\s*" + re.escape(key or "") + r"\s*=", line):
                    return n + 1
        if key:  # a table of that name ([alerts.emial], [monitr]): the line of its own header
            own = re.compile(r"^\s*\[\[?\s*(" + re.escape(header) + r"\.)?" + re.escape(key) + r"\s*\]\]?")
            hit = next((n for n, line in self.lines() if own.match(line)), None)
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
            want = allowed.get(key)
            if want is None:
                raise self.fail(header, index, key, f"unknown key; valid keys are {', '.join(sorted(allowed))}")
            kind = type(value)
            if kind is not want:  # (exactly the type wanted, as nearly always: nothing more to look at)
                self._kind(header, index, key, value, want)
            if kind is str:  # (a printable string holds no control character: the search only when it is not)
                if not value.isprintable() and _CONTROL.search(value):
                    raise self.fail(header, index, key, f"{value!r} holds a line break or control character")
            elif kind is list:
                for item in value:
                    if isinstance(item, str) and _CONTROL.search(item):
                        raise self.fail(header, index, key, f"{item!r} holds a line break or control character")
        for key in required:
            if key not in data:
                raise self.fail(header, index, None, f"missing required key '{key}'")
        return data

    def _kind(self, header: str, index: int, key: str, value: object, want: type | tuple[type, ...]) -> None:
        if (isinstance(value, bool) and want is not bool) or not isinstance(value, want):
            names = want.__name__ if isinstance(want, type) else " or ".join(t.__name__ for t in want)
            raise self.fail(header, index, key, f"must be a {names}, not {type(value).__name__} ({value!r})")

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


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file (give --config PATH or set GOVMON_CONFIG)") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # (a Windows editor's GBK, most often): the line, and what to do
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x}; saved as GBK?): save the file as UTF-8"
        ) from None
    if "\r" in text:  # as reading in text mode did: a Windows file's line ends are "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.removeprefix("\ufeff")  # a BOM from a Windows editor: not part of the TOML


def parse_toml(path: Path, text: str, fast: bool = True) -> tuple[dict[str, Any], list[Piece]]:
    """The file's tables, and the sources read after them (``pieces``; none when tomli reads it all).
    ``fast``: read by rtoml (Rust), a piece at a time: 150,000 sources in ~0.45 s where tomli takes ~0.95 s. A
    file it does not read that way is read by tomli, in whose words every error is given (``load`` reads the file
    again by tomli when a value fails, so its message quotes the value as tomli reads it)."""
    if fast and (got := pieces(text)) is not None:
        return got
    try:
        return tomli.loads(text), []  # tomllib's parser, compiled: 2.4x faster on a province's sources.toml
    except tomli.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{at[1]}:{at[2]}" if at else str(path)
        raise ConfigError(f"{where}: not valid TOML: {re.sub(r' [(]at line.*[)]$', '', str(exc))}") from exc


Piece = Callable[[], list[Any]]  # a piece's sources, read when called
PIECE = 1 << 17  # characters read by rtoml at a time (the whole file at once: 488 MiB of its tree at 150,000 sources)
_HEADER = "\n[[source]]"


def pieces(text: str) -> tuple[dict[str, Any], list[Piece]] | None:
    """The file as rtoml reads it, in pieces of about ``PIECE`` characters, each cut just before a line that
    starts ``[[source]]``: the first piece's tables, and the sources of each piece after it, each read when it is
    called for (so that the tables of one piece are held at a time: the whole file's were 113 MiB at 150,000
    sources). They are the whole file's when it holds no multi-line string (then such a line is a header,
    nothing else), and when the pieces after the first hold nothing but sources (no other table can then be
    defined twice, or be split from its parent, across two pieces). None when the file is not so or rtoml refuses
    its first piece; a later piece that is not so raises ConfigError as it is read: tomli reads the whole file
    then (``load``)."""
    if '"""' in text or "'''" in text:
        return None

    def header(start: int) -> int:  # where the next line starting [[source]] starts, or -1
        found = text.find(_HEADER, start)
        return found + 1 if found >= 0 else -1

    cuts, at = [0], 0 if text.startswith(_HEADER[1:]) else header(0)
    while at >= 0:
        cuts.append(at)
        at = header(at + PIECE)
    cuts.append(len(text))
    try:
        data = rtoml.loads(text[: cuts[1]])
    except ValueError:  # (rtoml's TomlParsingError is one)
        return None
    if "source" in data:  # a first piece of sources that may not be [[source]] tables: tomli's to judge
        return None

    def piece(start: int, end: int) -> list[Any]:
        try:
            tables = rtoml.loads(text[start:end])
        except ValueError:
            raise ConfigError("not read in pieces") from None
        if tables.keys() != {"source"}:
            raise ConfigError("not read in pieces")
        return list(tables["source"])

    return data, [functools.partial(piece, start, end) for start, end in pairwise(cuts[1:])]


def unique(r: Reader, table: str, values: list[str], key: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise r.fail(table, i, key, f"duplicate {what} '{value}'")
        seen.add(value)


def consumed(items: list[Any]) -> Iterator[tuple[int, Any]]:
    """``enumerate(items)``, each item let go of once the next is asked for: a sources.toml's tables are each
    freed as its source is made (at 150,000 sources, the parsed tables and the sources made of them never held
    at once)."""
    for i in range(len(items)):
        item, items[i] = items[i], None
        yield i, item


def tables(r: Reader, parent: str, key: str, items: Any) -> list[dict[str, Any]]:
    """``[[parent.key]]`` entries: each must be a table (``webhook = [1]`` is not one)."""
    for item in items:
        if not isinstance(item, dict):
            raise r.fail(parent, 0, key, f"each entry must be a table ([[{key}]] ...), not {item!r}")
    return items if isinstance(items, list) else list(items)
