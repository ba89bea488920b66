"""Stage: parse (dates). The 发布日期 a report's page gives: a 发布时间/发布日期 field in its head (or a 日期/时间
one, not a 成文日期 nor a statistics period; else its 来源 line's), in Arabic or Chinese numerals; or a page's
``<meta>`` date."""

from __future__ import annotations

import itertools
import re
from datetime import date

from monitor.model import CN_DIGITS

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


_DATE_LABEL = re.compile(r"(发布时间|发布日期|发文日期|公开日期|日期|时间)")
# (a reader service's header, r.jina.ai's: "Published Time: 2024-02-26T16:02:00+08:00", review 117)
_PUBLISHED_LABEL = re.compile(r"发布(时间|日期)|公开日期|(?i:published[ _]time)")


def find_published(lines: list[str], head_end: int, title_line: int = -1) -> date | None:
    """The date from a 发布时间/发布日期 field in the page head (before part 一; a crawler's Markdown keeps a
    portal's menus, a hundred lines and more, above it), else a 日期/时间 one (not a 成文日期 nor a statistics
    period), else the 来源 line's; of two fields of one kind, the one after the title first (a list of the latest
    news above the article carries its items' dates), else None. The date is the one after the field's name, on its
    line or the next short ones: an index box's row holds other fields' dates too ("生成日期 | 2024-01-20 | 发布日期
    | 2024-01-26", "更新时间：2024-03-06 发布时间：2024-01-26", "成文日期：… 发布日期：…")."""
    head = list(lines[: max(head_end, 1)][: _written(lines, 240)])  # 240 lines of words (a crawler keeps blank ones)
    order = [*range(max(title_line, 0), len(head)), *range(min(max(title_line, 0), len(head)))]
    for priority in (_PUBLISHED_LABEL, _DATE_LABEL, re.compile(r"来源")):
        for i in order:
            found = _dated(head, i, priority)
            if found is not None:
                return found
    return None


def _dated(head: list[str], i: int, label: re.Pattern[str]) -> date | None:
    """The date a field named by ``label`` on line ``i`` gives: after its name on the line, else on the next two
    short lines written, else before it on a line naming no other field's date ("2021-01-29 来源:莱西政务网"); a
    name within another field's (统计时间, 成文日期) names none."""
    line = head[i]
    others = [(m.start(), m.end()) for m in _NOT_PUBLISHED.finditer(line)]
    for named in label.finditer(line):
        if any(a < named.end() and named.start() < b for a, b in others):
            continue
        rest = line[named.end() :]
        field = _NEXT_FIELD.search(rest)  # the field's own words end where another field's name begins
        after = rest[: field.start()] if field else rest
        # a cell left empty: the next short lines, up to one naming another field (成文日期: review 110)
        nearby = (
            []
            if "|" in after
            else list(
                itertools.takewhile(
                    lambda x: not _NEXT_FIELD.search(x), [x for x in head[i + 1 : i + 6] if x.strip()][:2]
                )
            )
        )
        before = line[: named.start()] if not others else ""
        for text in (after, *(x for x in nearby if len(x) <= 25), before):
            if (found := _date_in(text)) is not None:
                return found
    return None


_NEXT_FIELD = re.compile(
    r"(成文|生成|更新|统计|印发|生效|发布|公开)?(日期|时间|期限)|来源|浏览|点击|字号|发布机构|索引号|文号"
)


# a date in Chinese numerals, as a 发布日期 field may give it (二〇二五年一月二十日, review 108)
_CN_DATE = re.compile(
    r"([一二][〇○◯零一二三四五六七八九]{3})\s*年\s*([一二三四五六七八九十]{1,2})\s*月\s*([一二三四五六七八九十]{1,3})\s*[日号]"
)


def _cn_number(numerals: str) -> int:
    """一 … 九, 十, 十一 … 十九, 二十 … 三十一."""
    tens, _, units = numerals.rpartition("十")
    if "十" not in numerals:
        return int(numerals.translate(CN_DIGITS))
    return int((tens or "一").translate(CN_DIGITS)) * 10 + (int(units.translate(CN_DIGITS)) if units else 0)


def _date_in(text: str) -> date | None:
    found = [(m.start(), m.group(1), m.group(2), m.group(3)) for m in _DATE.finditer(text)]
    found += [
        (m.start(), m[1].translate(CN_DIGITS), str(_cn_number(m[2])), str(_cn_number(m[3])))
        for m in _CN_DATE.finditer(text)
    ]
    for _, year, month, day in sorted(found):
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            continue
    return None


def _written(lines: list[str], n: int) -> int:
    """How many lines from the top hold ``n`` lines with words."""
    seen = 0
    for k, line in enumerate(lines):
        seen += bool(line.strip())
        if seen == n:
            return k + 1
    return len(lines)


# (a crawler's own time: "采集时间：2026-02-01" is when it saved the page, review 117)
_NOT_PUBLISHED = re.compile(
    r"成文日期|统计(时间|期限|周期|时段)|印发日期|生效日期|(采集|抓取|爬取|入库|收录)(时间|日期)"
)


def meta_date(value: str | None) -> date | None:
    m = _DATE.search(value or "")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None
