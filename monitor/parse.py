"""Stage: parse. A Document -> the Report model.

The six statutory parts are found by what their headings say, not by their numeral: table
rows reuse 一、二、三、四, and some reports number their narrative differently and head the
tables 一/二/三, so a heading counts for the part its words name. A body on one line (crawler
output) has its headings found inline; Markdown marks and PDF page footers are dropped.

The statutory tables are found by their content: grids (HTML, DOCX) are classified by their
words and read by ``grid.py``; text is tokenised by ``tables.py`` in each region whose heading
names the table's part, and the best reading wins. Metadata (title, agency, year covered,
发布时间, kind) comes from the CMS ``<meta>`` first, then from the page's own head lines.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

from monitor.errors import InputError
from monitor.extract import extract
from monitor.grid import classify, read_active_grids, read_appeals_grids, read_applications_grids
from monitor.model import (
    CN_DIGITS,
    DEFAULT_LINK_PATTERN,
    IMAGE_MARK,
    SECTION_NAMES,
    UNREAD_PAGE,
    YEAR,
    Document,
    Grid,
    Report,
    Table,
)
from monitor.normalise import normalise_document
from monitor.statute import parts_of
from monitor.tables import ATTACHMENT, read_active, read_appeals, read_applications

_NOT_HEADING = (
    "新收",
    "上年结转",
    "结转下年",
    "办理结果",
    "数量",
    "予以公开",
    "|",
)  # table row labels: 一、二、三、四、
_NUMERALS = "一二三四五六七八九十"
_FIRST = set(_NUMERALS) | {name[0] for name in SECTION_NAMES.values()} | set("政第(0123456789")
_HEADING = re.compile(r"^([一二三四五六七八九十]{1,2})(?:\s*[、.,:．]\s*|\s+)(.{1,40})$")  # 一、总体情况; 一 总体情况
_HEADED_LINE = re.compile(r"^([一二三四五六])\s*、\s*([^。:]{2,40})[。:]")  # 六、其他需要报告的事项。本年度…
# Other numberings of the parts (1.总体情况, 第一部分 总体情况, (一)总体情况): headings only where three or more
# of one numbering name parts in order, as a report's structure does (a sub-item "1.…" alone is not a part).
_OTHER_NUMBERINGS = (
    re.compile(r"^(\d{1,2})\s*[、.．]\s*(.{2,40})$"),
    re.compile(r"^第([一二三四五六七八九十]{1,2})部分\s*[、.:]?\s*(.{2,40})$"),
    re.compile(r"^\(([一二三四五六])\)\s*(.{2,40})$"),
)
_WORD = re.compile(r"[\u4e00-\u9fff\w]")
_SUBHEADING5 = re.compile(r"\((一|1)\)\s*(存在的?)?主要问题")
# A part heading standing mid-line in a body on one line (crawler text): its numeral, then up to 36 characters
# ending in the word a heading ends with; what it names is decided by its words (``statute.part_of``).
_INLINE = re.compile(
    r"(?<=\S)\s*([一二三四五六])\s*、\s*([^\s\d。,:;()]{0,36}(?:情况|事项|措施|计划|问题|概述|概况|打算|安排))"
)
_FOOTER = re.compile(r"^[-—–]+\s*\d{1,3}\s*[-—–]+$|^第\s*\d+\s*页(\s*[,/]?\s*共\s*\d+\s*页)?$")  # — 1 —
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MARKUP_START = set("#—-–第|:")  # lines that may be Markdown marks, separator rows or page footers
_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_YEAR = YEAR.pattern
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_LABEL = re.compile(r"(发布时间|发布日期|发文日期|公开日期|日期|时间)")
_PLACE = re.compile(r"(省|市|县|区|旗|州|盟|镇|乡)$")
_AGENCY = re.compile(r"(人民政府|政府|办公室|办公厅|局|委员会|委|厅|中心|院|署|办|所|站|队)$")
_REPORT_PHRASE = re.compile(
    r"(政府)?(信息公开|政务公开)(工作)?(年度)?(报告|年报)|年度(政府)?(信息公开|政务公开)(工作)?报告"
)
_TITLE = re.compile(DEFAULT_LINK_PATTERN)
_LEGACY = re.compile(r"政府信息公开(情况)?统计表|指标名称.{0,40}计量单位")


def _named(text: str) -> tuple[int, ...]:
    """The parts a heading's words name: one, or two where one heading holds 五 and 六. A table row label
    (一、本年新收…数量) names none."""
    parts = parts_of(re.sub(r"\s+", "", text))
    if any(n in (2, 3, 4) for n in parts) and any(w in text for w in _NOT_HEADING):
        return ()
    return parts


def _heading(line: str) -> tuple[int, ...]:
    """The parts a heading line names ("四、政府信息公开行政法复议" is 四), or () for any other line."""
    if len(line) > 400 or line.lstrip("* ")[:1] not in _FIRST:
        return ()
    text = line.strip().strip("*").strip()
    m = _HEADING.match(text) if len(text) <= 60 else None
    if m:
        return _named(m.group(2))
    m = _HEADED_LINE.match(text)
    if m:  # the heading, and its part's one sentence in the same paragraph
        return _named(m.group(2))
    bare = re.sub(r"[\s()]", "", text)
    for number, name in SECTION_NAMES.items():
        if bare in (name, "政府信息公开工作" + name, "政府信息公开" + name):
            return (number,)
    return ()


def _other_numberings(lines: list[str], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Headings numbered otherwise than 一、 (1.总体情况, 第一部分, (一)): those of one numbering whose parts, with
    the 一、 headings found, stand in the order of the parts and add parts the others do not name (a sub-item
    "2.主动公开情况" inside part 一 breaks the order and is not a heading)."""
    for numbering in _OTHER_NUMBERINGS:
        other = []
        for i, line in enumerate(lines):
            m = numbering.match(line.strip()) if line and len(line) <= 60 else None
            if m and (parts := _named(m.group(2))):
                other += [(i, n) for n in parts]
        merged = [n for _, n in sorted({*found, *other})]
        if {n for _, n in other} - {n for _, n in found} and all(a < b for a, b in itertools.pairwise(merged)):
            return other
    return []


