"""Several workers, one PostgreSQL database: real `govmon poll` processes against a real portal on 127.0.0.1.
Each report version, event and delivery exists once however many workers poll; a host is asked at most
``per_host`` requests at once in total; a worker killed mid-poll leaves its source leased until the lease
expires, then another worker takes it over and the killed poll is closed as interrupted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import psycopg
import pytest_asyncio
from conftest import SEEDS
from portal import Portal, listing
from processes import GOVMON, govmon, wait_for

SEED_FILES = sorted(SEEDS.values())
TITLES = ["通辽市2021", "泸州市2022", "莱西市2020", "天门市2021", "伊宁市2020"]  # the seeds' own years
SOURCES = 6
PICKS = [[i % 5, (i + 2) % 5] for i in range(SOURCES)]  # each source's two seeds: every seed on two or three sources


@pytest_asyncio.fixture
async def portal():
    """Six sources of two reports each, every answer a little slow so the workers' requests overlap."""
    p = Portal()
    await p.start()
    for i, picks in enumerate(PICKS):
        p.add(f"/s{i}/", listing([(f"r{k}.html", f"{TITLES[k]}年政府信息公开工作年度报告") for k in picks]), delay=0.1)
        for k in picks:
            p.add(f"/s{i}/r{k}.html", SEED_FILES[k].read_bytes(), content_type="text/plain", delay=0.1)
    yield p
    await p.stop()


def write_config(tmp_path: Path, base: str, database: str, more: str = "") -> Path:
    sources = "".join(
        f'\n[[source]]\nid = "s{i}"\nagency = "第{i}市人民政府"\nkind = "government"\nlist_url = "{base}/s{i}/"\n'
        for i in range(SOURCES)
    )
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{database}"\noutbox_dir = "mail"\nconcurrency = 4\nper_host = 2\n{more}{sources}',
        encoding="utf-8",
    )
    return path


def one(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.encode()).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def test_two_workers_store_and_send_everything_once_and_share_the_hosts_politeness(portal, pg_url, tmp_path):
    cfg = write_config(tmp_path, portal.base, pg_url)
    first, second = await asyncio.gather(govmon("poll", "--config", str(cfg)), govmon("poll", "--config", str(cfg)))
    assert first[0] == 0, first[2]
    assert second[0] == 0, second[2]
    stored = "(SELECT * FROM documents d WHERE EXISTS (SELECT 1 FROM versions v WHERE v.document_id = d.id)) s"
    documents = one(pg_url, f"SELECT count(*) FROM {stored}")
    # a body's report listed on several sources is stored once (#27), whichever worker read it first; its other
    # listings are remembered as its duplicates (documents without a version)
    assert documents == len({k for picks in PICKS for k in picks})
    assert one(pg_url, "SELECT count(*) FROM documents") == sum(len(picks) for picks in PICKS)
    assert one(pg_url, "SELECT count(*) FROM versions") == documents  # no report stored twice
    assert one(pg_url, "SELECT count(*) FROM (SELECT key FROM events GROUP BY key HAVING count(*) > 1) k") == 0
    assert one(pg_url, "SELECT count(*) FROM events WHERE kind = 'new_report'") == documents
    summaries = one(pg_url, "SELECT count(*) FROM events WHERE kind = 'first_poll'")
    # one summary per source that stored a report: one whose bodies' reports were all stored from other sources
    # first (which, depends on the workers' order) has none to tell
    assert summaries == one(pg_url, f"SELECT count(DISTINCT source) FROM {stored}") > 0
    deliveries = one(pg_url, "SELECT count(*) FROM deliveries")
    assert deliveries >= summaries  # the summaries at least, to the outbox folder
    assert one(pg_url, "SELECT count(*) FROM deliveries WHERE status = 'delivered'") == deliveries
    assert len(list((tmp_path / "mail").glob("*.eml"))) == deliveries  # each sent once, by one of the two
    assert one(pg_url, "SELECT count(*) FROM polls WHERE finished IS NULL") == 0
    assert one(pg_url, "SELECT count(*) FROM polls") == SOURCES  # each source polled by one of them, once
    assert one(pg_url, "SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL") == 0
    assert "polled by another worker" in first[1] + second[1]  # the work was shared
    assert portal.peak <= 2  # per_host = 2 held across both workers, not 2 each


