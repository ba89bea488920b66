"""Stage: parse (parts). A report's lines -> where each of the six parts starts and ends: headings by what
they say (inline, numbered, Markdown, 第一部分…), a numbering that runs between named neighbours, tables of
contents and preamble lists dropped, page footers and Markdown rules cleaned first (``clean_lines``)."""

from __future__ import annotations

import itertools
import re

from monitor.model import (
    CN,
    PART_WORDS,
    SECTION_NAMES,
    parts_of,
)

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


# 一、总体情况; 一 总体情况; and as IMEs and GB2312's decoders leave the 、 (review 95): 丶 typed for it, 一。 (an IME's
# "一." after a hanzi), 一；, 一· or 一・ (GB2312's A1A4 either way)
_SEPARATOR = "、.,:．丶。;·・"
_HEADING = re.compile(rf"^([一二三四五六七八九十]{{1,2}})(?:\s*[{_SEPARATOR}]\s*|\s+)(.{{1,40}})$")


_HEADED_LINE = re.compile(r"^([一二三四五六])\s*[、丶]\s*([^。:]{2,40})[。:]")  # 六、其他需要报告的事项。本年度…


# Other numberings of the parts (1.总体情况, 第一部分 总体情况, (一)总体情况): headings only where three or more
# of one numbering name parts in order, as a report's structure does (a sub-item "1.…" alone is not a part).
_NUMBER_OF = {numeral: n for n, numeral in enumerate("一二三四五六七八九十", start=1)}
_OTHER_NUMBERINGS = (
    re.compile(r"^(\d{1,2})\s*[、.．]\s*(.{2,40})$"),
    re.compile(r"^第([一二三四五六七八九十]{1,2})(?:部分|章)\s*[、.:]?\s*(.{2,40})$"),  # (review 99: 第一章)
    re.compile(r"^\(([一二三四五六])\)\s*(.{2,40})$"),
    re.compile(r"^(I{1,3}|IV|VI?)\s*[、.．]\s*(.{2,40})$"),  # Ⅰ、 (review 99), as NFKC leaves Ⅰ…Ⅵ: I…VI
)
_PARTS_NUMBERED = _OTHER_NUMBERINGS[1]
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}


# a word character: ``\w`` matches every CJK ideograph (U+4E00-U+9FFF are all letters, Lo, in Python's Unicode
# data since 3.11), and compiles in microseconds where ``[\u4e00-\u9fff\w]`` took ~2 ms at every start
_WORD = re.compile(r"\w")


_SUBHEADING5 = re.compile(r"\((一|1)\)\s*(存在的?)?主要问题")


# A part heading standing mid-line in a body on one line (crawler text): its numeral, then up to 36 characters
# ending in the word a heading ends with; what it names is decided by its words (``statute.part_of``).
_INLINE_NAME = r"([一二三四五六])\s*[、丶]\s*([^\s\d。,:;()]{0,36}(?:情况|事项|措施|计划|问题|概述|概况|打算|安排))"
_INLINE = re.compile(r"(?<=\S)\s*" + _INLINE_NAME)
# a heading a converter ran onto the paragraph before it ("…制度规定。六、其他需要报告的事项…"): a part's own name
# after a sentence's end, not an item of a plan ("。六、做好年报中其他需要报告的事项"), nor one of a list of the
# parts ("…改进情况。六、其他需要报告的事项等六个部分", a line naming two parts)
_AFTER_STOP = re.compile(r"(?<=。)\s*" + _INLINE_NAME + "(?!等)")
# a heading a converter set on the line of the table row before it, after the row's last number (PyMuPDF's sorted
# text: "四、结转下年度继续办理 0 0 0 0 0 0 0  四、政府信息公开行政复议、行政诉讼情况")
_AFTER_ROW = re.compile(r"(?<=\d)\s+" + _INLINE_NAME + "(?!等)")
_OWN_NAME = tuple({n[:2] for n in SECTION_NAMES.values()} | {"政府信息公开", "因政府", "工作存在", "政府信息"})


