"""The ``govmon`` commands other than ``check``: the watcher (poll, run), what the store holds (sources, reports,
status, overview, health, backup), alert delivery and the demo. Each wires its stage and prints what it returns;
each imports what it uses, so ``govmon check`` does not pay for aiohttp, SQLite and Jinja2 at start-up.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import InputError, StateError
from monitor.model import china_today

if TYPE_CHECKING:
    from monitor import config
    from monitor.store import Store


# ---------------------------------------------------------------- the watcher
# (each command imports what it uses: `check` must not pay for aiohttp, SQLite and Jinja2 at start-up)
_SENDS = {("run", None), ("poll", None), ("alerts", "test"), ("alerts", "send")}


def _settings(args: argparse.Namespace, secrets: bool | None = None, *, warn: bool = True) -> config.Settings:
    """sources.toml, validated. Only the commands that send read the secrets it names: an admin's read-only
    command works in a shell without GOVMON_SMTP_PASSWORD. ``warn``: say that no alert channel is configured."""
    from monitor import config  # noqa: PLC0415
    from monitor.alerts.events import recipients  # noqa: PLC0415

    sends = (args.command, getattr(args, "action", None)) in _SENDS if secrets is None else secrets
    settings = config.load(args.config or os.environ.get("GOVMON_CONFIG") or "sources.toml", secrets=sends)
    if warn and args.command in ("run", "poll") and not recipients(settings, None):
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
    from monitor.present import admin, overview  # noqa: PLC0415
    from monitor.store import is_locked  # noqa: PLC0415
    from monitor.watch import service  # noqa: PLC0415

    settings = _settings(args, secrets=False)
    for source_id in args.source or []:
        settings.source(source_id)  # unknown ids are a usage error before anything is fetched
    holder = is_locked(settings)
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
    settings = _settings(args, warn=False)  # this process polls and sends: now the secrets are needed (warned once)
    progress = _progress if sys.stderr.isatty() else None
    site = overview.Rebuilder(settings, every=0)
    polled = asyncio.run(service.poll_once(settings, args.source, Renderer(settings.templates_dir), progress, site))
    print(admin.poll_text(polled.results, polled.sent, polled.left))
    return 1 if any(r.error for r in polled.results) or polled.sent.failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from monitor.alerts.render import Renderer  # noqa: PLC0415
    from monitor.present import overview  # noqa: PLC0415
    from monitor.watch import service  # noqa: PLC0415

    settings = _settings(args)
    logging.getLogger("govmon").setLevel(logging.INFO)
    asyncio.run(service.serve(settings, args.spread, Renderer(settings.templates_dir), overview.Rebuilder(settings)))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from monitor.present import admin  # noqa: PLC0415

    settings = _settings(args)
    store = _store(settings) if settings.database_url or settings.database.exists() else None
    try:
        print(admin.sources_text(settings, store))
    finally:
        if store:
            store.close()
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from monitor.present import admin  # noqa: PLC0415

    settings = _settings(args)
    if args.source:
        settings.source(args.source)  # a typo is said, not shown as nothing stored
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
    return args.as_of or china_today()


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
        import json  # noqa: PLC0415  (not for every command's start: `check` needs none)

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
        site = overview.build(settings, store, out, _as_of(args))
    finally:
        store.close()
    print(
        f"overview: {site.index.resolve()} (open it in a browser; it needs no server); "
        f"{len(site.written)} pages written, {len(site.removed)} removed, the others unchanged"
    )
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


def cmd_db(args: argparse.Namespace) -> int:
    """`govmon db migrate-to URL`: the SQLite database into an empty PostgreSQL one (README 'Scaling out')."""
    from monitor.redact import redact  # noqa: PLC0415
    from monitor.store import migrate_to  # noqa: PLC0415

    settings = _settings(args)
    counts = migrate_to(settings, args.url)
    print("\n".join(f"{table}: {n} row(s)" for table, n in counts.items()))
    print(
        f"migrated {settings.database} to {redact(args.url)}: every table's rows counted on both sides; now set "
        f'database = "{redact(args.url)}" in {settings.path} and restart govmon'
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from monitor.store import backup  # noqa: PLC0415

    settings = _settings(args)
    if settings.database_url:
        raise StateError(
            f"{settings.database_line}: a PostgreSQL database is backed up with pg_dump, not govmon backup"
        )
    written = backup(settings.database, args.path)
    print(f"backup: {written} ({written.stat().st_size // 1024} KiB, checked); restore: README 'Backup and restore'")
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
                digest = settings.email is not None and settings.email.digest == "daily"
                print(
                    f"alerts: govmon (PID {sent[0]}) is running on this database; {sent[1]} pending alert(s) made "
                    "due now: it delivers them with its next pass, within a minute or two"
                    + ("; e-mails for the daily digest still wait for 08:00 Beijing time" if digest else "")
                    + " (govmon alerts list shows the result)"
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
