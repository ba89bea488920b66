"""The overview's rebuild from its ledger (present/ledger.py) against a whole build: after polls and changes on
a real local portal, into a real SQLite file and a real PostgreSQL database, a rebuild into the folder built
before leaves exactly the HTML files (names and bytes) a whole build writes into an empty folder."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import jinja2
from portal import listing
from test_overview import site_files
from test_region import CORPUS, _bureau_2021
from test_status import AS_OF, TITLE, broken, tongliao
from test_watcher import poll

from monitor import config
from monitor.demo.pages import report_page
from monitor.present import overview
from monitor.store import open_store

BUREAU = "乙局"  # a department whose report a city's listing may carry


def bureau() -> dict[str, object]:
    return tongliao(title=TITLE.format(BUREAU), agency=BUREAU)


def roster(*names: tuple[str, str]) -> str:
    return "bodies = [" + ", ".join(f'{{name = "{n}", kind = "{k}"}}' for n, k in names) + "]\n"


class Site:
    """A sources.toml of (id, agency, kind, listing path, extra lines) on the portal, the store ``database``,
    and the folder the rebuilds go to."""

    def __init__(self, portal, tmp_path: Path, database: str, sources: list[tuple[str, str, str, str, str]]):
        self.portal, self.tmp = portal, tmp_path
        self.path, self.out = tmp_path / "sources.toml", tmp_path / "site"
        self.database = database
        self.sources = sources
        self.write()

    def write(self) -> None:
        blocks = "".join(
            f'\n[[source]]\nid = "{i}"\nagency = "{agency}"\nkind = "{kind}"\nlist_url = "{self.portal.base}{path}"\n'
            f"{extra}"
            for i, agency, kind, path, extra in self.sources
        )
        self.path.write_text(f'[monitor]\ndatabase = "{self.database}"\n{blocks}', encoding="utf-8")

    @property
    def cfg(self) -> config.Settings:
        return config.load(self.path)

    async def poll(self, ids: list[str] | None = None, today: date = AS_OF) -> None:
        await poll(self.cfg, today=today, ids=ids)

    def build(self, out: Path, today: date = AS_OF) -> overview.Site:
        cfg = self.cfg
        store = open_store(cfg)
        try:
            return overview.build(cfg, store, out, today)
        finally:
            store.close()

    def same(self, today: date = AS_OF) -> overview.Site:
        """Rebuild into the folder built before; the pages must be a whole build's into an empty folder."""
        built = self.build(self.out, today)
        whole = self.tmp / "whole"
        shutil.rmtree(whole, ignore_errors=True)
        self.build(whole, today)
        assert site_files(self.out) == site_files(whole)
        return built


def serve_listing(portal, path: str, reports: list[tuple[str, str, dict[str, object]]]) -> None:
    """A listing at ``path`` linking each (file, title, report data) to its report page."""
    portal.add(path, listing([(name, title) for name, title, _ in reports]))
    for name, _, data in reports:
        portal.add(f"{path}{name}", report_page(data))


async def test_a_report_page_moving_to_an_earlier_source_through_its_roster_stays(portal, tmp_path, database):
    """乙局's report is listed on the city's listing (b): its page hangs under b. An admin names 乙局 in the roster
    of a, the source before b: 乙局 now stands under a, its report page (the same version) with it. The rebuild
    writes it for a and must not delete it as b's page that b no longer makes."""
    serve_listing(portal, "/a/", [])
    serve_listing(portal, "/b/", [("t.html", TITLE.format(BUREAU), bureau())])
    site = Site(
        portal,
        tmp_path,
        database,
        [
            ("a", "丙县人民政府", "government", "/a/", ""),
            ("b", "丁市人民政府", "government", "/b/", ""),
        ],
    )
    await site.poll()
    site.same()
    site.sources[0] = (*site.sources[0][:4], roster(("丙县人民政府", "government"), (BUREAU, "department")))
    site.write()
    site.same()
    await site.poll()
    site.same()


