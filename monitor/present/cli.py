"""Stage: cli. The ``govmon`` command: arguments in, the right stage called, its text printed, its errors
turned into one line and an exit code. The wiring lives in ``service.py``, the printed views in ``admin.py``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor import __version__
from monitor.errors import GovmonError, InputError, storage_error
from monitor.redact import Redacting

if TYPE_CHECKING:
    from monitor import config
    from monitor.model import Finding, Report
    from monitor.store import Store

# `govmon check` of one draft starts in a fraction of a second: the watcher's modules (aiohttp, SQLite, Jinja2,
# the forkserver) are imported by the commands that use them, and a draft of ordinary size is read in this
# process; only a large page or a Word file (whose reading can explode) is read in a bounded child.
IN_PROCESS = 512 * 1024


def _read(data: bytes, name: str, kind: str | None, charset: str | None = None) -> Report:
    from monitor.reading.formats import sniff  # noqa: PLC0415

    if len(data) <= IN_PROCESS and sniff(data) in ("html", "text", "pdf"):  # a PDF is read in its own child
        from monitor.reading.report import read_report  # noqa: PLC0415
    else:
        from monitor.reading import read_report  # noqa: PLC0415
    return read_report(data, name, kind, charset)


def _load(source: str, kind: str | None, allow_private: bool = False) -> Report:
    if source == "-":
        return _read(sys.stdin.buffer.read(), "-", kind)
    if re.match(r"^https?://", source, re.I):
        import asyncio  # noqa: PLC0415

        from monitor.watch.fetch import fetch_once  # noqa: PLC0415

        resp = asyncio.run(fetch_once(source, allow_private=allow_private))
        return _read(resp.body, source, kind, resp.charset)
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}：文件不存在")
    return _read(path.read_bytes(), source, kind)


def _loaded(source: str, args: argparse.Namespace) -> Report | GovmonError:
    """One input read, or why it cannot be: a reader's bug on one file makes that file unreadable, not the run."""
    try:
        return _load(source, args.kind, args.allow_private)
    except GovmonError as exc:
        return exc
    except Exception as exc:
        if args.verbose:
            raise
        return InputError(f"读取时出现内部错误（{type(exc).__name__}: {str(exc)[:120]}），请报告此问题")


def _checked(source: str, report: Report, previous: Report | None, reports: list[Report]) -> list[Finding]:
    """One input's findings, compared with the other inputs; ``--previous`` counts where it is this report's year
    before (the pipeline decides), and where it is not, staff are told why it was not used."""
    from monitor.checks import copies  # noqa: PLC0415
    from monitor.checks.pipeline import run_rules  # noqa: PLC0415

    if previous is not None and not copies.year_before(report, previous):
        print(f"govmon: {source}: --previous 不是同一单位上一年度的报告，未用于跨年度核对", file=sys.stderr)
    return run_rules(report, previous, others=tuple(reports))


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.checks.pipeline import listed  # noqa: PLC0415
    from monitor.model import Report  # noqa: PLC0415
    from monitor.present.check import SummaryRow, check_inputs, report_text, summary_table  # noqa: PLC0415

    if args.rules:
        for r in listed():
            print(f"{r.id:<24} {r.severity:<8} {r.summary}")
        return 0
    inputs = check_inputs(args.inputs)
    if not inputs:
        raise InputError("请至少给出一个报告文件、文件夹或网址（或 --rules）")
    previous = _load(args.previous, args.kind) if args.previous else None
    results: list[dict[str, Any]] = []
    rows: list[SummaryRow] = []
    code = 0
    loaded = [(source, _loaded(source, args)) for source in inputs]
    reports = [r for _, r in loaded if isinstance(r, Report)]
    for source, report in loaded:
        if isinstance(report, GovmonError):
            print(f"govmon: {source}: {report}" if source not in str(report) else f"govmon: {report}", file=sys.stderr)
            results.append({"input": source, "error": str(report)})
            rows.append(SummaryRow(source, None, [], str(report)))
            code = 2
            continue
        findings = _checked(source, report, previous, reports)
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
# (each command imports what it uses: `check` must not pay for aiohttp, SQLite and Jinja2 at start-up)
_SENDS = {("run", None), ("poll", None), ("alerts", "test"), ("alerts", "send")}


