"""Stage: cli. The ``govmon`` command: the one place objects are wired and asyncio.run is called."""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import re
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor import __version__, config
from monitor.alerts import Renderer, recipients, sample_payload
from monitor.bounded import read_report
from monitor.channels import DeliveryError, Link, Sent, deliver_due, send
from monitor.errors import GovmonError, InputError
from monitor.fetch import Fetcher, fetch_once
from monitor.model import SEVERITY_CN, Report
from monitor.rules import RULES, run_rules
from monitor.scheduler import PollResult, Watcher, run
from monitor.store import Store, instance_lock, is_locked
from monitor.summary import SummaryRow, check_inputs, report_text, summary_table


def _load(source: str, kind: str | None, allow_private: bool = False) -> Report:
    if source == "-":
        return read_report(sys.stdin.buffer.read(), "-", kind)
    if re.match(r"^https?://", source, re.I):
        resp = asyncio.run(fetch_once(source, allow_private=allow_private))
        return read_report(resp.body, source, kind, resp.charset)
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file")
    return read_report(path.read_bytes(), source, kind)


def cmd_check(args: argparse.Namespace) -> int:
    if args.rules:
        for r in RULES.values():
            print(f"{r.id:<24} {r.severity:<8} {r.summary}")
        return 0
    inputs = check_inputs(args.inputs)
    if not inputs:
        raise InputError("give at least one report file, folder or URL (or --rules)")
    previous = _load(args.previous, args.kind) if args.previous else None
    results: list[dict[str, Any]] = []
    rows: list[SummaryRow] = []
    code = 0
    for source in inputs:
        try:
            report = _load(source, args.kind, args.allow_private)
        except GovmonError as exc:
            print(f"govmon: {source}: {exc}" if source not in str(exc) else f"govmon: {exc}", file=sys.stderr)
            results.append({"input": source, "error": str(exc)})
            rows.append(SummaryRow(source, None, [], str(exc)))
            code = 2
            continue
        findings = run_rules(report, previous)
        if any(f.severity == "error" for f in findings):
            code = max(code, 1)
        rows.append(SummaryRow(source, report, findings))
        if args.json:
            results.append({**report.to_json(), "findings": [f.to_json() for f in findings]})
        else:
            print(report_text(report, findings))
    if not args.json and len(rows) > 1:
        print("\n" + summary_table(rows))
    if args.json:
        payload: Any = results[0] if len(results) == 1 else results
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    return code


# ---------------------------------------------------------------- the watcher
def _settings(args: argparse.Namespace) -> config.Settings:
    settings = config.load(args.config or os.environ.get("GOVMON_CONFIG") or "sources.toml")
    if args.command in ("run", "poll") and not recipients(settings, None):
        logging.getLogger("govmon").warning(
            "%s configures no alert channel ([alerts.email], [[alerts.webhook]] or outbox_dir): "
            "findings are stored, but nobody is told",
            settings.path,
        )
    return settings


def _progress(done: int, total: int) -> None:
    """On a terminal, `poll` says how far it is (a province is hundreds of sources); never in a log."""
    print(f"\rpolled {done}/{total} source(s)", end="\n" if done == total else "", file=sys.stderr, flush=True)


async def _poll(
    settings: config.Settings, ids: list[str] | None, renderer: Renderer
) -> tuple[list[PollResult], Sent, dict[str, int]]:
    """One pass over the sources, then the alerts that are due, then what is left in the outbox."""
    with instance_lock(settings.database):
        store = Store(settings.database)
        store.mark_interrupted()
        try:
            async with Fetcher(settings.user_agent, settings.concurrency, settings.per_host) as fetcher:
                progress = _progress if sys.stderr.isatty() else None
                results = await Watcher(settings, store, fetcher).poll(ids, progress)
            return results, await deliver_due(settings, store, renderer), store.alert_counts()
        finally:
            store.close()


def _print_sent(sent: Sent, left: dict[str, int]) -> None:
    if sent.delivered or sent.failed or left["pending"] or left["dead"]:
        tail = f"; {left['pending']} pending in the outbox" if left["pending"] else ""
        dead = f", {left['dead']} dead (govmon alerts retry)" if left["dead"] else ""
        print(f"alerts: {sent.delivered} delivered, {sent.failed} failed{tail}{dead}")