def headings(lines: list[str]) -> list[tuple[int, int]]:
    """(line, part) of every part heading, without a table of contents or a preamble's list of the parts:
    a run of three or more headings a line or two apart whose parts come again further down, or of four or
    more with nothing between them."""
    found = [(i, n) for i, line in enumerate(lines) if line for n in _heading(line)]
    if len({n for _, n in found}) < 6:
        found = sorted({*found, *_other_numberings(lines, found)})
    runs: list[list[tuple[int, int]]] = []
    for item in found:
        if runs and item[0] - runs[-1][-1][0] <= 3 and item[1] > runs[-1][-1][1]:
            runs[-1].append(item)
        else:
            runs.append([item])
    out: list[tuple[int, int]] = []
    for k, run in enumerate(runs):
        later = {n for r in runs[k + 1 :] for _, n in r}
        listed = len(run) >= 4 and not any(  # the parts named one after another, only punctuation between them
            _WORD.search(lines[k]) for a, b in itertools.pairwise(run) for k in range(a[0] + 1, b[0])
        )
        if (len(run) < 3 or len({n for _, n in run} & later) < 3) and not listed:
            out.extend(run)
    if not any(n == 5 for _, n in out):  # 五 told only by its sub-headings: "(一)主要问题" … "(二)改进情况"
        sub = next((i for i, line in enumerate(lines) if _SUBHEADING5.search(line.strip()[:80])), None)
        if sub is not None:
            out = sorted([*out, (sub, 5)])
    return out


Stretch = tuple[int, int, int]  # (first line, end line, part) under one heading


def stretches(lines: list[str]) -> list[Stretch]:
    """Every heading's stretch of lines, to the next heading of any part."""
    found = headings(lines)
    ends = [found[k + 1][0] if k + 1 < len(found) else len(lines) for k in range(len(found))]
    return [(start + 1, max(start + 1, end), n) for (start, n), end in zip(found, ends, strict=True)]


def find_sections(lines: list[str], parts: list[Stretch] | None = None) -> dict[int, tuple[int, int] | None]:
    """Each part's (first line, end line): the stretch under its first heading."""
    spans: dict[int, tuple[int, int] | None] = dict.fromkeys(range(1, 7))
    for start, end, number in stretches(lines) if parts is None else parts:
        if spans[number] is None:
            spans[number] = (start, end)
    return spans


def _inline_heading(m: re.Match[str]) -> str:
    """A heading found mid-line, on a line of its own, when its words name a part (not a table row label)."""
    name = m[2]
    if not _named(name):
        return m[0]
    return f"\n{m[1]}、{name}\n"


