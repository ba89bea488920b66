"""`govmon poll` and `govmon run` as processes: SIGKILL mid-poll loses and duplicates nothing;
SIGTERM finishes the poll in hand; sources/reports/demo read what was stored."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest_asyncio
from conftest import SEEDS
from portal import Portal, listing
from processes import GOVMON, govmon, wait_for

from monitor.watch import liveness

ROOT = Path(__file__).resolve().parent.parent
REPORTS = [
    "000_779f9be447f66d1d.txt",
    "001_451407376180ac87.txt",
    "003_750a97d35f8bfe5c.txt",
    "004_39039b5b6710b1f1.txt",
    "002_661fba88e4ede7f1.txt",
]


@pytest_asyncio.fixture
async def portal():
    p = Portal()
    await p.start()
    names = ["通辽市2021", "泸州市2022", "莱西市2020", "天门市2021", "伊宁市2020"]
    p.add("/nb/", listing([(f"t{i}.html", f"{n}年政府信息公开工作年度报告") for i, n in enumerate(names)]))
    for i, name in enumerate(REPORTS):
        p.add(f"/nb/t{i}.html", (SEEDS["tongliao"].parent / name).read_bytes(), content_type="text/plain")
    yield p
    await p.stop()


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        f"""
[monitor]
database = "state/govmon.db"
outbox_dir = "mail"
first_poll = "each"

