"""Stage: parse (the report). A ``Document`` -> a ``Report``: its parts (``parts``), its statutory tables read
both from grids and from the text, the better reading kept (``read_tables``), its facts (title, year, body,
发布日期: ``facts``); what is not a report refused (``is_report``); a page and its attachment merged
(``with_attachment``). ``read_page``/``read_report`` are the in-process entry points ``monitor.reading`` bounds."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from monitor.errors import InputError
from monitor.model import (
    ARTICLE_END,
    ATTACHED,
    IMAGE_MARK,
    PAGED,
    PART_TABLES,
    Block,
    Document,
    Grid,
    Report,
    Table,
    shows_more,
)
from monitor.reading.dates import find_published, meta_date
from monitor.reading.facts import (
    _TITLE,
    _YEAR,
    find_body,
    find_year,
    infer_kind,
    linked,
    title_at,
)
from monitor.reading.formats import extract
from monitor.reading.grids import classify, read_active_grids, read_appeals_grids, read_applications_grids
from monitor.reading.normalise import normalise_document
from monitor.reading.parts import Stretch, clean_lines, find_sections, stretches
from monitor.reading.text_tables import read_active, read_appeals, read_applications

_LEGACY = re.compile(r"政府信息公开(情况)?统计表|指标名称.{0,40}计量单位")


DOUBT_OCR = "由图片OCR识别"
DOUBT_ORDER = "文字顺序混乱（各部分标题前后颠倒，如由PDF转换而来），数字所在行列无法确定"


_WORKBOOKS = frozenset(("xlsx", "xls", "ods"))  # formats that carry a report's tables, not its parts

_RANK = {"parsed": 3, "ambiguous": 2, "image": 1, "missing": 0}


_READERS = {
    "active": (2, read_active, read_active_grids),
    "applications": (3, read_applications, read_applications_grids),
    "appeals": (4, read_appeals, read_appeals_grids),
}


def _best(readings: list[Table]) -> Table:
    return max(readings, key=lambda t: (_RANK[t.status], len(t.rows)), default=Table("missing"))


def _adjacent(blocks: list[Block]) -> list[bool]:
    """For each grid of the document, whether the last block before it with anything in it is a grid."""
    out, grid_before = [], False
    for block in blocks:
        if block.grid is not None:
            out.append(grid_before)
            grid_before = True
        elif block.text.strip():
            grid_before = False
    return out


def read_tables(lines: list[str], grids: list[Grid], parts: list[Stretch], kinds: list[str | None]) -> dict[str, Table]:
    """Each statutory table: from the grids that hold it (``kinds``: ``classify``'s), else from the text under its
    part's headings (every stretch whose heading names the part: a report may have two), else, where that finds no
    table read whole, from anywhere in the report (under a heading not recognised, or none): a table is known by
    its content, wherever it stands."""
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
            own = [(a, b) for a, b, n in parts if n == number]
            if table.status == "missing" and own and not any(lines[i].strip() for a, b in own for i in range(a, b)):
                table = Table("image")  # its heading, and nothing under it: what stood there was not text
        tables[key] = table
    return tables


def more_tables(grids: list[Grid], kinds: list[str | None]) -> dict[str, tuple[Table, ...]]:
    """A second table 三 (and more) after the first, each whole in grids of its own: a city's report gives the
    city government's own (市政府本级) and then the whole city's (全市汇总). ``read_tables`` reads the first; these
    are checked too, never merged into it."""
    mine = [g for g, kind in zip(grids, kinds, strict=True) if kind == "applications"]
    if len(mine) < 2:
        return {}
    whole = [t for g in mine if (t := read_applications_grids([g])) is not None and _whole(t)]
    return {"applications": tuple(whole[1:])} if len(whole) >= 2 else {}


def _whole(table: Table) -> bool:
    """A table 三 read whole: its first rows and its (七)总计 and 结转 read, in the statutory columns."""
    return table.status == "parsed" and {"new", "carried_over", "handled_total", "carried_forward"} <= table.rows.keys()


def _rows_named(table: Table) -> int:
    return len(table.rows) + len(table.ambiguous_rows)


def _scrambled(sections: dict[int, tuple[int, int] | None]) -> bool:
    """Whether the parts' headings stand out of their order twice or more (六 before 三, 三 before 二…): text whose
    lines a converter put out of the page's order (LibreOffice's PDF import saved as Word). Once is a report's own
    (its tables set after 六, a heading's typo)."""
    order = [n for n, span in sorted(sections.items(), key=lambda s: s[1] or (0, 0)) if span and span != (0, 0)]
    return sum(1 for a, b in itertools.pairwise(order) if b < a) >= 2


def _doubt_all(tables: dict[str, Table], why: str) -> None:
    """Every value of a page read from its image uncertain; and a cell where nothing was recognised is not
    known to be blank (the engine may have missed a faint 1): unread, never "没有数据应填0" (a dash it did read
    stays a blank)."""
    for table in tables.values():
        table.rows = {
            r: {c: replace(v, unreadable=v.blank and not v.raw.strip()).doubted(why) for c, v in cols.items()}
            for r, cols in table.rows.items()
        }


def _what_is_known(report: Report, doc: Document, text: str, end: int | None) -> None:
    """How sure the report's numbers are, and which tables and parts are known to be missing: numbers read from a
    text whose order is not the page's, or from page images (OCR), are not certain; a table not read where the
    report shows pictures or attachments is not known to be missing (nor one OCR did not recognise: the rules
    read ``Report.ocr``)."""
    sections = report.sections
    if _scrambled(sections):  # the text's order is not the page's: a number read from it is not known to be its row's
        for table in report.tables.values():
            table.rows = {
                r: {c: v if v.origin is not None else v.doubted(DOUBT_ORDER) for c, v in cols.items()}
                for r, cols in table.rows.items()
            }
    if sum(1 for span in sections.values() if span) >= 2 and shows_more(text):
        _unread_tables(report)  # not read, but the report shows pictures or attachments: the table may be in one
    if doc.ocr:  # read from page images: no number is certain, so no identity can make an error
        _doubt_all(report.tables, DOUBT_OCR)
        report.ocr = True
    paged = PAGED.search(text) is not None  # a part whose table is on a page not in hand is not known to be there
    # a part whose table is there is there, under whatever heading; a table maybe in a picture only where one
    # stands in the part's place (a portal's logo above part 一 is not part 四 deleted with its table)
    for n, key in PART_TABLES.items():
        status = report.tables[key].status
        if sections[n] is not None or status == "missing" or paged:
            continue
        if status != "image" or _in_place(sections, n, report.lines, end):
            sections[n] = (0, 0)


def _in_place(sections: dict[int, tuple[int, int] | None], n: int, lines: list[str], end: int | None) -> bool:
    """Whether a picture, an attachment or a page not read stands where part ``n`` would: between the parts found
    before and after it; with none found after it, before the report's end on its page (``end``), not in the page's
    footer after it (its 备案 and 平潭发布 logos once stood for a part 四 never published)."""
    spans = {k: span for k, span in sections.items() if span and span != (0, 0)}
    low = max((span[0] - 1 for k, span in spans.items() if k < n), default=0)
    later = [span[0] - 1 for k, span in spans.items() if k > n]
    high = min(later) if later else len(lines) if end is None else end
    return any(shows_more(line) for line in lines[max(low, 0) : high])


def _unread_tables(report: Report) -> None:
    """The tables not found said unread (an image's), never missing on a guess."""
    for key, table in report.tables.items():
        if table.status == "missing":
            report.tables[key] = Table("image")


def parse(doc: Document, source: str, kind: str | None = None) -> Report:
    """Normalise and parse one document. Never raises on odd text: what it cannot find is None."""
    doc = normalise_document(doc)
    lines = clean_lines(doc.text)
    end = _article_end(lines)
    text = "\n".join(lines)
    parts = stretches(lines)
    sections = find_sections(lines, parts)
    if end is not None:  # a page's last part ends with the element holding the report, not with the page
        sections = {
            n: (span[0], min(span[1], end)) if span and span[0] <= end else span for n, span in sections.items()
        }
    first = next((span[0] - 1 for span in sections.values() if span), len(lines))
    meta_title = doc.meta.get("title", "")
    title = meta_title if _TITLE.search(meta_title) and len(meta_title) <= 80 else None
    links = frozenset("".join(x.split()) for x in doc.meta.get("links", "").split("\n") if x)
    found, at = title_at(lines, doc.meta.get("page_title"), first, links)
    if found is not None and linked(found, links) and _a_listing(lines, sections):
        found, at = None, -1  # an item of a column listing several years' reports: not this page's title
    if title is not None:
        at = next((k for k, line in enumerate(lines[:first]) if title in line), -1)
    title = title or found
    published = (
        meta_date(doc.meta.get("published"))
        or find_published(lines, first, at)
        or meta_date(
            doc.meta.get("published_else")
        )  # (a WeChat article's, Open Graph's: only where the page says none)
    )
    shown = _SPACED.sub("", title) if title else title  # as a reader writes it: "2023 年" from a PDF's text is 2023年
    report = Report(input=source, text=text, title=shown, sections=sections, published=published, pages=doc.pages)
    # a workbook of the tables alone (a closing line or a caption numbered 六 or 五 beside them: review 110); one
    # holding the report's own parts 一 and 五 too (pasted whole) is a report
    report.tables_only = doc.kind in _WORKBOOKS and not (sections.get(1) and sections.get(5))
    report.year = find_year(title, text, published, report.section_text(1))
    report.agency, report.agency_from = find_body(lines, title, first, doc.meta.get("source", ""))
    report.kind = kind or infer_kind(report.agency)
    grids = [b.grid for b in doc.blocks if b.grid is not None]
    kinds = classify(grids, _adjacent(doc.blocks))
    report.tables = read_tables(lines, grids, parts, kinds)
    report.more_tables = more_tables(grids, kinds)
    _what_is_known(report, doc, text, end)
    formats = [t.format for t in (report.tables["active"], report.tables["applications"]) if t.format]
    if (report.year and report.year < 2019) or (not report.year and not formats and _LEGACY.search(text)):
        # before the 2019 format: a 政府信息公开情况统计表 (指标名称/计量单位), no statutory tables to check
        report.format = "legacy"
        report.tables = {k: Table("missing") for k in report.tables}
    elif formats:
        report.format = formats[0]
    return report


# spaces a PDF's text layer (or a typist) puts between Chinese and the digits of a year: no word of a title is apart
_SPACED = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+(?=\d)")


def _article_end(lines: list[str]) -> int | None:
    """The line where a page's report ends (``ARTICLE_END``, left as an empty line: ``reading/article.py``), or
    None."""
    try:
        end = lines.index(ARTICLE_END)
    except ValueError:
        return None
    lines[end] = ""
    return end


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


def lists_reports(report: Report, least: int = 2) -> bool:
    """Whether the page names ``least`` reports of a year or more in lines of their own: a listing's lines."""
    return _listed(report.lines) >= least


def _listed(lines: list[str]) -> int:
    return len(_titles(lines))


def _titles(lines: list[str]) -> set[str]:
    return {line.strip() for line in lines if len(line) <= 80 and _TITLE.search(line) and re.search(_YEAR, line)}


def _a_listing(lines: list[str], sections: dict[int, tuple[int, int] | None]) -> bool:
    """A column listing reports, by its lines: three reports named or more, no report's parts, and not the one
    attached file of a report page beside a box of other years' reports (several files, or none: pages)."""
    files = sum(ATTACHED in line for line in lines)  # whatever a file's link says (附件1, W0202….pdf)
    return _listed(lines) >= _A_LISTING and sum(1 for span in sections.values() if span) < 2 and files != 1


_A_LISTING = 3  # reports named in lines of their own, and no body: a column listing them


def is_report(report: Report) -> bool:
    """A report: its statutory tables, a legacy statistics table, or the parts a report has under a
    report's title. Not a listing page, a 工作要点, a notice or an empty page."""
    if report.scanned or any(t.status != "missing" for t in report.tables.values()):
        return True
    parts = sum(1 for span in report.sections.values() if span)
    if lists_reports(report, _A_LISTING) and parts < 2:  # several years' reports named and no body: a listing page
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
        if report.title is None and lists_reports(report, _A_LISTING):
            raise InputError(f"看起来不是政府信息公开工作年度报告：这是列出多份年度报告的栏目页，{_CHECK_ONE}")
        if report.title and _TITLE.search(report.title) and _ELSEWHERE.search(report.text):
            raise InputError(
                f"本页只有报告标题，报告内容在页面嵌入或附带的文件（或图片）中，未能从本页读取：{_CHECK_THE_FILE}"
            )
        if report.title and _TITLE.search(report.title) and _bare(report.text.replace(report.title, "")):
            raise InputError(  # (a page whose script draws the article: review 116, "not a report" though titled)
                "本页有报告标题，但没有报告正文和统计表（正文可能由网页脚本生成，或在其他页面），未能从本页读取"
            )
        raise InputError("看起来不是政府信息公开工作年度报告：既没有报告标题和各部分，也没有法定统计表")
    return report


def _bare(text: str) -> bool:
    """Whether a page says next to nothing besides its title (a notice about a report says what it asks)."""
    return sum(ch.isalnum() for ch in text) < _BARE


_BARE = 10  # letters and digits
_ELSEWHERE = re.compile(re.escape(ATTACHED) + "|" + re.escape(IMAGE_MARK))  # an attachment, an embed or an image

_CHECK_ONE = "请用其中一份报告的网址或文件检查"
_CHECK_THE_FILE = "请下载该文件后用govmon check检查它，或检查该页面的网址（govmon check 网址会读取它链接的文件）"


def with_attachment(page: Report, attached: Report) -> Report:
    """One report from a page and the attachment it links: a page that carries the report's parts keeps them
    and takes the attachment's tables (the tables as a workbook or PDF beside the prose); a page that is only a
    pointer to the attachment, or carries fewer of the parts (一、总体情况 on the page, 二、…见附件, the whole report
    attached), gives it what the file does not say (its title, body, year, 发布时间) and the parts it lacks."""
    theirs = {n for n, span in attached.sections.items() if span}
    mine = {n for n, span in page.sections.items() if span}
    if len(mine) >= 2 and theirs <= mine:
        tables = {
            k: attached.tables.get(k, t) if t.status in ("missing", "image") else t for k, t in page.tables.items()
        }
        formats = [t.format for t in tables.values() if t.format]
        return replace(page, tables=tables, format=page.format or (formats[0] if formats else None))
    lines, sections = attached.lines, dict(attached.sections)
    for n in sorted(mine - theirs):  # a part the page carries and the file does not: the report has it
        first, end = page.sections[n] or (0, 0)
        sections[n] = (len(lines), len(lines) + end - first) if end > first else (0, 0)
        lines += page.lines[first:end]
    return replace(
        attached,
        text="\n".join(lines),
        sections=sections,
        tables_only=False,  # what the body published, page and file: a part in neither is missing
        input=page.input,
        title=attached.title or page.title,
        agency=attached.agency or page.agency,
        agency_from=attached.agency_from if attached.agency else page.agency_from,
        year=attached.year or page.year,
        kind=attached.kind or page.kind,
        published=attached.published or page.published,
    )
