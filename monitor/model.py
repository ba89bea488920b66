"""The words every stage shares: canonical keys and labels, the document model, table values.

This module imports nothing else of ``monitor``; every stage may import it.

The document model is what extraction hands to the parser. A ``Document`` is an ordered list
of blocks: text (paragraphs and headings, one line each) and tables. A table is a ``Grid`` of
the cells as the markup gave them: each ``GridCell`` knows its row and column slot, its
rowspan and colspan, its text and whether it was blank. The table readers read grids; only
inputs that really are text (scraped text, Markdown, PDF text) go through the cell-stream
tokenizer in ``tables.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Number = int | float

MAX_BYTES = 8 * 1024 * 1024  # real reports are < 2 MB even with Word-pasted markup
IMAGE_MARK = "[图片]"  # where a page shows an image: a table that is only a picture is never read as zeros

SEVERITY_CN = {"error": "错误", "warning": "警告"}
STATUS_CN = {"parsed": "已读取", "ambiguous": "部分无法定位", "missing": "缺失", "image": "仅有图片/附件"}
KIND_CN = {"government": "人民政府", "department": "部门"}
FORMAT_CN = {"2021": "2021版格式", "2019": "2019版格式", "legacy": "旧版(2019年前)格式"}

SECTION_NAMES = {
    1: "总体情况",
    2: "主动公开政府信息情况",
    3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况",
    5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}

APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org", "total")
APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
APPEAL_ROWS = ("review", "suit_direct", "suit_after_review")

LABELS: dict[str, str] = {
    # applications columns
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "nonprofit": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
    # applications rows
    "new": "一、本年新收",
    "carried_over": "二、上年结转",
    "granted": "(一)予以公开",
    "partly_granted": "(二)部分公开",
    "withheld_state_secret": "(三)1.属于国家秘密",
    "withheld_prohibited": "(三)2.其他法律行政法规禁止公开",
    "withheld_security": "(三)3.危及“三安全一稳定”",
    "withheld_third_party": "(三)4.保护第三方合法权益",
    "withheld_internal": "(三)5.属于三类内部事务信息",
    "withheld_process": "(三)6.属于四类过程性信息",
    "withheld_enforcement": "(三)7.属于行政执法案卷",
    "withheld_inquiry": "(三)8.属于行政查询事项",
    "unavailable_not_held": "(四)1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "(四)2.没有现成信息需要另行制作",
    "unavailable_unclear": "(四)3.补正后申请内容仍不明确",
    "rejected_complaint": "(五)1.信访举报投诉类申请",
    "rejected_repeat": "(五)2.重复申请",
    "rejected_publication": "(五)3.要求提供公开出版物",
    "rejected_excessive": "(五)4.无正当理由大量反复申请",
    "rejected_confirmation": "(五)5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "(六)1.逾期不补正",
    "other_no_fee": "(六)2.逾期未按收费通知缴费",
    "other_misc": "(六)3.其他",
    "other": "(六)其他处理",
    "handled_total": "(七)总计",
    "carried_forward": "四、结转下年度继续办理",
    # appeals
    "review": "行政复议",
    "suit_direct": "行政诉讼(未经复议直接起诉)",
    "suit_after_review": "行政诉讼(复议后起诉)",
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "pending": "尚未审结",
    # active
    "rules": "规章",
    "normative_documents": "行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "处理决定数量",
    "amount_wan": "金额(万元)",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "published_total": "对外公开总数量",
    "prior_items": "上一年项目数量",
    "change": "本年增/减",
    "items": "采购项目数量",
}
TABLE_LABELS = {
    "active": "主动公开情况表(第二部分)",
    "applications": "政府信息公开申请情况表(第三部分)",
    "appeals": "行政复议、行政诉讼情况表(第四部分)",
}
APPEAL_LABELS = {**LABELS, "other": "其他结果"}


# ---------------------------------------------------------------- the document model
@dataclass(frozen=True)
class GridCell:
    """One cell as the markup gave it: ``row``/``col`` are its first grid slot."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    index: int = 0  # its position among the cells of its <tr> (where a test or a reader finds it again)

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass
class Grid:
    """A table: its cells, and ``slots[r][c]``, the cell covering each grid slot (None: no cell)."""

    cells: list[GridCell]
    slots: list[list[GridCell | None]]
    number: int = 0  # the how-many-th table of the document

    def rows(self) -> list[list[GridCell]]:
        """Each row's cells left to right, every cell once per row it covers (rowspans included)."""
        out = []
        for slot_row in self.slots:
            seen: list[GridCell] = []
            for c in slot_row:
                if c is not None and (not seen or seen[-1] is not c):
                    seen.append(c)
            out.append(seen)
        return out

    def pipe_rows(self) -> list[str]:
        """The grid written as pipe rows ("规章 | 1 | 0 | 5 |"), spans copied into every slot."""
        return [" | ".join((c.text if c else "").replace("|", "/") for c in row) + " |" for row in self.slots]


@dataclass
class Block:
    """A run of text lines, or one table."""

    text: str = ""
    grid: Grid | None = None


@dataclass
class Document:
    """What extraction returns: metadata and blocks in reading order."""

    blocks: list[Block]
    kind: str = "text"  # html | text | pdf | docx
    encoding: str = "utf-8"
    meta: dict[str, str] = field(default_factory=dict)  # title, published, source: from <meta> or the page head
    pages: int = 0  # PDF pages read
    scanned: bool = False  # a PDF with no text layer: needs OCR before anything can be checked

    @property
    def text(self) -> str:
        """The whole document as text, tables as pipe rows."""
        parts = [b.text if b.grid is None else "\n".join(b.grid.pipe_rows()) for b in self.blocks]
        return "\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def text_document(text: str, kind: str = "text", encoding: str = "utf-8", pages: int = 0) -> Document:
    return Document([Block(text)], kind=kind, encoding=encoding, pages=pages)


# ---------------------------------------------------------------- values and tables
@dataclass(frozen=True)
class Value:
    """A placed cell: the number (None for blank), whether it carried debris, where it came from.

    ``line``/``col`` locate a value read from text (normalised line, character offset); ``origin``
    locates one read from a grid: (table number, row, index of the cell in its row)."""

    number: Number | None
    raw: str
    line: int
    col: int
    debris: bool = False
    invalid: bool = False
    origin: tuple[int, int, int] | None = None


@dataclass
class Table:
    """A parsed statutory table. Rows that could not be placed are listed, never guessed."""

    status: str  # parsed | ambiguous | missing | image
    rows: dict[str, dict[str, Value]] = field(default_factory=dict)
    ambiguous_rows: list[str] = field(default_factory=list)
    missing_rows: list[str] = field(default_factory=list)
    format: str | None = None

    def numbers(self) -> dict[str, dict[str, Number | None]]:
        return {r: {c: v.number for c, v in cols.items()} for r, cols in self.rows.items()}
