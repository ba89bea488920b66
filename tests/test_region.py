"""A government's report against its region (issue #27, region.parts): where a government's report says its
figures are its whole region's (全区共收到70件申请), the monitored bodies of its region cannot together have more
than the whole. Real pages on a real local portal, polled into a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from conftest import SEEDS
from portal import listing
from test_bodies import _config, _stored, db  # noqa: F401  (db: the fixture, once per store)
from test_watcher import poll

from monitor.checks.pipeline import region_findings
from monitor.checks.region import says_whole_region
from monitor.model.bodies import within
from monitor.reading.report import read_report
from monitor.store import open_store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _read(name: str):
    return read_report((CORPUS / name).read_bytes(), name)


def test_what_real_reports_say_of_their_scope():
    """A whole region's figures, in the words real reports use; a department's own (我局收到…) never."""
    said = {
        "005_pingtan_zone_2021.html": "全区共收到70件",
        "003_huaian_city_gov_2024.pdf": "全市共受理政府信息公开申请3119件",
        "001_huaian_hongze_district_2023.pdf": "全区受理政府信息公开申请21件",
    }
    for name, words in said.items():
        assert says_whole_region(_read(name)) == words
    assert says_whole_region(read_report(SEEDS["luzhou"].read_bytes(), "x")) == "全市共接收并处理信息公开申请965件"
    for name in ("010_pingtan_public_security_bureau_2024.html", "008_shuyang_county_ndrc_2023.txt"):
        assert says_whole_region(_read(name)) is None  # 我局收到…共计8件: the bureau's own
    assert says_whole_region(_read("002_huaian_hongze_district_2024.pdf")) is None  # its prose does not say


def test_a_body_is_in_a_region_only_where_its_name_says_so():
    assert within("平潭综合实验区人民政府", "平潭综合实验区公安局")
    assert within("淮安市人民政府", "淮安市洪泽区人民政府")
    assert not within("淮安市人民政府", "洪泽区人民政府")  # the name does not say: not counted
    assert not within("通辽市人民政府", "泸州市人民政府")
    assert not within("淮安市人民政府", "淮安市人民政府")


def test_a_city_whose_parts_are_within_it_is_not_told():
    """淮安市 2024 (全市共受理3119件) and its district 洪泽区's 2024 report (95): the part within the whole."""
    whole, part = _read("003_huaian_city_gov_2024.pdf"), _read("002_huaian_hongze_district_2024.pdf")
    assert region_findings(whole, (part,)) == []
    assert region_findings(part, (whole,)) == []  # 洪泽区 2024 does not say it is its region's whole


def _bureau_2021() -> bytes:
    """平潭综合实验区社会事业局's real 2023 report page, its years moved to 2021 (the zone's report year in the
    corpus): its figures as published (本年新收 1; 行政诉讼 未经复议直接起诉 4, 复议后起诉 1)."""
    page = (CORPUS / "009_pingtan_social_affairs_bureau_2023.html").read_bytes().decode("utf-8")
    return page.replace("2024", "2022").replace("2023", "2021").encode("utf-8")


async def test_a_zone_whose_report_has_fewer_suits_than_its_bureau_is_warned(portal, tmp_path, db):  # noqa: F811
    """平潭综合实验区 2021 says 全区共收到70件申请 and counts 0 行政诉讼 after review (复议后起诉); its 社会事业局's
    2021 report counts 1: the whole is less than a part. A warning (the scope is the author's), naming the
    rostered 公安局 whose 2021 report is not found; 本年新收 (70 against 1) and direct suits (12 against 4) hold."""
    portal.add("/zone/a.html", (CORPUS / "005_pingtan_zone_2021.html").read_bytes())
    portal.add("/zone/b.html", _bureau_2021())
    portal.add(
        "/zone/",
        listing(
            [
                ("a.html", "平潭综合实验区2021年政府信息公开工作年度报告"),
                ("b.html", "平潭综合实验区社会事业局2021年政府信息公开工作年度报告"),
            ]
        ),
    )
    roster = (
        'bodies = [{name = "平潭综合实验区人民政府", kind = "government"},\n'
        '  {name = "平潭综合实验区社会事业局", kind = "department"},\n'
        '  {name = "平潭综合实验区公安局", kind = "department"}]\n'
    )
    cfg = _config(tmp_path, f"{portal.base}/zone/", roster, db=db)
    (result,) = await poll(cfg, today=date(2022, 5, 1))
    assert result.error is None
    assert not result.problems, result.problems
    got = _stored(cfg)
    assert [f for f in got["b.html"][2] if f.rule == "region.parts"] == []  # the bureau says no region
    (told,) = [f for f in got["a.html"][2] if f.rule == "region.parts"]
    assert (told.severity, told.table, told.row, told.actual) == ("warning", "appeals", "suit_after_review", 0)
    assert "全区共收到70件" in told.message
    assert "少于辖区内1个单位的同年报告之和1（平潭综合实验区社会事业局1），相差1" in told.message
    assert "尚未找到平潭综合实验区公安局的同年报告" in told.message
    store = open_store(cfg)
    try:
        events = [e.event for e in store.events() if e.event.kind == "new_finding"]
    finally:
        store.close()
    assert [e.payload.finding_keys for e in events] == [(told.key,)]  # told once, like a new error
    await poll(cfg, today=date(2022, 5, 1))  # nothing new: not checked nor told again
    store = open_store(cfg)
    try:
        assert len([e for e in store.events() if e.event.kind == "new_finding"]) == 1
    finally:
        store.close()


