"""Did a change of structure change what govmon tells staff? Every message of a scripted run, saved before and
compared after: the e-mails a real SMTP server (aiosmtpd) receives, the .eml folder, the JSON webhook and the three
robots' requests a real aiohttp receiver gets, the daily digest, `govmon alerts test`, and the overview site.

    python benchmarks/same_alerts.py --save /tmp/before      # before the change
    python benchmarks/same_alerts.py --against /tmp/before   # after: exit 0 when every message is the same

The run goes through the command line only (`govmon poll`, `alerts test`, `alerts send`, `overview`), so it
compares what users see whatever moved inside. Four sources on a local portal make every kind of alert: a new
report with a planted error (and a hostile title), a revision, a missing report, a portal failing then
recovered, and a report checked again when its year before arrives (a new finding).

What legitimately differs between runs is normalised: the ports of the local servers, Date headers, Message-IDs
(a hash of a key holding the port), MIME boundaries, the overview's dates and version numbers, and signatures
(each is verified here instead: the JSON webhook's HMAC, DingTalk's and Feishu's timestamped signs).
Documented additions (README "Alerts") are dropped before comparing: ``ADDED`` names them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import difflib
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import socket
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from monitor.demo import SEEDS, seed
from monitor.demo.pages import report_page
from monitor.reading.report import read_report

# Keys added to the generic JSON webhook body on purpose (README "Alerts"): dropped before the comparison.
ADDED = ("version",)
SECRETS = {"GOVMON_HOOK_SECRET": "k3y", "GOVMON_DING_SECRET": "SECret", "GOVMON_FEISHU_SECRET": "fs"}
EVIL = "天门市<script>alert(1)</script>2021年政府信息公开工作年度报告](http://evil.example/login)**紧急**"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listing(links: list[tuple[str, str]]) -> bytes:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return f'<html><head><meta charset="utf-8"><title>年报</title></head><body><ul>{items}</ul></body></html>'.encode()


class Sinks:
    """The local portal, the SMTP server and the webhook receiver, and what the last two received."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.mails: list[bytes] = []
        self.hooks: list[tuple[str, dict[str, str], bytes]] = []
        self.smtp_port = free_port()
        self.runner: web.AppRunner | None = None
        self.base = ""
        self.controller: Controller | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.mails.append(envelope.content)
        return "250 OK"

    async def start(self) -> None:
        async def get(request: web.Request) -> web.Response:
            body = self.pages.get(request.path)
            if body is None:
                return web.Response(status=404)
            return web.Response(body=body, content_type="text/html", charset="utf-8")

        async def post(request: web.Request) -> web.Response:
            self.hooks.append((str(request.rel_url), dict(request.headers), await request.read()))
            return web.Response(text='{"errcode": 0, "errmsg": "ok"}', content_type="application/json")

        app = web.Application()
        app.router.add_get("/{tail:.*}", get)
        app.router.add_post("/{tail:.*}", post)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.controller = Controller(self, hostname="127.0.0.1", port=self.smtp_port)
        self.controller.start()

    async def stop(self) -> None:
        if self.controller:
            self.controller.stop()
        if self.runner:
            await self.runner.cleanup()


def toml(sinks: Sinks, state: Path, digest: str) -> str:
    b = sinks.base
    sources = "".join(
        f'[[source]]\nid = "{i}"\nagency = "{agency}"\nkind = "{kind}"\nlist_url = "{b}/{i}/"\n\n'
        for i, agency, kind in (
            ("bureau", "天门市政务服务和大数据管理局", "department"),
            ("city", "通辽市人民政府", "government"),
            ("down", "示例县人民政府", "government"),
            ("years", "示例市人民政府", "government"),
        )
    )
    return f"""[monitor]
state_dir = "{state}"
outbox_dir = "mail"
failure_threshold = 1
first_poll = "each"  # every kind of alert, one by one (the first poll's summary is its own test)
concurrency = 1

[alerts.email]
host = "127.0.0.1"
port = {sinks.smtp_port}
tls = "none"
from = "年报监测 <monitor@example.gov.cn>"
to = ["oversight@example.gov.cn", "second@example.gov.cn"]
digest = "{digest}"

[[alerts.webhook]]
name = "generic"
url = "{b}/hook"
format = "json"
secret_env = "GOVMON_HOOK_SECRET"

[[alerts.webhook]]
name = "ding"
url = "{b}/robot/send?access_token=abc"
format = "dingtalk"
secret_env = "GOVMON_DING_SECRET"

[[alerts.webhook]]
name = "wecom"
url = "{b}/cgi-bin/webhook/send?key=x"
format = "wecom"

[[alerts.webhook]]
name = "feishu"
url = "{b}/open-apis/bot/v2/hook/x"
format = "feishu"
secret_env = "GOVMON_FEISHU_SECRET"

{sources}"""