def clean_lines(text: str) -> list[str]:
    """Lines as a reader sees them: Markdown marks, separator rows and page footers dropped, a body
    on one line broken at its part headings."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) > 1000 and _INLINE.search(line):  # a whole body on one line, not a sentence listing the parts
            out.extend(part.strip() for part in _INLINE.sub(_inline_heading, line).split("\n"))
            continue
        if not line or (line[0] not in _MARKUP_START and "**" not in line):
            out.append(line)
            continue
        plain = _MD_HEADING.sub("", line).replace("**", "")
        out.append("" if _FOOTER.match(plain) or _MD_RULE.match(plain) else plain)
    return out


def _to_year(text: str) -> int:
    return int(text.translate(CN_DIGITS))


_NOT_TITLE = re.compile(r"[,;。《》<>]|^(根据|按照|本报告|上一篇|下一篇|相关|推荐)")  # a sentence, a link to another


def _page_title(html_title: str | None) -> str | None:
    for part in re.split(r"\s*[_|\-–—]\s*", html_title or ""):
        if _TITLE.search(part):
            return part.strip()
    return None


def find_title(lines: list[str], html_title: str | None) -> str | None:
    """The report's title: the page's own <title> where it names the report (a sidebar's links to other years'
    reports come before the article), else the first title-like line of the head (a title set on two lines is
    joined), never a line of a sentence."""
    own = _page_title(html_title)
    previous = ""
    first = None
    for k, line in enumerate(lines[:80]):
        text = line.strip()
        nxt = lines[k + 1].strip() if k + 1 < len(lines) else ""
        broken = not _TITLE.search(text) and not _TITLE.search(nxt) and _TITLE.search(text + nxt)
        if broken and len(text) <= 40 and len(nxt) <= 20:
            text += nxt  # a title broken over two lines: "2024 年上海市科委政府信息公开工作" / "年度报告"
        if _TITLE.search(text) and len(text) <= 60 and not _NOT_TITLE.search(text) and "|" not in text:
            title = re.sub(r"^(标题|题目)\s*:\s*", "", text)
            two_lines = re.match(r"^(19|20)\d{2}\s*年", title) and len(previous) <= 30
            if two_lines and (_AGENCY.search(previous) or _PLACE.search(previous)):
                title = previous + title  # a title set on two lines: "淮安市人民政府" / "2024 年…年度报告"
            if own is None or re.sub(r"\s+", "", own) in re.sub(r"\s+", "", title):
                return title
            first = first or (title if k < 40 else None)
        if text:
            previous = text
    return own or first


def find_published(lines: list[str], head_end: int) -> date | None:
    """The date from a 发布时间/发布日期/日期 field in the page head, else None."""
    head = list(lines[: max(head_end, 1)][:80])
    for priority in (re.compile(r"发布(时间|日期)|公开日期"), _DATE_LABEL, re.compile(r"来源")):
        for i, line in enumerate(head):
            if not priority.search(line):
                continue
            window = [line, *[x for x in head[i + 1 : i + 6] if x.strip()][:2]]
            for text in window:
                m = _DATE.search(text)
                if m and (text is line or len(text) <= 25):
                    try:
                        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                    except ValueError:
                        continue
    return None


def find_year(title: str | None, text: str, published: date | None, section1: str) -> int | None:
    if title:
        m = re.search(_YEAR, title)
        if m:
            return _to_year(m.group(1))
    m = re.search(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(起)?\s*(至|到|-)", text)
    if m:
        return int(m.group(1))
    if published:
        return published.year - 1
    m = re.search(r"((?:19|20)\d{2})年", section1)
    return int(m.group(1)) if m else None


_NOT_A_BODY = re.compile(r"\d|网站|门户|网$|平台|频道|APP|客户端|微信|微博")


def body_name(text: str | None) -> str | None:
    """A name that can be a publishing body's (ends as a body's name does, has no digits, is not a site's), or
    None: a crawler's "发布机构: 1", a blank field or "XX政府网" are not bodies."""
    name = re.sub(r"\s+", "", text or "").strip(":：")
    if not 2 <= len(name) <= 40 or not re.search(r"[\u4e00-\u9fff]", name) or _NOT_A_BODY.search(name):
        return None
    if _PLACE.search(name):
        return name + "人民政府"
    return name if _AGENCY.search(name) else None


