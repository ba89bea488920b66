"""Checks of completeness: every part and every statutory table present and readable, blank cells
(没有数据应填0), cells read with debris or not read at all, values that cannot be (negative, fractional), and a
table format that does not match the report's year."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from monitor.checks.registry import Context, cell_list, cells_where, expects_tables, per_table, rule
from monitor.model import (
    CN,
    LEFT_OUT,
    ORG_SUBTOTAL,
    PAGED,
    SECTION_NAMES,
    SIGNED_COLUMNS,
    TABLE_LABELS,
    UNREAD_PAGE,
    Finding,
    Report,
    applicant_columns,
    label,
    shows_more,
)
from monitor.reading.cells import DOUBT_APPROX


# ---------------------------------------------------------------- completeness
@rule("section.missing", "error", "报告缺少六个部分之一（行号为缺少的部分1–6）")
def section_missing(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    text = ctx.report.text
    if not expects_tables(ctx.report) or PAGED.search(text) or ctx.report.tables_only:
        return  # the other pages are not in hand (a part may be on one), or a workbook alone
    for n in range(1, 7):
        if ctx.report.sections.get(n) is None and not _maybe_unread(ctx.report, n):
            yield make(f"缺少第{CN[n]}部分“{SECTION_NAMES[n]}”", row=n)


@rule(
    "section.unread", "warning", "扫描件或无法读取的页面中未能识别出报告的某个部分，该部分可能在其中（行号为部分1–6）"
)
def section_unread(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    report = ctx.report
    if not expects_tables(report) or PAGED.search(report.text) or report.tables_only:
        return
    where = (
        "报告是扫描件，文字由OCR识别，标题可能被印章遮挡、页面方向不正或版式未能识别"
        if report.ocr
        else "报告中有无法读取的页面（图片或文字方向不正），该部分可能在其中"
    )
    for n in range(1, 7):
        if report.sections.get(n) is None and _maybe_unread(report, n):
            yield make(f"未能识别出第{CN[n]}部分“{SECTION_NAMES[n]}”：{where}，请人工核对", row=n)


def _maybe_unread(report: Report, n: int) -> bool:
    """Whether part ``n``, not found, may be on a page that was not read as text: every page read by OCR, or a page
    not read (a scanned page among typed ones, a page turned sideways) where the part would stand, between the
    parts found before and after it (a scanned cover before part 一 holds no part 五)."""
    if report.ocr:
        return True
    lines = report.lines
    marks = [k for k, line in enumerate(lines) if UNREAD_PAGE in line]
    if not marks:
        return False
    spans = {k: span for k, span in report.sections.items() if span and span != (0, 0)}  # (0, 0): by its table
    low = max((span[0] for k, span in spans.items() if k < n), default=0)
    high = min((span[0] for k, span in spans.items() if k > n), default=len(lines))
    return any(low <= k < high for k in marks)


@rule("report.paged", "warning", "报告分页发布，只读取了其中一页：其他分页上的部分和表格未能核对")
def report_paged(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    paged = PAGED.search(ctx.report.text)
    if paged is None:
        return
    absent = "、".join(CN[n] for n in range(1, 7) if ctx.report.sections.get(n) is None)
    where = f"；本页没有第{absent}部分，可能在其他分页上" if absent else ""
    yield make(f"报告分页发布，本页为第{paged[1]}页（共{paged[2]}页），其他分页未读取{where}，请人工核对全文")


@rule("table.missing", "error", "报告中找不到某张法定统计表（第二、三、四部分的表格）")
def table_missing(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    if not expects_tables(ctx.report) or ctx.report.ocr:
        return  # a table OCR did not recognise (a seal over its heading, a page turned) is not known to be missing
    for key, table in ctx.report.tables.items():
        if table.status == "missing":
            yield make(f"未找到{TABLE_LABELS[key]}", table=key)


@rule(
    "table.unreadable",
    "warning",
    "表格只有图片或附件、在转换的文本中被省略、标题下没有表格，或其中的数字无法确定所在行列、未参与计算",
)
def table_unreadable(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for key, table in ctx.report.tables.items():
        name = TABLE_LABELS[key]
        if ctx.report.scanned:
            yield make(f"{name}无法读取：PDF是扫描件，没有文字层，需要OCR识别后才能核对", table=key)
        elif table.status in ("missing", "image") and ctx.report.ocr and expects_tables(ctx.report):
            yield make(
                f"未能从扫描件中识别出{name}（文字由OCR识别，可能被印章遮挡或页面方向不正），请人工核对", table=key
            )
        elif table.status == "image" and (paged := PAGED.search(ctx.report.text)):
            yield make(
                f"{name}不在这一页上：报告分页发布（共{paged[2]}页），可能在未读取的其他分页中，请人工核对", table=key
            )
        elif table.status == "image" and LEFT_OUT.search(ctx.report.text):
            yield make(
                f"{name}在这份转换得到的文本中被省略（只留下“[TABLE]”标记），无法读取其中的数字，请核对原文", table=key
            )
        elif table.status == "image" and shows_more(ctx.report.text):
            yield make(f"{name}只有图片或附件，无法读取其中的数字，请人工核对", table=key)
        elif table.status == "image":  # its part's heading with nothing under it, and no image on the page
            yield make(
                f"{name}所在部分的标题下没有表格（未见文字、图片或附件，可能缺失或由网页脚本显示），请人工核对",
                table=key,
            )
        elif table.status == "ambiguous" and not table.ambiguous_rows:
            yield make(f"{name}的数字无法确定所在行列（单元格缺失或合并），未参与计算，请人工核对", table=key)
        elif table.ambiguous_rows:
            rows = "、".join(label(key, r) for r in table.ambiguous_rows)
            yield make(f"{name}中以下行的数字无法确定所在列（单元格缺失或合并），未参与计算：{rows}", table=key)
        if ORG_SUBTOTAL in applicant_columns(table.rows.values()):
            yield make(
                f"{name}没有按商业企业、科研机构、社会公益组织、法律服务机构、其他分列法人或其他组织的申请"
                "（表中只有一列合计），这五类申请人各自的数字无从核对",
                table=key,
            )
        if table.missing_rows and table.status != "missing":
            rows = "、".join(label(key, r) for r in table.missing_rows)
            yield make(f"{name}中以下行未能读取（表中没有，或行名、数字无法识别）：{rows}", table=key)


@rule("cell.blank", "warning", "单元格空白（没有数据应填0）：每张表一条，列出空白的单元格")
def cell_blank(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    # only a cell known to be this row's and column's: a blank whose place is in doubt is said with its identity. A
    # cell holding only "—" or "/" is blank too, and said so: staff looking at it see a mark, not an empty cell
    for key, table in ctx.report.tables.items():
        blank = [v for cols in table.rows.values() for v in cols.values() if v.blank and not v.doubt]
        if not blank:
            continue
        says = "为空或只填了“—”“/”等符号" if any(v.raw.strip() for v in blank) else "为空"
        cells = cells_where(table, lambda v: v.blank and not v.doubt)
        yield make(
            f"{TABLE_LABELS[key]}有{len(cells)}个单元格{says}（没有数据应填0）：{cell_list(key, cells)}",
            table=key,
            cells=tuple(cells),
        )


@rule(
    "cell.unreadable",
    "warning",
    "单元格带有乱码、修订痕迹或注释标记（如“0?”）已按其中数字读取，或内容不是数字、是约数、扫描件中未识别出内容而未能读取，请核对原文",
)
def cell_unreadable(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    yield from per_table(
        ctx,
        make,
        lambda v: v.debris and v.number is not None,
        "带有乱码、修订痕迹或注释标记等读者不读作数字的内容（如“0?”“6¹”），已按其中的数字读取，请核对原文",
    )
    yield from per_table(  # (review 99: "约9", "9余")
        ctx,
        make,
        lambda v: v.unreadable and v.doubt == DOUBT_APPROX,
        "是约数（如“约9”“9余”），不能核对，未参与计算，请核对原文",
    )
    yield from per_table(
        ctx,
        make,
        lambda v: v.unreadable and bool(v.raw.strip()) and v.doubt != DOUBT_APPROX,
        "的内容不是数字，未能读取，也未参与计算，请核对原文",
    )
    yield from per_table(  # a scanned page's cell where the OCR recognised nothing: blank, or a digit it missed
        ctx,
        make,
        lambda v: v.unreadable and not v.raw.strip(),
        "在扫描件中未识别出内容（可能为空，也可能漏识），未参与计算，请核对原文",
    )


@rule("cell.invalid", "error", "应填非负整数的单元格填了负数或小数、本年增/减填了小数（读数确定时）")
def cell_invalid(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    for key, table in ctx.report.tables.items():
        for r, c in cells_where(table, lambda v: v.invalid and not v.doubt):
            raw = table.rows[r][c].raw
            wanted = "整数" if c in SIGNED_COLUMNS else "非负整数"  # 本年增/减 may be negative, never a fraction
            yield make(
                f"{TABLE_LABELS[key]}{label(key, r)}·{label(key, c)}为“{raw}”，应为{wanted}",
                table=key,
                row=r,
                column=c,
                cells=((r, c),),
            )


# ---------------------------------------------------------------- format, time, history
FORMAT_DOCS = {"2021": "国办公开办函〔2021〕30号", "2019": "国办公开办函〔2019〕60号"}


@rule("format.version", "warning", "表格格式与报告年度不符（2019、2020年度用2019版，2021年度起用2021版）")
def format_version(ctx: Context, make: Callable[..., Finding]) -> Iterator[Finding]:
    """Only a format a table shows (its headers; section 三's (六) rows) is compared: a table that could not be
    read shows none, and nothing is said about it."""
    year = ctx.report.year
    if not year or year < 2019:
        return
    want = "2019" if year <= 2020 else "2021"
    for key in ("active", "applications"):
        got = ctx.report.tables[key].format
        if not got or got == want:
            continue
        if key == "applications" and got == "2019":
            shows = (
                "“(六)其他处理”只有一行（2019版格式的写法），2021版格式应分为逾期不补正、逾期未按收费通知缴费、其他三行"
            )
        elif key == "applications":
            shows = "“(六)其他处理”分为三行，是2021版格式的写法"
        else:
            shows = f"使用的是{FORMAT_DOCS[got]}的表头"
        yield make(f"{year}年度报告应使用{FORMAT_DOCS[want]}规定的格式，但{TABLE_LABELS[key]}{shows}", table=key)
