"""Stage: extract (HTML). A portal page -> a ``Document``, on lxml's own tree walked with ``iterwalk``:
chrome skipped, hidden and superscript markup marked uncertain, images and embedded or attached documents
marked, every data ``<table>`` a ``Grid`` (innermost first, spans expanded within a cap), layout tables read as
text, the CMS ``<meta>`` fields kept."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from monitor.errors import InputError
from monitor.model import Block, Document, Grid, GridCell
from monitor.reading import article, stylesheet
from monitor.reading.cells import is_value, lines_apart
from monitor.reading.hidden import mark_asides, rendered
from monitor.reading.html_walk import (
    ATTACHMENT_LINK,
    CHROME_TAGS,
    END,
    PLACEHOLDER,
    RUBY,
    SKIP,
    Tables,
    Text,
    strings,
    walk,
)
from monitor.reading.paged import JOINED, page_of
from monitor.reading.revealed import goes_on
from monitor.reading.tree import html_tree

MAX_GRID_CELLS = 20_000  # per table, after rowspan/colspan expansion


def _report_end(text: Text, holder: Any) -> int | None:
    """Where in the walk's text the report ends: after ``holder`` and the plain paragraphs after it that are still
    the report's (``article.report_after``), before the first box that is the site's."""
    mine, site = article.report_after(holder)
    if site is not None and site in text.opened:
        return text.opened[site] - 1  # (before the line its block began)
    if site is None and (parent := holder.getparent()) is not None and parent in text.ends:
        return text.ends[parent]
    return next((text.ends[el] for el in reversed([holder, *mine]) if el in text.ends), None)


_NOT_PLAIN = frozenset((*SKIP, *RUBY, "img", "table"))  # in a cell: what makes it more than its text nodes


_PARAGRAPH = frozenset(("p", "div", "li"))


def _cell_text(cell: Any, tables: Tables) -> str:
    if not len(cell):  # most cells: one text node
        return " ".join((cell.text or "").split())
    tags = [el.tag for el in cell.iterdescendants()]  # one walk (a few elements), not a tag matcher built a question
    if _NOT_PLAIN.isdisjoint(tags):  # Word markup: <p><span>..</span></p>, text only
        two = sum(map(_PARAGRAPH.__contains__, tags)) >= 2  # most cells: one paragraph
        apart = (_paragraphs(cell) if two else None) or (_lines(cell) if "br" in tags else None)
        return apart or " ".join(" ".join(cell.itertext()).split())
    return " ".join(" ".join(strings(cell, tables)).split())


def _lines(cell: Any) -> str | None:
    """A cell whose lines hold two numbers is two texts (``lines_apart``); None for any other cell. Its lines are
    those a browser draws: a <br> or a block ends one, a newline in the markup does not (review 96: Word's
    "<span>1</span>\n<span>8</span>" is 18)."""
    pieces: list[str] = [cell.text or ""]
    for event, el in etree.iterwalk(cell, events=("start", "end")):
        if el is cell:
            continue
        if event == "start":
            if el.tag == "br" or el.tag in _PARAGRAPH:
                pieces.append(_BREAK)
            if isinstance(el.tag, str):  # (a comment's words are not the cell's)
                pieces.append(el.text or "")
        else:
            if el.tag in _PARAGRAPH:
                pieces.append(_BREAK)
            pieces.append(el.tail or "")
    return lines_apart(" ".join(pieces).split(_BREAK))


_BREAK = "\x00"  # (where a line ends, among a cell's words)


def _paragraphs(cell: Any) -> str | None:
    """A cell whose paragraphs hold two numbers ("<p>26</p><p>27</p>") is two texts (``lines_apart``); None for
    any other cell."""
    blocks = [
        b for b in cell.iterdescendants("p", "div", "li") if next(b.iterdescendants("p", "div", "li"), None) is None
    ]
    return lines_apart(" ".join(b.itertext()) for b in blocks) if len(blocks) >= 2 else None


def _rows(table: Any, tables: Tables) -> list[Any]:
    """The table's own rows: those in a table nested in it belong to that one, unless it is a layout table
    (read as text), whose rows are the outer table's."""
    rows = []
    for tr in table.iter("tr"):
        for up in tr.iterancestors():
            if up is table:
                rows.append(tr)
                break
            if up.tag in SKIP or (up.tag == "table" and tables.get(up) is not None):
                break
    return rows