async def test_a_listing_moved_to_another_address(portal, tmp_path, database):
    """A listing read only in part (a next page past max_pages: 未能检查) moves to another address in
    sources.toml: what the grid says of the source is no longer what its old pages said."""
    portal.add("/a/", listing([], next_page="/a/2.html"))
    portal.add("/a/2.html", listing([]))
    serve_listing(portal, "/b/", [("t.html", TITLE.format("错市"), broken())])
    site = Site(
        portal,
        tmp_path,
        database,
        [
            ("a", "丙县人民政府", "government", "/a/", "max_pages = 1\n"),
            ("b", "错市人民政府", "government", "/b/", ""),
        ],
    )
    await site.poll()
    site.same()
    assert 'data-state="unchecked"' in (site.out / "g" / "a.html").read_text(encoding="utf-8")
    site.sources[0] = ("a", "丙县人民政府", "government", "/a-new/", "max_pages = 1\n")
    site.write()
    site.same()


async def test_a_rostered_kind_changed_before_the_store_learns_it(portal, tmp_path, database):
    """乙局's report is listed on s (no roster), the first source; r's roster names 乙局 too. The admin makes 乙局 a
    department in r's roster, the overview is built (the store still says government), then the service reloads
    sources.toml (``sync_sources``: the body's kind in the store becomes department) and polls another source:
    乙局's deadline under s is a department's."""
    serve_listing(portal, "/s/", [("t.html", TITLE.format(BUREAU), bureau())])
    serve_listing(portal, "/r/", [])
    serve_listing(portal, "/u/", [])
    site = Site(
        portal,
        tmp_path,
        database,
        [
            ("s", "丁市人民政府", "government", "/s/", ""),
            ("r", "丙县人民政府", "government", "/r/", roster(("丙县人民政府", "government"), (BUREAU, "government"))),
            ("u", "戊县人民政府", "government", "/u/", ""),
        ],
    )
    await site.poll()
    site.same()
    site.sources[1] = (*site.sources[1][:4], roster(("丙县人民政府", "government"), (BUREAU, "department")))
    site.write()
    site.same()
    await site.poll(["u"])  # the reload's sync_sources, and a poll of a source carrying neither
    site.same()


async def test_reports_moving_failing_and_recovering_across_sources(portal, tmp_path, database):
    """One sequence of what a season of polls brings, each step followed by a rebuild that must draw a whole
    build's pages: a body's report moving from one source's listing to another's, a listed report that cannot be
    read and then can, a listing that failed from the start and recovers, the same body's report listed on two sources, a source
    appended that carries a body an earlier one shows, and the dates moving past the next year's deadlines."""
    county = tongliao(title=TITLE.format("丙县"), agency="丙县人民政府")
    serve_listing(portal, "/a/", [])
    serve_listing(portal, "/b/", [("t.html", TITLE.format(BUREAU), bureau())])
    serve_listing(portal, "/c/", [("t.html", TITLE.format("错市"), broken())])
    portal.add("/d/", listing([]), status=[500] * 100)  # d's listing fails until it recovers below
    site = Site(
        portal,
        tmp_path,
        database,
        [
            ("a", "丙县人民政府", "government", "/a/", ""),
            ("b", "丁市人民政府", "government", "/b/", ""),
            ("c", "错市人民政府", "government", "/c/", ""),
            ("d", "己县人民政府", "government", "/d/", ""),
        ],
    )
    await site.poll()
    site.same()

    serve_listing(portal, "/b/", [])  # 乙局's report leaves b's listing for c's
    serve_listing(
        portal, "/c/", [("t.html", TITLE.format("错市"), broken()), ("u.html", TITLE.format(BUREAU), bureau())]
    )
    await site.poll()
    site.same()

    portal.add("/a/", listing([("x.html", TITLE.format("丙县"))]))  # listed, not there: 无法读取
    await site.poll()
    site.same()
    assert 'data-state="unreadable"' in (site.out / "g" / "a.html").read_text(encoding="utf-8")
    portal.add("/a/x.html", report_page(county))
    await site.poll()
    site.same()
    portal.add("/a/x.html", b"", status=[404] * 10)  # read once, then gone: its stored report stays, with why
    await site.poll(["a"])
    site.same()
    portal.add("/a/x.html", report_page(county))
    await site.poll(["a"])
    site.same()

    assert 'data-state="unchecked"' in (site.out / "g" / "d.html").read_text(encoding="utf-8")  # never read
    last_year = "己县人民政府2020年政府信息公开工作年度报告"  # d's listing recovers, holding only the year before's
    serve_listing(portal, "/d/", [("t.html", last_year, tongliao(agency="己县人民政府", title=last_year))])
    await site.poll(["d"])
    site.same()
    assert 'data-state="missing"' in (site.out / "g" / "d.html").read_text(encoding="utf-8")
    portal.add("/d/", listing([]), status=[500] * 10)  # and fails again, once read
    await site.poll(["d"])
    site.same()

    serve_listing(portal, "/a/", [("x.html", TITLE.format("丙县"), county), ("y.html", TITLE.format(BUREAU), bureau())])
    await site.poll()  # 乙局's report on a too, the source before c
    site.same()
    assert BUREAU in (site.out / "g" / "a.html").read_text(encoding="utf-8")
    assert BUREAU not in (site.out / "g" / "c.html").read_text(encoding="utf-8")

    site.sources.append(("e", "庚市人民政府", "government", "/e/", roster((BUREAU, "department"))))
    site.write()
    site.same()
    serve_listing(portal, "/e/", [])
    await site.poll(["e"])
    site.same()

    for today in (date(2023, 2, 15), date(2023, 4, 15), date(2023, 4, 16)):
        site.same(today)


