"""`govmon overview`: the static site built from a real store (three bodies polled from a real local portal)
and looked at in a real headless Chromium at desktop and phone widths."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from test_status import AS_OF, broken, serve, tongliao, write_config
from test_watcher import poll

from monitor.config import load
from monitor.present import overview
from monitor.present.cli import main
from monitor.store import open_store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def site(portal, tmp_path) -> tuple[Path, Path]:
    cfg = write_config(
        tmp_path,
        [
            ("ontime", "通辽市人民政府", "government", serve(portal, "ontime", tongliao())),
            ("errors", "错市人民政府", "government", serve(portal, "errors", broken())),
            ("missing", "缺县人民政府", "government", serve(portal, "missing", None)),
        ],
    )
    await poll(cfg, today=AS_OF)
    store = open_store(cfg)
    try:
        index = overview.build(cfg, store, tmp_path / "site", AS_OF)
    finally:
        store.close()
    return cfg.path, index


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


async def test_the_grid_has_a_cell_per_body_and_year_coloured_by_state_and_links_to_report_pages(portal, tmp_path):
    _, index = await site(portal, tmp_path)
    html = index.read_text(encoding="utf-8")
    assert html.count('data-state="missing"') == 1  # 缺县 2021: the only year of the grid (nothing older stored)
    assert html.count('data-state="errors"') == 1
    assert html.count('data-state="on_time"') == 1
    assert "<script" not in html
    pages = sorted((index.parent / "r").glob("*.html"))
    assert len(pages) == 2
    errors_page = next(p.read_text(encoding="utf-8") for p in pages if "错市" in p.read_text(encoding="utf-8"))
    assert 'class="n hot"' in errors_page  # the failing cells of the balance identity
    assert "本年新收" in errors_page
    assert "[错误]" in errors_page


async def test_scraped_text_is_escaped_everywhere(portal, tmp_path):
    config_path, index = await site(portal, tmp_path)
    con = sqlite3.connect(tmp_path / "govmon.db")  # a title no reader gives: written where the store keeps it
    con.execute("UPDATE documents SET title = '<script>alert(1)</script>年报'")
    con.commit()
    con.close()
    assert main(["overview", "--config", str(config_path), "--out", str(index.parent), "--as-of", "2022-05-01"]) == 0
    for page in [index, *(index.parent / "r").glob("*.html")]:
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
    assert rebuild(date(2022, 5, 1)) == tmp_path / "site" / "index.html"
    clock[0] += overview.REBUILD_EVERY - 1
    assert rebuild(date(2022, 5, 1)) is None
    clock[0] += 1
    assert rebuild(date(2022, 5, 1)) is not None


async def test_a_rebuild_rewrites_only_the_pages_that_changed(portal, tmp_path):
    """The service rebuilds the site every few minutes: a page whose bytes are the same is left as it is (the
    same file), a page whose content changed is replaced."""
    config, index = await site(portal, tmp_path)
    pages = sorted((index.parent / "r").glob("*.html"))
    files = {p: p.stat().st_ino for p in [index, *pages]}
    cfg = load(config)
    store = open_store(cfg)
    try:
        overview.build(cfg, store, index.parent, AS_OF)
        assert {p: p.stat().st_ino for p in files} == files  # nothing changed: nothing rewritten
        pages[0].write_text("stale", encoding="utf-8")
        overview.build(cfg, store, index.parent, AS_OF)
    finally:
        store.close()
    assert pages[0].read_text(encoding="utf-8") != "stale"
    assert {p: p.stat().st_ino for p in files if p != pages[0]} == {p: i for p, i in files.items() if p != pages[0]}
