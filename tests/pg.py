"""A throwaway PostgreSQL for the tests: a cluster made with initdb in a temporary folder, started with pg_ctl on
a free port, stopped and removed at the end of the session; or the server a URL in GOVMON_TEST_POSTGRES names.
Each test gets a database of its own on it.

The binaries are found on PATH (here: /usr/local/bin) or where Debian's `postgresql` package puts them
(/usr/lib/postgresql/VERSION/bin, the newest). initdb refuses to run as root: as root the cluster belongs to
the `postgres` user when there is one (Debian's package makes it), else to `nobody`. Under CI=true a missing
server fails the test (.ci/run installs Debian's postgresql), elsewhere it skips."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ENV = "GOVMON_TEST_POSTGRES"


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    return debian[0].parent if debian else None


def missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}: .ci/run installs Debian's postgresql for the PostgreSQL store's tests")
    pytest.skip(f"{why} (apt-get install postgresql, or set {ENV} to a server's URL)")


def _owner() -> str | None:
    """The user the cluster runs as: None (this one) unless this is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def cluster() -> Iterator[str]:
    """A running server's URL (as its superuser ``govmon``, trusted on localhost), for the whole session."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    bin_dir = binaries()
    if bin_dir is None:
        missing("PostgreSQL (initdb, pg_ctl) is not installed")
    assert bin_dir is not None
    owner = _owner()
    home = Path(tempfile.mkdtemp(prefix="govmon-pg-"))
    as_owner = ["runuser", "-u", owner, "--"] if owner else []
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(home, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    data = home / "data"
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "govmon", "-E", "UTF8", "--locale=C"]
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    start = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-o", options, "-w", "start"]
    # the server keeps the real clock when CI reruns tests under faketime: each of its backends would restart
    # the fake clock as it forks, and leases compared across connections would disagree by minutes
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    try:
        for command in ([*initdb, "--no-sync"], start):
            subprocess.run([*as_owner, *command], check=True, capture_output=True, text=True, cwd=home, env=env)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(home, ignore_errors=True)
        missing(f"PostgreSQL did not start: {exc.stderr.strip()[-300:]}")
    try:
        yield f"postgresql://govmon@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)


def fresh_database(server: str, name: str) -> str:
    """An empty database ``name`` on the server (dropped first if a run before left it); its URL."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return server.rsplit("/", 1)[0] + "/" + name


def run(url: str, sql: str) -> None:
    """One statement on the database at ``url`` (a benchmark's harness: the time a lease or interval takes, passed)."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())