async def govmon(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **SECRETS},
    )
    out, _ = await proc.communicate()
    return out.decode()


def first_pages(sinks: Sinks) -> dict[str, Any]:
    tianmen = read_report(seed(SEEDS["tianmen"]), "x").to_json()
    tianmen["tables"]["appeals"]["review"]["total"] = 2  # planted: 0+0+0+0 is not 2
    tianmen["title"] = EVIL
    tongliao = read_report(seed(SEEDS["tongliao"]), "x").to_json()
    sinks.pages["/bureau/"] = listing([("t.html", EVIL)])
    sinks.pages["/bureau/t.html"] = report_page(tianmen).encode()
    sinks.pages["/city/"] = listing([("t.html", "通辽市2021年政府信息公开工作年度报告")])
    sinks.pages["/city/t.html"] = report_page(tongliao).encode()
    sinks.pages["/years/"] = listing([("t21.html", "2021年政府信息公开工作年度报告")])
    sinks.pages["/years/t21.html"] = report_page(tongliao).encode()
    return tongliao


def second_pages(sinks: Sinks, tongliao: dict[str, Any]) -> None:
    revised = copy.deepcopy(tongliao)
    revised["tables"]["applications"]["granted"]["natural_person"] = 130
    sinks.pages["/city/t.html"] = report_page(revised).encode()  # a revision
    sinks.pages["/down/"] = listing([("t.html", "示例县2021年政府信息公开工作年度报告")])  # the portal is back
    sinks.pages["/down/t.html"] = report_page({**tongliao, "title": "示例县2021年政府信息公开工作年度报告"}).encode()


def third_pages(sinks: Sinks, tongliao: dict[str, Any]) -> None:
    """A poll of its own: in one poll with the revision above, whether 通辽's 2021 is judged before or after
    its 2020 is stored depends on which of two sources polled at once gets there first (both are told right,
    in different words), and two runs of an unchanged govmon differed."""
    sinks.pages["/years/"] = listing(
        [("t21.html", "2021年政府信息公开工作年度报告"), ("t20.html", "2020年政府信息公开工作年度报告")]
    )
    before = copy.deepcopy(tongliao)  # the year before, listed late: 2021 is checked again against it
    before.update(title="通辽市2020年政府信息公开工作年度报告", year=2020, published="2021-01-20")
    before["tables"]["applications"]["carried_forward"].update(natural_person=14, total=14)  # 2021 carried 0 over
    sinks.pages["/years/t20.html"] = report_page(before).encode()


