"""Render report data as a portal page the way real sites do: the statutory template with
rowspan/colspan, <p> wrappers, &nbsp; blanks, and site chrome around the article."""

from __future__ import annotations

from html import escape
from typing import Any

from monitor.model import PRINTED_APPLICANTS as APPLICANTS
from monitor.model import PRINTED_APPLICATION_ROWS as GROUPS


def td(value: object, **attrs: int) -> str:
    a = "".join(f' {k}="{v}"' for k, v in attrs.items())
    text = "&nbsp;" if value is None else escape(str(value))
    return f"<td{a}><p style='text-align:center'><span>{text}</span></p></td>"


def applications_table(rows: dict[str, dict[str, object]]) -> str:
    head = (
        "<tr>"
        + td("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", colspan=3, rowspan=3)
        + td("申请人情况", colspan=7)
        + "</tr><tr>"
        + td("自然人", rowspan=2)
        + td("法人或其他组织", colspan=5)
        + td("总计", rowspan=2)
        + "</tr><tr>"
        + "".join(td(x) for x in APPLICANTS[1:6])
        + "</tr>"
    )
    body = []
    outcome_rows = sum(len(rs) for g, rs in GROUPS[1:6])
    for n, (group, members) in enumerate(GROUPS):
        for k, (key, label) in enumerate(members):
            cells = "".join(td(v) for v in rows[key].values())
            if group is None:
                body.append("<tr>" + td(label, colspan=3) + cells + "</tr>")
                continue
            lead = td("三、本年度办理结果", rowspan=outcome_rows) if (n == 1 and k == 0) else ""
            if n == 1:
                body.append("<tr>" + lead + td(label, colspan=2) + cells + "</tr>")
            else:
                span = td(group, rowspan=len(members)) if k == 0 else ""
                body.append("<tr>" + span + td(label) + cells + "</tr>")
    return "<table border='1'>" + head + "".join(body) + "</table>"


def appeals_table(rows: dict[str, dict[str, object]]) -> str:
    sub = "".join(td(x) for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])
    head = (
        "<tr>"
        + td("行政复议", colspan=5)
        + td("行政诉讼", colspan=10)
        + "</tr><tr>"
        + "".join(td(x, rowspan=2) for x in ["结果<br>维持", "结果<br>纠正", "其他<br>结果", "尚未<br>审结", "总计"])
        + td("未经复议直接起诉", colspan=5)
        + td("复议后起诉", colspan=5)
        + "</tr><tr>"
        + sub
        + sub
        + "</tr>"
    )
    values = "".join(td(v) for r in ("review", "suit_direct", "suit_after_review") for v in rows[r].values())
    return "<table>" + head + "<tr>" + values + "</tr></table>"


def page(title: str, published: str, source: str, body: str, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{escape(title)}_{escape(source)}</title><script>var nav = "一、总体情况";</script>
<style>.x{{color:red}}</style></head><body>
<div class="header"><nav><a href="/">首页</a> | <a href="/zwgk">政务公开</a></nav></div>
<div class="article"><h1>{escape(title)}</h1>
<div class="info">发布时间：{published} 信息来源：{escape(source)} <span class="share">分享到：</span></div>
<div class="content">{body}</div></div>
<div class="footer">主办：{escape(source)} 网站标识码 1234567890</div></body></html>"""


def report_page(data: dict[str, Any], charset: str = "utf-8") -> str:
    """A full 2021-format report page from `check --json` data (title, tables, ...)."""
    active = data["tables"]["active"]
    body = f"""<p>根据《中华人民共和国政府信息公开条例》,特编制本报告。</p>
<p><strong>一、总体情况</strong></p><p>本年度工作平稳推进。</p>
<p><strong>二、主动公开政府信息情况</strong></p>
<table><tr>{td("第二十条第(一)项", colspan=4)}</tr><tr>{td("信息内容")}{td("本年制发件数")}{td("本年废止件数")}{td("现行有效件数")}</tr>
<tr>{td("规章")}{"".join(td(x) for x in active["rules"].values())}</tr>
<tr>{td("行政规范性文件")}{"".join(td(x) for x in active["normative_documents"].values())}</tr></table>
<table><tr>{td("第二十条第(五)项", colspan=2)}</tr><tr>{td("信息内容")}{td("本年处理决定数量")}</tr>
<tr>{td("行政许可")}{td(active["licensing"]["decisions"])}</tr></table>
<table><tr>{td("第二十条第(六)项", colspan=2)}</tr><tr>{td("信息内容")}{td("本年处理决定数量")}</tr>
<tr>{td("行政处罚")}{td(active["penalty"]["decisions"])}</tr><tr>{td("行政强制")}{td(active["coercion"]["decisions"])}</tr></table>
<table><tr>{td("第二十条第(八)项", colspan=2)}</tr><tr>{td("信息内容")}{td("本年收费金额(单位:万元)")}</tr>
<tr>{td("行政事业性收费")}{td(active["fees"]["amount_wan"])}</tr></table>
<p><strong>三、收到和处理政府信息公开申请情况</strong></p>{applications_table(data["tables"]["applications"])}
<p><strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>{appeals_table(data["tables"]["appeals"])}
<p><strong>五、存在的主要问题及改进情况</strong></p><p>仍有不足。</p>
<p><strong>六、其他需要报告的事项</strong></p><p>无。</p>"""
    return page(data["title"], data["published"], data["agency"], body, charset)