def _print_poll(polled: tuple[list[PollResult], Sent, dict[str, int]]) -> None:
    results, sent, left = polled
    for r in results:
        if r.error:
            print(f"{r.source}: FAILED: {r.error}")
            continue
        print(f"{r.source}: {r.reports} report link(s), {r.new_versions} new version(s)")
        for problem in r.problems:
            print(f"  could not read {problem}")
    _print_sent(sent, left)


def cmd_poll(args: argparse.Namespace) -> int:
    settings = _settings(args)
    for source_id in args.source or []:
        settings.source(source_id)  # unknown ids are a usage error before anything is fetched
    polled = asyncio.run(_poll(settings, args.source, Renderer(settings.templates_dir)))
    _print_poll(polled)
    return 1 if any(r.error for r in polled[0]) else 0


async def _serve(settings: config.Settings, spread: float | None, renderer: Renderer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with instance_lock(settings.database):
        store = Store(settings.database)
        store.mark_interrupted()
        try:
            async with Fetcher(settings.user_agent, settings.concurrency, settings.per_host) as fetcher:
                await run(
                    Watcher(settings, store, fetcher),
                    stop,
                    lambda: deliver_due(settings, store, renderer),
                    spread=spread,
                )
        finally:
            store.close()


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    logging.getLogger("govmon").setLevel(logging.INFO)
    asyncio.run(_serve(settings, args.spread, Renderer(settings.templates_dir)))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    settings = _settings(args)
    states, last = {}, {}
    if settings.database.exists():
        store = Store(settings.database, create=False)
        states, last = {s["id"]: s for s in store.sources()}, store.last_reports()
        store.close()
    where = "" if settings.database.exists() else " (not created yet)"
    print(f"{settings.path}: valid, {len(settings.sources)} source(s), database {settings.database.resolve()}{where}")
    for s in settings.sources:
        st = states.get(s.id, {})
        state = f"last poll {st['last_poll']}" if st.get("last_poll") else "never polled"
        if st.get("consecutive_failures"):
            state += f", {st['consecutive_failures']} failure(s) in a row: {st.get('last_error')}"
        print(
            f"  {s.id:<16} {s.kind:<10} every {s.interval // 3600}h{s.interval % 3600 // 60:02d}m  {s.agency}  {s.list_url}"
        )
        print(f"  {'':<16} {state}")
        if s.id in last:
            r = last[s.id]
            errors = sum(f["severity"] == "error" for f in r["findings"])
            verdict = f"错误 {errors} 项" if errors else "未发现错误"
            print(f"  {'':<16} last report: {r['title'] or r['url']} ({r['year'] or '年度不明'}, {verdict})")
    return 0


def reports_json(store: Store, source: str | None = None, year: int | None = None) -> dict[str, Any]:
    sources = [
        {
            "id": s["id"],
            "agency": s["agency"],
            "kind": s["kind"],
            "list_url": s["list_url"],
            "last_poll": s["last_poll"],
            "last_error": s["last_error"],
            "consecutive_failures": s["consecutive_failures"],
        }
        for s in store.sources()
    ]
    reports = []
    for doc in store.reports(source, year):
        latest = doc["latest"] or {}
        data = json.loads(latest.get("report") or "{}")
        findings = json.loads(latest.get("findings") or "[]")
        reports.append(
            {
                "source": doc["source"],
                "url": doc["url"],
                "title": doc["title"],
                "year": doc["year"],
                "published": data.get("published"),
                "first_seen": doc["first_seen"],
                "versions": doc["versions"],
                "format": data.get("format"),
                "table_status": data.get("table_status", {}),
                "tables": data.get("tables", {}),
                "findings": findings,
            }
        )
    return {"sources": sources, "reports": reports, "alerts": store.alert_counts()}


def print_reports(data: dict[str, Any]) -> None:
    for r in data["reports"]:
        errors = [f for f in r["findings"] if f["severity"] == "error"]
        warnings = len(r["findings"]) - len(errors)
        print(f"[{r['source']}] {r['title'] or r['url']}  ({r['year'] or '年度不明'}, {r['versions']} version(s))")
        print(f"    {r['url']}")
        print(f"    错误 {len(errors)} 项 · 警告 {warnings} 项" if r["findings"] else "    未发现问题")
        for f in r["findings"]:
            print(f"    [{SEVERITY_CN[f['severity']]}] {f['rule']}: {f['message'][:120]}")
    a = data["alerts"]
    print(f"alerts: {a['pending']} pending, {a['delivered']} delivered, {a['dead']} dead")


def cmd_reports(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = Store(settings.database, create=False)
    try:
        data = reports_json(store, args.source, args.year)
    finally:
        store.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_reports(data)
    return 0


async def _demo(folder: Path) -> None:
    from aiohttp import web  # noqa: PLC0415 - only the demo serves pages

    from monitor import demo  # noqa: PLC0415

    portal = demo.Portal.build()
    runner = web.AppRunner(portal.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    settings, renderer = demo.settings(base, folder), Renderer()
    print(f"demo portal on {base}; state in {folder}\n")
    try:
        print("== first poll: every report is new")
        _print_poll(await _poll(settings, None, renderer))
        store = Store(settings.database)
        print_reports(reports_json(store))
        store.close()
        portal.revise()
        print("\n== the city quietly edits its 2021 report; second poll")
        _print_poll(await _poll(settings, None, renderer))
        store = Store(settings.database)
        for doc in store.reports():
            if doc["versions"] > 1:
                print(f"[{doc['source']}] {doc['title']}: {doc['versions']} versions")
                for f in json.loads(doc["latest"]["findings"]):
                    print(f"    [{SEVERITY_CN[f['severity']]}] {f['rule']}: {f['message'][:120]}")
        store.close()
        mail = sorted((folder / "mail").glob("*.eml"))
        print(f"\n== {len(mail)} alert e-mails delivered to {folder / 'mail'} (open any .eml with a mail client):")
        for path in mail:
            subject = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
            print(f"   {path.name}  {subject}")
    finally:
        await runner.cleanup()


def cmd_demo(args: argparse.Namespace) -> int:
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="govmon-demo-"))
    if (folder / "govmon.db").exists():
        raise InputError(f"{folder}: already holds a demo database; give an empty --dir")
    asyncio.run(_demo(folder))
    return 0


async def _alerts_test(settings: config.Settings, only: str | None, renderer: Renderer) -> int:
    targets = [(c, r) for c, r in recipients(settings, None) if only in (None, c, c.split(":", 1)[-1])]
    if not targets:
        raise InputError(f"no alert channel{' named ' + only if only else ''} is configured in {settings.path}")
    message = renderer.render("test", sample_payload("test"))
    event = {
        "kind": "test",
        "key": f"test|{datetime.now(UTC).isoformat()}",
        "payload": json.dumps(sample_payload("test")),
    }
    failed = 0
    async with Link() as link:
        for channel, recipient in targets:
            try:
                await send(settings, channel, recipient, message, event, link=link)
                print(f"{channel} -> {recipient}: delivered")
            except DeliveryError as exc:
                failed += 1
                print(f"{channel} -> {recipient}: FAILED: {exc}")
    return 1 if failed else 0


async def _alerts_send(settings: config.Settings, store: Store) -> int:
    holder = is_locked(settings.database)
    if holder:  # the service is running: it delivers within a minute; two senders would send twice
        n = store.make_due(datetime.now(UTC))
        print(
            f"alerts: govmon (PID {holder}) is running on this database; {n} pending alert(s) made due now: "
            "it delivers them within a minute (govmon alerts list shows the result)"
        )
        return 0
    with instance_lock(settings.database):
        sent = await deliver_due(settings, store, Renderer(settings.templates_dir), ignore_backoff=True)
    for channel, (ok, failed) in sorted(sent.channels.items()):
        print(f"{channel}: {ok} delivered, {failed} failed")
    _print_sent(sent, store.alert_counts())
    return 1 if sent.failed else 0


def cmd_alerts(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.action == "test":
        return asyncio.run(_alerts_test(settings, args.channel, Renderer(settings.templates_dir)))
    store = Store(settings.database, create=False)
    try:
        if args.action == "send":
            return asyncio.run(_alerts_send(settings, store))
        if args.action == "retry":
            print(
                f"alerts: {store.revive_dead(datetime.now(UTC))} dead alert(s) back in the outbox; "
                "they go out with the next delivery pass (or now: govmon alerts send)"
            )
            return 0
        for r in store.undelivered():
            print(f"{r['status']:<8} {r['channel']:<14} {r['recipient']:<28} attempts {r['attempts']}  {r['key']}")
            if r["last_error"]:
                print(f"{'':<9}last error: {r['last_error']}")
        counts = store.alert_counts()
        print(f"alerts: {counts['pending']} pending, {counts['delivered']} delivered, {counts['dead']} dead")
    finally:
        store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govmon", description="Watch, parse and check 政府信息公开工作年度报告.")
    parser.add_argument("--version", action="version", version=f"govmon {__version__}")
    parser.add_argument("--config", dest="global_config", metavar="PATH", help="as after the command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="sources.toml (default: $GOVMON_CONFIG or ./sources.toml)")
    common.add_argument("-v", "--verbose", action="store_true", help="log every fetch and version")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser(
        "check", parents=[common], help="parse and check report files or URLs, offline (no database)"
    )
    check.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE_OR_URL",
        help="report files (HTML, text, Markdown, PDF, DOCX), folders, http(s) URLs, or - for stdin",
    )
    check.add_argument("--json", action="store_true", help="print JSON (one object per input, an array for several)")
    check.add_argument(
        "--previous", metavar="FILE", help="the same body's report for the year before (cross-year rules)"
    )
    check.add_argument("--kind", choices=["department", "government"], help="report kind, if not inferred correctly")
    check.add_argument(
        "--allow-private",
        action="store_true",
        help="let a URL reach private or link-local addresses (refused by default)",
    )
    check.add_argument("--rules", action="store_true", help="list the rules and their severities, then exit")
    check.set_defaults(func=cmd_check)
    p = sub.add_parser("poll", parents=[common], help="one pass over all (or the named) sources, then exit")
    p.add_argument("--source", action="append", metavar="ID", help="only this source (repeatable)")
    p.set_defaults(func=cmd_poll)
    rn = sub.add_parser("run", parents=[common], help="the service: poll every source on its interval until SIGTERM")
    rn.add_argument(
        "--spread",
        type=float,
        metavar="SECONDS",
        help="spread the first polls over this many seconds (default: interval/10, at most 60)",
    )
    rn.set_defaults(func=cmd_run)
    sub.add_parser(
        "sources", parents=[common], help="validate sources.toml and list the sources with their state"
    ).set_defaults(func=cmd_sources)
    r = sub.add_parser("reports", parents=[common], help="what the database holds: reports, versions, findings")
    r.add_argument("--source", metavar="ID")
    r.add_argument("--year", type=int, metavar="Y")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_reports)
    d = sub.add_parser(
        "demo", parents=[common], help="serve a bundled demo portal on localhost, poll it twice, show the findings"
    )
    d.add_argument("--dir", metavar="DIR", help="keep the demo's database and mail here (default: a new temp folder)")
    d.set_defaults(func=cmd_demo)
    a = sub.add_parser("alerts", parents=[common], help="alert delivery: test, list, send (now), retry (dead letters)")
    a.add_argument(
        "action",
        choices=["test", "list", "send", "retry"],
        help="test: a sample through each channel; list: undelivered alerts; send: deliver everything "
        "pending now, ignoring backoff; retry: put dead letters back in the outbox",
    )
    a.add_argument("--channel", metavar="NAME", help="only this channel: email, eml, or a webhook name")
    a.set_defaults(func=cmd_alerts)
    return parser


_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def _logging(verbose: bool) -> None:
    """On a terminal: time, level, message. Under systemd (JOURNAL_STREAM set) the journal adds the time, and
    a <N> syslog priority prefix lets `journalctl -p err` find the errors."""
    handler = logging.StreamHandler()
    if os.environ.get("JOURNAL_STREAM"):

        class Priority(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                record.priority = _PRIORITY.get(record.levelno, 6)
                return True

        handler.addFilter(Priority())
        handler.setFormatter(logging.Formatter("<%(priority)s>%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.config = getattr(args, "config", None) or args.global_config  # `govmon --config X poll` works too
    _logging(args.verbose)
    try:
        return int(args.func(args))
    except GovmonError as exc:
        print(f"govmon: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `govmon reports | head`: the reader has gone; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
