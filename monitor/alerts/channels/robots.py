"""The robots' webhook formats: DingTalk (Markdown, 加签 in the query), WeCom (Markdown, at most 4000 characters)
and Feishu (text, 签名校验 in the body). Each is registered under its ``format =`` name."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

from monitor.alerts.channels.registry import Outgoing
from monitor.alerts.channels.webhook import Request, webhook_format

JSON = {"Content-Type": "application/json"}


@webhook_format("dingtalk", robot=True)
def dingtalk(message: Outgoing, secret: str | None) -> Request:
    r = message.rendered
    query = ""
    if secret:  # 加签: timestamp + "\n" + secret, HMAC-SHA256, base64, URL-encoded
        ts = str(int(time.time() * 1000))
        sign = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
        query = f"timestamp={ts}&sign={urllib.parse.quote_plus(sign.decode())}"
    body = {"msgtype": "markdown", "markdown": {"title": r.subject, "text": r.markdown}}
    return Request(query, dict(JSON), json.dumps(body, ensure_ascii=False).encode())


@webhook_format("wecom", robot=True)
def wecom(message: Outgoing, _secret: str | None) -> Request:
    body = {"msgtype": "markdown", "markdown": {"content": message.rendered.markdown[:4000]}}  # the limit: 4096 bytes
    return Request("", dict(JSON), json.dumps(body, ensure_ascii=False).encode())


@webhook_format("feishu", robot=True)
def feishu(message: Outgoing, secret: str | None) -> Request:
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": message.rendered.text}}
    if secret:  # 签名校验: HMAC-SHA256 keyed with timestamp + "\n" + secret over an empty message, base64
        ts = str(int(time.time()))
        body["timestamp"] = ts
        body["sign"] = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return Request("", dict(JSON), json.dumps(body, ensure_ascii=False).encode())