def read_grid(table: Any, number: int = 0, tables: Tables | None = None) -> Grid:
    """The table's cells with their slots, as the browser draws them (hidden rows and cells left out);
    rowspan/colspan cover every slot they span."""
    tables = {} if tables is None else tables
    cells: list[GridCell] = []
    slots: list[list[GridCell | None]] = []
    budget = MAX_GRID_CELLS
    rows = [tr for tr in _rows(table, tables) if rendered(tr)]
    for r, tr in enumerate(rows):
        while len(slots) <= r:
            slots.append([])
        col = 0
        for index, td in enumerate(c for c in tr if c.tag in ("td", "th") and rendered(c)):
            while col < len(slots[r]) and slots[r][col] is not None:
                col += 1
            rowspan = min(_span(td.get("rowspan"), 200), len(rows) - r)
            colspan = _span(td.get("colspan"), 50)
            budget -= rowspan * colspan
            if budget < 0:
                raise InputError("页面中有一张表格过大，不可能是报告的统计表")
            cell = GridCell(_cell_text(td, tables), r, col, rowspan, colspan, index)
            cells.append(cell)
            for dr in range(rowspan):
                while len(slots) <= r + dr:
                    slots.append([])
                target = slots[r + dr]
                while len(target) < col + colspan:
                    target.append(None)
                for dc in range(colspan):
                    target[col + dc] = cell
            col += colspan
    width = max((len(row) for row in slots), default=0)
    return Grid(cells, [row + [None] * (width - len(row)) for row in slots if row], number)


