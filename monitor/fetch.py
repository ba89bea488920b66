"""Stage: fetch. HTTP(S) GET with aiohttp: timeouts, a size cap, an honest User-Agent.

``govmon check URL`` uses ``fetch_once``; the watcher's retries, conditional GET and
per-host limits build on the same session handling.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from monitor.errors import FetchError
from monitor.extract import MAX_BYTES

USER_AGENT = "govreport-monitor/0.1 (+https://github.com/govreport-monitor)"
TIMEOUT = aiohttp.ClientTimeout(total=60, connect=15, sock_read=30)


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    charset: str | None
    content_type: str


async def read_capped(resp: aiohttp.ClientResponse, limit: int = MAX_BYTES) -> bytes:
    declared = resp.content_length
    if declared is not None and declared > limit:
        raise FetchError(f"{resp.url}: body of {declared} bytes is over the {limit} byte limit")
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"{resp.url}: body is over the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_once(url: str, user_agent: str = USER_AGENT) -> Response:
    """One GET; raises FetchError with the reason on any failure."""
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT, headers={"User-Agent": user_agent}) as session,
            session.get(url, max_redirects=5) as resp,
        ):
            if resp.status >= 400:
                raise FetchError(f"{url}: HTTP {resp.status} {resp.reason or ''}".rstrip())
            body = await read_capped(resp)
            return Response(str(resp.url), resp.status, body, resp.charset, resp.content_type)
    except aiohttp.TooManyRedirects as exc:
        raise FetchError(f"{url}: too many redirects") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}".rstrip(": ")) from exc