[[source]]
id = "city"
agency = "通辽市人民政府"
kind = "government"
list_url = "{url}"
interval = "1h"
""",
        encoding="utf-8",
    )
    return path


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


async def test_sigkill_mid_poll_loses_and_duplicates_nothing(portal, tmp_path):
    cfg = write_config(tmp_path, f"{portal.base}/nb/")
    db = tmp_path / "state" / "govmon.db"
    # the poll will be stuck here with the other reports committed (however loaded the machine: it never answers
    # before the kill)
    portal.pages["/nb/t3.html"].delay = 600
    proc = await asyncio.create_subprocess_exec(
        GOVMON, "poll", "--config", str(cfg), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await wait_for(lambda: count(db, "SELECT count(*) FROM versions") >= 3 and portal.hits["/nb/t3.html"] >= 1, 120)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    committed = count(db, "SELECT count(*) FROM versions")
    assert 3 <= committed <= 4  # reports are fetched concurrently; t3 never completed
    assert count(db, "SELECT count(*) FROM events WHERE kind = 'new_report'") == committed  # each with its event

    assert count(db, "SELECT count(*) FROM polls WHERE finished IS NULL") == 1  # the killed process's poll
    portal.pages["/nb/t3.html"].delay = 0
    code, _, err = await govmon("poll", "--config", str(cfg))
    assert code == 0, err
    assert count(db, "SELECT count(*) FROM polls WHERE finished IS NULL") == 0
    assert count(db, "SELECT count(*) FROM polls WHERE error LIKE 'interrupted%'") == 1
    code, out, err = await govmon("poll", "--config", str(cfg))  # and once more: nothing new
    assert "0 new version(s)" in out
    assert count(db, "SELECT count(*) FROM versions") == 5
    assert count(db, "SELECT count(*) FROM documents") == 5
    assert count(db, "SELECT count(*) FROM events WHERE kind = 'new_report'") == 5
    assert count(db, "SELECT count(*) FROM deliveries") == count(db, "SELECT count(*) FROM events")
    assert (
        count(db, "SELECT count(*) FROM (SELECT document_id FROM versions GROUP BY document_id HAVING count(*) > 1)")
        == 0
    )
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


async def test_sigterm_finishes_the_poll_in_hand(portal, tmp_path):
    cfg = write_config(tmp_path, f"{portal.base}/nb/")
    db = tmp_path / "state" / "govmon.db"
    portal.pages["/nb/t4.html"].delay = 2
    proc = await asyncio.create_subprocess_exec(
        GOVMON,
        "run",
        "--spread",
        "0",
        "--config",
        str(cfg),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await wait_for(lambda: portal.hits["/nb/t4.html"] >= 1)
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert "finishing 1 poll(s) in hand" in err.decode()
    assert count(db, "SELECT count(*) FROM versions") == 5  # the slow report was stored, not abandoned
    assert count(db, "SELECT count(*) FROM polls WHERE finished IS NOT NULL") == 1


async def test_sigterm_cuts_off_a_poll_that_would_take_minutes(portal, tmp_path):
    """systemctl stop must not wait out a dribbling portal: after the grace the poll is cut off and
    marked interrupted, the process exits 0, and the next poll stores what was left."""
    cfg = write_config(tmp_path, f"{portal.base}/nb/")
    db = tmp_path / "state" / "govmon.db"
    portal.pages["/nb/t4.html"].delay = 600
    proc = await asyncio.create_subprocess_exec(
        GOVMON,
        "run",
        "--spread",
        "0",
        "--config",
        str(cfg),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # The other 2020 report is stored; the 2021 and 2022 ones are fetched and wait, for their carry-over check,
    # on the year before, which includes the dribbling 2020 page.
    await wait_for(lambda: portal.hits["/nb/t4.html"] >= 1 and count(db, "SELECT count(*) FROM versions") == 1)
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 60)  # the page alone would hold it for ten minutes
    assert proc.returncode == 0, err.decode()
    assert "1 poll(s) cut off" in err.decode()
    assert "raised an exception" not in err.decode()  # a poll cut off by a stop is not a failed job
    assert count(db, "SELECT count(*) FROM polls WHERE error LIKE 'interrupted%'") == 1
    portal.pages["/nb/t4.html"].delay = 0
    code, out, _ = await govmon("poll", "--config", str(cfg))
    assert code == 0
    assert "4 new version(s)" in out
    assert count(db, "SELECT count(*) FROM versions") == 5


async def test_sources_and_reports_read_back(portal, tmp_path):
    cfg = write_config(tmp_path, f"{portal.base}/nb/")
    code, out, _ = await govmon("sources", "--config", str(cfg))
    assert code == 0
    assert "never polled" in out
    await govmon("poll", "--config", str(cfg))
    code, out, _ = await govmon("sources", "--config", str(cfg))
    assert "last poll 20" in out
    (last,) = [line.strip() for line in out.splitlines() if "last report:" in line]
    assert last.startswith("last report: 泸州市2022年政府信息公开工作年度报告 (2022, ")  # the newest year of the five
    code, out, _ = await govmon("reports", "--json", "--config", str(cfg))
    assert code == 0
    data = json.loads(out)
    # written a report at a time, yet byte for byte what one json.dumps of the whole would print
    assert out == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert set(data) == {"sources", "reports", "unreadable", "alerts"}  # "unreadable": an addition
    assert data["unreadable"] == []
    assert data["sources"][0]["id"] == "city"
    assert data["sources"][0]["consecutive_failures"] == 0
    laixi = next(r for r in data["reports"] if r["year"] == 2020 and "莱西" in r["title"])
    assert set(laixi) >= {
        "source",
        "url",
        "title",
        "year",
        "published",
        "first_seen",
        "versions",
        "format",
        "table_status",
        "tables",
        "findings",
    }
    assert laixi["published"] == "2021-01-29"
    assert {f["rule"] for f in laixi["findings"]} >= {"section.missing", "narrative.mismatch"}
    assert data["alerts"]["delivered"] >= 5  # one per report, into the .eml folder
    assert data["alerts"]["pending"] == 0
    assert len(list((tmp_path / "mail").glob("*.eml"))) == data["alerts"]["delivered"]
    code, out, _ = await govmon("reports", "--year", "2021", "--config", str(cfg))
    assert "通辽市2021年政府信息公开工作年度报告" in out
    assert "莱西" not in out
    code, out, _ = await govmon("reports", "--json", "--year", "1990", "--config", str(cfg))
    assert (code, json.loads(out)["reports"]) == (0, [])  # nothing of that year: still one JSON document


async def test_demo_runs_without_configuration(tmp_path):
    code, out, err = await govmon("demo", "--dir", str(tmp_path / "demo"))
    assert code == 0, err
    assert "appeals.total: 行政复议：结果维持(0)+结果纠正(0)+其他结果(0)+尚未审结(0)=0，但总计为2" in out
    assert "revision.changed: 报告发布后被修改" in out
    assert "124 → 130" in out
    assert (tmp_path / "demo" / "govmon.db").exists()
    assert "alert e-mails delivered to" in out
    assert "【年报监测】天门市政务服务和大数据管理局2021年度报告：1个错误、0个警告" in out
    assert len(list((tmp_path / "demo" / "mail").glob("*.eml"))) >= 8


async def test_under_systemd_log_lines_carry_syslog_priorities(tmp_path, monkeypatch):
    cfg = write_config(tmp_path, "http://127.0.0.1:9/nb/")  # nothing listens there: the source fails
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    code, _, err = await govmon("poll", "--config", str(cfg))
    assert code == 1
    lines = [line for line in err.splitlines() if line]
    assert lines
    assert all(line.startswith("<") for line in lines), lines  # no timestamps: the journal adds its own
    assert any(line.startswith("<3>govmon: source") for line in lines), lines  # errors at priority 3 (err)


async def test_the_readme_systemd_steps_in_a_fake_root(portal, tmp_path):
    """The README's systemd section as far as a machine without systemd allows: its configuration steps run
    as written (with / moved to a temporary root), the unit's ExecStart run as systemd would run it (its
    WorkingDirectory, STATE_DIRECTORY), then the admin's commands from a shell read what the service stored."""
    etc, var = tmp_path / "etc" / "govmon", tmp_path / "var" / "lib" / "govmon"
    block = (ROOT / "README.md").read_text(encoding="utf-8").split("### As a systemd service", 1)[1]
    block = block.split("```sh\n", 1)[1].split("```", 1)[0]
    steps = [line for line in block.splitlines() if "/etc/govmon" in line and "systemctl" not in line]
    assert len(steps) == 2  # mkdir + copy + secrets file; the state_dir line
    (link,) = [line for line in block.splitlines() if "/usr/local/bin" in line]  # govmon on root's PATH
    bin_dir = tmp_path / "usr" / "local" / "bin"
    bin_dir.mkdir(parents=True)
    for line in [*steps, link]:
        cmd = line.replace("sudo ", "").replace("/etc/govmon", str(etc)).replace("/var/lib/govmon", str(var))
        cmd = cmd.replace("/opt/govmon/.venv/bin/govmon", GOVMON).replace("/usr/local/bin", str(bin_dir))
        subprocess.run(["bash", "-c", cmd], cwd=ROOT, check=True)
    assert os.path.realpath(bin_dir / "govmon") == os.path.realpath(GOVMON)
    toml = (etc / "sources.toml").read_text(encoding="utf-8")
    assert f'\nstate_dir = "{var}"' in toml
    toml = toml.split("[[source]]", 1)[0].replace("[monitor]\n", '[monitor]\noutbox_dir = "mail"\n', 1)
    (etc / "sources.toml").write_text(
        toml + f'[[source]]\nid = "city"\nagency = "通辽市人民政府"\nkind = "government"\n'
        f'list_url = "{portal.base}/nb/"\n',
        encoding="utf-8",
    )

    unit = dict(
        line.split("=", 1)
        for line in (ROOT / "systemd" / "govmon.service").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert (unit["StateDirectory"], unit["WorkingDirectory"]) == ("govmon", "/var/lib/govmon")
    assert unit["Documentation"] == "file:///opt/govmon/README.md"  # the clone's README, not a placeholder
    assert (unit["UMask"], unit["ExecReload"]) == ("0077", "/bin/kill -HUP $MAINPID")
    assert "time-sync.target" in unit["After"]
    assert unit["Type"] == "notify"  # (READY=1, WATCHDOG=1: test_operations)
    assert int(unit["WatchdogSec"].removesuffix("s")) > 5 * liveness.STALL  # said in the journal well before
    assert {"169.254.0.0/16", "100.100.100.200", "fd00:ec2::254"} <= set(unit["IPAddressDeny"].split())
    exec_args = unit["ExecStart"].replace("/etc/govmon", str(etc)).split()[1:]
    var.mkdir(parents=True)  # systemd creates the StateDirectory
    env = {k: v for k, v in os.environ.items() if k != "STATE_DIRECTORY"}
    service = await asyncio.create_subprocess_exec(
        GOVMON,
        *exec_args,
        "--spread",
        "0",
        cwd=var,
        env={**env, "STATE_DIRECTORY": str(var)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await wait_for(lambda: count(var / "govmon.db", "SELECT count(*) FROM polls WHERE finished IS NOT NULL") == 1)
    service.send_signal(signal.SIGTERM)  # systemctl stop
    _, err = await asyncio.wait_for(service.communicate(), 30)
    assert service.returncode == 0, err.decode()

    def admin(*args: str) -> str:  # root's shell: `govmon` by the link on its PATH, no STATE_DIRECTORY, no secrets
        done = subprocess.run(
            ["govmon", *args, "--config", str(etc / "sources.toml")],
            cwd=tmp_path,
            env={**env, "PATH": f"{bin_dir}:/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    assert f"database {var / 'govmon.db'}\n" in admin("sources")
    reports = admin("reports")
    assert reports.count("[city] ") == 5
    assert "通辽市2021年政府信息公开工作年度报告" in reports
    # a new source's first poll: one summary naming the five reports (not a mail each), and each of the column's
    # bodies' reports missing whose deadline is past
    mails = [p.read_bytes() for p in (var / "mail").glob("*.eml")]
    (summary,) = [
        m
        for m in (email.message_from_bytes(b, policy=email.policy.default) for b in mails)
        if "首次检查" in m["Subject"]
    ]
    assert "发现5个单位的5份年度报告" in summary["Subject"]
    text = summary.get_body(("plain",)).get_content()
    assert "通辽市2021年政府信息公开工作年度报告" in text
    assert "不逐份发送提醒" in text
    mail = len(mails)
    subjects = [str(email.message_from_bytes(b, policy=email.policy.default)["Subject"]) for b in mails]
    missing = [s for s in subjects if "逾期未发布" in s]
    assert mail == 1 + len(missing)
    assert len(missing) <= 5  # one per body at most, never one per source and year twice
    assert f"alerts: 0 pending, {mail} delivered, 0 dead" in admin("alerts", "list")
    assert admin("health").startswith("govmon health: OK: 1/1 source(s) polled")
    assert not (etc / "govmon.db").exists()  # one database, the service's


async def test_poll_and_run_rewrite_the_overview_when_overview_dir_is_set(portal, tmp_path):
    """`overview_dir` in [monitor]: `govmon poll` writes the site after its pass, and `govmon run` after its
    first polls; the admin's `govmon overview` with no --out writes to the same folder."""
    cfg = write_config(tmp_path, f"{portal.base}/nb/")
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace('outbox_dir = "mail"', 'outbox_dir = "mail"\noverview_dir = "site"')
    )
    site = tmp_path / "site"  # beside sources.toml, where "state/govmon.db" is too
    code, _, err = await govmon("poll", "--config", str(cfg))
    assert code == 0, err
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "通辽市人民政府" in index
    cells = count(tmp_path / "state" / "govmon.db", "SELECT count(*) FROM documents")
    assert len(list((site / "r").glob("*.html"))) == cells  # a page per cell: one report per body and year

    (site / "index.html").unlink()
    proc = await asyncio.create_subprocess_exec(
        GOVMON,
        "run",
        "--config",
        str(cfg),
        "--spread",
        "0",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_for((site / "index.html").exists, 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    code, out, err = await govmon("overview", "--config", str(cfg))
    assert code == 0, err
    assert str(site / "index.html") in out
