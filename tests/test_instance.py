"""One instance per database; read-only commands beside it never create one; one database for all."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.config import load
from monitor.present.cli import main
from monitor.store import instance_lock, is_locked


def write(tmp_path: Path, extra: str = "") -> Path:
    toml = tmp_path / "etc" / "sources.toml"
    toml.parent.mkdir(parents=True, exist_ok=True)
    toml.write_text(
        f'[monitor]\n{extra}\n[[source]]\nid = "a"\nagency = "X市人民政府"\nkind = "government"\n'
        'list_url = "http://127.0.0.1:9/nb/"\n',
        encoding="utf-8",
    )
    return toml


def _holder(db: Path) -> subprocess.Popen[str]:
    """Another process holding the database's instance lock, as a running `govmon run` does (it prints "held")."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; from monitor.store import instance_lock\n"
                f"with instance_lock(Path({str(db)!r})):\n"
                "    print('held', flush=True); time.sleep(30)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_second_run_exits_2_naming_the_holder_and_a_poll_is_handed_to_it(tmp_path, capsys):
    from monitor.store import open_store  # noqa: PLC0415

    toml = write(tmp_path)
    open_store(tmp_path / "etc" / "govmon.db").close()
    holder = _holder(tmp_path / "etc" / "govmon.db")
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["run", "--config", str(toml)]) == 2
        err = capsys.readouterr().err
        assert f"another govmon (PID {holder.pid}) is running on this database" in err
        assert main(["poll", "--source", "a", "--config", str(toml)]) == 0  # handed to the running one
        assert (
            f"govmon (PID {holder.pid}) is running on this database: asked it to poll a now" in capsys.readouterr().out
        )
        store = open_store(tmp_path / "etc" / "govmon.db")
        assert store.take_poll_requests() == ["a"]
        store.close()
        # read-only commands work beside it
        assert main(["sources", "--config", str(toml)]) == 0
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    db = tmp_path / "etc" / "govmon.db"
    assert is_locked(db) is None  # a killed holder leaves no stale lock behind
    with instance_lock(db):
        assert is_locked(db) == str(os.getpid())


def test_alerts_send_beside_the_service_says_when_it_sends_and_that_digests_keep_their_hour(tmp_path, capsys):
    """Audit 15: it promised delivery "within a minute", though a daily digest's e-mails wait for 08:00."""
    from monitor.store import open_store  # noqa: PLC0415

    toml = write(
        tmp_path,
        '\n[alerts.email]\nhost = "127.0.0.1"\nport = 25\ntls = "none"\nfrom = "m@example.gov.cn"\n'
        'to = ["o@example.gov.cn"]\ndigest = "daily"\n',
    )
    open_store(tmp_path / "etc" / "govmon.db").close()
    holder = _holder(tmp_path / "etc" / "govmon.db")
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["alerts", "send", "--config", str(toml)]) == 0
        out = capsys.readouterr().out
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert f"govmon (PID {holder.pid}) is running on this database; 0 pending alert(s) made due now" in out
    assert "e-mails for the daily digest still wait for 08:00 Beijing time" in out
    assert "within a minute (" not in out


@pytest.mark.parametrize("command", [["reports"], ["alerts", "list"]])
def test_read_only_commands_never_create_a_database(tmp_path, capsys, command):
    toml = write(tmp_path)
    assert main([*command, "--config", str(toml)]) == 2
    assert "no database here yet" in capsys.readouterr().err
    assert not (tmp_path / "etc" / "govmon.db").exists()


def test_state_dir_gives_the_service_and_the_admin_one_database(tmp_path, monkeypatch, capsys):
    toml = write(tmp_path, f'state_dir = "{tmp_path / "var"}"')
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "elsewhere"))  # the service's environment
    service = load(toml).database
    monkeypatch.delenv("STATE_DIRECTORY")  # the admin's shell
    assert load(toml).database == service == tmp_path / "var" / "govmon.db"
    assert main(["sources", "--config", str(toml)]) == 0
    assert f"database {service} (not created yet)" in capsys.readouterr().out


def test_without_state_dir_the_systemd_state_directory_is_used(tmp_path, monkeypatch):
    toml = write(tmp_path)
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state"))
    assert load(toml).database == tmp_path / "state" / "govmon.db"
    monkeypatch.delenv("STATE_DIRECTORY")
    assert load(toml).database == toml.parent / "govmon.db"
    assert os.environ.get("STATE_DIRECTORY") is None


def test_a_database_of_the_first_schema_is_migrated_and_keeps_its_alerts(tmp_path):
    """An admin upgrading govmon keeps the outbox: old events (their tables inside) still render."""
    import json  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    from monitor.store import open_store  # noqa: PLC0415
    from monitor.store.sqlite.schema import MIGRATIONS  # noqa: PLC0415

    db = tmp_path / "govmon.db"
    con = sqlite3.connect(db)
    con.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    finding = {"rule": "x", "severity": "error", "message": "旧的问题", "key": "x|||"}  # as the first schema kept one
    payload = {"source": "a", "title": "旧报告", "tables": {}, "findings": [finding]}
    con.execute(
        "INSERT INTO events (key, kind, source, created, payload) VALUES ('report|u', 'new_report', 'a', "
        "'2026-01-01T00:00:00+00:00', ?)",
        [json.dumps(payload)],
    )
    con.execute("INSERT INTO deliveries (event_id, channel, recipient, next_attempt) VALUES (1, 'eml', 'o', '2000')")
    con.commit()
    con.close()
    store = open_store(db)
    try:
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        con.close()
        (due,) = store.due_deliveries(datetime.now(UTC))
        assert (due.report, due.event.payload.to_json()["findings"][0]["rule"]) == (None, "x")
    finally:
        store.close()


def test_reports_kept_as_unreadable_because_govmon_was_stopping_are_forgotten_by_the_migration(tmp_path):
    """A database whose unreadable reports include ones not read at all because govmon was stopping (kept with their
    hash, so never read again): the migration forgets those, and keeps the reports that really could not be read."""
    import sqlite3  # noqa: PLC0415

    from monitor.store import open_store  # noqa: PLC0415
    from monitor.store.sqlite.schema import MIGRATIONS  # noqa: PLC0415

    db = tmp_path / "govmon.db"
    con = sqlite3.connect(db)
    for name in ("redact", "unpack", "body_name"):
        con.create_function(name, 1, lambda x: x)
    forgetting = MIGRATIONS.index("DELETE FROM unreadable WHERE error LIKE '未读取：%'")
    for n, sql in enumerate(MIGRATIONS[:forgetting], start=1):  # (the database as the migration finds it)
        con.executescript(f"BEGIN; {sql}; PRAGMA user_version = {n}; COMMIT;")
    rows = [
        ("u1", "未读取：govmon正在停止，下次检查时再读取"),
        ("u2", "读取超出限制（60秒CPU、1024 MiB内存），已放弃"),
    ]
    con.executemany(
        "INSERT INTO unreadable (url, source, error, sha256, first_failed, last_failed) VALUES (?, 's', ?, 'h', "
        "'2026-12-01', '2026-12-01')",
        rows,
    )
    con.commit()
    con.close()
    store = open_store(db)
    try:
        assert [r.url for r in store.unreadable_reports()] == ["u2"]
    finally:
        store.close()