def _settings(args: argparse.Namespace, secrets: bool | None = None) -> config.Settings:
    """sources.toml, validated. Only the commands that send read the secrets it names: an admin's read-only
    command works in a shell without GOVMON_SMTP_PASSWORD."""
    from monitor import config  # noqa: PLC0415
    from monitor.alerts.events import recipients  # noqa: PLC0415

    sends = (args.command, getattr(args, "action", None)) in _SENDS if secrets is None else secrets
    settings = config.load(args.config or os.environ.get("GOVMON_CONFIG") or "sources.toml", secrets=sends)
    if args.command in ("run", "poll") and not recipients(settings, None):
        logging.getLogger("govmon").warning(
            "%s configures no alert channel ([alerts.email], [[alerts.webhook]] or outbox_dir): "
            "findings are stored, but nobody is told",
            settings.path,
        )
    return settings


def _store(settings: config.Settings) -> Store:
    """The database, for a command that reads it: an error (not a new file) when it is not there."""
    from monitor.store import open_store  # noqa: PLC0415

    return open_store(settings, create=False)


def _progress(done: int, total: int) -> None:
    """On a terminal, `poll` says how far it is (a province is hundreds of sources); never in a log."""
    print(f"\rpolled {done}/{total} source(s)", end="\n" if done == total else "", file=sys.stderr, flush=True)