async def test_no_check_across_reports_fires_on_the_corpus_and_the_seeds(portal, tmp_path):
    """Every real report of the corpus and the seeds on one county's listing, polled twice: these are real
    published reports of different bodies and years; none repeats a year's tables, was listed after a read that
    lacked it, or has fewer requests than a body within its region."""
    kinds = {".pdf": "application/pdf", ".html": "text/html", ".txt": "text/plain", ".md": "text/plain"}
    files = [f for f in (*sorted(CORPUS.iterdir()), *SEEDS.values()) if f.suffix in kinds and f.name != "README.md"]
    links = []
    for n, f in enumerate(files):
        name = f"r{n}{'.pdf' if f.suffix == '.pdf' else '.html'}"
        charset = None if f.suffix == ".pdf" else "utf-8"
        portal.add(f"/all/{name}", f.read_bytes(), content_type=kinds[f.suffix], charset=charset)
        report = read_report(f.read_bytes(), f.name)
        links.append((name, report.title or f"{report.year}年政府信息公开工作年度报告"))
    portal.add("/all/", listing(links))
    cfg = _config(tmp_path, f"{portal.base}/all/", db="govmon.db")
    for _ in range(2):
        await poll(cfg, today=date(2025, 4, 15))
    got = _stored(cfg)
    assert len(got) >= len(files) - 1  # 006 is 005 as a crawler saw it: one report, stored once
    across = ("history.same_tables", "timeliness.backdated", "region.parts", "history.carry_over")
    assert [(n, f.message) for n, (_, _, found) in got.items() for f in found if f.rule in across] == []


def test_check_compares_a_regions_draft_with_its_bodies_reports_given_beside_it(tmp_path, check_json):
    """Staff checking the zone's report with the bureau's report of the same year: the same warning, in
    `govmon check` (the bureau's own report is not a region's and is not compared)."""
    bureau = tmp_path / "bureau.html"
    bureau.write_bytes(_bureau_2021())
    code, (zone, other) = check_json(str(CORPUS / "005_pingtan_zone_2021.html"), str(bureau))
    assert code == 0
    told = [f for f in zone["findings"] if f["rule"] == "region.parts"]
    assert [(f["row"], f["actual"]) for f in told] == [("suit_after_review", 0)]
    assert not [f for f in other["findings"] if f["rule"] == "region.parts"]


def test_a_district_beside_its_own_departments_is_not_counted_twice():
    """On a city's listing, a district's report (洪泽区 2024, which does not say it is its region's) and a department
    within that district: the district is a whole of the other part, so only the department counts."""
    city = _read("003_huaian_city_gov_2024.pdf")
    district = _read("002_huaian_hongze_district_2024.pdf")  # 淮安市洪泽区人民政府: 本年新收 95
    bureau = read_report(_bureau_2021(), "b")
    bureau.agency, bureau.year = "淮安市洪泽区社会事业局", 2024
    city.tables["applications"].rows["new"]["total"] = replace(
        city.tables["applications"].rows["new"]["total"], number=95
    )
    # the whole 95 holds the district's 95 alone; counted with its own bureau (1) it would seem exceeded
    assert not [f for f in region_findings(city, (district, bureau)) if f.row == "new"]
    assert [f.row for f in region_findings(city, (bureau,))] == []  # 1 <= 95