async def test_a_killed_workers_source_is_left_while_leased_then_taken_over(portal, pg_url, tmp_path):
    cfg = write_config(tmp_path, portal.base, pg_url)
    # the worker is stuck on the 2022 report with the 2021 one stored (a year is checked after the year before)
    portal.pages["/s1/r1.html"].delay = 60
    killed = await asyncio.create_subprocess_exec(
        GOVMON,
        "poll",
        "--config",
        str(cfg),
        "--source",
        "s1",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    for _ in range(400):
        if portal.hits["/s1/r1.html"] and one(pg_url, "SELECT count(*) FROM versions") == 1:
            break
        await asyncio.sleep(0.05)
    assert one(pg_url, "SELECT count(*) FROM versions") == 1
    assert one(pg_url, "SELECT count(*) FROM sources WHERE id = 's1' AND lease_owner IS NOT NULL") == 1
    killed.send_signal(signal.SIGKILL)
    await killed.wait()

    code, out, err = await govmon("poll", "--config", str(cfg), "--source", "s1")
    assert code == 0, err
    assert "s1: polled by another worker" in out  # the lease holds until it expires
    assert one(pg_url, "SELECT count(*) FROM polls WHERE finished IS NULL") == 1  # the killed worker's

    portal.pages["/s1/r1.html"].delay = 0
    with psycopg.connect(pg_url) as conn:  # the lease's time passes (20 minutes, by the database's clock)
        conn.execute("UPDATE sources SET lease_until = now() - interval '1 second' WHERE id = 's1'")
    code, out, err = await govmon("poll", "--config", str(cfg), "--source", "s1")
    assert code == 0, err
    assert "s1: 2 report link(s), 1 new version(s)" in out
    assert one(pg_url, "SELECT count(*) FROM polls WHERE finished IS NULL") == 0
    assert one(pg_url, "SELECT count(*) FROM polls WHERE error LIKE 'interrupted%'") == 1
    assert one(pg_url, "SELECT count(*) FROM versions") == 2
    assert one(pg_url, "SELECT count(*) FROM events WHERE kind = 'new_report'") == 2


async def test_two_services_share_the_sources_and_a_killed_ones_source_is_taken_over_after_its_lease(
    portal, pg_url, tmp_path
):
    """Two `govmon run` on one database. One is stuck on s1's 2022 report longer than its lease (it renews the
    lease meanwhile: the other leaves s1 alone), then is SIGKILLed: the other takes s1 over once the lease lapses
    and polls it, and every version, event and delivery exists once."""
    cfg = write_config(tmp_path, portal.base, pg_url, "lease_seconds = 2\n")
    portal.pages["/s1/r1.html"].delay = 300
    journals = [tmp_path / f"journal{i}.txt" for i in (0, 1)]
    services = []
    for journal in journals:
        with journal.open("wb") as out:
            services.append(
                await asyncio.create_subprocess_exec(
                    GOVMON, "run", "--spread", "0", "--config", str(cfg), stdout=out, stderr=out
                )
            )
    try:
        ok = "SELECT count(DISTINCT source) FROM polls WHERE ok = 1"
        await wait_for(lambda: portal.hits["/s1/r1.html"] > 0 and one(pg_url, ok) == SOURCES - 1)
        await wait_for(lambda: one(pg_url, "SELECT count(*) FROM deliveries WHERE status <> 'delivered'") == 0)
        with psycopg.connect(pg_url) as conn:
            owner, until = conn.execute("SELECT lease_owner, lease_until FROM sources WHERE id = 's1'").fetchone()
        stuck = next(p for p in services if owner.endswith(f":{p.pid}"))
        renewed = f"SELECT count(*) FROM sources WHERE id = 's1' AND lease_owner = '{owner}' AND lease_until > now()"
        # the lease it took has run out by the database's clock, yet it is still the holder: renewed, not lapsed
        await wait_for(lambda: one(pg_url, f"SELECT (now() > '{until.isoformat()}')::int") == 1)
        assert one(pg_url, renewed) == 1
        assert one(pg_url, "SELECT count(*) FROM polls WHERE source = 's1'") == 1  # nobody else polled s1

        stuck.send_signal(signal.SIGKILL)
        await stuck.wait()
        portal.pages["/s1/r1.html"].delay = 0
        await wait_for(lambda: one(pg_url, ok) == SOURCES)  # the other took s1 over and polled it
        survivor = next(p for p in services if p is not stuck)
        assert (
            one(pg_url, f"SELECT count(*) FROM polls WHERE source = 's1' AND ok = 1 AND worker LIKE '%:{survivor.pid}'")
            == 1
        )
        await wait_for(lambda: one(pg_url, "SELECT count(*) FROM deliveries WHERE status <> 'delivered'") == 0)
    finally:
        for p in services:
            if p.returncode is None:
                p.send_signal(signal.SIGTERM)
                await asyncio.wait_for(p.wait(), 60)
    assert survivor.returncode == 0, journals[services.index(survivor)].read_text(encoding="utf-8")[-2000:]
    assert one(pg_url, "SELECT count(*) FROM polls WHERE finished IS NULL") == 0
    assert one(pg_url, "SELECT count(*) FROM polls WHERE error LIKE 'interrupted%'") == 1  # the killed poll, closed
    assert one(pg_url, "SELECT count(*) FROM polls") == SOURCES + 1  # each source once, s1 once more after the kill
    stored = "(SELECT * FROM documents d WHERE EXISTS (SELECT 1 FROM versions v WHERE v.document_id = d.id)) s"
    documents = one(pg_url, f"SELECT count(*) FROM {stored}")  # the others: a stored report's duplicates
    assert documents == len({k for picks in PICKS for k in picks})
    assert one(pg_url, "SELECT count(*) FROM versions") == documents
    assert one(pg_url, "SELECT count(*) FROM events WHERE kind = 'new_report'") == documents
    assert one(pg_url, "SELECT count(*) FROM events WHERE kind = 'first_poll'") == one(
        pg_url, f"SELECT count(DISTINCT source) FROM {stored}"
    )
    deliveries = one(pg_url, "SELECT count(*) FROM deliveries")
    assert deliveries > 0
    assert len(list((tmp_path / "mail").glob("*.eml"))) == deliveries  # each sent once, by one of the two
    assert one(pg_url, "SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL") == 0
    assert portal.peak <= 2  # per_host across both, the killed one's slots given up when their lease lapsed
    assert "polled by another worker" in "".join(j.read_text(encoding="utf-8") for j in journals)


async def test_a_worker_busy_with_a_host_gives_another_worker_its_turn(pg_url, monkeypatch):
    """One worker with a long queue of requests to a host hands the host's slot from request to request, but for
    HOLD seconds at most: another worker's request to the host is answered long before that queue is drained.
    (Handed over without end, the slot starved the other worker: at 20,000 sources its requests ran past their
    deadline, and its sources were told as failing.) The host never has more than per_host requests at once."""
    from monitor.store.postgres.store import PostgresStore  # noqa: PLC0415
    from monitor.watch import fetch, slots  # noqa: PLC0415

    monkeypatch.setattr(slots, "HOLD", 0.2)  # the test's pace: the order of events is what is checked
    portal = Portal()
    await portal.start()
    portal.add("/r.html", "报告", delay=0.02)
    url = f"{portal.base}/r.html"
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    second.worker = "another-machine:1"  # two stores of one process would be one worker
    answered: list[str] = []
    try:
        async with (
            fetch.Fetcher(per_host=1, slots=first, slot_lease=60) as busy,
            fetch.Fetcher(per_host=1, slots=second, slot_lease=60) as other,
        ):

            async def get(fetcher: fetch.Fetcher, who: str) -> None:
                await fetcher.get(url)
                answered.append(who)

            queue = asyncio.gather(*(get(busy, "busy") for _ in range(150)))
            await asyncio.sleep(0.05)  # the busy worker holds the slot, its queue behind it
            await get(other, "other")
            await queue
    finally:
        first.close()
        second.close()
        await portal.stop()
    assert len(answered) == 151
    assert answered.index("other") < 100  # its turn came while the busy worker had most of its queue left
    assert portal.peak == 1  # per_host = 1 across both


async def test_a_hosts_slot_lingers_for_the_workers_next_request_then_is_freed(pg_url, monkeypatch):
    """A request done with a host's slot, nobody here waiting for it, keeps it LINGER seconds: the worker's next
    request to the host (a source's report after its listing; the next source) takes it without asking the
    database again (two round trips each: at 1,000 sources on 32 hosts, ~0.9 a source). Then it is freed for
    the other workers, and a worker that stops frees what it kept."""
    from monitor.store.postgres.store import PostgresStore  # noqa: PLC0415
    from monitor.watch import fetch, slots  # noqa: PLC0415

    class Counted(PostgresStore):
        asked = 0

        def take_host_slot(self, host: str, limit: int, lease: float) -> int | None:
            self.asked += 1
            return super().take_host_slot(host, limit, lease)

    portal = Portal()
    await portal.start()
    portal.add("/r.html", "报告")
    url = f"{portal.base}/r.html"
    store = Counted(pg_url)
    owned = "SELECT count(*) FROM host_slots WHERE owner IS NOT NULL"
    try:
        monkeypatch.setattr(slots, "LINGER", 3600.0)  # however slow this machine: the next request comes within it
        async with fetch.Fetcher(per_host=2, slots=store, slot_lease=60) as fetcher:
            for _ in range(5):
                await fetcher.get(url)
            kept, asked = one(pg_url, owned), store.asked
        freed_at_exit = one(pg_url, owned)
        monkeypatch.setattr(slots, "LINGER", 0.05)
        async with fetch.Fetcher(per_host=2, slots=store, slot_lease=60) as fetcher:
            await fetcher.get(url)
            for _ in range(200):  # until the linger has passed (it is checked, not timed)
                if not one(pg_url, owned):
                    break
                await asyncio.sleep(0.05)
            lingered = one(pg_url, owned)
    finally:
        store.close()
        await portal.stop()
    assert (asked, kept) == (1, 1)  # five requests one after another: the slot taken from the database once
    assert freed_at_exit == 0
    assert lingered == 0  # freed once nobody here wanted it, the fetcher still open
