"""Stage: fetch. HTTP GETs for the watcher and for ``govmon check URL``.

One aiohttp session per run; global and per-host connection limits; timeouts; a body size
cap; retries with exponential backoff and jitter on timeouts, connection errors, 5xx and
429 (honouring Retry-After); conditional GET (ETag / Last-Modified) so an unchanged page
costs a 304. Redirects are followed by hand, at most five, and every hop is checked: an
address that is loopback, private or link-local is refused unless the source's own URL is
on that same kind of address (so a source on 127.0.0.1 works in tests, while a link to
169.254.169.254 never does). The check runs both on literal IPs and inside the DNS
resolver, so a hostname that resolves to a private address is caught too. The resolver is asked only when a
connection is opened, so connections are pooled per trust (the set of address kinds a source may reach): a
public source's link to ``http://localhost:P/`` never rides on a connection a loopback source opened.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import ipaddress
import logging
import random
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from monitor.errors import FetchError, StorageError
from monitor.model import MAX_BYTES

USER_AGENT = "govreport-monitor/0.1 (+https://github.com/govreport-monitor)"
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 300.0
log = logging.getLogger("govmon")
SLOT_WAIT = 0.1  # how often a request waits for a host's slot other workers hold
# A worker hands a host's slot from one of its requests to the next for at most HOLD seconds, then gives it back and
# asks again only after PAUSE (longer than SLOT_WAIT): the other workers waiting for that host get it meanwhile.
# Handing over without end starved them: at 20,000 sources a second worker polled 256 sources while the first
# polled the rest, and 749 of its requests ran past their deadline (false "failing" sources).
HOLD, PAUSE = 5.0, 2.5 * SLOT_WAIT
# A slot nobody here wants any more is kept LINGER seconds before it is freed: a source's next request to the host
# (its report, after its listing) or another source's takes it without two round trips (free, take again). Other
# workers wait at most that much longer for the host.
LINGER = 2.5 * SLOT_WAIT
_ALLOWED: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("allowed", default=frozenset())


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    charset: str | None
    content_type: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class RefusedAddress(OSError):
    """Raised inside the resolver: aiohttp reports it as a connection error we can recognise."""


# Cloud metadata services outside the link-local range: Alibaba/Tencent-style 100.100.100.200 sits in the
# carrier-grade NAT range 100.64.0.0/10 (which Python does not call private); AWS's IPv6 fd00:ec2::254.
_SHARED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fd00:ec2::/32"))


def address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local or any(ip in net for net in _SHARED if ip.version == net.version):
        return "link-local"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    return "global"


@lru_cache(maxsize=4096)  # asked for every request: a poll's sources sit on a few hundred addresses
def literal_kind(host: str) -> str | None:
    """``address_kind`` of a literal address (a zone index after ``%`` aside); None for a name."""
    try:
        return address_kind(ipaddress.ip_address(host.split("%", maxsplit=1)[0]))
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # asked for each request with its source's listing URL
def allowed_for(url: str) -> frozenset[str]:
    """The address kinds a source may reach: global, plus its own URL's kind when that is not global."""
    host = urlsplit(url).hostname or ""
    kind = literal_kind(host) or ("loopback" if host == "localhost" else "global")
    return frozenset({"global", kind} - {"reserved"})


def _check_ip(host: str, ip: str, allowed: frozenset[str]) -> None:
    kind = literal_kind(ip)
    if kind is None:
        raise RefusedAddress(f"refused: {host} resolved to {ip!r}, which is not an address")
    if kind not in allowed:
        raise RefusedAddress(
            f"refused: {host} is a {kind} address ({ip}); only the source's own kind of address is allowed"
        )


class GuardedResolver(AbstractResolver):
    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for r in results:
            _check_ip(host, r["host"], _ALLOWED.get())
        return results

    async def close(self) -> None:
        await self._inner.close()


