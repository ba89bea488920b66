"""The embedded default: a demo portal served on 127.0.0.1, built from the five real seed pages.

Two sources: a 年报 column carrying four cities' reports, its roster naming them (a paginated listing; an HTML report with spanned
tables that is revised before the second poll; the traditional-character report; a GBK page;
the report whose section 三 cannot be placed) and a bureau whose report has a planted error.
``tour`` (``govmon demo``) serves it, polls it twice and says what the watcher found.
"""

from __future__ import annotations

import copy
import email
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from monitor.alerts.render import Renderer
from monitor.config import Settings, Source
from monitor.demo.pages import page, report_page
from monitor.model import DEFAULT_LINK_PATTERN, china_today
from monitor.model.bodies import Body
from monitor.present import admin, overview, status
from monitor.reading.report import read_report
from monitor.store import open_store
from monitor.watch import service


def seed(name: str) -> bytes:
    return resources.files("monitor.demo").joinpath("seeds", name).read_bytes()


SEEDS = {
    "tongliao": "000_779f9be447f66d1d.txt",
    "luzhou": "001_451407376180ac87.txt",
    "yining": "002_661fba88e4ede7f1.txt",
    "laixi": "003_750a97d35f8bfe5c.txt",
    "tianmen": "004_39039b5b6710b1f1.txt",
}


@dataclass
class Portal:
    """The demo portal's pages; `revise()` changes the city's 2021 report as an agency might."""

    pages: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, content type)
    tongliao: dict[str, Any] = field(default_factory=dict)  # the city's 2021 report data, for revise()

    @classmethod
    def build(cls) -> Portal:
        p = cls()
        tongliao = read_report(seed(SEEDS["tongliao"]), "demo").to_json()
        p.pages["/city/nb/t20220308_2101.html"] = (report_page(tongliao).encode(), "text/html; charset=utf-8")
        p.pages["/city/nb/t20230301_2201.html"] = (seed(SEEDS["luzhou"]), "text/plain; charset=utf-8")
        p.pages["/city/nb/t20210129_2001.html"] = (_gbk(seed(SEEDS["laixi"])), "text/plain; charset=gbk")
        p.pages["/city/nb/t20210201_2002.html"] = (seed(SEEDS["yining"]), "text/plain; charset=utf-8")
        tianmen = read_report(seed(SEEDS["tianmen"]), "demo").to_json()
        tianmen["tables"]["appeals"]["review"]["total"] = 2  # planted: 0+0+0+0 is not 2
        p.pages["/bureau/nb/t20220112_2101.html"] = (report_page(tianmen).encode(), "text/html; charset=utf-8")
        p.pages["/city/nb/index.html"] = (
            _listing(
                "通辽市人民政府 年报专栏",
                [
                    ("t20220308_2101.html", "通辽市2021年政府信息公开工作年度报告"),
                    ("t20230301_2201.html", "泸州市2022年政府信息公开工作年度报告"),
                    ("/city/news/1.html", "市政府召开常务会议"),
                ],
                "index_1.html",
            ),
            "text/html; charset=utf-8",
        )
        p.pages["/city/nb/index_1.html"] = (
            _listing(
                "通辽市人民政府 年报专栏 第2页",
                [
                    ("t20210129_2001.html", "2020年莱西市政府信息公开工作年度报告"),
                    ("./t20210201_2002.html", "伊宁市2020年政府信息公开工作年度报告"),
                    ("t20220308_2101.html#top", "通辽市2021年政府信息公开工作年度报告"),  # the same report again
                ],
                None,
            ),
            "text/html; charset=utf-8",
        )
        p.pages["/bureau/nb/index.html"] = (
            _listing(
                "天门市政务服务和大数据管理局",
                [("t20220112_2101.html", "天门市政务服务和大数据管理局2021年政府信息公开工作年度报告")],
                None,
            ),
            "text/html; charset=utf-8",
        )
        p.tongliao = tongliao
        return p

    def revise(self) -> None:
        """The city quietly edits its published 2021 report: one cell and its total change."""
        data = copy.deepcopy(self.tongliao)
        data["tables"]["applications"]["granted"]["natural_person"] = 130
        self.pages["/city/nb/t20220308_2101.html"] = (report_page(data).encode(), "text/html; charset=utf-8")

    def app(self) -> web.Application:
        async def handler(request: web.Request) -> web.Response:
            hit = self.pages.get(request.path)
            if hit is None:
                return web.Response(status=404, text="404 页面不存在")
            body, ctype = hit
            mime, _, charset = ctype.partition("; charset=")
            return web.Response(body=body, content_type=mime, charset=charset or None)

        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        return app


