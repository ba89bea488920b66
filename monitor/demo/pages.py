"""Render report data as a portal page the way real sites do: the statutory template with
rowspan/colspan, <p> wrappers, &nbsp; blanks, and site chrome around the article."""

from __future__ import annotations

from html import escape
from typing import Any

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
GROUPS = [  # (group label or None, [(row key, label)])
    (None, [("new", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量")]),
    (
        "三、本年度办理结果",
        [("granted", "(一)予以公开"), ("partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)")],
    ),
    (
        "(三)不予公开",
        [
            ("withheld_state_secret", "1.属于国家秘密"),
            ("withheld_prohibited", "2.其他法律行政法规禁止公开"),
            ("withheld_security", "3.危及“三安全一稳定”"),
            ("withheld_third_party", "4.保护第三方合法权益"),
            ("withheld_internal", "5.属于三类内部事务信息"),
            ("withheld_process", "6.属于四类过程性信息"),
            ("withheld_enforcement", "7.属于行政执法案卷"),
            ("withheld_inquiry", "8.属于行政查询事项"),
        ],
    ),
    (
        "(四)无法提供",
        [
            ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
            ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
            ("unavailable_unclear", "3.补正后申请内容仍不明确"),
        ],
    ),
    (
        "(五)不予处理",
        [
            ("rejected_complaint", "1.信访举报投诉类申请"),
            ("rejected_repeat", "2.重复申请"),
            ("rejected_publication", "3.要求提供公开出版物"),
            ("rejected_excessive", "4.无正当理由大量反复申请"),
            ("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息"),
        ],
    ),
    (
        "(六)其他处理",
        [
            ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
            ("other_no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
            ("other_misc", "3.其他"),
        ],
    ),
    (None, [("handled_total", "(七)总计"), ("carried_forward", "四、结转下年度继续办理")]),
]


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