def _first_line(exc: BaseException, width: int = 120) -> str:
    """An exception as one short line: aiohttp's messages can quote the whole answer they could not parse."""
    text = " ".join(re.split(r"\n|\\n", str(exc), maxsplit=1)[0].split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def read_capped(resp: aiohttp.ClientResponse, limit: int = MAX_BYTES) -> bytes:
    if resp.content_length is not None and resp.content_length > limit:
        raise FetchError(f"{resp.url}: body of {resp.content_length} bytes is over the {limit} byte limit")
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"{resp.url}: body is over the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


class HostSlots(Protocol):
    """Per-host politeness across workers (a shared store): at most ``limit`` requests to a host at once in
    total, each holding a slot until it ends (or ``lease`` seconds, when its worker was killed)."""

    def take_host_slot(self, host: str, limit: int, lease: float) -> int | None: ...

    def free_host_slot(self, host: str, slot: int) -> None: ...


class _HostGate:
    """One host's requests in this process, with a shared store's slots: they queue here first, so only per_host
    of them at a time ask the database (each asking is a round trip: 64 requests asking every SLOT_WAIT cost 7 a
    source), and a slot a request is done with goes straight to the next one queued (no round trip to free it
    and take it again) for HOLD seconds; the database's slot is freed LINGER seconds after nobody here wants it
    (a request that comes meanwhile takes it), or after HOLD, when it is the other workers' turn. At 1,000 sources
    on 32 hosts, freeing at once cost ~0.9 round trips a source, as many as the rest of a poll."""

    def __init__(self, host: str, per_host: int) -> None:
        self.host, self.limit = host, per_host
        self.queue = asyncio.Semaphore(per_host)
        self.idle: list[int] = []  # slots held for the requests queued (handed over, not freed)
        self.waiting = 0  # requests queued
        self.using = 0  # requests holding a slot
        self.taken: dict[int, float] = {}  # slot -> when this process took it from the store (the loop's clock)
        self.resume = 0.0  # a slot was given back for the others' turn: not asked for again before this
        self.linger: asyncio.TimerHandle | None = None  # frees the idle slots when nobody here wants them
        self.given = 0.0  # when a request here was last done with a slot (the loop's clock)

    async def take(self, slots: HostSlots, lease: float) -> int:
        self.waiting += 1
        try:
            await self.queue.acquire()
        except BaseException:
            self.waiting -= 1
            if not self.waiting and not self.using:  # a slot handed over to a request cancelled meanwhile
                self.free_idle(slots)
            raise
        self.waiting -= 1
        self.using += 1
        if self.idle:
            return self.idle.pop()
        loop = asyncio.get_running_loop()
        try:
            if (turn := self.resume - loop.time()) > 0:
                await asyncio.sleep(turn)
            while (slot := slots.take_host_slot(self.host, self.limit, lease)) is None:
                await asyncio.sleep(SLOT_WAIT)
        except BaseException:
            self.using -= 1
            self.queue.release()
            raise
        self.taken[slot] = loop.time()
        return slot

    def give(self, slots: HostSlots, slot: int) -> None:
        self.using -= 1
        now = asyncio.get_running_loop().time()
        self.given = now
        if now - self.taken.get(slot, now) < HOLD:
            self.idle.append(slot)  # to the next request queued, or one that comes within LINGER
        else:
            slots.free_host_slot(self.host, slot)
            self.taken.pop(slot, None)
            if self.waiting:  # held for HOLD: the other workers' turn before this one asks again
                self.resume = now + PAUSE
        if len(self.idle) > self.waiting and self.linger is None:
            self.linger = asyncio.get_running_loop().call_later(LINGER, self._lingered, slots)
        self.queue.release()

    def _lingered(self, slots: HostSlots) -> None:
        """LINGER after the last request here was done with a slot: the slots no request here waits for, freed."""
        self.linger = None
        loop = asyncio.get_running_loop()
        if (left := self.given + LINGER - loop.time()) > 0:  # used again meanwhile
            self.linger = loop.call_later(left, self._lingered, slots)
            return
        try:
            while len(self.idle) > self.waiting:
                slot = self.idle.pop()
                slots.free_host_slot(self.host, slot)
                self.taken.pop(slot, None)
        except StorageError as exc:  # the database is away: the slots' lease lapses; the polls' own calls say so
            log.warning("freeing a request slot of %s failed: %s", self.host, exc)

    def free_idle(self, slots: HostSlots) -> None:
        if self.linger is not None:
            self.linger.cancel()
            self.linger = None
        while self.idle:
            slot = self.idle.pop()
            slots.free_host_slot(self.host, slot)
            self.taken.pop(slot, None)


class Fetcher:
    """Use as ``async with Fetcher(...) as f: await f.get(url, allow=allowed_for(source_url))``. ``per_host``
    holds within this process (the connector's limit); with ``slots`` (several workers on one database) it
    holds across all of them."""

    def __init__(
        self,
        user_agent: str = USER_AGENT,
        concurrency: int = 8,
        per_host: int = 2,
        *,
        retries: int = 3,
        backoff: float = 1.0,
        timeout: float = 30.0,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        slots: HostSlots | None = None,
        slot_lease: float | None = None,
    ) -> None:
        self.slots = slots
        self._hosts: dict[str, _HostGate] = {}  # with slots: this process's requests to each host
        self._queues: dict[str, asyncio.Semaphore] = {}  # without: the same, each host's per_host at a time
        self.user_agent, self.retries, self.backoff, self.max_bytes, self.sleep = (
            user_agent,
            retries,
            backoff,
            max_bytes,
            sleep,
        )
        self.timeout = aiohttp.ClientTimeout(total=timeout * 2, connect=timeout, sock_read=timeout)
        # One URL, all its attempts and waits: a server dribbling a byte a second costs this, not 4 × (2 × timeout).
        self.deadline = timeout * 4
        # a request's hold on a host's slot: the watcher renews its worker's while it polls (``slot_lease``);
        # unrenewed, it outlives the request's deadline
        self.slot_lease = slot_lease if slot_lease is not None else self.deadline + 60
        self.limits = (concurrency, per_host)
        self.sessions: dict[frozenset[str], aiohttp.ClientSession] = {}  # one connection pool per trust
        self.entered = False
        self.server_date: date | None = None  # the newest Date header seen: a clock to hold this machine's against
        self._date_header: str | None = None  # the last Date header parsed (most answers of a second repeat it)

    async def __aenter__(self) -> Fetcher:
        self.entered = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.slots is not None:
            for gate in self._hosts.values():
                gate.free_idle(self.slots)
        for session in self.sessions.values():
            await session.close()
        self.sessions.clear()

    def _session(self) -> aiohttp.ClientSession:
        """The pool of the trust in force (``_ALLOWED``): connections are reused only among equals."""
        assert self.entered, "use Fetcher as an async context manager"
        allow = _ALLOWED.get()
        if allow not in self.sessions:
            connector = aiohttp.TCPConnector(
                limit=self.limits[0], limit_per_host=self.limits[1], resolver=GuardedResolver(), use_dns_cache=False
            )
            self.sessions[allow] = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, headers={"User-Agent": self.user_agent}
            )
        return self.sessions[allow]

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow: frozenset[str] | None = None,
    ) -> Response:
        """GET with retries. Raises FetchError (with the reason) once the retries are spent."""
        token = _ALLOWED.set(allow if allow is not None else allowed_for(url))
        try:
            async with asyncio.timeout(self.deadline):
                return await self._attempts(url, etag, last_modified)
        except TimeoutError as exc:
            raise FetchError(f"{url}: no complete answer within {self.deadline:.0f} s (gave up)") from exc
        finally:
            _ALLOWED.reset(token)

    async def _attempts(self, url: str, etag: str | None, last_modified: str | None) -> Response:
        until = asyncio.get_running_loop().time() + self.deadline
        for attempt in range(self.retries + 1):
            try:
                return await self._follow(url, etag, last_modified)
            except _Retry as exc:
                if attempt == self.retries:
                    raise FetchError(f"{url}: {exc} (gave up after {attempt + 1} attempts)") from exc
                left = until - asyncio.get_running_loop().time()
                if exc.wait is not None and exc.wait > min(MAX_RETRY_AFTER, left):
                    raise FetchError(f"{url}: {exc}; Retry-After {exc.wait:.0f}s is too long for this poll") from exc
                delay = exc.wait if exc.wait is not None else self.backoff * 2**attempt * random.uniform(0.5, 1.5)
                await self.sleep(delay)
        raise AssertionError("unreachable")

    async def _follow(self, url: str, etag: str | None, last_modified: str | None) -> Response:
        session = self._session()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(MAX_REDIRECTS + 1):
            host = _check_url(url)
            try:
                async with self._host_slot(host), session.get(url, headers=headers, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        url = urljoin(url, resp.headers["Location"])
                        continue
                    if resp.status == 429 or resp.status >= 500:
                        raise _Retry(f"HTTP {resp.status}", _retry_after(resp.headers.get("Retry-After")))
                    if resp.status >= 400:
                        raise FetchError(f"{url}: HTTP {resp.status} {resp.reason or ''}".rstrip())
                    body = b"" if resp.status == 304 else await read_capped(resp, self.max_bytes)
                    self._saw_date(resp.headers.get("Date"))
                    return Response(
                        str(resp.url),
                        resp.status,
                        body,
                        resp.charset,
                        resp.content_type,
                        resp.headers.get("ETag"),
                        resp.headers.get("Last-Modified"),
                    )
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, RefusedAddress):
                    raise FetchError(f"{url}: {exc.os_error}") from exc
                raise _Retry(f"cannot connect: {exc.os_error}") from exc
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                raise _Retry(f"connection failed: {type(exc).__name__}") from exc
            except TimeoutError as exc:
                raise _Retry("timed out") from exc
            except aiohttp.ClientError as exc:  # a broken answer (a bad status line, bytes past Content-Length…)
                raise _Retry(f"the server's answer is not valid HTTP: {_first_line(exc)}") from exc
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects (a redirect loop?)")

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        """One of the host's ``per_host`` slots for one request: shared by every worker with ``slots``, else this
        process's. Requests queue here rather than in the connector, whose queue costs each request done a
        shuffle of every host waiting (a tenth of a steady poll's CPU)."""
        if self.slots is None:
            queue = self._queues.get(host) or self._queues.setdefault(host, asyncio.Semaphore(self.limits[1]))
            async with queue:
                yield
            return
        gate = self._hosts.get(host) or self._hosts.setdefault(host, _HostGate(host, self.limits[1]))
        slot = await gate.take(self.slots, self.slot_lease)
        try:
            yield
        finally:
            gate.give(self.slots, slot)

    def _saw_date(self, value: str | None) -> None:
        if value == self._date_header:
            return
        self._date_header = value
        try:
            served = email.utils.parsedate_to_datetime(value).date() if value else None
        except (TypeError, ValueError):
            return
        if served is not None and (self.server_date is None or served > self.server_date):
            self.server_date = served


def _check_url(url: str) -> str:
    """An http(s) URL whose literal address (if it is one) is allowed; names are checked by the resolver.
    Returns its host."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError(f"{url}: not an http(s) URL")
    if literal_kind(host) is None:
        return host  # a name: the resolver checks what it resolves to
    try:
        _check_ip(host, host, _ALLOWED.get())
    except RefusedAddress as exc:
        raise FetchError(f"{url}: {exc}") from exc
    return host


async def fetch_once(url: str, user_agent: str = USER_AGENT, allow_private: bool = False) -> Response:
    """One GET for ``govmon check URL``: a short-lived session, one retry. Private and link-local addresses
    (cloud metadata among them) are refused unless ``allow_private``; this machine's own are allowed."""
    allow = {"global", "loopback"} | ({"private", "link-local"} if allow_private else set())
    async with Fetcher(user_agent, retries=1) as fetcher:
        return await fetcher.get(url, allow=frozenset(allow))