def _gbk(data: bytes) -> bytes:
    return data.decode("utf-8").encode("gb18030")


def _listing(title: str, links: list[tuple[str, str]], next_page: str | None) -> bytes:
    items = "".join(
        f'<li><a href="{href}" title="{text}">{text[:18]}...</a><span>2022-03-08</span></li>' for href, text in links
    )
    nxt = f'<a href="{next_page}">下一页</a>' if next_page else ""
    return page(title, "2024-01-01", "示范门户", f"<ul class='list'>{items}</ul><div class='page'>{nxt}</div>").encode()


def settings(base_url: str, folder: Path) -> Settings:
    """The demo's configuration: both sources, the database and the .eml alert folder under `folder`."""
    pattern = re.compile(DEFAULT_LINK_PATTERN)
    sources = (
        Source(  # one 年报 column carrying four cities' reports: each report is its city's, never 通辽's
            "demo-city",
            "通辽市人民政府",
            "government",
            f"{base_url}/city/nb/index.html",
            3600,
            pattern,
            5,
            bodies=tuple(Body(f"{city}市人民政府", "government") for city in ("通辽", "泸州", "莱西", "伊宁")),
        ),
        Source(
            "demo-bureau",
            "天门市政务服务和大数据管理局",
            "department",
            f"{base_url}/bureau/nb/index.html",
            3600,
            pattern,
            5,
        ),
    )
    return Settings(
        path=folder / "sources.toml",
        database=folder / "govmon.db",
        user_agent="govreport-monitor/demo",
        concurrency=4,
        per_host=2,
        default_interval=3600,
        failure_threshold=3,
        sources=sources,
        outbox_dir=folder / "mail",
        first_poll="each",  # the demo shows each report's own alert; a real first poll sends one summary
    )


async def tour(folder: Path, say: Callable[[str], None]) -> None:
    """`govmon demo`: serve the portal on 127.0.0.1, poll it, show what was found; the city quietly edits its
    2021 report; poll again and show the revision; list the alert e-mails delivered into `folder`/mail."""
    portal = Portal.build()
    runner = web.AppRunner(portal.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    config, renderer = settings(base, folder), Renderer()
    say(f"demo portal on {base}; state in {folder}\n")
    try:
        say("== first poll: every report is new")
        polled = await service.poll_once(config, None, renderer, None, overview.Rebuilder(config, every=0))
        say(admin.poll_text(polled.results, polled.sent, polled.left))
        store = open_store(config)
        say("\n".join(admin.reports_text(store)))
        store.close()
        portal.revise()
        say("\n== the city quietly edits its 2021 report; second poll")
        polled = await service.poll_once(config, None, renderer, None, overview.Rebuilder(config, every=0))
        say(admin.poll_text(polled.results, polled.sent, polled.left))
        store = open_store(config)
        for doc in store.reports():
            if doc.versions > 1 and doc.latest:
                say(f"[{doc.source}] {doc.title}: {doc.versions} versions")
                say("\n".join(admin.findings_lines(doc.latest.findings)))
        store.close()
        mail = sorted((folder / "mail").glob("*.eml"))
        say(f"\n== {len(mail)} alert e-mails delivered to {folder / 'mail'} (open any .eml with a mail client):")
        for path in mail:
            subject = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
            say(f"   {path.name}  {subject}")
        today = china_today()
        store = open_store(config)
        try:
            items = status.worst_first(status.standings(config, store, [2021], today))
            say("\n== the supervisor's view of 2021 (govmon status --year 2021):")
            say(admin.status_text(2021, today.isoformat(), items, status.totals(items)))
            index = overview.build(config, store, folder / "overview", today).index
        finally:
            store.close()
        say(f"\n== the overview site (govmon overview): {index}, opens from disk in any browser")
    finally:
        await runner.cleanup()