def _agency_fields(lines: list[str], head_end: int) -> list[str]:
    """The page's own fields naming its body, in the order a reader trusts them: 发布机构/发文机关, then 来源."""
    head = lines[: max(head_end, 1)][:80]
    found: list[str] = []
    for label in (r"发布机构|发文机关|发布单位", r"(信息)?来源"):
        for i, line in enumerate(head):
            m = re.search(rf"(?:{label})\s*[:|]\s*([^|:\s]+)", line)
            if m:
                found.append(m.group(m.lastindex or 1))
            elif re.fullmatch(rf"(?:{label})\s*:?\s*", line.strip()):
                nxt = next((x.strip() for x in head[i + 1 : i + 4] if x.strip()), "")
                if ":" not in nxt:
                    found.append(nxt)
    return found


def title_body(title: str | None) -> str | None:
    """The body a report's title names: "平潭综合实验区公安局2024年…报告" is 平潭综合实验区公安局."""
    if not title:
        return None
    name = re.sub(_YEAR + r"度?", "", title)
    return body_name(_REPORT_PHRASE.split(name)[0].strip(" :"))


def choose_body(named: str | None, fields: list[str]) -> str | None:
    """The title's body, unless a field names the same body more fully (区公安局 is 平潭综合实验区公安局 when the
    title says so; the title wins over a field naming another); without a title's body, the first field that is
    a body's name."""
    bodies = [b for b in map(body_name, fields) if b]
    if named is None:
        return bodies[0] if bodies else None
    fuller = [b for b in bodies if b.endswith(named) and len(b) > len(named)]
    return fuller[0] if fuller else named


def find_agency(lines: list[str], title: str | None, head_end: int, meta_source: str = "") -> str | None:
    """The publishing body from the title, the page's 发布机构/来源 fields and its CMS metadata, cross-checked."""
    return choose_body(title_body(title), [*_agency_fields(lines, head_end), meta_source])


def infer_kind(agency: str | None) -> str | None:
    """government or department by the body's name; None for a government's office (政府办, 办公室): it publishes
    the government's report and its own, and which one this is the name does not say."""
    if not agency or re.search(r"(政府办|办公室|办公厅|党政办)$", agency):
        return None
    if agency.endswith("人民政府") or re.search(r"(街道办事处|街道)$", agency):
        return "government"
    return "department" if _AGENCY.search(agency) else None


DOUBT_OCR = "由图片OCR识别"
_PART_TABLES = {2: "active", 3: "applications", 4: "appeals"}
_RANK = {"parsed": 3, "ambiguous": 2, "image": 1, "missing": 0}
_READERS = {
    "active": (2, read_active, read_active_grids),
    "applications": (3, read_applications, read_applications_grids),
    "appeals": (4, read_appeals, read_appeals_grids),
}


def _best(readings: list[Table]) -> Table:
    return max(readings, key=lambda t: (_RANK[t.status], len(t.rows)), default=Table("missing"))


def read_tables(lines: list[str], grids: list[Grid], parts: list[Stretch]) -> dict[str, Table]:
    """Each statutory table: from the grids that hold it, else from the text under its part's headings
    (every stretch whose heading names the part: a report may have two), else, where that finds no table read
    whole, from anywhere in the report (under a heading not recognised, or none): a table is known by its
    content, wherever it stands."""
    kinds = classify(grids)
    tables: dict[str, Table] = {}
    for key, (number, read_text, read_grids) in _READERS.items():
        mine = [g for g, kind in zip(grids, kinds, strict=True) if kind == key]
        table = read_grids(mine) if mine else None
        if table is None:
            table = _best([read_text([(i, lines[i]) for i in range(a, b)]) for a, b, n in parts if n == number])
            if table.status != "parsed":
                regions = [(a, b) for a, b, n in parts if n != number] + [(0, len(lines))]
                found = [read_text([(i, lines[i]) for i in range(a, b)]) for a, b in regions]
                # elsewhere, a table read whole, or one whose rows were found by their labels (three or more)
                whole = _best([t for t in found if t.status == "parsed" or _rows_named(t) >= 3])
                table = whole if _RANK[whole.status] > _RANK[table.status] else table
        tables[key] = table
    return tables


def _rows_named(table: Table) -> int:
    return len(table.rows) + len(table.ambiguous_rows)


def _doubt_all(tables: dict[str, Table], why: str) -> None:
    for table in tables.values():
        table.rows = {r: {c: v.doubted(why) for c, v in cols.items()} for r, cols in table.rows.items()}