async def test_a_region_checked_again_when_a_part_of_it_arrives(portal, tmp_path, database):
    """平潭综合实验区's report (全区共收到70件申请) on the zone's listing; its 社会事业局's report arrives later on the
    same listing, while the bureau's own listing (the source before, naming it) has none: the zone's stored report
    is checked again (its findings replaced: region.parts' warning added) and the bureau's report stands under the
    bureau's source. The rebuild draws the zone's report page from its new findings."""
    zone = "平潭综合实验区"
    portal.add("/zone/a.html", (CORPUS / "005_pingtan_zone_2021.html").read_bytes())
    portal.add("/zone/", listing([("a.html", f"{zone}2021年政府信息公开工作年度报告")]))
    portal.add("/bureau/", listing([]))
    bodies = ((f"{zone}人民政府", "government"), (f"{zone}社会事业局", "department"), (f"{zone}公安局", "department"))
    site = Site(
        portal,
        tmp_path,
        database,
        [
            ("bureau", f"{zone}社会事业局", "department", "/bureau/", roster(bodies[1])),
            ("zone", f"{zone}人民政府", "government", "/zone/", roster(*bodies)),
        ],
    )
    await site.poll()
    site.same()
    portal.add("/zone/b.html", _bureau_2021())
    portal.add(
        "/zone/",
        listing(
            [
                ("a.html", f"{zone}2021年政府信息公开工作年度报告"),
                ("b.html", f"{zone}社会事业局2021年政府信息公开工作年度报告"),
            ]
        ),
    )
    await site.poll(["zone"])
    built = site.same()
    pages = [p.read_text(encoding="utf-8") for p in built.written if p.parent.name == "r"]
    assert [p for p in pages if "全区共收到70件" in p and "尚未找到平潭综合实验区公安局的同年报告" in p]
    assert 'href="../r/' in (site.out / "g" / "bureau.html").read_text(encoding="utf-8")  # stored through zone


async def test_pages_split_and_joined_as_groups_and_rosters_grow_and_shrink(portal, tmp_path, database, monkeypatch):
    """With two groups a summary page and one body a grid page: sources appended past a summary page's end, a
    roster grown to three grid pages and shrunk back to one, and a source removed from the middle of sources.toml."""
    monkeypatch.setattr(overview, "GROUPS_PER_PAGE", 2)
    monkeypatch.setattr(overview, "ROWS_PER_PAGE", 1)
    serve_listing(portal, "/a/", [("t.html", TITLE.format(BUREAU), bureau())])
    serve_listing(portal, "/b/", [("t.html", TITLE.format("错市"), broken())])
    site = Site(
        portal,
        tmp_path,
        database,
        [("a", "丙县人民政府", "government", "/a/", ""), ("b", "错市人民政府", "government", "/b/", "")],
    )
    await site.poll()
    site.same()
    three = roster(("丙县人民政府", "government"), (BUREAU, "department"), ("丁局", "department"))
    site.sources[0] = (*site.sources[0][:4], three)
    site.sources.append(("c", "戊县人民政府", "government", "/c/", ""))
    site.write()
    site.same()
    assert (site.out / "g" / "a-3.html").exists()
    assert (site.out / "index-2.html").exists()
    site.sources[0] = (*site.sources[0][:4], roster((BUREAU, "department")))
    site.write()
    site.same()
    assert not (site.out / "g" / "a-2.html").exists()
    del site.sources[1]
    site.write()
    site.same()
    assert not (site.out / "index-2.html").exists()
    serve_listing(portal, "/c/", [("t.html", TITLE.format(BUREAU), bureau())])
    await site.poll()
    site.same()