def _span(value: object, cap: int) -> int:
    if value is None:  # most cells
        return 1
    try:
        return max(1, min(cap, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _is_layout(grid: Grid) -> bool:
    """A table used for page layout (long prose in a cell) is read as text, not as a grid; so is a table of one
    row, unless it holds numbers (the last row of a table a page break cut off)."""
    if len(grid.slots) < 2 and sum(not c.blank and is_value(c.text) for c in grid.cells) < 2:
        return True
    return any(len(c.text) > 150 or PLACEHOLDER in c.text for c in grid.cells)


_META_NAMES = {
    "title": ("articletitle", "dc.title", "og:title"),
    "published": ("pubdate", "publishdate", "firstpublishedtime", "publishtime", "dc.date", "releasedate"),
    "published_else": ("article:published_time",),  # (Open Graph's: a date the page's own 发布时间 field comes first)
    "source": ("contentsource", "source", "author"),
}


def _link_texts(root: Any) -> str:
    """The words of the page's links that name a report of a year, one a line (a sidebar or a 相关链接 list of the
    body's other years' reports, 上一篇/下一篇): a title standing as a link is another page's."""
    texts = {
        " ".join("".join(a.itertext()).split())
        for a in root.iter("a")
        if a.get("href") and not ATTACHMENT_LINK.search(str(a.get("href")))  # the report's own PDF is not another's
    }
    return "\n".join(t for t in texts if 8 <= len(t) <= 80 and _YEARISH.search(t) and ("报告" in t or "年报" in t))


_YEARISH = re.compile(r"(?:19|20)\d\d|[〇零一二][〇零一二三四五六七八九]{3}")


def _meta(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in root.iter("meta"):
        name = str(tag.get("name") or tag.get("property") or "").strip().lower()
        content = " ".join(str(tag.get("content") or "").split())
        if not content:
            continue
        for key, names in _META_NAMES.items():
            if name in names and key not in found:
                found[key] = content
    title = next(root.iter("title"), None)
    if title is not None:
        found["page_title"] = " ".join(s.strip() for s in title.itertext() if s.strip())
    if "published_else" not in found:  # a WeChat article's date, beside its account's name: <em id="publish_time">
        shown = root.xpath("//*[@id='publish_time']")
        if shown and (when := " ".join("".join(shown[0].itertext()).split())):
            found["published_else"] = when
    return found


def _in_chrome(el: Any) -> bool:
    return any(up.tag in CHROME_TAGS for up in el.iterancestors())


def _read_tables(root: Any) -> tuple[list[Grid], Tables]:
    """Every data table read as a Grid, innermost first (a table holding a data table is layout); layout
    tables (a page laid out in one big <table>) are read as text."""
    grids: list[Grid] = []
    tables: Tables = {}
    for table in reversed([t for t in root.iter("table") if not _in_chrome(t)]):
        grid = read_grid(table, tables=tables)
        if _is_layout(grid):
            tables[table] = None
        else:
            tables[table] = len(grids)
            grids.append(grid)
    return grids, tables


def _inline_srcdoc(root: Any) -> None:
    """An ``<iframe srcdoc="…">`` shows the page it carries, in place: read as part of the page (an iframe that
    loads another address stays what it is, an embedded document not read here). One level: a srcdoc inside
    a srcdoc stays an embed."""
    for frame in root.xpath("//iframe[@srcdoc]"):
        inner = html_tree(frame.get("srcdoc").encode("utf-8", "replace"))
        body = inner.find("body") if inner is not None else None
        if body is None:
            continue
        body.tag = "div"
        frame.getparent().replace(frame, body)


def _drawn_text(root: Any, tables: Tables) -> Text:
    """The page's text as the browser draws it, with the blocks it does not draw that a script shows as the
    report's (``revealed.goes_on``)."""
    unseen: dict[Any, int] = {}
    text = walk(root, tables, blocks=True, unseen=unseen)
    if not unseen:
        return text
    shown = goes_on(text.out, unseen, lambda el: "".join(walk(el, tables, blocks=True).out), PLACEHOLDER)
    return walk(root, tables, blocks=True, unseen={}, shown=shown) if shown else text


_OPENED = re.compile(r"<(?:html|body)\b", re.I)
_CLOSED = re.compile(r"</(?:html|body)\s*>", re.I)


def cut_short(html: str) -> str | None:
    """Why a page is not whole, where it is cut short (None: it is whole, or not a page): it opens its ``<html>``
    or ``<body>`` and never closes them, and ends inside a table, inside a tag or in its text, as a page does
    whose transfer broke off (a portal answering 200 with no length, review 111: its last parts read as missing,
    its table's rows as emptied). A page that only leaves out its closing tags ends with some other tag."""
    if not _OPENED.search(html) or _CLOSED.search(html):
        return None
    lowered, tail = html.lower(), html.rstrip()
    if lowered.count("<table") > lowered.count("</table"):
        where = "表格中途"
    elif tail.rfind("<") > tail.rfind(">") or not tail.endswith(">"):
        where = "正文中途"
    else:
        return None
    return f"页面不完整：在{where}结束，没有页面的结尾（</body></html>），可能未下载完整；未读取"


# four lines or more of one character each, most of them Chinese words: a page of one <span> a character, a line
# apart in its source (a WeChat article as a crawler re-serialises it), which a browser draws as words (review 116:
# parts 一, 五, 六 were lost). Not a column of one-character cells, one a line ("0", "/", "/": reviews 118, 120).
_WORDS = re.compile(r"[\u4e00-\u9fff、，。：；（）“”]")
_CHAR_LINES = re.compile(r"^[ \t]*\S[ \t]*(?:\n[ \t]*\S[ \t]*){3,}$", re.MULTILINE)


def _one_a_line(text: str) -> str:
    def joined(m: re.Match[str]) -> str:
        chars = "".join(m.group().split())
        return chars if 2 * len(_WORDS.findall(chars)) > len(chars) else m.group()

    return _CHAR_LINES.sub(joined, text)


def html_document(html: str, encoding: str = "utf-8") -> Document:
    # lxml's own tree: the page is walked twice (tables, then text) without building Python objects per node
    root = html_tree(html.encode("utf-8", "replace"))
    if root is None:
        return Document([], kind="html", encoding=encoding, meta={})
    meta = _meta(root)
    if links := _link_texts(root):
        meta["links"] = links
    _inline_srcdoc(root)
    stylesheet.apply(root)  # (before the rows and cells are judged: what its classes hide)
    mark_asides(root)
    grids, tables = _read_tables(root)
    blocks: list[Block] = []
    lines: list[str] = []
    order = 0
    text = _drawn_text(root, tables)
    strings = text.out
    # (a paged article's pages joined: each page's own element holds a piece of the report, the last part's end
    # on a later page)
    holder = None if JOINED in html else article.holder(text.headed, tables)
    if holder is not None and (end := _report_end(text, holder)) is not None:
        strings.insert(end, f"\n{END}\n")  # where the report ends (not the page)
    for raw in _one_a_line("".join(strings).replace("\xa0", " ")).splitlines():
        line = raw.strip()
        if line == END:  # where the element holding the report ends
            if lines:
                blocks.append(Block("\n".join(lines)))
                lines = []
            blocks.append(Block(end=True))
        elif line.startswith(PLACEHOLDER):
            if lines:
                blocks.append(Block("\n".join(lines)))
                lines = []
            grid = grids[int(line[len(PLACEHOLDER) :].rstrip("\x00"))]
            grid.number = order
            order += 1
            blocks.append(Block(grid=grid))
        elif line or (lines and lines[-1]):  # HTML whitespace carries no meaning: one empty line at most
            lines.append(line)
    if lines:
        blocks.append(Block("\n".join(lines)))
    if (paged := page_of(html)) is not None:  # the other pages' parts and tables are not here: said, not missing
        blocks.append(Block(f"[报告分页发布：本页为第{paged[0]}页，共{paged[1]}页]"))
    return Document(blocks, kind="html", encoding=encoding, meta=meta)