def _meta_date(value: str | None) -> date | None:
    m = _DATE.search(value or "")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def parse(doc: Document, source: str, kind: str | None = None) -> Report:
    """Normalise and parse one document. Never raises on odd text: what it cannot find is None."""
    doc = normalise_document(doc)
    lines = clean_lines(doc.text)
    text = "\n".join(lines)
    parts = stretches(lines)
    sections = find_sections(lines, parts)
    first = next((span[0] - 1 for span in sections.values() if span), len(lines))
    meta_title = doc.meta.get("title", "")
    title = meta_title if _TITLE.search(meta_title) and len(meta_title) <= 80 else None
    title = title or find_title(lines, doc.meta.get("page_title"))
    published = _meta_date(doc.meta.get("published")) or find_published(lines, first)
    report = Report(input=source, text=text, title=title, sections=sections, published=published, pages=doc.pages)
    report.year = find_year(title, text, published, report.section_text(1))
    report.agency = find_agency(lines, title, first, doc.meta.get("source", ""))
    report.kind = kind or infer_kind(report.agency)
    report.tables = read_tables(lines, [b.grid for b in doc.blocks if b.grid is not None], parts)
    shown = IMAGE_MARK in text or UNREAD_PAGE in text or ATTACHMENT.search(text)
    if sum(1 for span in sections.values() if span) >= 2 and shown:
        for key, table in report.tables.items():  # not read, but the report shows pictures or attachments
            if table.status == "missing":  # the table may be in one: never called missing on a guess
                report.tables[key] = Table("image")
    if doc.ocr:  # read from page images: no number is certain, so no identity can make an error
        _doubt_all(report.tables, DOUBT_OCR)
    for n, key in _PART_TABLES.items():  # a part whose table is there is there, under whatever heading
        if sections[n] is None and report.tables[key].status != "missing":
            sections[n] = (0, 0)
    formats = [t.format for t in (report.tables["active"], report.tables["applications"]) if t.format]
    if (report.year and report.year < 2019) or (not report.year and not formats and _LEGACY.search(text)):
        # before the 2019 format: a 政府信息公开情况统计表 (指标名称/计量单位), no statutory tables to check
        report.format = "legacy"
        report.tables = {k: Table("missing") for k in report.tables}
    elif formats:
        report.format = formats[0]
    return report


def read_page(data: bytes, source: str, kind: str | None = None, charset: str | None = None) -> Report:
    """Bytes -> Report, whatever the page holds (what cannot be found is None or missing)."""
    doc = extract(data, charset)
    if doc.scanned:  # a PDF with no text layer: nothing can be read, nothing is guessed
        return Report(
            input=source,
            text="",
            kind=kind,
            scanned=True,
            sections=dict.fromkeys(range(1, 7)),
            tables={k: Table("image") for k in ("active", "applications", "appeals")},
            pages=doc.pages,
        )
    return parse(doc, source, kind)


def is_report(report: Report) -> bool:
    """A report: its statutory tables, a legacy statistics table, or the parts a report has under a
    report's title. Not a listing page, a 工作要点, a notice or an empty page."""
    if report.scanned or any(t.status != "missing" for t in report.tables.values()):
        return True
    parts = sum(1 for span in report.sections.values() if span)
    titles = {
        line.strip() for line in report.lines if len(line) <= 80 and _TITLE.search(line) and re.search(_YEAR, line)
    }
    if len(titles) >= 3 and parts < 2:  # the names of several years' reports and no body: a listing page
        return False
    if report.format == "legacy":  # a report before 2019: titled as one ("…2013年信息公开年度报告"), or its parts
        titled_legacy = report.title is not None and _TITLE.search(report.title) is not None
        return parts >= 2 or _LEGACY.search(report.text) is not None or (titled_legacy and len(report.text) >= 200)
    titled = report.title is not None and _TITLE.search(report.title) is not None
    return parts >= 4 or (parts >= 1 and titled)


def read_report(data: bytes, source: str, kind: str | None = None, charset: str | None = None) -> Report:
    """Bytes -> Report, or InputError when the bytes are not a readable annual report."""
    report = read_page(data, source, kind, charset)
    if not is_report(report):
        raise InputError("看起来不是政府信息公开工作年度报告：既没有报告标题和各部分，也没有法定统计表")
    return report
