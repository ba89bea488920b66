"""`govmon overview`: the static site built from a real store (bodies polled from a real local portal into a
real SQLite file) and looked at in a real headless Chromium at desktop and phone widths: the summary of sources,
a grid page per source, a page per report, and rebuilds that write only what changed."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from portal import listing
from test_status import AS_OF, broken, serve, tongliao, write_config
from test_watcher import poll

from monitor.config import load
from monitor.demo.pages import report_page
from monitor.present import ledger, overview
from monitor.present.cli import main
from monitor.store import open_store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def site(portal, tmp_path) -> tuple[Path, Path]:
    cfg = write_config(
        tmp_path,
        [
            ("ontime", "通辽市人民政府", "government", serve(portal, "ontime", tongliao())),
            ("errors", "错市人民政府", "government", serve(portal, "errors", broken())),
            ("missing", "缺县人民政府", "government", serve(portal, "missing", None, "缺县人民政府")),
        ],
    )
    await poll(cfg, today=AS_OF)
    store = open_store(cfg)
    try:
        index = overview.build(cfg, store, tmp_path / "site", AS_OF).index
    finally:
        store.close()
    return cfg.path, index


def links(page: Path) -> list[Path]:
    """The pages ``page`` links to inside the site."""
    hrefs = re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))
    return [(page.parent / h).resolve() for h in hrefs if not h.startswith("http")]


def rebuild(config: Path, out: Path) -> overview.Site:
    cfg = load(config)
    store = open_store(cfg)
    try:
        return overview.build(cfg, store, out, AS_OF)
    finally:
        store.close()


def shot(page: Path, width: int, height: int = 1000) -> Image.Image:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium for this test")
        pytest.skip("chromium is not installed (apt-get install chromium fonts-wqy-zenhei)")
    out = Path(tempfile.mkdtemp()) / "shot.png"
    flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
    flags += "--disable-component-update --disable-sync --hide-scrollbars"
    subprocess.run(
        [
            CHROMIUM,
            *flags.split(),
            f"--user-data-dir={out.parent}",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Image.open(out).convert("RGB")


def share_of(image: Image.Image, colour: str) -> float:
    """The part of the picture painted exactly ``colour`` (#rrggbb)."""
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    counts = {c: n for n, c in image.getcolors(maxcolors=image.width * image.height)}
    return counts.get(rgb, 0) / (image.width * image.height)


async def test_the_summary_counts_each_source_by_state_and_links_to_its_grid_and_its_reports(portal, tmp_path):
    _, index = await site(portal, tmp_path)
    html = index.read_text(encoding="utf-8")
    for agency in ("通辽市人民政府", "错市人民政府", "缺县人民政府"):
        assert agency in html
    for state in ("missing", "errors", "on_time"):  # 2021, the grid's only year: one body in each state
        assert html.count(f'data-state="{state}"') == 1, state
    assert "截至 2022-05-01" in html
    assert "逾期未发布 1" in html
    assert "有错误 1" in html
    assert "按时发布 1" in html
    assert "<script" not in html
    grids = sorted((index.parent / "g").glob("*.html"))
    assert sorted(links(index)) == grids  # each source's grid, linked from the summary
    errors_grid = index.parent / "g" / "errors.html"
    assert errors_grid.read_text(encoding="utf-8").count('data-state="errors"') == 1
    assert (index.parent / "g" / "missing.html").read_text(encoding="utf-8").count('data-state="missing"') == 1
    reports = [p for p in links(errors_grid) if p.parent.name == "r"]
    assert len(reports) == 1
    assert reports[0].exists()
    errors_page = reports[0].read_text(encoding="utf-8")
    assert 'class="n hot"' in errors_page  # the failing cells of the balance identity
    assert "本年新收" in errors_page
    assert "[错误]" in errors_page
    assert set(links(reports[0])) == {errors_grid, index}  # back to its source's grid and the summary
    assert len(list((index.parent / "r").glob("*.html"))) == 3  # and the 2020 report the missing body published


async def test_many_sources_and_a_long_roster_are_split_into_pages_that_link_to_each_other(
    portal, tmp_path, monkeypatch
):
    """Past GROUPS_PER_PAGE sources the summary has more pages, past ROWS_PER_PAGE bodies a source's grid
    has more pages; every link of every page leads to a page that is there."""
    monkeypatch.setattr(overview, "GROUPS_PER_PAGE", 2)
    monkeypatch.setattr(overview, "ROWS_PER_PAGE", 2)
    config, index = await site(portal, tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        'id = "missing"',
        'id = "missing"\nbodies = [{name = "甲县人民政府", kind = "government"}, '
        '{name = "乙县人民政府", kind = "government"}, {name = "丙县人民政府", kind = "government"}]',
    )
    config.write_text(text, encoding="utf-8")
    built = rebuild(config, index.parent)
    out = index.parent
    assert (out / "index-2.html").exists()
    assert not (out / "index-3.html").exists()
    assert "缺县人民政府" in (out / "index-2.html").read_text(encoding="utf-8")  # the third source
    assert (out / "g" / "missing-2.html").exists()  # three roster bodies: two pages
    grid = (out / "g" / "missing.html").read_text(encoding="utf-8") + (out / "g" / "missing-2.html").read_text("utf-8")
    for body in ("甲县人民政府", "乙县人民政府", "丙县人民政府"):
        assert grid.count(body) == 1
    pages = sorted(out.rglob("*.html"))
    assert out / "index-2.html" in built.written
    for page in pages:
        for target in links(page):
            assert target.exists(), (page, target)
    assert {t for p in pages for t in links(p)} >= set(pages)  # and every page is reached from another


async def test_scraped_text_is_escaped_everywhere(portal, tmp_path):
    config_path, index = await site(portal, tmp_path)
    con = sqlite3.connect(tmp_path / "govmon.db")  # a title no reader gives: written where the store keeps it
    con.execute("UPDATE documents SET title = '<script>alert(1)</script>年报'")
    con.commit()
    con.close()
    assert main(["overview", "--config", str(config_path), "--out", str(index.parent), "--as-of", "2022-05-01"]) == 0
    for page in index.parent.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;年报" in next((index.parent / "r").glob("*.html")).read_text("utf-8")


@pytest.mark.parametrize("width", [1280, 390])
async def test_chromium_shows_the_grid_its_colours_and_a_highlighted_cell(portal, tmp_path, width):
    """Desktop and phone widths: the grid's state colours are painted (missing red, errors orange, on time
    green), and the report page of the body with errors shows its failing cells in the highlight colour."""
    _, index = await site(portal, tmp_path)
    grid = shot(index, width)
    for state in ("missing", "errors", "on_time"):
        assert share_of(grid, overview.COLOURS[state][0]) > 0.001, state
    errors_page = next(p for p in (index.parent / "r").glob("*.html") if "错市" in p.read_text(encoding="utf-8"))
    page = shot(errors_page, width, 3000)
    assert share_of(page, "#ffdddd") > 0.0005  # td.hot


def test_the_overview_rebuilds_at_most_every_few_minutes(tmp_path):
    clock = [1000.0]
    cfg = write_config(tmp_path, [("a", "甲县人民政府", "government", "http://127.0.0.1:9/")])
    cfg = type(cfg)(**{**cfg.__dict__, "overview_dir": tmp_path / "site"})
    rebuild = overview.Rebuilder(cfg, clock=lambda: clock[0])
    built = rebuild(date(2022, 5, 1))
    assert built is not None
    assert built.index == tmp_path / "site" / "index.html"
    clock[0] += overview.REBUILD_EVERY - 1
    assert rebuild(date(2022, 5, 1)) is None
    clock[0] += 1
    assert rebuild(date(2022, 5, 1)) is not None


async def test_a_rebuild_writes_only_the_pages_of_what_changed(portal, tmp_path):
    """The service rebuilds the site every few minutes: with nothing new nothing is written; after one body's
    report is corrected, its new report page, its source's grid and the summary are written, its old version's
    page is deleted, and every other file is the same file as before."""
    config, index = await site(portal, tmp_path)
    out = index.parent
    files = {p: p.stat().st_ino for p in out.rglob("*.html")}
    again = rebuild(config, out)
    assert (again.written, again.removed) == ([], [])
    assert {p: p.stat().st_ino for p in out.rglob("*.html")} == files
    old = [p for p in links(out / "g" / "errors.html") if p.parent.name == "r"]
    portal.add(
        "/errors/t.html", report_page(tongliao(title="错市2021年政府信息公开工作年度报告", agency="错市人民政府"))
    )
    await poll(load(config), today=AS_OF)
    built = rebuild(config, out)
    new = [p for p in links(out / "g" / "errors.html") if p.parent.name == "r"]
    assert new != old
    assert new[0].exists()
    assert not old[0].exists()
    assert sorted(built.written) == sorted([new[0], out / "g" / "errors.html", out / "index.html"])
    assert built.removed == old
    assert "已解决" in new[0].read_text(encoding="utf-8")  # the corrected version shows what it fixed
    unchanged = {p: i for p, i in files.items() if p not in (*built.written, *built.removed)}
    assert len(unchanged) == len(files) - 3
    assert all(p.stat().st_ino == i for p, i in unchanged.items())
    (out / "g" / "ontime.html").unlink()  # a page gone from the folder is written again
    assert rebuild(config, out).written == [out / "g" / "ontime.html"]


async def test_a_damaged_record_of_the_last_build_only_makes_the_next_one_write_every_page(portal, tmp_path):
    config, index = await site(portal, tmp_path)
    for marks in (index.parent / ".marks").glob("*.json"):
        marks.write_bytes(b'{"half written' * 100)
    built = rebuild(config, index.parent)
    assert sorted(built.written) == []  # every page's bytes were already there: rendered, compared, not written
    assert (rebuild(config, index.parent).written, index.exists()) == ([], True)


async def test_the_summary_also_counts_what_is_still_wrong_in_the_years_before_the_last(portal, tmp_path):
    """A year later the grid has three years: the summary counts each source's bodies by state in 2022, and beside
    them its earlier reports still 逾期未发布, 有错误 or 无法读取 (an on-time or a late one is not counted)."""
    config, index = await site(portal, tmp_path)
    cfg = load(config)
    store = open_store(cfg)
    try:
        overview.build(cfg, store, index.parent, date(2023, 5, 1))
    finally:
        store.close()
    html = index.read_text(encoding="utf-8")
    assert "此前年度待处理" in html
    rows = {m[0]: m[1] for m in re.findall(r'href="g/(\w+)\.html".*?data-earlier="(\d+)"', html, flags=re.S)}
    # 2020 is a year of the grid too (缺县's 2020 report, late, is stored): 通辽 and 错市 have none for it
    assert rows == {"ontime": "1", "errors": "2", "missing": "1"}
    assert html.count('data-state="missing"') == 3  # 2022: no source has published yet


def site_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.html"))}


async def test_a_rebuild_of_what_changed_draws_the_site_a_whole_build_draws(portal, tmp_path, database):
    """The service rebuilds only the sources whose stored data changed since its last build (ledger.py). A body
    stands under the first source that carries it while its report may be stored through another: 乙局's own
    listing (source a, nothing published yet) comes before the city's listing (b) that later carries 乙局's
    report. After b's poll stores it, a's grid shows it published, and after another source's report is
    corrected, each rebuild from the ledger leaves the folder with the very pages a whole build writes."""
    bureau = tongliao(title="乙局2021年政府信息公开工作年度报告", agency="乙局")
    portal.add("/b/", listing([]))
    cfg = write_config(
        tmp_path,
        [
            ("a", "乙局", "department", serve(portal, "a", None, "乙局")),
            ("b", "丙市人民政府", "government", f"{portal.base}/b/"),
            ("errors", "错市人民政府", "government", serve(portal, "errors", broken())),
        ],
    )
    cfg.path.write_text(cfg.path.read_text(encoding="utf-8").replace("govmon.db", database), encoding="utf-8")
    cfg = load(cfg.path)  # the store's marks of what changed are triggers: SQLite's and PostgreSQL's
    out, whole = tmp_path / "site", tmp_path / "whole"
    await poll(cfg, today=AS_OF)
    rebuild(cfg.path, out)
    assert 'data-state="missing"' in (out / "g" / "a.html").read_text(encoding="utf-8")

    portal.add("/b/", listing([("t.html", "乙局2021年政府信息公开工作年度报告")]))
    portal.add("/b/t.html", report_page(bureau))
    await poll(cfg, today=AS_OF)
    built = rebuild(cfg.path, out)
    assert out / "g" / "a.html" in built.written
    assert 'data-state="missing"' not in (out / "g" / "a.html").read_text(encoding="utf-8")
    assert site_files(out) == site_files(rebuild(cfg.path, whole).index.parent)

    fixed = tongliao(title="错市2021年政府信息公开工作年度报告", agency="错市人民政府")
    portal.add("/errors/t.html", report_page(fixed))
    await poll(cfg, today=AS_OF)
    built = rebuild(cfg.path, out)
    assert (out / "g" / "a.html") not in built.written  # a and b did not change
    shutil.rmtree(whole)
    assert site_files(out) == site_files(rebuild(cfg.path, whole).index.parent)

    # an admin adds a source at the end of sources.toml: the groups before it are kept, its own is new
    with cfg.path.open("a", encoding="utf-8") as toml:
        toml.write(
            f'\n[[source]]\nid = "late"\nagency = "丁县人民政府"\nkind = "government"\nlist_url = "{portal.base}/late/"\n'
        )
    added = load(cfg.path)
    store = open_store(added)
    try:
        years = overview.years_of(store, AS_OF)
    finally:
        store.close()
    salt = overview.salt(overview.environment())
    book = ledger.Ledger.load(
        out, ledger.key(added, years, AS_OF, overview.GROUPS_PER_PAGE, salt), overview.GROUPS_PER_PAGE
    )
    assert book.fits(added)
    built = rebuild(cfg.path, out)
    assert sorted(built.written) == [out / "g" / "late.html", out / "index.html"]
    shutil.rmtree(whole)
    assert site_files(out) == site_files(rebuild(cfg.path, whole).index.parent)
