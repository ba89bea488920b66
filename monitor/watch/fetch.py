"""Stage: fetch. HTTP GETs for the watcher and for ``govmon check URL``.

One aiohttp session per run; global and per-host connection limits; timeouts; a body size
cap; retries with exponential backoff and jitter on timeouts, connection errors, 5xx and
429 (honouring Retry-After); conditional GET (ETag / Last-Modified) so an unchanged page
costs a 304. Redirects are followed by hand, at most five, and every hop is checked (``addresses``: a
loopback, private or link-local address only for a source on that kind of address; on literal IPs and inside
the DNS resolver). The resolver is asked only when a connection is opened, so connections are pooled per trust
(the set of address kinds a source may reach): a public source's link to ``http://localhost:P/`` never rides on
a connection a loopback source opened. Each host's requests queue in this process, ``per_host`` at a time, or,
with several workers on one database, for the host's shared slots (``slots``).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any
from urllib.parse import urljoin

import aiohttp

from monitor.errors import FetchError
from monitor.model import MAX_BYTES, china_today
from monitor.watch.addresses import ALLOWED, GuardedResolver, RefusedAddress, allowed_for, check_url
from monitor.watch.slots import HostGate, HostSlots

USER_AGENT = "govreport-monitor/0.1 (+https://github.com/govreport-monitor)"
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 300.0


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
        self._hosts: dict[str, HostGate] = {}  # with slots: this process's requests to each host
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
        """The pool of the trust in force (``ALLOWED``): connections are reused only among equals."""
        assert self.entered, "use Fetcher as an async context manager"
        allow = ALLOWED.get()
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
        token = ALLOWED.set(allow if allow is not None else allowed_for(url))
        try:
            async with asyncio.timeout(self.deadline):
                return await self._attempts(url, etag, last_modified)
        except TimeoutError as exc:
            raise FetchError(f"{url}: no complete answer within {self.deadline:.0f} s (gave up)") from exc
        finally:
            ALLOWED.reset(token)

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
            host = check_url(url)
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
        gate = self._hosts.get(host) or self._hosts.setdefault(host, HostGate(host, self.limits[1]))
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
            stamp = email.utils.parsedate_to_datetime(value) if value else None
            served = china_today(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)) if stamp else None
        except (TypeError, ValueError):
            return
        if served is not None and (self.server_date is None or served > self.server_date):
            self.server_date = served


async def fetch_once(url: str, user_agent: str = USER_AGENT, allow_private: bool = False) -> Response:
    """One GET for ``govmon check URL``: a short-lived session, one retry. Private and link-local addresses
    (cloud metadata among them) are refused unless ``allow_private``; this machine's own are allowed."""
    allow = {"global", "loopback"} | ({"private", "link-local"} if allow_private else set())
    async with Fetcher(user_agent, retries=1) as fetcher:
        return await fetcher.get(url, allow=frozenset(allow))