async def scenario(work: Path) -> dict[str, str]:
    """Run everything; returns name -> normalised text."""
    sinks = Sinks()
    await sinks.start()
    log: list[str] = []
    try:
        conf = work / "sources.toml"
        conf.write_text(toml(sinks, work / "state", "off"), encoding="utf-8")
        tongliao = first_pages(sinks)
        log.append(await govmon("poll", "--config", str(conf)))
        second_pages(sinks, tongliao)
        log.append(await govmon("poll", "--config", str(conf)))
        third_pages(sinks, tongliao)
        log.append(await govmon("poll", "--config", str(conf)))
        log.append(await govmon("alerts", "test", "--config", str(conf)))
        log.append(await govmon("overview", "--config", str(conf), "--out", str(work / "site")))
        direct = (list(sinks.mails), list(sinks.hooks))
        sinks.mails.clear()
        sinks.hooks.clear()
        digest = work / "digest.toml"  # the same two polls, e-mail as a daily digest
        digest.write_text(toml(sinks, work / "digest-state", "daily"), encoding="utf-8")
        first_pages(sinks)
        sinks.pages.pop("/down/")
        sinks.pages.pop("/down/t.html", None)
        sinks.pages.pop("/years/t20.html")
        log.append(await govmon("poll", "--config", str(digest)))
        log.append(await govmon("alerts", "send", "--config", str(digest)))
        policy = email.policy.default
        digests = [m for m in sinks.mails if "每日汇总" in email.message_from_bytes(m, policy=policy)["Subject"]]
    finally:
        await sinks.stop()
    out: dict[str, str] = {}
    mails = sorted(normal_mail(m, sinks) for m in direct[0])
    out["smtp.txt"] = "\n\n########\n\n".join(mails)
    out["eml.txt"] = "\n\n########\n\n".join(
        sorted(normal_mail(p.read_bytes(), sinks) for p in (work / "state" / "mail").glob("*.eml"))
    )
    out["webhooks.txt"] = "\n\n########\n\n".join(sorted(normal_hook(h, sinks) for h in direct[1]))
    out["digest.txt"] = "\n\n########\n\n".join(sorted(normal_mail(m, sinks, digest=True) for m in digests))
    out["overview.txt"] = site(work / "site", sinks)
    out["kinds.txt"] = kinds(direct[1])
    log.append(await govmon("demo", "--dir", str(work / "demo")))  # the demo's .eml folder and its overview
    out["demo-eml.txt"] = "\n\n########\n\n".join(
        sorted(normal_mail(p.read_bytes(), sinks) for p in (work / "demo" / "mail").glob("*.eml"))
    )
    out["demo-overview.txt"] = site(work / "demo" / "overview", sinks)
    text = re.sub(r"(?m)^\S+ \S+ (ERROR|WARNING)|/tmp/\S+/", r"\1", unport("\n".join(log), sinks))
    named = re.compile(r"(?m)^ +\d{8}T\d{6}-[0-9a-f]{12}\.eml +(.*)\n")  # the demo's list: named by time and hash
    out["commands.log"] = named.sub("", text) + "".join(f"  {s}\n" for s in sorted(named.findall(text)))
    return out


def unport(text: str, sinks: Sinks) -> str:
    """Every local server's port (the portal's, the demo's, the receiver's) as PORT."""
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text.replace(f":{sinks.smtp_port}", ":SMTP"))


def normal_mail(raw: bytes, sinks: Sinks, digest: bool = False) -> str:
    """Headers but Date and Message-ID, then each part's headers and decoded text."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [f"{k}: {v}" for k, v in msg.items() if k not in ("Date", "Message-ID", "X-Peer", "X-MailFrom", "X-RcptTo")]
    lines[:] = [re.sub(r'boundary="[^"]+"', 'boundary="B"', line) for line in lines]
    for part in msg.walk():
        if part.is_multipart():
            continue
        lines.append(f"--- {part.get_content_type()} {part.get('Content-Transfer-Encoding')}")
        lines.append(digest_items(part.get_content()) if digest else part.get_content())
    return unport("\n".join(lines), sinks)


def digest_items(text: str) -> str:
    """A digest's items in a fixed order: they come in the order the concurrent polls stored their events."""
    if text.startswith("<!doctype"):
        head, listed, rest = re.split(r"<ol>(.*?)</ol>", text, maxsplit=1, flags=re.S)
        rest, tail = rest.rsplit("</body>", 1)
        first, *bodies = rest.split("<hr>")
        items = sorted(re.findall(r"<li>.*?</li>", listed, re.S))
        return f"{head}<ol>{''.join(items)}</ol>{first}<hr>" + "<hr>".join(sorted(b.strip() for b in bodies)) + tail
    head, *items = re.split(r"(?m)^={20} \d+\. ", text)
    return head + "\n".join(f"==================== N. {item.strip()}" for item in sorted(items))


