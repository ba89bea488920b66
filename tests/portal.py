"""A test portal: a real aiohttp server on 127.0.0.1 whose pages and misbehaviours tests script."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from monitor.config import Settings, Source
from monitor.model import DEFAULT_LINK_PATTERN


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html"
    charset: str | None = "utf-8"
    status: list[int] = field(default_factory=list)  # statuses to answer first (500, 429, ...), then 200
    retry_after: str | None = None
    delay: float = 0.0
    location: str | None = None  # answer 302 to here
    etag: bool = True


class Portal:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        # paths answered by a function of the query (a CMS's list API): (body, content type)
        self.apis: dict[str, Callable[[Mapping[str, str]], tuple[str, str]]] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.runner: web.AppRunner | None = None
        self.base = ""
        self.inflight = 0
        self.peak = 0  # the most requests in hand at once (per-host politeness, across workers)

    def add(self, path: str, body: str | bytes, **kw: object) -> None:
        self.pages[path] = Page(body.encode() if isinstance(body, str) else body, **kw)  # type: ignore[arg-type]

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        try:
            return await self._answer(request)
        finally:
            self.inflight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        self.hits[path] += 1
        page = self.pages.get(path)
        if page is None and request.path in self.apis:
            body, kind = self.apis[request.path](request.query)
            return web.Response(text=body, content_type=kind, charset="utf-8")
        if page is None:
            return web.Response(status=404)
        if page.delay:
            await asyncio.sleep(page.delay)
        if page.status:
            status = page.status.pop(0)
            headers = {"Retry-After": page.retry_after} if page.retry_after else {}
            return web.Response(status=status, headers=headers)
        if page.location:
            return web.Response(status=302, headers={"Location": page.location})
        etag = '"' + hashlib.sha1(page.body).hexdigest() + '"'
        if page.etag and request.headers.get("If-None-Match") == etag:
            self.not_modified[path] += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=page.body,
            content_type=page.content_type,
            charset=page.charset,
            headers={"ETag": etag} if page.etag else {},
        )

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.handler)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)  # do not wait for slow handlers
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self.base

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


def listing(links: list[tuple[str, str]], next_page: str | None = None, charset: str = "utf-8") -> str:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    nxt = f'<a href="{next_page}">下一页</a>' if next_page else ""
    return (
        f'<html><head><meta charset="{charset}"><title>年报</title></head><body><nav><a href="/">首页</a></nav>'
        f"<ul>{items}</ul>{nxt}</body></html>"
    )


def settings(tmp_path, sources: list[tuple[str, str, str]], **kw: object) -> Settings:
    """Settings for (id, kind, list_url) sources with a database under tmp_path."""
    pattern = re.compile(DEFAULT_LINK_PATTERN)
    srcs = tuple(Source(i, f"{i}人民政府", kind, url, 3600, pattern, 5) for i, kind, url in sources)
    base = {
        "path": tmp_path / "sources.toml",
        "database": tmp_path / "govmon.db",
        "user_agent": "govmon-test",
        "concurrency": 4,
        "per_host": 2,
        "default_interval": 3600,
        "failure_threshold": 2,
        "sources": srcs,
        "first_poll": "each",  # the tests of each report's alert; tests/test_alerts.py tests the first poll's summary
    }
    return Settings(**{**base, **kw})  # type: ignore[arg-type]
