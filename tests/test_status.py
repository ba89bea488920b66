"""`govmon status`: four bodies on a real local portal, polled into a real SQLite file, read back as a
supervisor reads them: worst first, totals at the top, resolved findings after a revision."""

from __future__ import annotations

import json
import re
from datetime import date

from conftest import SEEDS
from portal import listing
from test_watcher import poll

from monitor import config
from monitor.demo.pages import report_page
from monitor.present import admin, status
from monitor.present.cli import main
from monitor.reading.report import read_report
from monitor.store import YearReport, open_store
from monitor.store.sqlite.store import SqliteStore

AS_OF = date(2022, 5, 1)  # after both 2021 deadlines (31 Jan departments, 31 Mar governments)
TITLE = "{}2021年政府信息公开工作年度报告"


def tongliao(**changes: object) -> dict[str, object]:
    data = read_report(SEEDS["tongliao"].read_bytes(), "x").to_json()  # 2021, consistent, 发布 2022-03-08
    return {**data, **changes}


def serve(portal, name: str, data: dict[str, object] | None, agency: str = "") -> str:
    """A listing of the 2021 report ``data``; with none, of the body's 2020 report only (its 2021 one not out)."""
    if data is None:
        assert agency, "the body whose 2020 report the listing holds"
        title = f"{agency}2020年政府信息公开工作年度报告"
        portal.add(f"/{name}/", listing([("t2020.html", title)]))
        portal.add(f"/{name}/t2020.html", report_page(tongliao(agency=agency, title=title)))
        return f"{portal.base}/{name}/"
    portal.add(f"/{name}/", listing([("t.html", TITLE.format(name))]))
    portal.add(f"/{name}/t.html", report_page(data))
    return f"{portal.base}/{name}/"


def write_config(tmp_path, sources: list[tuple[str, str, str, str]]):
    blocks = "".join(
        f'\n[[source]]\nid = "{i}"\nagency = "{agency}"\nkind = "{kind}"\nlist_url = "{url}"\n'
        for i, agency, kind, url in sources
    )
    path = tmp_path / "sources.toml"
    path.write_text(f'[monitor]\ndatabase = "govmon.db"\n{blocks}', encoding="utf-8")
    return config.load(path)


def standings(cfg, today: date) -> dict[str, status.Standing]:
    store = open_store(cfg)
    try:
        return {s.source: s for s in status.standings(cfg, store, [2021], today)}
    finally:
        store.close()


def broken() -> dict[str, object]:
    data = tongliao(title="错市2021年政府信息公开工作年度报告", agency="错市人民政府")
    data["tables"]["applications"]["new"]["natural_person"] += 5  # type: ignore[index]
    return data