def cmd_poll(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from monitor.alerts.render import Renderer  # noqa: PLC0415
    from monitor.present import admin  # noqa: PLC0415
    from monitor.store import is_locked  # noqa: PLC0415
    from monitor.watch import service  # noqa: PLC0415

    settings = _settings(args, secrets=False)
    for source_id in args.source or []:
        settings.source(source_id)  # unknown ids are a usage error before anything is fetched
    holder = is_locked(settings.database)
    if holder:  # the service runs: it polls them (a second poller would send every alert twice)
        ids = args.source or [s.id for s in settings.sources]
        store = _store(settings)
        try:
            store.request_polls(ids)
        finally:
            store.close()
        print(
            f"poll: govmon (PID {holder}) is running on this database: asked it to poll {', '.join(ids)} now; "
            "`govmon sources` shows when it has"
        )
        return 0
    settings = _settings(args)  # this process polls and sends: now the secrets are needed
    progress = _progress if sys.stderr.isatty() else None
    polled = asyncio.run(service.poll_once(settings, args.source, Renderer(settings.templates_dir), progress))
    print(admin.poll_text(polled.results, polled.sent, polled.left))
    return 1 if any(r.error for r in polled.results) or polled.sent.failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from monitor.alerts.render import Renderer  # noqa: PLC0415
    from monitor.watch import service  # noqa: PLC0415

    settings = _settings(args)
    logging.getLogger("govmon").setLevel(logging.INFO)
    asyncio.run(service.serve(settings, args.spread, Renderer(settings.templates_dir)))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from monitor.present import admin  # noqa: PLC0415

    settings = _settings(args)
    store = _store(settings) if settings.database.exists() else None
    try:
        print(admin.sources_text(settings, store))
    finally:
        if store:
            store.close()
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from monitor.present import admin  # noqa: PLC0415

    settings = _settings(args)
    store = _store(settings)
    try:  # streamed: a line (a report, for --json) at a time, whatever the database holds
        if args.json:
            for piece in admin.reports_json(store, args.source, args.year):
                sys.stdout.write(piece)
            print()
        else:
            for line in admin.reports_text(store, args.source, args.year):
                print(line)
    finally:
        store.close()
    return 0


def _as_of(args: argparse.Namespace) -> date:
    return args.as_of or datetime.now(UTC).date()


def cmd_status(args: argparse.Namespace) -> int:
    from monitor.present import admin, status  # noqa: PLC0415

    settings = _settings(args)
    today = _as_of(args)
    year = args.year or today.year - 1
    store = _store(settings)
    try:
        items = status.worst_first(status.standings(settings, store, [year], today))
    finally:
        store.close()
    totals = status.totals(items)
    if args.json:
        data = {"year": year, "as_of": today.isoformat(), "totals": totals, "sources": [s.to_json() for s in items]}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(admin.status_text(year, today.isoformat(), items, totals))
    return 0


def cmd_overview(args: argparse.Namespace) -> int:
    from monitor.present import overview  # noqa: PLC0415

    settings = _settings(args)
    out = Path(args.out) if args.out else settings.overview_dir
    if out is None:
        raise InputError(f"give --out DIR (or set overview_dir in [monitor] of {settings.path})")
    store = _store(settings)
    try:
        index = overview.build(settings, store, out, _as_of(args))
    finally:
        store.close()
    print(f"overview: {index.resolve()} (open it in a browser; it needs no server)")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from monitor.present import health  # noqa: PLC0415

    settings = _settings(args)
    store = _store(settings)
    try:
        verdict = health.check(settings, store, datetime.now(UTC))
    finally:
        store.close()
    print(verdict.text())
    return verdict.level


def cmd_backup(args: argparse.Namespace) -> int:
    from monitor.store import backup  # noqa: PLC0415

    settings = _settings(args)
    written = backup(settings.database, Path(args.path))
    print(f"backup: {written} ({written.stat().st_size // 1024} KiB, checked); restore: README 'Backup and restore'")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from monitor import demo  # noqa: PLC0415

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="govmon-demo-"))
    if (folder / "govmon.db").exists():
        raise InputError(f"{folder}: already holds a demo database; give an empty --dir")
    asyncio.run(demo.tour(folder, print))
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from monitor.alerts.render import Renderer  # noqa: PLC0415
    from monitor.present import admin  # noqa: PLC0415
    from monitor.watch import service  # noqa: PLC0415

    settings = _settings(args)
    renderer = Renderer(settings.templates_dir)
    if args.action == "test":
        outcome = asyncio.run(service.try_channels(settings, args.channel, renderer))
        for channel, recipient, error in outcome:
            print(f"{channel} -> {recipient}: {'FAILED: ' + error if error else 'delivered'}")
        return 1 if any(error for _, _, error in outcome) else 0
    store = _store(settings)
    try:
        if args.action == "send":
            sent = asyncio.run(service.send_now(settings, store, renderer))
            if isinstance(sent, tuple):
                print(
                    f"alerts: govmon (PID {sent[0]}) is running on this database; {sent[1]} pending alert(s) made "
                    "due now: it delivers them within a minute (govmon alerts list shows the result)"
                )
                return 0
            for channel, (ok, failed) in sorted(sent.channels.items()):
                print(f"{channel}: {ok} delivered, {failed} failed")
            print(admin.sent_line(sent, store.alert_counts()) or "alerts: nothing pending")
            return 1 if sent.failed else 0
        if args.action == "retry":
            print(
                f"alerts: {store.revive_dead(datetime.now(UTC))} dead alert(s) back in the outbox; "
                "they go out with the next delivery pass (or now: govmon alerts send)"
            )
            return 0
        print(admin.outbox_text(store))
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
    p = sub.add_parser(
        "poll",
        parents=[common],
        help="one pass over all (or the named) sources, then exit; beside a running service, asks it to poll them",
    )
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
    st = sub.add_parser(
        "status", parents=[common], help="per source for one year: published, on time or late, errors; worst first"
    )
    st.add_argument("--year", type=int, metavar="Y", help="the report year (default: last year)")
    st.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="DATE",
        help="judge the deadlines on this date, YYYY-MM-DD (default: today)",
    )
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    o = sub.add_parser(
        "overview", parents=[common], help="write the static overview site: sources x years, a page per report"
    )
    o.add_argument("--out", metavar="DIR", help="where to write it (default: overview_dir of [monitor])")
    o.add_argument("--as-of", type=date.fromisoformat, metavar="DATE", help="judge the deadlines on this date")
    o.set_defaults(func=cmd_overview)
    sub.add_parser(
        "health",
        parents=[common],
        help="is the service doing its job: last polls, failing sources, outbox age (exit 0 ok, 1 warning, 2 critical)",
    ).set_defaults(func=cmd_health)
    b = sub.add_parser("backup", parents=[common], help="copy the database, consistent while the service runs")
    b.add_argument("path", metavar="PATH", help="the backup file, or a folder for govmon-YYYYmmddTHHMMSS.db")
    b.set_defaults(func=cmd_backup)
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
        handler.setFormatter(Redacting("<%(priority)s>%(name)s: %(message)s"))
    else:
        handler.setFormatter(Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
    except OSError as exc:  # a full disk, a folder that cannot be written: one line, no traceback
        print(f"govmon: {storage_error(getattr(exc, 'filename', None) or 'the database', exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line that says so, the traceback only when asked for (-v)
        if args.verbose:
            raise
        print(f"govmon: internal error ({type(exc).__name__}: {exc}); run again with -v and report it", file=sys.stderr)
        return 2
