"""sources.toml: a valid file loads into typed settings; every mistake names the file, the line and the key."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import signal
import threading
from pathlib import Path

import pytest
import rtoml
import tomli

from monitor import config
from monitor.config import halves, load, reader
from monitor.errors import ConfigError
from monitor.present.cli import main

VALID = """\
[monitor]
database = "govmon.db"
user_agent = "govreport-monitor/1.0 (+oversight@example.gov.cn)"
concurrency = 8
per_host = 2
default_interval = "6h"

[alerts.email]
host = "smtp.example.gov.cn"
port = 465
tls = "ssl"
username = "monitor@example.gov.cn"
password_env = "GOVMON_SMTP_PASSWORD"
from = "年报监测 <monitor@example.gov.cn>"
to = ["oversight@example.gov.cn"]

[[alerts.webhook]]
name = "ops"
url = "https://hooks.example.gov.cn/govmon"
format = "dingtalk"
secret_env = "GOVMON_WEBHOOK_SECRET"

[[source]]
id = "tongliao"
agency = "通辽市人民政府"
kind = "government"
list_url = "http://www.tongliao.gov.cn/tl/zfxxgknb/"
interval = "12h"

[[source]]
id = "tianmen-zwfw"
agency = "天门市政务服务和大数据管理局"
kind = "department"
list_url = "http://www.tianmen.gov.cn/zwgk/nb/"
alert_to = ["a@example.gov.cn"]
max_pages = 3
"""


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("GOVMON_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("GOVMON_WEBHOOK_SECRET", "hook")


def write(tmp_path, text: str, name: str = "sources.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads_typed_settings(tmp_path, env):
    s = load(write(tmp_path, VALID))
    assert [x.id for x in s.sources] == ["tongliao", "tianmen-zwfw"]
    assert s.sources[0].interval == 12 * 3600
    assert s.sources[1].interval == 6 * 3600  # default_interval
    assert s.sources[1].alert_to == ("a@example.gov.cn",)
    assert s.email.password == "s3cret"
    assert "s3cret" not in repr(s.email)  # secrets never printed
    assert s.webhooks[0].format == "dingtalk"
    assert s.database == tmp_path / "govmon.db"  # relative to the file


def test_systemd_state_directory_holds_relative_state(tmp_path, env, monkeypatch):
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/govmon")
    assert str(load(write(tmp_path, VALID)).database) == "/var/lib/govmon/govmon.db"


@pytest.mark.parametrize(
    ("old", "new", "marker", "words"),
    [
        (
            'interval = "12h"',
            'interval = "12h"\ncolour = "red"',
            "colour",
            "[[source]] #1 key 'colour': unknown key; valid keys are agency, alert_to",
        ),
        (
            'kind = "department"',
            'kind = "township"',
            "township",
            "[[source]] #2 key 'kind': must be one of department, government",
        ),
        ('id = "tianmen-zwfw"', 'id = "tongliao"', 'id = "tongliao"', "duplicate source id 'tongliao'"),
        (
            'list_url = "http://www.tianmen.gov.cn/zwgk/nb/"',
            'list_url = "www.tianmen.gov.cn"',
            "www.tianmen",
            "key 'list_url': 'www.tianmen.gov.cn' is not an http(s) URL",
        ),
        ("max_pages = 3", 'max_pages = "3"', "max_pages", "key 'max_pages': must be a int, not str"),
        ("max_pages = 3", "max_pages = true", "max_pages", "key 'max_pages': must be a int, not bool (True)"),
        ('interval = "12h"', "interval = 12", "interval", "key 'interval': must be a str, not int (12)"),
        ('interval = "12h"', 'interval = "twice a day"', "twice", "key 'interval': must be a duration like"),
        ('format = "dingtalk"', 'format = "slack"', "slack", "valid formats are json, dingtalk, wecom, feishu"),
        ('tls = "ssl"', 'tls = "tls1.3"', "tls1.3", "[alerts.email] key 'tls': must be one of ssl, starttls, none"),
        (
            "concurrency = 8",
            "concurrency = 0",
            "concurrency",
            "[monitor] key 'concurrency': must be between 1 and 1000",
        ),
        (
            "concurrency = 8",
            "concurrency = 8\nreaders = 0",
            "readers",
            "[monitor] key 'readers': must be between 1 and 64",
        ),
        ('alert_to = ["a@example.gov.cn"]', 'alert_to = ["nobody"]', "nobody", "'nobody' is not an e-mail address"),
        (
            'database = "govmon.db"',
            'database = ""',
            'database = ""',
            "[monitor] key 'database': must name the SQLite file (e.g. govmon.db) or a postgresql:// URL",
        ),
        (
            'from = "年报监测 <monitor@example.gov.cn>"',
            'from = "年报监测 monitor-at-example.gov.cn"',
            "monitor-at",
            "[alerts.email] key 'from': '年报监测 monitor-at-example.gov.cn' is not an e-mail address",
        ),
        ("port = 465", "port = 70000", "70000", "[alerts.email] key 'port': must be a TCP port, 1 to 65535, not 70000"),
        ("[alerts.email]", "[alerts.emial]", "emial", "[alerts] key 'emial': unknown key; valid keys are email"),
        ("[monitor]", "[monitr]", "monitr", "unknown table [monitr]; valid tables are [monitor]"),
        (
            'default_interval = "6h"',
            'default_interval = "6h"\nfirst_poll = "silent"',
            "silent",
            "key 'first_poll': must be one of: summary, each",
        ),
    ],
)
def test_each_mistake_names_file_line_and_key(tmp_path, env, old, new, marker, words):
    text = VALID.replace(old, new)
    path = write(tmp_path, text)
    line = max(n for n, x in enumerate(text.split("\n"), start=1) if marker in x)  # the offending line
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value).startswith(f"{path}:{line}: ")
    assert words in str(exc.value)


def test_missing_secret_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVMON_SMTP_PASSWORD", raising=False)
    with pytest.raises(
        ConfigError,
        match=r"sources.toml:13: \[alerts.email\] key 'password_env': environment variable GOVMON_SMTP_PASSWORD is not set",
    ):
        load(write(tmp_path, VALID))


def test_missing_required_key_and_bad_toml(tmp_path, env):
    with pytest.raises(ConfigError, match=r":23: \[\[source\]\] #1: missing required key 'agency'"):
        load(write(tmp_path, VALID.replace('agency = "通辽市人民政府"\n', "")))
    with pytest.raises(ConfigError, match=r"sources.toml:2:12: not valid TOML: "):
        load(write(tmp_path, "[monitor]\ndatabase = \n"))
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "nope.toml")


def test_errors_keep_tomli_words_and_values(tmp_path, env):
    """rtoml reads a file first (faster); what it refuses, and every error of a value, is as tomli gives it."""
    bad = "[monitor]\nconcurrency = 0x_1\n"  # refused by both, each in its own words: tomli's are kept
    with pytest.raises(rtoml.TomlParsingError):
        rtoml.loads(bad)
    with pytest.raises(tomli.TOMLDecodeError) as tomli_error:
        tomli.loads(bad)
    want = re.sub(r" [(]at line.*[)]$", "", str(tomli_error.value))
    with pytest.raises(ConfigError, match=r"sources.toml:2:\d+: not valid TOML: ") as got:
        load(write(tmp_path, bad))
    assert str(got.value).endswith(want)
    # a value of the wrong type is quoted as tomli reads it (rtoml's time zones print otherwise)
    stamped = VALID.replace('interval = "12h"', "interval = 2021-05-27T07:32:00+08:00")
    with pytest.raises(ConfigError, match=r":28: \[\[source\]\] #1 key 'interval': must be a str, not datetime") as got:
        load(write(tmp_path, stamped))
    assert repr(tomli.loads(stamped)["source"][0]["interval"]) in str(got.value)
    # a number past a float's range: rtoml refuses it, tomli reads it as inf (as govmon always has)
    with pytest.raises(ConfigError, match=r"key 'concurrency': must be a int, not float [(]inf[)]"):
        load(write(tmp_path, VALID.replace("concurrency = 8", "concurrency = 1e400")))


def _many(n: int) -> str:
    """A file of n sources of every shape: plain, with keys of their own, a roster inline or as [[source.bodies]]
    tables, a sub-table, comments and blank lines between them."""
    out = [VALID.split("[[source]]", maxsplit=1)[0]]
    for i in range(n):
        out.append(
            f'[[source]]  # {i}\nid = "s{i}"\nagency = "单位{i}"\nkind = "government"\nlist_url = "http://x/{i}/"\n'
        )
        if i % 3 == 1:
            out.append('interval = "12h"\nmax_pages = 3\nbodies = [{name = "甲局", kind = "department"}]\n')
        if i % 5 == 2 and i % 3 != 1:  # (a roster inline cannot be added to)
            out.append('\n[[source.bodies]]\nname = "乙局"\nkind = "department"\naliases = ["丙局"]\n')
        if i % 7 == 3:
            out.append("\n  [[ source ]]  # a header written otherwise: inside a piece, read as it is\n")
            out.append(f'id = "t{i}"\nagency = "单位"\nkind = "department"\nlist_url = "http://y/{i}/"\n')
        out.append("\n")
    return "".join(out)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        (_many(300), True),
        ("[[source]]\n" + _many(40).split("[[source]]", 1)[1], True),  # no table before the sources
        (VALID.replace("\n[[alerts.webhook]]", "\n[[source]]\nid = 'x'\n\n[[alerts.webhook]]"), False),
        (_many(40) + '[monitor.x]\nkey = "a table after the sources"\n', False),
        (_many(40) + 'agency = """\n[[source]]\n"""\n', False),  # a multi-line string: never cut
        ('source = [{id = "inline"}]\n' + _many(40).split("[monitor]", 1)[1], False),  # tomli refuses it
    ],
)
def test_a_file_read_in_pieces_reads_as_tomli_reads_it(text, whole, monkeypatch):
    """rtoml reads the file in pieces cut before [[source]] lines; the tables are tomli's, or the pieces are not
    used (None, or a ConfigError as a piece is read: tomli reads the whole file), never other tables."""

    def in_pieces(text: str) -> dict[str, object] | None:
        if (got := reader.pieces(text)) is None:
            return None
        data, more = got
        try:
            sources = [s for piece in more for s in piece()]
        except ConfigError:
            return None
        return {**data, "source": sources} if sources else data

    monkeypatch.setattr(reader, "PIECE", 200)  # many pieces
    got = in_pieces(text)
    assert (got is not None) is whole
    if got is not None:
        assert got == tomli.loads(text)
    shipped = (Path(__file__).resolve().parent.parent / "sources.toml").read_text(encoding="utf-8")
    assert in_pieces(shipped) == tomli.loads(shipped)


def test_load_pauses_the_cycle_collector_and_leaves_it_as_it_was(tmp_path, env, monkeypatch):
    """The collector is paused while the sources are made (its full walks were ~0.2 s of a large start), and
    left as it was found, also when the file has a mistake."""
    seen: list[bool] = []
    real = config._validate
    monkeypatch.setattr(config, "_validate", lambda *a: seen.append(gc.isenabled()) or real(*a))
    try:
        assert gc.isenabled()
        load(write(tmp_path, VALID))
        assert gc.isenabled()
        with pytest.raises(ConfigError):
            load(write(tmp_path, VALID.replace('kind = "department"', 'kind = "x"')))
        assert gc.isenabled()
        gc.disable()
        load(write(tmp_path, VALID))
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False, False, False]


def test_bad_link_pattern(tmp_path, env):
    with pytest.raises(ConfigError, match="key 'link_pattern': not a valid regular expression"):
        load(write(tmp_path, VALID.replace('interval = "12h"', 'interval = "12h"\nlink_pattern = "年度报告("')))


def test_govmon_sources_exit_codes(tmp_path, env, capsys, monkeypatch):
    good = write(tmp_path, VALID)
    assert main(["sources", "--config", str(good)]) == 0
    out = capsys.readouterr().out
    assert "valid, 2 source(s)" in out
    assert re.search(r"tongliao\s+government\s+every 12h00m", out)
    bad = write(tmp_path, VALID.replace('kind = "government"', 'kind = "gov"'), "bad.toml")
    assert main(["sources", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"govmon: {bad}:26: [[source]] #1 key 'kind'")
    monkeypatch.setenv("GOVMON_CONFIG", str(good))
    assert main(["sources"]) == 0


def test_poll_unknown_source_is_a_usage_error(tmp_path, env, capsys):
    assert main(["poll", "--config", str(write(tmp_path, VALID)), "--source", "nowhere"]) == 2
    assert "no source with id 'nowhere' (known: tongliao, tianmen-zwfw)" in capsys.readouterr().err


def test_local_addresses_are_addresses(tmp_path, env):
    assert load(write(tmp_path, VALID.replace('"oversight@example.gov.cn"', '"oversight@localhost"'))).email.to == (
        "oversight@localhost",
    )


def test_config_before_the_command_works_as_after_it(tmp_path, env, capsys):
    path = write(tmp_path, VALID)
    assert main(["--config", str(path), "sources"]) == 0
    before = capsys.readouterr().out
    assert main(["sources", "--config", str(path)]) == 0
    assert capsys.readouterr().out == before
    assert f"{path}: valid" in before


@pytest.mark.parametrize(
    ("old", "new", "marker", "words"),
    [
        (  # a port that does not exist: urlsplit(...).port raised in the middle of a poll
            'list_url = "http://www.tianmen.gov.cn/zwgk/nb/"',
            'list_url = "http://www.tianmen.gov.cn:99999/zwgk/nb/"',
            "99999",
            "key 'list_url': 'http://www.tianmen.gov.cn:99999/zwgk/nb/' is not an http(s) URL",
        ),
        (
            'list_url = "http://www.tianmen.gov.cn/zwgk/nb/"',
            'list_url = "http://[::1/x"',
            "[::1/x",
            "is not an http(s) URL",
        ),
        (  # a CRLF in an address or header: every delivery pass died on it
            'alert_to = ["a@example.gov.cn"]',
            'alert_to = ["a@example.gov.cn\\r\\nBcc: x@evil.example"]',
            "Bcc",
            "key 'alert_to': 'a@example.gov.cn\\r\\nBcc: x@evil.example' holds a line break",
        ),
        ('from = "年报监测', 'from = "年报监测\\n', "年报监测", "[alerts.email] key 'from':"),
        (
            'user_agent = "govreport-monitor/1.0 (+oversight@example.gov.cn)"',
            'user_agent = "govmon\\r\\nX-Evil: 1"',
            "X-Evil",
            "[monitor] key 'user_agent': 'govmon\\r\\nX-Evil: 1' holds a line break",
        ),
        ('interval = "12h"', 'interval = "3000000d"', "3000000d", "key 'interval': must be at most 366d"),
        (  # credentials in the listing's URL would be echoed to logs, the database and mail
            'list_url = "http://www.tongliao.gov.cn/tl/zfxxgknb/"',
            'list_url = "http://user:pw@www.tongliao.gov.cn/tl/zfxxgknb/"',
            "user:pw",
            "key 'list_url': holds a user name and password",
        ),
        ('format = "dingtalk"', 'format = "dingtalk"\nnothing = 1', "nothing", "unknown key"),
    ],
)
def test_values_that_would_fail_later_are_refused_at_load(tmp_path, env, old, new, marker, words):
    text = VALID.replace(old, new, 1)
    assert text != VALID
    path = write(tmp_path, text)
    line = max(n for n, x in enumerate(text.split("\n"), start=1) if marker in x)
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value).startswith(f"{path}:{line}: "), str(exc.value)
    assert words in str(exc.value)


def test_webhook_entries_must_be_tables_and_a_bom_is_read_past(tmp_path, env, capsys):
    bad = write(tmp_path, "[alerts]\nwebhook = [1]\n")
    assert main(["sources", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"govmon: {bad}:2: [alerts] key 'webhook': each entry must be a table"), err
    assert err.count("\n") == 1
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())  # saved by a Windows editor
    assert [s.id for s in load(path).sources] == ["tongliao", "tianmen-zwfw"]


@pytest.mark.parametrize("command", [["sources"], ["reports"], ["status"], ["alerts", "list"], ["health"]])
def test_read_only_commands_need_no_secret(tmp_path, monkeypatch, capsys, command):
    """The README's secrets.env is read by the service, not by the admin's shell: read-only commands work
    without GOVMON_SMTP_PASSWORD; the commands that send still say which variable is missing."""
    from monitor.store import open_store  # noqa: PLC0415

    monkeypatch.delenv("GOVMON_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("GOVMON_WEBHOOK_SECRET", raising=False)
    path = write(tmp_path, VALID)
    open_store(tmp_path / "govmon.db").close()
    assert main([*command, "--config", str(path)]) in (0, 1), capsys.readouterr().err  # health: 1 = never polled
    assert "GOVMON_" not in capsys.readouterr().err
    assert main(["alerts", "test", "--config", str(path)]) == 2
    assert "environment variable GOVMON_SMTP_PASSWORD is not set" in capsys.readouterr().err


def test_lines_are_counted_as_toml_counts_them_and_found_past_many_sources(tmp_path):
    """A line is named by walking the file from the top as far as needed (a 150,000-source file was split whole
    to name [monitor]'s `database` line). Lines end at a \\n (CRLF too); a LINE SEPARATOR in a comment is no line
    break in TOML, so it does not shift the lines after it."""
    sources = "".join(
        f'[[source]]\r\nid = "s{i}"  # 第{i}个\u2028来源\r\nagency = "单位{i}"\r\nkind = "government"\r\nlist_url = "http://x/{i}/"\r\n\r\n'
        for i in range(300)
    )
    text = f'{sources}[monitor]\r\nuser_agent = "t"\r\ndatabase = "postgresql://govmon@db.example/govmon"\r\n'
    path = write(tmp_path, text)
    settings = load(path)
    assert settings.database_line == f"{path}:{300 * 6 + 3}: [monitor] key 'database'"
    r = reader.Reader(path, path.read_text(encoding="utf-8"))
    assert r.line_of("source", 299, "list_url") == 299 * 6 + 5


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ('kind = "government"', 'kind = "ministry"', "key 'kind': must be one of"),
        ('id = "s150"', 'id = "s3"', "key 'id': duplicate source id 's3'"),
        (
            "[[source]]  # 150\n",
            "[monitor.late]\nx = 1\n[[source]]  # 150\n",
            "key 'late': unknown key",
        ),  # tomli's turn
        ('agency = "单位150"', "agency = = 1", "not valid TOML"),  # a piece rtoml refuses: tomli's words
    ],
)
def test_a_mistake_far_down_a_file_read_in_pieces_names_its_line(before, after, expected, tmp_path, env, monkeypatch):
    """The sources of a large file are made piece by piece, each piece's tables let go of once its sources are
    made: a mistake in a late piece is the one tomli would name, with its line (and its source's number)."""
    monkeypatch.setattr(reader, "PIECE", 200)
    text = _many(300)
    whole = load(write(tmp_path, text))
    number = [s.id for s in whole.sources].index("s150") + 1
    at = text.index("[[source]]  # 150\n")
    bad = text[:at] + text[at:].replace(before, after, 1)
    line = bad[: bad.index(after.split("\n")[0], at)].count("\n") + 1
    with pytest.raises(ConfigError) as exc:
        load(write(tmp_path, bad))
    assert expected in str(exc.value)
    assert str(exc.value).startswith(f"{tmp_path / 'sources.toml'}:{line}")
    if "source id" in expected or "kind" in expected:
        assert f"[[source]] #{number} " in str(exc.value)


def test_a_large_file_checked_in_two_processes_is_the_file_checked_in_one(tmp_path, env, monkeypatch):
    """The later half of a large file's pieces is read and checked by a forked child (half of a first start's
    parse at 150,000 sources, issue #28): the settings are those of one process; a mistake in either half is
    named as one process names it (the child sends nothing then, and its half is read again here)."""
    monkeypatch.setattr(reader, "PIECE", 200)  # many pieces
    text = _many(300)
    monkeypatch.setattr(halves, "FORK_ABOVE", 10**9)
    alone = load(write(tmp_path, text))
    mistakes = {
        src: text.replace(
            f'id = "s{src}"\nagency = "单位{src}"\nkind = "government"',
            f'id = "s{src}"\nagency = "单位{src}"\nkind = "ministry"',
        )
        for src in (10, 280)
    }
    said = {}
    for src, bad in mistakes.items():
        with pytest.raises(ConfigError) as exc:
            load(write(tmp_path, bad))
        said[src] = str(exc.value)

    monkeypatch.setattr(halves, "FORK_ABOVE", 8)
    monkeypatch.setattr(halves, "_worth", lambda pieces: pieces >= halves.FORK_ABOVE)  # (pytest may run threads)
    sent: list[bool] = []
    real = halves._Child.rows

    def rows(child: halves._Child) -> list[object] | None:
        got = real(child)
        sent.append(got is not None)
        return got

    monkeypatch.setattr(halves._Child, "rows", rows)
    assert load(write(tmp_path, text)) == alone
    assert sent == [True]  # the child's half was its own, sent whole
    for src, bad in mistakes.items():
        with pytest.raises(ConfigError) as exc:
            load(write(tmp_path, bad))
        assert str(exc.value) == said[src]
        assert f"[[source]] #{[s.id for s in alone.sources].index(f's{src}') + 1} key 'kind'" in said[src]


def test_no_child_is_forked_while_another_thread_runs():
    """A fork copies only the thread that makes it: a lock another thread held stays held in the child for
    ever. With a thread running (a reload in the service), the file is checked in this process alone."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not halves._worth(halves.FORK_ABOVE * 10)
    finally:
        stop.set()
        other.join()


def _forked_file(tmp_path, monkeypatch):
    """A file of many pieces, read with halves forced (pytest may run threads), and the settings of one process."""
    monkeypatch.setattr(reader, "PIECE", 200)
    path = write(tmp_path, _many(300))
    monkeypatch.setattr(halves, "FORK_ABOVE", 10**9)
    alone = load(path)
    monkeypatch.setattr(halves, "FORK_ABOVE", 8)
    monkeypatch.setattr(halves, "_worth", lambda pieces: pieces >= halves.FORK_ABOVE)
    return path, alone


def test_a_child_that_cannot_be_made_or_is_lost_leaves_the_file_read_here(tmp_path, env, monkeypatch):
    """No process to be had (systemd's TasksMax, RLIMIT_NPROC), a child whose end a supervisor's ignored SIGCHLD
    reaped, a child stopped by a signal: the file is read by this process alone, as if no child had been tried,
    and no pipe is left open."""
    path, alone = _forked_file(tmp_path, monkeypatch)
    fds = len(os.listdir("/proc/self/fd"))

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    with monkeypatch.context() as m:
        m.setattr(os, "fork", no_fork)
        assert load(path) == alone
    assert len(os.listdir("/proc/self/fd")) == fds
    ignored = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # (the kernel reaps children: none to wait for)
    try:
        assert load(path) == alone
    finally:
        signal.signal(signal.SIGCHLD, ignored)
    real = halves.marshal.dumps

    def killed(rows: object) -> bytes:  # the child stopped by a signal midway (as a stop of the whole group does)
        os.kill(os.getpid(), signal.SIGTERM)
        return real(rows)

    monkeypatch.setattr(halves.marshal, "dumps", killed)
    assert load(path) == alone
    assert len(os.listdir("/proc/self/fd")) == fds


def test_the_running_service_reloading_forks_no_child(monkeypatch):
    """SIGHUP reloads sources.toml inside the service's event loop: its signals' wake-up socket and its database
    are the child's too. No child then, even with no other thread."""
    monkeypatch.setattr(halves.threading, "active_count", lambda: 1)
    assert halves._worth(halves.FORK_ABOVE) is (len(os.sched_getaffinity(0)) > 1)

    async def inside() -> bool:
        return halves._worth(halves.FORK_ABOVE)

    assert asyncio.run(inside()) is False


def test_slips_an_admin_makes_are_said_with_their_line_and_what_to_do(tmp_path):
    """A database that names a folder, `[source]` for `[[source]]`, a file saved in GBK: each was a message without
    its line or key, or naming a table the admin did not write ([monitor] key 'source'), or a codec's byte offset."""
    (tmp_path / "state").mkdir()
    folder = write(tmp_path, '[monitor]\ndatabase = "state"\n', "folder.toml")
    with pytest.raises(ConfigError, match=r"folder.toml:2: \[monitor\] key 'database': is a folder: name the SQLite"):
        load(folder)
    single = write(tmp_path, '[monitor]\ndatabase = "x.db"\n\n[source]\nid = "a"\n', "single.toml")
    with pytest.raises(ConfigError, match=r"single.toml:4: \[source\] must be written \[\[source\]\]"):
        load(single)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('[monitor]\ndatabase = "x.db"\n# 年报监测\n'.encode("gbk"))
    with pytest.raises(
        ConfigError, match=r"gbk.toml:3: not UTF-8 \(byte 0x[0-9a-f]{2}; saved as GBK\?\): save the file as UTF-8"
    ):
        load(gbk)