async def test_status_lists_every_body_worst_first_with_totals(portal, tmp_path, capsys):
    cfg = write_config(
        tmp_path,
        [
            ("ontime", "通辽市人民政府", "government", serve(portal, "ontime", tongliao())),
            (
                "late",
                "某局",
                "department",
                serve(portal, "late", tongliao(agency="某局", title="某局2021年政府信息公开工作年度报告")),
            ),  # 发布 03-08 > 01-31
            ("errors", "错市人民政府", "government", serve(portal, "errors", broken())),
            ("missing", "缺县人民政府", "government", serve(portal, "missing", None, "缺县人民政府")),
        ],
    )
    await poll(cfg, today=AS_OF)
    store = open_store(cfg)
    try:
        items = status.worst_first(status.standings(cfg, store, [2021], AS_OF))
    finally:
        store.close()
    assert [(s.source, s.state, s.timely) for s in items] == [
        ("missing", "missing", None),
        ("errors", "errors", "on_time"),
        ("late", "late", "late"),
        ("ontime", "on_time", "on_time"),
    ]
    assert items[1].errors >= 1
    assert status.totals(items) == {
        "sources": 4,
        "bodies": 4,
        "published": 3,
        "missing": 1,
        "unchecked": 0,
        "errors": 1,
        "unreadable": 0,
        "late": 1,
        "warnings": 0,
        "undated": 0,
        "on_time": 1,
        "not_due": 0,
    }
    text = admin.status_text(2021, AS_OF.isoformat(), items, status.totals(items))
    lines = text.splitlines()
    assert lines[0] == "2021年度政府信息公开工作年度报告 · 截至2022-05-01 · 共4个单位，已发布3个"
    assert lines[1] == "逾期未发布 1 · 有错误 1 · 逾期发布 1 · 按时发布 1"
    assert lines[4].startswith("逾期未发布    缺县人民政府")
    assert "2022-03-08(逾期)" in text

    assert main(["status", "--config", str(cfg.path), "--year", "2021", "--as-of", "2022-05-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["missing"] == 1
    assert [s["state_cn"] for s in data["sources"]] == ["逾期未发布", "有错误", "逾期发布", "按时发布"]


async def test_a_report_first_found_after_its_deadline_with_no_date_is_not_called_on_time(portal, tmp_path):
    """A report whose page gives no 发布日期, first seen after its deadline (govmon set up in December): it may
    have been published on time or not. It was 按时发布, a claim nobody can make; it is 已发布，日期不明."""
    page = serve(portal, "undated", tongliao(published=""))  # the page says 发布时间： and no day
    cfg = write_config(tmp_path, [("undated", "通辽市人民政府", "government", page)])
    await poll(cfg, today=AS_OF)
    s = standings(cfg, AS_OF)["undated"]
    assert (s.published, s.timely, s.state) == (None, "unknown", "undated")
    text = admin.status_text(2021, AS_OF.isoformat(), [s], status.totals([s]))
    assert "发布日期不明  通辽市人民政府" in text
    assert "按时发布" not in text
    assert "(首见)" in text  # the day govmon first saw it, said so, not read as its 发布日期 (review 106)


async def test_before_the_deadline_nothing_is_missing_and_a_fixed_report_shows_what_was_resolved(portal, tmp_path):
    cfg = write_config(
        tmp_path,
        [
            ("errors", "错市人民政府", "government", serve(portal, "errors", broken())),
            ("later", "迟县人民政府", "government", serve(portal, "later", None, "迟县人民政府")),
        ],
    )
    before_deadline = date(2022, 3, 20)
    await poll(cfg, today=before_deadline)
    portal.add(
        "/errors/t.html", report_page(tongliao(title="错市2021年政府信息公开工作年度报告", agency="错市人民政府"))
    )
    await poll(cfg, today=before_deadline)
    items = standings(cfg, before_deadline)
    assert items["later"].state == "not_due"
    fixed = items["errors"]
    assert (fixed.state, fixed.versions, fixed.errors) == ("warnings", 2, 0)  # revision.changed is the warning
    assert fixed.resolved
    assert any("自然人" in m for m in fixed.resolved)
    text = admin.status_text(2021, "2022-03-20", list(items.values()), status.totals(list(items.values())))
    assert "已解决：" in text
    assert "未到期限" in text


async def test_a_body_whose_listing_was_never_read_is_not_called_missing(portal, tmp_path):
    """The portal's listing answers 404 on every poll, or holds no report link at all: govmon cannot know whether
    the report is there, so after the deadline the body is 未能检查 with the error under it, not 逾期未发布."""
    cfg = write_config(
        tmp_path,
        [
            ("down", "断县人民政府", "government", f"{portal.base}/nothing-here/"),
            ("empty", "缺县人民政府", "government", f"{portal.base}/empty/"),
            ("missing", "少县人民政府", "government", serve(portal, "missing", None, "少县人民政府")),
        ],
    )
    portal.add("/empty/", listing([]))  # a listing a script draws: no report link in the page govmon reads
    await poll(cfg, today=AS_OF)
    items = standings(cfg, AS_OF)
    assert items["down"].state == "unchecked"
    assert items["down"].source_error
    assert items["empty"].state == "unchecked"  # nothing read is not "nothing published"
    assert "没有找到任何年度报告链接" in (items["empty"].source_error or "")
    assert items["missing"].state == "missing"  # the listing read, the 2021 report not on it
    text = admin.status_text(2021, AS_OF.isoformat(), list(items.values()), status.totals(list(items.values())))
    assert "未能检查" in text
    assert (
        f"门户网站最近一次抓取失败：{portal.base}/nothing-here/：网站返回HTTP 404（页面不存在）" in text
    )  # not English


async def test_rows_stored_before_compression_read_the_same(portal, tmp_path):
    """Versions written by an older govmon hold their report JSON and text as plain text, newer ones zlib: the
    store reads both, so an upgraded service sees the same standings, reports and carry-over."""
    cfg = write_config(
        tmp_path,
        [
            ("ontime", "通辽市人民政府", "government", serve(portal, "ontime", tongliao())),
            ("errors", "错市人民政府", "government", serve(portal, "errors", broken())),
        ],
    )
    await poll(cfg, today=AS_OF)
    store = SqliteStore(cfg.database)  # how SQLite keeps a version's text: its own connection
    try:
        packed = store.db.conn.execute("SELECT typeof(report), typeof(text) FROM versions").fetchall()
        assert set(packed) == {("blob", "blob")}
        before = {k: v.to_json() for k, v in standings(cfg, AS_OF).items()}
        reports = list(store.reports(summaries=True))
        with store.db.conn:
            store.db.conn.execute("UPDATE versions SET report = unpack(report), text = unpack(text)")
        assert store.db.conn.execute("SELECT DISTINCT typeof(report) FROM versions").fetchall() == [("text",)]
        assert {k: v.to_json() for k, v in standings(cfg, AS_OF).items()} == before
        assert list(store.reports(summaries=True)) == reports
        assert before["errors"]["state"] == "errors"
        assert store.report_of("ontime", 2021).year == 2021  # type: ignore[union-attr]
    finally:
        store.close()


def test_a_report_without_its_date_found_before_dawn_in_beijing_is_judged_on_beijings_day():
    """A department's report with no 发布日期, first seen at 04:00 on 1 February in Beijing (20:00 on 31 January in
    UTC, as govmon stamps it): it was found after its deadline, so when it was published is not known; the UTC
    day called it 按时发布."""
    source = config.Source(
        "bureau", "示例市某局", "department", "http://example.gov.cn/nb/", 3600, re.compile("年度报告"), 5
    )
    row = YearReport(
        "bureau",
        "http://example.gov.cn/nb/t.html",
        "示例市某局2022年政府信息公开工作年度报告",
        "2023-01-31T20:00:00+00:00",
        1,
        1,
        None,
        {},
        [],
        None,
    )
    standing = status._standing(source, ("示例市某局", "department"), 2022, row, date(2023, 3, 1), bad=None)
    assert standing.found == "2023-02-01"
    assert standing.timely == "unknown"