_FOOTER = re.compile(r"^[-—–]+\s*\d{1,3}\s*[-—–]+$|^第\s*\d+\s*页(\s*[,/]?\s*共\s*\d+\s*页)?$")  # — 1 —


_MD_HEADING = re.compile(r"^#{1,6}\s+")


_MARKUP_START = set("#—-–第|:")  # lines that may be Markdown marks, separator rows or page footers


_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def _named(text: str) -> tuple[int, ...]:
    """The parts a heading's words name: one, or two where one heading holds 五 and 六. A table row label
    (一、本年新收…数量) names none."""
    parts = parts_of(re.sub(r"\s+", "", text))
    if any(n in (2, 3, 4) for n in parts) and any(w in text for w in _NOT_HEADING):
        return ()
    return parts


_BARE = re.compile(r"[\s()]")


def _heading(line: str) -> tuple[int, ...]:
    """The parts a heading line names ("四、政府信息公开行政法复议" is 四), or () for any other line. A row of one
    written cell is that cell (a heading copied with a table's tabs after it, a table's title row)."""
    if line.startswith("|"):
        written = [c for c in (c.strip() for c in line.strip("|").split("|")) if c]
        line = written[0] if len(written) == 1 else line
    if len(line) > 400 or line.lstrip("*[ ")[:1] not in _FIRST:
        return ()
    text = line.strip().strip("*[").strip()  # Markdown's emphasis, a span's bracket
    m = _HEADING.match(text) if len(text) <= 60 else None
    if m:
        return _named(m.group(2))
    m = _HEADED_LINE.match(text)
    if m:  # the heading, and its part's one sentence in the same paragraph
        return _named(m.group(2))
    bare = _BARE.sub("", text)
    if (
        text[:1] in _NUMBER_OF
        and (run_on := _RUN_ON.match("".join(text.split())))
        and (number := _run_on(*run_on.groups()))
    ):
        return (number,)
    for number, name in SECTION_NAMES.items():
        if bare in (name, "政府信息公开工作" + name, "政府信息公开" + name):
            return (number,)
    return ()


# 一总体情况: a part's numeral run onto its name, no 、 or space between (review 99), on a line of its own
_RUN_ON = re.compile(r"^([一二三四五六])([^。，,;；:\d]{2,30})$")
_NAME_LEADS = ("政府信息公开工作", "政府信息公开", "行政")  # (四政府信息公开行政复议…: its words begin after them)


def _run_on(numeral: str, words: str) -> int | None:
    """The part a numeral run onto its words heads: the part it numbers, where the words begin with that part's
    own words ("五存在的主要问题…"), not a sentence's ("二是主动公开…", "五年来…", "一季度…")."""
    number = _NUMBER_OF[numeral]
    for lead in _NAME_LEADS:
        words = words.removeprefix(lead)
    return number if words.startswith((SECTION_NAMES[number], *dict(PART_WORDS)[number])) else None


def heading_parts(line: str) -> tuple[int, ...]:
    """The parts a line names as their heading (``()``: it is no heading)."""
    return _heading(line)


