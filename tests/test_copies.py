"""Copied reports (雷同, history.copied): the real reports of the corpus and the seeds against each other,
and reports built from them by moving one real section into another real report."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random
import sqlite3
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from conftest import SEEDS
from portal import listing, settings
from test_watcher import db, poll

from monitor.checks import copies, shingles
from monitor.checks.pipeline import run_rules
from monitor.model import Report
from monitor.reading.report import read_report
from monitor.redact import redact
from monitor.store import NewVersion, open_store
from monitor.store.encoding import PER_BAND, body_name, unpack
from monitor.store.sqlite import prints as logged_prints
from monitor.store.sqlite.schema import MIGRATIONS
from monitor.store.sqlite.store import SqliteStore

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = sorted((SHARED / "corpus").glob("0*")) + sorted((SHARED / "seeds").glob("*.txt"))


def read(path: Path) -> Report:
    return read_report(path.read_bytes(), path.name)


def seed(name: str) -> Report:
    return read(SEEDS[name])


def with_section(report: Report, number: int, lines: list[str]) -> str:
    """The report's text with section ``number``'s lines replaced by ``lines``."""
    first, end = report.sections[number]  # type: ignore[misc]
    return "\n".join([*report.lines[:first], *lines, *report.lines[end:]])


def copied(report: Report, *others: Report, previous: Report | None = None) -> list[dict[str, object]]:
    return [f.to_json() for f in run_rules(report, previous, others=others) if f.rule == "history.copied"]


def section_lines(report: Report, number: int) -> list[str]:
    first, end = report.sections[number]  # type: ignore[misc]
    return report.lines[first:end]


def test_no_two_different_real_reports_are_called_copies():
    """Every pair of real reports that a copy check compares (a body's earlier year, another body's same
    year) shares at most about a quarter of its prose: the formulae every report uses. 洪泽 2024 repeats
    two of 2023's three 改进措施 word for word, 37% of its section 五 and 44% of 一: a careful reader sees
    reuse but not a copied section, and nothing is flagged. 005/006 are one report in two renderings (the
    same body and year): not compared at all."""
    reports = [read(p) for p in REAL]
    for a, b in itertools.permutations(reports, 2):
        if copies.comparable(a, b):
            assert not list(copies.compare(a, b)), (a.input, b.input)
    hongze = {r.year: r for r in reports if r.agency and r.agency.endswith("洪泽区人民政府")}
    assert copies.comparable(hongze[2024], hongze[2023])
    assert 0.3 < copies.share(copies.parts(hongze[2024])["五"], copies.parts(hongze[2023])["五"]) < copies.THRESHOLD
    pingtan = [r for r in reports if r.input.startswith(("005_", "006_"))]
    assert not copies.comparable(*pingtan)


def test_last_years_section_five_repeated_word_for_word_is_flagged_with_its_share():
    """泸州's real 2022 section 五, pasted into another real report as that body's report for the year
    before: the 2022 report is flagged once, on 五, with the share and a sample sentence; 一 and the whole
    prose are not (五 is a small part of the prose)."""
    luzhou = seed("luzhou")
    # (通辽's 2021 report under 泸州's name: the same body's year before, as the history rules need)
    before = read_report(
        with_section(seed("tongliao"), 5, section_lines(luzhou, 5)).replace("通辽市", "泸州市").encode(), "2021.html"
    )
    (found,) = copied(luzhou, previous=before)
    assert found["row"] == "五"
    assert found["actual"] >= 0.95
    assert found["severity"] == "warning"
    assert "第五部分“存在的主要问题及改进情况”有" in found["message"]
    assert "泸州市人民政府2021年度报告" in found["message"]
    assert "例如：“" in found["message"]
    assert copied(luzhou, previous=seed("tongliao")) == []


def test_a_copy_with_this_years_numbers_put_in_is_still_a_copy():
    """泸州's section 一 with other years and numbers, as another body's report for the year before: 一 is
    flagged, and so is the whole prose, since 泸州 writes most of its prose in 一."""
    luzhou = seed("luzhou")
    renumbered = [line.replace("2022", "2021").replace("1", "7") for line in section_lines(luzhou, 1)]
    text = with_section(seed("tianmen"), 1, renumbered).replace("天门市政务服务和大数据管理局", "泸州市")
    before = read_report(text.encode(), "2021.html")
    assert [f["row"] for f in copied(luzhou, previous=before)] == ["一", "全文"]


def test_each_candidate_is_judged_as_if_every_part_were_counted():
    """``copied`` counts a part's shared shingles only where the smaller part could reach the share asked: over
    every pair of the real reports, copies made of them (a section moved into another body's report, with this
    year's numbers put in) and one report in two renderings (005/006), it finds what counting every part finds."""

    def counted_in_full(a: Report, b: Report) -> list[copies.Copy] | None:
        mine, theirs = copies.compared(a), copies.compared(b)
        common = {p: h.common(theirs.held[p]) for p, h in mine.held.items() if p in theirs.held}
        pa, pb, n = mine.held.get("全文"), theirs.held.get("全文"), common.get("全文", 0)
        shares = (n / len(pa), n / len(pb)) if pa and pb else (0.0, 0.0)
        apart = any(at in theirs.cells for at, _ in mine.cells.items() - theirs.cells.items())
        if max(shares) >= copies.SAME and min(shares) >= copies.SAME / 2 and not apart:
            return None
        return [
            copies.Copy(p, k / len(mine.held[p]), copies.sample(mine.texts[p], theirs.texts[p]))
            for p, k in common.items()
            if k / len(mine.held[p]) >= copies.THRESHOLD
        ]

    reports = [read(p) for p in REAL]
    luzhou, tianmen = seed("luzhou"), seed("tianmen")
    renumbered = [line.replace("2022", "2021").replace("1", "7") for line in section_lines(luzhou, 1)]
    made = [
        read_report(with_section(tianmen, 1, renumbered).encode(), "a.html"),
        read_report(with_section(seed("tongliao"), 5, section_lines(luzhou, 5)).encode(), "b.html"),
        read_report(luzhou.text.replace("泸州市", "宜宾市").encode(), "c.html"),
    ]
    outcomes = set()
    for a, b in itertools.permutations(reports + made, 2):
        found = copies.copied(a, b)
        assert found == counted_in_full(a, b), (a.input, b.input)
        outcomes.add("same" if found is None else "copy" if found else "apart")
    assert outcomes == {"same", "copy", "apart"}


def test_the_statutory_preamble_and_the_table_templates_alone_do_not_flag():
    """Two bodies' reports whose only shared prose is the template's preamble, written out in full in
    both sections 一, and the statutory tables' labels: nothing is flagged."""
    preamble = [
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室"
        "关于政府信息公开工作年度报告的有关要求编制。本年度报告由总体情况、主动公开政府信息情况、收到和处理政府信息"
        "公开申请情况、政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六部分组成。"
    ]
    tongliao, tianmen = seed("tongliao"), seed("tianmen")
    a = read_report(with_section(tongliao, 1, preamble + section_lines(tongliao, 1)[:1]).encode(), "a")
    b = read_report(with_section(tianmen, 1, preamble + section_lines(tianmen, 1)[:1]).encode(), "b")
    assert a.year == b.year
    assert not copies.same_body(a, b)
    assert copied(a, b) == []
    assert copied(b, a) == []


def test_the_prints_of_a_copy_share_bands_and_those_of_different_reports_hardly_any():
    luzhou, tongliao = seed("luzhou"), seed("tongliao")
    before = read_report(with_section(tongliao, 5, section_lines(luzhou, 5)).encode(), "x")
    mine, copy, other = set(copies.prints(luzhou)), set(copies.prints(before)), set(copies.prints(tongliao))
    assert len(mine & copy) >= shingles.BANDS // 2  # 五's bands, nearly all of them
    assert len(mine & other) <= 2


def test_each_windows_hash_is_zlibs_crc32_of_its_words():
    """``crcs.window_crcs`` hashes every window at once: each must be zlib's crc32 of the window's UTF-8, for
    characters of one to four bytes (a 生僻字 of CJK Extension B beyond the tables), at the text's ends too."""
    from monitor.checks.crcs import window_crcs  # noqa: PLC0415

    rng = random.Random(28)
    kinds = ["政府信息公开年度报告", "abcXYZ#", "éßΩжא", "\U00020000\U0002a6d6\U0001f600", "\ufffd\uffff\ue000"]
    texts = ["", "政", "政府信息公开"] + [
        "".join(rng.choice(rng.choice(kinds)) for _ in range(rng.randint(1, 40))) for _ in range(300)
    ]
    for text in texts:
        for width in range(1, shingles.SHINGLE + 1):
            expected = [zlib.crc32(text[i : i + width].encode()) for i in range(len(text) - width + 1)]
            assert window_crcs(text, width).tolist() == expected, (text, width)


def test_the_parts_hashes_are_their_shingles_crc32_in_every_real_report():
    """A part's hashes are worked out at numpy's speed (``crcs``), the template's taken out by their words: they must
    be the crc32 of its own shingles as strings, and a part is compared exactly where it has MIN_SHINGLES of them."""
    import monitor.checks.crcs  # noqa: F401, PLC0415  the tables, as the readers' forkserver loads them

    parts = 0
    for path in REAL:
        report = read(path)
        lines, spans = report.text.split("\n"), copies._spans(report)
        texts = {
            "一": "\n".join(lines[spans[0][0] : spans[0][1]]),
            "五": "\n".join(lines[spans[1][0] : spans[1][1]]),
            "全文": "\n".join(line for line in lines if shingles.is_prose(line)),
        }
        held = copies.compared(report).held
        for part, text in texts.items():
            own = shingles.shingles(text)
            assert (part in held) == (len(own) >= shingles.MIN_SHINGLES), (path.name, part)
            if part in held:
                assert held[part].members == {zlib.crc32(s.encode()) for s in own}, (path.name, part)
                parts += 1
    assert parts >= 20


def test_the_prints_are_datasketchs_minhash_of_every_real_report():
    """copies.py computes MinHash itself (importing datasketch costs every reader scipy): its band hashes must be
    the ones datasketch's MinHash gives (crc32 of each shingle, its default scheme), so prints stored by earlier
    versions keep matching. Every real report of the corpus and the seeds, every part of each."""
    from datasketch import MinHash  # noqa: PLC0415  only here: govmon itself does not import it

    def theirs(report: Report) -> list[int]:
        out = []
        for part, text in copies.parts(report).items():
            m = MinHash(num_perm=shingles.BANDS * shingles.ROWS, hashfunc=zlib.crc32)
            m.update_batch([s.encode() for s in shingles.shingles(text)])
            for band in range(shingles.BANDS):
                chunk = m.hashvalues[band * shingles.ROWS : (band + 1) * shingles.ROWS].astype("<u4").tobytes()
                out.append(
                    struct.unpack("<q", hashlib.blake2b(f"{part}{band}".encode() + chunk, digest_size=8).digest())[0]
                )
        return out

    compared = 0
    for path in REAL:
        if path.suffix in (".html", ".txt", ".md"):
            report = read_report(path.read_bytes(), path.name)
            mine = copies.prints(report)
            assert mine == theirs(report), path.name
            compared += bool(mine)
    assert compared >= 8  # the real reports with prose enough to print


async def test_the_watcher_flags_a_report_that_copies_another_bodys_of_the_same_year(portal, tmp_path):
    """Two bodies on a real local portal. 天门's 2021 report with 通辽's real section 五 in place of its own:
    polled after 通辽's, it carries one history.copied naming 通辽's report and its address."""
    tongliao, tianmen = seed("tongliao"), seed("tianmen")
    portal.add("/a/", listing([("t.html", "通辽市2021年政府信息公开工作年度报告")]))
    portal.add("/a/t.html", SEEDS["tongliao"].read_bytes(), content_type="text/plain")
    portal.add("/b/", listing([("t.html", "天门市政务服务和大数据管理局2021年政府信息公开工作年度报告")]))
    portal.add("/b/t.html", with_section(tianmen, 5, section_lines(tongliao, 5)), content_type="text/plain")
    cfg = settings(
        tmp_path, [("tongliao", "government", f"{portal.base}/a/"), ("tianmen", "department", f"{portal.base}/b/")]
    )
    await poll(cfg, ids=["tongliao"])
    await poll(cfg, ids=["tianmen"])
    store = db(cfg)
    try:
        found = {d.source: d.latest.findings for d in store.reports() if d.latest}
    finally:
        store.close()
    con = sqlite3.connect(cfg.database)  # the prints are SQLite's own table: each version's are kept
    (prints,) = con.execute(
        "SELECT count(*) FROM (SELECT version_id FROM prints UNION SELECT version_id FROM prints_log)"
    ).fetchone()
    con.close()
    assert prints == 2
    assert not [f for f in found["tongliao"] if f.rule == "history.copied"]
    (copy,) = [f for f in found["tianmen"] if f.rule == "history.copied"]
    assert copy.row == "五"
    assert "通辽市人民政府2021年度报告" in copy.message
    assert f"{portal.base}/a/t.html" in copy.message


def _version(source: str, year: int, keys: list[int]) -> NewVersion:
    body = f"{source} {year}".encode()
    return NewVersion(
        source=source,
        url=f"http://portal.test/{source}/{year}.html",
        title=f"{source} {year}",
        year=year,
        raw=body,
        sha256=source + str(year),
        content_hash=source + str(year),
        content_type="text/html",
        report=Report(input=source, text=f"{source} {year}", year=year),
        findings=[],
        diff=None,
        etag=None,
        last_modified=None,
        prints=keys,
    )


def _steps(store: SqliteStore, call: Callable[[], object]) -> int:
    """The SQLite virtual-machine steps ``call`` takes, in thousands: a measure of work, not of time (of the
    SQLite store's own connection)."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store.db.conn.set_progress_handler(count, 1000)
    try:
        call()
    finally:
        store.db.conn.set_progress_handler(None, 0)
    return steps[0]


def test_finding_the_reports_one_may_copy_costs_the_same_with_40_or_400_copies_of_one_template(tmp_path):
    """One template copied across a province: every report shares every band. Looking for a new report's
    candidates reads a bounded number per band, so the 401st report costs what the 41st did; it still
    finds the oldest copies of the same year, and the source's own earlier year, never its own same year."""
    keys = list(range(126))  # 42 bands × 3 parts, all shared
    store = SqliteStore(tmp_path / "govmon.db")
    try:
        store.save_version(_version("me", 2020, keys))
        store.save_version(_version("me", 2021, keys))
        for n in range(40):
            store.save_version(_version(f"s{n:03}", 2021, keys))
        few = _steps(store, lambda: store.similar("me", 2021, keys))
        for n in range(40, 400):
            store.save_version(_version(f"s{n:03}", 2021, keys))
        many = _steps(store, lambda: store.similar("me", 2021, keys))
        found = [(r.input, r.year) for r in store.similar("me", 2021, keys, limit=30)]
    finally:
        store.close()
    assert many < 2 * few + 2
    assert ("me", 2020) in found
    assert ("me", 2021) not in found
    oldest = {f"s{n:03}" for n in range(PER_BAND + 2)}  # a band reads PER_BAND more than the source's own 2
    assert {s for s, y in found if s != "me"} <= oldest


def test_prints_stored_before_they_were_kept_by_year_are_moved_with_their_year(tmp_path):
    """A database of schema 5 (prints without their year): after the upgrade its reports are still found."""
    path = tmp_path / "govmon.db"
    con = sqlite3.connect(path)
    for n, sql in enumerate(MIGRATIONS[:5], start=1):
        con.executescript(f"BEGIN; {sql}; PRAGMA user_version = {n}; COMMIT;")
    con.execute("INSERT INTO documents (id, source, url, year, first_seen) VALUES (1, 'a', 'u', 2021, 'x')")
    con.execute(
        "INSERT INTO versions (id, document_id, fetched_at, sha256, content_hash, raw, text, report, findings) "
        "VALUES (1, 1, 'x', 'h', 'h', x'', 'text of a', '{\"source\": \"a\"}', '[]')"
    )
    con.executemany("INSERT INTO prints (version_id, key) VALUES (1, ?)", [(k,) for k in range(10)])
    con.commit()
    con.close()
    store = open_store(path)
    try:
        (found,) = store.similar("b", 2021, [3, 4, 99])
    finally:
        store.close()
    con = sqlite3.connect(path)
    moved = con.execute("SELECT count(*), min(year) FROM prints").fetchone()
    con.close()
    assert found.text == "text of a"  # the schema-5 report, with its text (its JSON holds nothing a Report keeps)
    assert moved == (10, 2021)


def _answers(path: Path) -> list[list[tuple[str, int | None]]]:
    """60 versions (30 documents, each replaced once) with overlapping band hashes, then the candidates of 12
    reports: as a store answers them, and as a second store on the same file (another process) does."""
    rng = random.Random(28)
    store, other = SqliteStore(path), None
    try:
        for n in range(60):
            keys = rng.sample(range(200 + 5 * n), 126)  # later ones draw from a wider pool: fewer shared
            store.save_version(_version(f"s{n % 10:03}", 2020 + n % 3, keys))
        other = SqliteStore(path)
        asked = [(f"s{q:03}", 2020 + q % 3, rng.sample(range(400), 126)) for q in range(12)]
        return [[(r.input, r.year) for r in s.similar(*a, limit=8)] for s in (store, other) for a in asked]
    finally:
        store.close()
        if other:
            other.close()


def test_candidates_are_the_same_whether_the_prints_are_logged_folded_or_both(tmp_path, monkeypatch):
    """A new report's prints are appended to a log folded into the index every FOLD reports (sqlite/prints.py):
    folding after every report (every print in the index, the layout before), never (all in the log) or every
    7 reports gives the same candidates in the same order, to this store and to another on the same file."""
    answers = {}
    for fold in (1, 7, 10**6):
        monkeypatch.setattr(logged_prints, "FOLD", fold)
        answers[fold] = _answers(tmp_path / f"fold{fold}.db")
    assert answers[1] == answers[7] == answers[10**6]
    assert sum(len(a) for a in answers[1]) > 24  # most reports have candidates
    con = sqlite3.connect(tmp_path / "fold7.db")
    logged, indexed = (
        con.execute(f"SELECT count(DISTINCT version_id) FROM {t}").fetchone()[0] for t in ("prints_log", "prints")
    )
    con.close()
    assert logged > 0  # both hold prints at the end
    assert indexed > 0


def test_prints_of_schema_10_are_kept_in_the_index_ordered_by_year(tmp_path):
    """A database of schema 10 (prints keyed by band hash first): after the upgrade the same rows are in the
    index, and its reports are still found."""
    path = tmp_path / "govmon.db"
    con = sqlite3.connect(path)
    for name, fn in (("redact", redact), ("body_name", body_name), ("unpack", unpack)):  # as the store gives them
        con.create_function(name, 1, fn)
    for n, sql in enumerate(MIGRATIONS[:10], start=1):
        con.executescript(f"BEGIN; {sql}; PRAGMA user_version = {n}; COMMIT;")
    con.execute("INSERT INTO documents (id, source, url, year, first_seen) VALUES (1, 'a', 'u', 2021, 'x')")
    con.execute(
        "INSERT INTO versions (id, document_id, fetched_at, sha256, content_hash, raw, text, report, findings) "
        "VALUES (1, 1, 'x', 'h', 'h', x'', 'text of a', '{\"source\": \"a\"}', '[]')"
    )
    con.executemany("INSERT INTO prints (key, year, version_id) VALUES (?, 2021, 1)", [(k,) for k in range(10)])
    con.commit()
    before = sorted(con.execute("SELECT key, year, version_id FROM prints"))
    con.close()
    store = open_store(path)
    try:
        (found,) = store.similar("b", 2021, [3, 4, 99])
    finally:
        store.close()
    con = sqlite3.connect(path)
    after = sorted(con.execute("SELECT key, year, version_id FROM prints"))
    con.close()
    assert found.text == "text of a"
    assert after == before


def test_what_a_reader_works_out_for_the_copy_checks_is_what_the_watcher_would():
    """The watcher is given, with a page read in a reader process, what its copy checks compare (worked out with
    its prints there, not a second time): the same texts, shingle hashes and cells as the watcher's own
    ``compared`` of the report, for every real page and text; and a report whose text is then changed is
    worked out again, never compared as it was."""

    from monitor import reading  # noqa: PLC0415
    from monitor.watch.prepared import prepared  # noqa: PLC0415

    seen = 0
    for path in REAL:
        if path.suffix not in (".html", ".txt"):
            continue
        page, ready = reading.read_page_and(prepared, path.read_bytes(), path.name)
        mine = copies.compared(dataclasses.replace(page))  # a copy: worked out here
        assert ready.compared == mine, path.name
        seen += bool(mine.held)
        copies.remember(page, ready.compared)
        page.text = page.text.replace("政府信息", "政务信息")
        assert copies.compared(page) == copies.compared(dataclasses.replace(page))
        assert copies.compared(page) != mine or not mine.held, path.name
    assert seen >= 8


def test_one_cell_read_in_both_with_another_number_tells_two_renderings_apart():
    """``same_report``'s cells: the same prose and every cell read in both alike is one report rendered twice; a cell
    only one of them read (a PDF's row lost at a page break) does not tell them apart, one number that differs
    does (a body's next draft)."""
    mine = copies.compared(seed("tongliao"))
    prose = len(mine.held["全文"])
    place, number = next(iter(mine.cells.items()))
    fewer = {k: v for k, v in mine.cells.items() if k != place}
    for cells, same in ((dict(mine.cells), True), (fewer, True), ({**mine.cells, place: number + 1}, False)):
        theirs = copies.Compared(mine.texts, mine.held, cells)
        assert copies._same(mine, theirs, prose) is same
        assert copies._same(theirs, mine, prose) is same


def test_reports_compared_again_and_again_are_watched_once_each(monkeypatch):
    """More live reports than are kept worked out (a folder of reports checked together, a store's decoded
    candidates): each is worked out again when asked after it was let go of, but its end is watched once, so
    nothing grows while they live; and all is let go of when they end."""
    monkeypatch.setattr(copies, "KEPT", 4)
    reports = [read(p) for p in REAL if p.suffix in (".html", ".txt")][:10]
    for _ in range(5):
        for a, b in itertools.combinations(reports, 2):
            copies.same_report(a, b)
    import gc  # noqa: PLC0415
    import weakref  # noqa: PLC0415

    def watching(among: list[Report]) -> int:  # the finalizers that will forget one of these reports
        live = [f.peek() for f in gc.get_objects() if isinstance(f, weakref.finalize) and f.alive]
        return sum(1 for got in live if got is not None and any(got[0] is r for r in among))

    assert len(copies._COMPARED) <= 4
    assert watching(reports) == len(reports)
    ids = {id(r) for r in reports}
    del a, b, reports
    gc.collect()
    assert not copies._WATCHED & ids