def ordered(raw: bytes) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = json.loads(raw, object_pairs_hook=list)
    return pairs


def normal_hook(hook: tuple[str, dict[str, str], bytes], sinks: Sinks) -> str:
    url, headers, raw = hook
    path, _, query = url.partition("?")
    params = dict(urllib.parse.parse_qsl(query))
    body = json.loads(raw)
    if json.dumps(body, ensure_ascii=False).encode() != raw:
        return f"{path}: the body is not json.dumps(..., ensure_ascii=False) of itself:\n{raw.decode()}"
    checks = []
    if "X-Govmon-Signature" in headers:
        want = "sha256=" + hmac.new(b"k3y", raw, hashlib.sha256).hexdigest()
        checks.append(f"signature {'ok' if headers['X-Govmon-Signature'] == want else 'WRONG'}")
    if "sign" in params:  # DingTalk
        ts = params.pop("timestamp")
        want = base64.b64encode(hmac.new(b"SECret", f"{ts}\nSECret".encode(), hashlib.sha256).digest()).decode()
        checks.append(f"dingtalk sign {'ok' if params.pop('sign') == want else 'WRONG'}")
    if "sign" in body:  # Feishu
        ts = body.pop("timestamp")
        want = base64.b64encode(hmac.new(f"{ts}\nfs".encode(), b"", hashlib.sha256).digest()).decode()
        checks.append(f"feishu sign {'ok' if body.pop('sign') == want else 'WRONG'}")
    if path == "/hook":
        body = dict(p for p in ordered(raw) if p[0] not in ADDED)
        if body.get("event") == "test":
            body["key"] = "test|NOW"
    shown = {k: v for k, v in headers.items() if k in ("Content-Type", "X-Govmon-Event")}
    text = f"POST {path} {sorted(params.items())}\n{shown}\n{'; '.join(checks)}\n"
    return unport(text + json.dumps(body, ensure_ascii=False, indent=1), sinks)


def kinds(hooks: list[tuple[str, dict[str, str], bytes]]) -> str:
    """Which event kinds the run produced (each must be there for the comparison to mean anything)."""
    found = sorted({json.loads(b)["event"] for u, _, b in hooks if u.startswith("/hook")})
    return "\n".join(found) + "\n"


def site(folder: Path, sinks: Sinks) -> str:
    pages = []
    for path in sorted(folder.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", "DATETIME", text)
        text = re.sub(r"(生成于|today|截至)[^<]*", r"\1 DATE", text)
        text = re.sub(r"r/\d+\.html|\b\d+\.html", "N.html", text)
        title = re.search(r"<title>(.*?)</title>", text, re.S)
        name = "index.html" if path.name == "index.html" else f"r/{title[1] if title else '?'}"
        pages.append(f"=== {name}\n{unport(text, sinks)}")
    return "\n".join(sorted(pages))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--save", type=Path, metavar="DIR", help="write the outputs into DIR")
    parser.add_argument("--against", type=Path, metavar="DIR", help="compare the outputs with those saved in DIR")
    args = parser.parse_args(argv)
    if not args.save and not args.against:
        parser.error("give --save DIR or --against DIR")
    with tempfile.TemporaryDirectory(prefix="govmon-same-alerts-") as tmp:
        now = asyncio.run(scenario(Path(tmp)))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, text in now.items():
            (args.save / name).write_text(text, encoding="utf-8")
        print(f"saved {len(now)} outputs in {args.save}")
        return 0
    changed = 0
    for name, text in now.items():
        before = (args.against / name).read_text(encoding="utf-8")
        if text != before:
            changed += 1
            diff = difflib.unified_diff(before.splitlines(), text.splitlines(), "before", "after", lineterm="", n=1)
            print(f"== {name} differs:\n" + "\n".join(list(diff)[:60]))
    print(f"{len(now) - changed} of {len(now)} outputs the same")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