def _other_numberings(lines: list[str], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Headings numbered otherwise than 一、 (1.总体情况, 第一部分, (一)): those of one numbering whose parts, with
    the 一、 headings found, stand in the order of the parts and add parts the others do not name (a sub-item
    "2.主动公开情况" inside part 一 breaks the order and is not a heading). Where sub-items numbered as the headings
    break the order ("（一）总体情况", then "（一）主动公开。全面梳理…" inside it), the lines whose number is not the part
    they name are left out and it is tried again (a report numbered one off, a preface as 第一部分, stands in order as
    it is). Of the numberings that do, the one naming the most parts: "1.主动公开…" and "2.依申请公开…" inside part 一
    stand in order too, but name two parts where the report's "第一部分 …" headings name six."""
    best: list[tuple[int, int]] = []
    for numbering in _OTHER_NUMBERINGS:
        titled = [
            (i, m.group(1), m.group(2))
            for i, line in enumerate(lines)
            if line and len(line) <= 60 and (m := numbering.match(line.strip()))
        ]
        named_lines = [(i, _number(numeral), _named(title)) for i, numeral, title in titled]
        for own in (False, True):  # as numbered; then only the lines whose number is the part they name
            other = [(i, n) for i, number, parts in named_lines if not own or number in parts for n in parts]
            named = {n for _, n in other}
            merged = [n for _, n in sorted({*found, *other})]
            # in order; or "第五部分 存在的主要问题…" each naming its own part once, in whatever order the report has
            # them, the items of a part numbered 一、二、 beside them (no sub-item is numbered 第N部分: review 116, a
            # report with 五 and 六 swapped lost 一, 五 and 六; review 120) -- not a list of the parts, its lines a
            # line or two apart (quoted after them: review 118)
            alone = own and numbering is _PARTS_NUMBERED and len(other) == len(named) and not _listed(other)
            ordered = alone or all(a < b for a, b in itertools.pairwise(merged))
            if named - {n for _, n in found} and ordered:
                if len(named) > len({n for _, n in best}):
                    best = other
                break
    return best


def _listed(lines: list[tuple[int, int]]) -> bool:
    """Whether headings stand a line or two apart, each after the one before: a list of the parts, not their heads."""
    at = sorted(i for i, _ in lines)
    return len(at) >= 3 and all(b - a <= 2 for a, b in itertools.pairwise(at))


def _number(numeral: str) -> int:
    """A heading's number: "6", "六"."""
    return int(numeral) if numeral.isdigit() else _NUMBER_OF.get(numeral, _ROMAN.get(numeral, 0))


def headings(lines: list[str]) -> list[tuple[int, int]]:
    """(line, part) of every part heading, without a table of contents or a preamble's list of the parts:
    a run of three or more headings a line or two apart whose parts come again further down, or of four or
    more with only punctuation between them ("一、总体情况；二、…；…"). A part whose heading's words are not
    known is still found where the numbering puts it: "五、…" between the headings of 四 and 六."""
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
    dropped: set[int] = set()
    later_of: list[frozenset[int]] = []  # the parts of the runs after each run, gathered once (not once a run:
    after: frozenset[int] = frozenset()  # a page of thousands of headings took 35 s)
    for run in reversed(runs):
        later_of.append(after)
        after |= {n for _, n in run}
    later_of.reverse()
    for run, later in zip(runs, later_of, strict=True):
        between = [[lines[j] for j in range(a[0] + 1, b[0])] for a, b in itertools.pairwise(run)]
        listed = len(run) >= 4 and all(  # separated by punctuation only, as a sentence listing the parts is
            any(x.strip() for x in gap) and not any(_WORD.search(x) for x in gap) for gap in between
        )
        if (len(run) < 3 or len({n for _, n in run} & later) < 3) and not listed:
            out.extend(run)
        else:
            dropped |= {i for i, _ in run}
    if len({n for _, n in out}) >= 3:  # a report's structure, named by its words: its numbering is evidence too
        out = sorted({*out, *_by_numbering(lines, out, dropped)})
        out = sorted({*out, *_unnumbered(lines, out, dropped)})
    if not any(n == 5 for _, n in out):  # 五 told only by its sub-headings: "(一)主要问题" … "(二)改进情况"
        sub = next((i for i, line in enumerate(lines) if _SUBHEADING5.search(line)), None)
        if sub is not None:
            out = sorted([*out, (sub, 5)])
    return out


_NUMBERED = re.compile(r"^([一二三四五六])\s*[、.．丶]\s*([^\d|]{2,30})$")  # (not "六，七月份…": review 96)


def _by_numbering(lines: list[str], found: list[tuple[int, int]], dropped: set[int]) -> list[tuple[int, int]]:
    """Parts whose heading no word named, found by the numbering: the one line "N、…" (a short heading, not a
    table row) after the heading of the part before and before the heading of the part after, one of which
    was found."""
    at = {n: i for i, n in sorted(found, reverse=True)}  # each part's first heading
    out = []
    for n in range(1, 7):
        if n in at or (n - 1 not in at and n + 1 not in at):
            continue
        lo = at.get(n - 1, -1)
        hi = min((i for m, i in at.items() if m > n), default=len(lines))
        numeral = "一二三四五六"[n - 1]
        hits = [
            i
            for i in range(lo + 1, hi)
            if i not in dropped
            and (m := _NUMBERED.match(lines[i].strip()))
            and m.group(1) == numeral
            and not any(w in m.group(2) for w in _NOT_HEADING)
        ]
        if len(hits) == 1:
            out.append((hits[0], n))
            at[n] = hits[0]  # the next part may stand after this one
    return out


# a short line that is no sentence and no table row, numbered by nothing or by the part's own numeral in any form
# ("(五)存在的主要问题…", "五存在的…"); another numeral makes it an item ("(一)收取信息处理费情况" in 六)
_BARE_HEADING = re.compile(
    r"^(?:\(([一二三四五六七八九十])\)|第([一二三四五六七八九十])部分|([一二三四五六七八九十]))?[^\d|。，,；;：:！!？?]{4,30}$"
)


def _unnumbered(lines: list[str], found: list[tuple[int, int]], dropped: set[int]) -> list[tuple[int, int]]:
    """Parts whose heading was written without its numeral ("存在的主要问题及明年工作计划" on a line of its own,
    the number lost in an editor): the one short line whose words name the part, after the heading of the
    part before and before the heading of the next part found. A false "part missing" costs staff a morning."""
    at = {n: i for i, n in sorted(found, reverse=True)}
    out = []
    for n in range(2, 7):
        if n in at or n - 1 not in at:
            continue
        hi = min((i for m, i in at.items() if m > n), default=len(lines))
        hits = [
            i
            for i in range(at[n - 1] + 1, hi)
            if i not in dropped
            and (m := _BARE_HEADING.match(line := lines[i].strip().strip("*").strip()))
            and (m[m.lastindex] == CN[n] if m.lastindex else True)
            and n in _named(line)
        ]
        if len(hits) == 1:
            out.append((hits[0], n))
            at[n] = hits[0]
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


def _ran_on(line: str, after: re.Pattern[str]) -> bool:
    """Whether a line holds a part's heading run onto what stands before it (``after`` that), and no other part's
    name."""
    named = {p for m in _INLINE.finditer(line) for p in _named(m[2])}
    return len(named) == 1 and any(m[2].startswith(_OWN_NAME) for m in after.finditer(line))


def _own_heading(m: re.Match[str]) -> str:
    return _inline_heading(m) if m[2].startswith(_OWN_NAME) else m[0]


def _run_onto(line: str) -> re.Pattern[str] | None:
    """What a part's heading was run onto in this line: a sentence's end, a table row's last number; or None."""
    if "。" in line and _ran_on(line, _AFTER_STOP):
        return _AFTER_STOP
    if "、" in line and _AFTER_ROW.search(line) and _ran_on(line, _AFTER_ROW):
        return _AFTER_ROW
    return None


def clean_lines(text: str) -> list[str]:
    """Lines as a reader sees them: Markdown marks, separator rows and page footers dropped, a body
    on one line broken at its part headings."""
    out: list[str] = []
    raw = text.split("\n")
    for k, line in enumerate(raw):
        if len(line) > 1000 and _INLINE.search(line):  # a whole body on one line, not a sentence listing the parts
            out.extend(part.strip() for part in _INLINE.sub(_inline_heading, line).split("\n"))
            continue
        if (after := _run_onto(line)) is not None:
            out.extend(part.strip() for part in after.sub(_own_heading, line).split("\n"))
            continue
        if not line or (line[0] not in _MARKUP_START and "**" not in line):
            out.append(line)
            continue
        plain = _MD_HEADING.sub("", line).replace("**", "")
        if _FOOTER.match(plain) and out and not out[-1] and k + 1 < len(raw) and not raw[k + 1].strip():
            out.pop()  # a page's number in a paragraph of its own: gone with the paragraph break it made
            continue
        out.append("" if _FOOTER.match(plain) or _MD_RULE.match(plain) else plain)
    return out