async def test_a_former_name_merged_into_a_rostered_body(portal, tmp_path, database):
    """甲局's report is listed on s; the admin adds r after it, whose roster names 乙局 with 甲局 as its former name:
    built before the store learns it, then after the sync merges 甲局's report into 乙局 (s's grid loses 甲局; 乙局
    stands under r, whose roster expects it and whose alarms tell of it: ``watch.expected``, with that report)."""
    old = tongliao(title=TITLE.format("甲局"), agency="甲局")
    serve_listing(portal, "/s/", [("t.html", TITLE.format("甲局"), old)])
    serve_listing(portal, "/r/", [])
    site = Site(portal, tmp_path, database, [("s", "丁市人民政府", "government", "/s/", "")])
    await site.poll()
    site.same()
    merged = 'bodies = [{name = "乙局", kind = "department", aliases = ["甲局"]}]\n'
    site.sources.append(("r", "丙县人民政府", "government", "/r/", merged))
    site.write()
    site.same()
    await site.poll(["r"])
    site.same()
    grid = (site.out / "g" / "s.html").read_text(encoding="utf-8")
    assert "乙局" not in grid
    assert "甲局" not in grid
    rostered = (site.out / "g" / "r.html").read_text(encoding="utf-8")
    assert "乙局" in rostered
    assert rostered.count("甲局") == rostered.count("甲局2021年")  # only in its report's title


async def test_templates_changed_by_an_upgrade(portal, tmp_path, database, monkeypatch):
    """A govmon upgrade that changes a page's template, or the grid's paging: every grid is drawn so, not only the
    changed ones."""
    serve_listing(portal, "/a/", [("t.html", TITLE.format(BUREAU), bureau())])
    serve_listing(portal, "/b/", [("t.html", TITLE.format("错市"), broken())])
    site = Site(
        portal,
        tmp_path,
        database,
        [
            ("a", "丙县人民政府", "government", "/a/", roster(("丙县人民政府", "government"), (BUREAU, "department"))),
            ("b", "错市人民政府", "government", "/b/", ""),
        ],
    )
    await site.poll()
    site.same()
    shipped = overview.environment()
    loader = shipped.loader
    assert loader is not None
    templates = {t: loader.get_source(shipped, t)[0] for t in overview.TEMPLATES}
    templates["overview_group.html"] += "<!-- upgraded -->"
    monkeypatch.setattr(
        overview,
        "environment",
        lambda: jinja2.Environment(
            loader=jinja2.DictLoader(templates), undefined=jinja2.StrictUndefined, autoescape=True
        ),
    )
    site.same()
    assert "<!-- upgraded -->" in (site.out / "g" / "b.html").read_text(encoding="utf-8")
    monkeypatch.setattr(overview, "ROWS_PER_PAGE", 1)  # and one that pages the grids otherwise
    site.same()
    assert (site.out / "g" / "a-2.html").exists()


async def test_code_changed_by_an_upgrade(portal, tmp_path, database, monkeypatch):
    """An upgrade that changes what the summary counts (here: its earlier years' 有错误 no longer counted) while
    no source changed: every group's counts are computed again, not only the changed ones' kept in the ledger."""
    serve_listing(portal, "/a/", [("t.html", TITLE.format("错市"), broken())])
    site = Site(portal, tmp_path, database, [("a", "错市人民政府", "government", "/a/", "")])
    await site.poll()
    later = date(2023, 5, 1)  # 2021 is an earlier year: its 有错误 counted apart
    site.same(later)
    monkeypatch.setattr(overview, "EARLIER", ("missing", "unreadable"))
    monkeypatch.setattr(overview.cache, "code", lambda: b"the upgraded code")
    site.same(later)
