"""Stage: watch, a page a portal answers in place of the one asked for, often with status 200: an anti-bot check (瑞数's
script that sets a cookie and loads the page again), a firewall's block page (安全狗, 云锁, 创宇盾), a maintenance
notice, or a "page not found" page. Asked only of a page in which nothing was found (no report, no report link), so
that what govmon says of it names what the portal did, not a wrong address or a page that is not a report, and so
that a column's "not found" page is never read as a column with nothing in it (review 111). Such a page says what it
is in few words; a column's page that only mentions such words (a footer's 系统维护 company, a sidebar's 文件已失效, a
script's message: review 113) says much else besides, and is not one."""

from __future__ import annotations

import html as entities
import re

# 瑞数 (Rivers): a script setting $_ts, its tags marked r="m", and an empty body: told by its markup
_RIVERS = re.compile(r"\$_ts\s*=|<(?:script|meta)\b[^>]*\sr=[\"']m[\"']", re.I)
# (what staff are told the page is, what its words show), the first that matches; seen on real portals (review 111)
_SAID: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "网站防火墙的拦截页面",
        re.compile(
            r"安全狗|safedog|云锁|yunsuo|创宇盾|知道创宇|加速乐|jiasule|网站防火墙|web应用防火墙"
            r"|访问(请求)?(被|已被)(拦截|拒绝|阻断)|(已被|被)(网站管理员(设置)?)?拦截|拦截了您的(访问|请求)",
            re.I,
        ),
    ),
    # not a footer's 网站维护：XX信息中心 (who keeps the site), nor a banner announcing next week's 升级维护
    ("网站维护通知页面", re.compile(r"维护中|正在(进行)?(系统)?(升级)?维护|升级中")),
    (
        "“页面不存在”页面",
        re.compile(
            r"(页面|网页)(不存在|已(被)?删除|已失效|未找到|找不到)|(信息|文章|内容|栏目|文件)(不存在|已(被)?删除)"
            r"|找不到(您|你)?(要|所)?(访问|请求|查找)?的?(页面|网页)"
            r"|404\s*(not\s*found|错误)",
            re.I,
        ),
    ),
)
SHORT = 1500  # characters of words at most on a page answered in place of another (a block page in its site's chrome)
_UNSEEN = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


def refusal(html: str) -> str | None:
    """What the page is, where it is one a portal answers in place of the page asked for (网站的反爬虫验证页面…);
    None for any other page."""
    if _RIVERS.search(html):
        return "网站的反爬虫验证页面（需运行脚本）"
    words = " ".join(entities.unescape(_TAG.sub(" ", _UNSEEN.sub(" ", html))).split())
    if len(words) > SHORT:
        return None
    return next((said for said, shows in _SAID if shows.search(words)), None)
