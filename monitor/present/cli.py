"""Stage: cli. The ``govmon`` command: arguments in, the right stage called, its text printed, its errors
turned into one line and an exit code. The wiring lives in ``service.py``, the printed views in ``admin.py``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from monitor import __version__
from monitor.errors import GovmonError, InputError, storage_error
from monitor.present.commands import (
    cmd_alerts,
    cmd_backup,
    cmd_db,
    cmd_health,
    cmd_overview,
    cmd_poll,
    cmd_reports,
    cmd_run,
    cmd_sources,
    cmd_status,
)
from monitor.redact import Redacting


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.present import check  # noqa: PLC0415  (the model, the readers, the rules: not for `--help`)

    return check.cmd_check(args)


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from monitor import demo  # noqa: PLC0415  (the entry point wires the demo too)

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="govmon-demo-"))
    if (folder / "govmon.db").exists():
        raise InputError(f"{folder}: already holds a demo database; give an empty --dir")
    asyncio.run(demo.tour(folder, print))
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
    _db_parser(sub.add_parser("db", parents=[common], help="the database: migrate-to copies SQLite into PostgreSQL"))
    return parser


def _db_parser(db: argparse.ArgumentParser) -> None:
    db.add_argument("action", choices=["migrate-to"], help="migrate-to: copy this SQLite database into URL")
    db.add_argument("url", metavar="URL", help="an empty PostgreSQL database: postgresql://USER@HOST:PORT/DBNAME")
    db.set_defaults(func=cmd_db)


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
