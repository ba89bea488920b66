"""Shared helpers. The five real seed pages (copied from ../shared/seeds) live in monitor/demo/seeds:
the demo portal serves them and the tests read them, one copy for both."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pg import cluster, fresh_database
from portal import Portal

from monitor.present.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "seeds"
SEEDS = {
    "tongliao": FIXTURES / "000_779f9be447f66d1d.txt",
    "luzhou": FIXTURES / "001_451407376180ac87.txt",
    "yining": FIXTURES / "002_661fba88e4ede7f1.txt",
    "laixi": FIXTURES / "003_750a97d35f8bfe5c.txt",
    "tianmen": FIXTURES / "004_39039b5b6710b1f1.txt",
}


# A page that takes its reader seconds: 40 tables of 19,000 one-digit cells (7 MB, under the 8 MiB cap and
# under the 20,000 cells a table may have). Nesting no longer does it: lxml stops nesting at 255 levels.
WIDE_PAGE = (
    "<html><body><p>2021年报告</p>".encode()
    + (b"<table>" + (b"<tr>" + b"<td>1</td>" * 100 + b"</tr>") * 190 + b"</table>") * 40
    + b"</body></html>"
)
DEEP_PAGE = b"<html><body>" + b"<div>" * 200_000 + b"x" + b"</div>" * 200_000 + b"</body></html>"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    """Run `govmon check --json ARGS` in-process; return the exit code and the parsed JSON."""
    code = main(["check", "--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


@pytest.fixture
def check_json(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, Any]:
        return run_json(capsys, *args)

    return run


@pytest_asyncio.fixture
async def portal():
    """An empty test portal on 127.0.0.1; tests add pages to it (see tests/portal.py)."""
    p = Portal()
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session (tests/pg.py): its superuser's URL."""
    with cluster() as url:
        yield url


@pytest.fixture
def pg_url(pg_server, request):
    """An empty database of this test's own on the throwaway server."""
    return fresh_database(pg_server, "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16])


def per_store(module: str):
    """An autouse fixture running each test of ``module`` once per store: its ``settings`` (tests/portal.py)
    gives a PostgreSQL database's URL on the second run. The fixture's value is the store's name."""
    import functools  # noqa: PLC0415
    import sys  # noqa: PLC0415

    import portal as portal_module  # noqa: PLC0415

    @pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
    def store_kind(request, monkeypatch):
        if request.param == "postgresql":
            shared = functools.partial(portal_module.settings, database_url=request.getfixturevalue("pg_url"))
            monkeypatch.setattr(sys.modules[module], "settings", shared)
        return request.param

    return store_kind


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Where a store-touching test keeps its store, once per implementation: a SQLite file, then a PostgreSQL
    database (``database = ...`` in sources.toml takes either)."""
    if request.param == "sqlite":
        return str(tmp_path / "govmon.db")
    return request.getfixturevalue("pg_url")
