"""How a failure is said to staff, who read Chinese. A document its reader failed on (``damaged``): the reader's
words, with the library's exception named. A page that could not be fetched (``said_cn``): the fetcher words its
errors for the admin's journal, in English (`watch/fetch.py`, `watch/addresses.py`); status, the overview, the mails
and `check URL` show them to staff in Chinese, keeping the URL. An error it does not know (a reader's, already
Chinese; one a newer govmon stored) is shown as it is."""

from __future__ import annotations

import re

HTTP_CN = {
    401: "需要登录",
    403: "拒绝访问",
    404: "页面不存在",
    410: "页面已被删除",
    429: "请求过于频繁",
}

# (the fetcher's words, their Chinese): each a whole reason; \d+ groups are put in the Chinese in order
_REASONS: tuple[tuple[str, str], ...] = (
    (r"HTTP (\d+)\b.*", "网站返回HTTP {0}{1}"),
    (r".*(?:CERTIFICATE|certificate|SSL).*", "网站的HTTPS证书或加密连接有问题"),
    (
        r"cannot connect: .*(?:Name or service not known|name resolution|nodename nor servname|No address).*",
        "网站的域名无法解析",
    ),
    (r"cannot connect: .*", "无法连接到网站"),
    (r"connection failed: .*", "与网站的连接中断"),
    (r"timed out", "网站响应超时"),
    (r"no complete answer within (\d+) s.*", "网站在{0}秒内没有完整回应"),
    (r"the server's answer is not valid HTTP: .*", "网站的回应不是有效的HTTP"),
    (r"body(?: of \d+ bytes)? is over the (\d+) byte limit", "页面超过大小上限（{0}字节）"),
    (r"more than (\d+) redirects.*", "页面跳转超过{0}次（可能循环跳转）"),
    (r"not an http\(s\) URL", "只支持http或https网址"),
    (r"refused: .* address .*", "网址指向内部网络地址，已拒绝访问"),
)
_ATTEMPTS = r"\s*\(gave up after (\d+) attempts\)$"
_RETRY_AFTER = r"; Retry-After (\d+)s is too long for this poll$"
_URL = r"^(\S+://\S+?): (.+)$"


def said_cn(error: str) -> str:
    """``error`` as staff read it: the fetcher's English put into Chinese, its URL kept; anything else as it is."""
    url, reason = (m.group(1), m.group(2)) if (m := re.match(_URL, error)) else ("", error)
    tail = ""
    if m := re.search(_ATTEMPTS, reason):
        reason, tail = reason[: m.start()], f"（重试{m.group(1)}次后放弃）"
    elif m := re.search(_RETRY_AFTER, reason):
        reason, tail = reason[: m.start()], f"（网站要求{m.group(1)}秒后再试，本次不再等待）"
    for pattern, cn in _REASONS:  # (re's own cache compiles each once, when a failure is first said)
        if found := re.fullmatch(pattern, reason.strip()):
            numbers = found.groups()
            if cn.startswith("网站返回HTTP"):
                code = int(numbers[0])
                meaning = HTTP_CN.get(code) or ("服务器出错" if code >= 500 else "")
                said = cn.format(code, f"（{meaning}）" if meaning else "")
            else:
                said = cn.format(*numbers)
            return f"{url}：{said}{tail}" if url else f"{said}{tail}"
    return error


def damaged(failed: str, exc: BaseException) -> str:
    """A document its reader failed on (``failed``: 'PDF文件无法读取'), as staff read it: in Chinese, with the
    library's exception named for an admin's report (its own words quote the file's insides: ``Invalid dictionary
    construct: [/'BaseFont', …``)."""
    return f"{failed}：文件可能已损坏，或不是标准格式（{type(exc).__name__}）"
