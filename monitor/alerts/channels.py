"""TODO"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiohttp
import aiosmtplib

from monitor.alerts.render import Rendered
from monitor.config import WEBHOOK_FORMATS, Settings
from monitor.redact import redact

log = logging.getLogger("govmon.alerts")


TIMEOUT = 15.0  # one webhook request in all


SEND_TIMEOUT = 30.0  # one message on any channel, all its round trips: a channel that hangs costs this, once


SMTP_TIMEOUT = 10.0  # connect, greeting, and each SMTP command: a server that never greets costs this, once a pass


class DeliveryError(Exception):
    """A channel refused or failed: the message stays in the outbox and is retried. ``down``: the channel
    itself cannot be reached, so the rest of its batch fails at once instead of waiting out each timeout.
    ``permanent``: retrying cannot help (SMTP 5xx, a recipient that cannot be written in a header): dead now."""

    def __init__(self, message: str, down: bool = False, permanent: bool = False) -> None:
        super().__init__(redact(message))
        self.down, self.permanent = down, permanent


class Link:
    """What one delivery pass shares: the HTTP session, one SMTP connection for all its e-mails, and the
    channels found down (not tried again until the next pass)."""

    def __init__(self) -> None:
        self.http = aiohttp.ClientSession()
        self.smtp: aiosmtplib.SMTP | None = None
        self.down: dict[str, str] = {}

    async def __aenter__(self) -> Link:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            try:
                await self.smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self.smtp.close()
        await self.http.close()


# ---------------------------------------------------------------- e-mail
def email_message(settings: Settings, recipient: str, r: Rendered, key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = r.subject
    msg["From"] = settings.email.sender if settings.email else "govmon@localhost"
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    # Stable per (event, recipient): a mail system that sees a retry after a crash can drop the copy.
    msg["Message-ID"] = f"<{hashlib.sha256(f'{key}|{recipient}'.encode()).hexdigest()[:32]}@govreport-monitor>"
    msg.set_content(r.text)
    msg.add_alternative(r.html, subtype="html")
    return msg


_SMTP_DOWN = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPAuthenticationError,
    OSError,
    TimeoutError,
)


async def send_email(
    settings: Settings, _channel: str, recipient: str, r: Rendered, event: dict[str, Any], link: Link
) -> None:
    e = settings.email
    if e is None:
        raise DeliveryError("no [alerts.email] in sources.toml")
    try:
        if link.smtp is None or not link.smtp.is_connected:
            link.smtp = aiosmtplib.SMTP(
                hostname=e.host,
                port=e.port,
                use_tls=e.tls == "ssl",
                start_tls=e.tls == "starttls",
                username=e.username,
                password=e.password,
                timeout=SMTP_TIMEOUT,
            )
            await link.smtp.connect()  # greets, STARTTLS and login as configured
        await link.smtp.send_message(_message(settings, recipient, r, event["key"]))
    except aiosmtplib.SMTPRecipientsRefused as exc:  # every recipient refused: by its code, for good or for now
        codes = [x.code for x in exc.recipients]
        raise DeliveryError(f"SMTP {e.host}:{e.port}: {exc}", permanent=all(c >= 500 for c in codes)) from exc
    except aiosmtplib.SMTPResponseException as exc:
        if isinstance(exc, _SMTP_DOWN):  # the server or the login, not this message: the batch waits
            if link.smtp is not None:
                link.smtp.close()
            raise DeliveryError(f"SMTP {e.host}:{e.port}: {type(exc).__name__}: {exc}", down=True) from exc
        if exc.code >= 500:  # 5xx: this message is refused for good; 4xx: try again later
            raise DeliveryError(f"SMTP {e.host}:{e.port}: refused: {exc.code} {exc.message}", permanent=True) from exc
        raise DeliveryError(f"SMTP {e.host}:{e.port}: {type(exc).__name__}: {exc}") from exc
    except _SMTP_DOWN as exc:
        if link.smtp is not None:
            link.smtp.close()
        raise DeliveryError(f"SMTP {e.host}:{e.port}: {type(exc).__name__}: {exc}", down=True) from exc
    except aiosmtplib.SMTPException as exc:  # this message refused (a recipient, a size): the others may go
        raise DeliveryError(f"SMTP {e.host}:{e.port}: {type(exc).__name__}: {exc}") from exc


def _message(settings: Settings, recipient: str, r: Rendered, key: str) -> EmailMessage:
    """The e-mail, or a permanent DeliveryError when it cannot be written (a header with a line break in it,
    from a database older than the check at load): that one message is dead, the others go."""
    try:
        return email_message(settings, recipient, r, key)
    except ValueError as exc:
        raise DeliveryError(f"the message cannot be written: {exc}", permanent=True) from exc


async def write_eml(
    settings: Settings, _channel: str, recipient: str, r: Rendered, event: dict[str, Any], _link: Link
) -> None:
    """The local sink (the demo's, or a mail gateway's pick-up folder): one .eml file per message."""
    folder = settings.outbox_dir
    if folder is None:
        raise DeliveryError("no outbox_dir in [monitor]")
    folder.mkdir(parents=True, exist_ok=True)
    key = event["key"]
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{hashlib.sha256(f'{key}|{recipient}'.encode()).hexdigest()[:12]}.eml"
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(bytes(_message(settings, recipient, r, key)))
    os.replace(tmp, folder / name)  # atomic: a reader never sees half a message


# ---------------------------------------------------------------- webhooks
def _json(r: Rendered, event: dict[str, Any], secret: str | None) -> tuple[str, dict[str, str], bytes]:
    body = json.dumps(
        {
            "event": event["kind"],
            "key": event["key"],
            "subject": r.subject,
            "text": r.text,
            **json.loads(event["payload"]),
        },
        ensure_ascii=False,
    ).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Govmon-Event": event["kind"]}
    if secret:
        headers["X-Govmon-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return "", headers, body


def _dingtalk(r: Rendered, _event: dict[str, Any], secret: str | None) -> tuple[str, dict[str, str], bytes]:
    query = ""
    if secret:  # 加签: timestamp + "\n" + secret, HMAC-SHA256, base64, URL-encoded
        ts = str(int(time.time() * 1000))
        sign = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
        query = f"timestamp={ts}&sign={urllib.parse.quote_plus(sign.decode())}"
    body = {"msgtype": "markdown", "markdown": {"title": r.subject, "text": r.markdown}}
    return query, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


def _wecom(r: Rendered, _event: dict[str, Any], _secret: str | None) -> tuple[str, dict[str, str], bytes]:
    body = {"msgtype": "markdown", "markdown": {"content": r.markdown[:4000]}}  # the robot's limit is 4096 bytes
    return "", {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


def _feishu(r: Rendered, _event: dict[str, Any], secret: str | None) -> tuple[str, dict[str, str], bytes]:
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": r.text}}
    if secret:  # 签名校验: HMAC-SHA256 keyed with timestamp + "\n" + secret over an empty message, base64
        ts = str(int(time.time()))
        body["timestamp"] = ts
        body["sign"] = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return "", {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


FORMATS: dict[str, Callable[[Rendered, dict[str, Any], str | None], tuple[str, dict[str, str], bytes]]] = {
    "json": _json,
    "dingtalk": _dingtalk,
    "wecom": _wecom,
    "feishu": _feishu,
}


assert tuple(FORMATS) == WEBHOOK_FORMATS, "config.WEBHOOK_FORMATS must name exactly the formats here"


async def send_webhook(
    settings: Settings, channel: str, _recipient: str, r: Rendered, event: dict[str, Any], link: Link
) -> None:
    name = channel.split(":", 1)[1]
    hook = next((w for w in settings.webhooks if w.name == name), None)
    if hook is None:
        raise DeliveryError(f"webhook '{name}' is no longer in sources.toml")
    query, headers, body = FORMATS[hook.format](r, event, hook.secret)
    url = hook.url + (("&" if "?" in hook.url else "?") + query if query else "")
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT, sock_connect=SMTP_TIMEOUT)
        async with link.http.post(url, data=body, headers=headers, timeout=timeout) as resp:
            text = await resp.text(errors="replace")
            if resp.status >= 300:
                raise DeliveryError(f"webhook {name}: HTTP {resp.status}: {text[:200]}")
            if hook.format != "json":  # the robots answer 200 with an error code in the body
                answer = json.loads(text or "{}")
                code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
                if code:
                    raise DeliveryError(f"webhook {name}: robot refused: {text[:200]}")
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        raise DeliveryError(f"webhook {name}: {type(exc).__name__}: {exc}", down=True) from exc
    except (aiohttp.ClientError, json.JSONDecodeError) as exc:
        raise DeliveryError(f"webhook {name}: {type(exc).__name__}: {exc}") from exc


Sender = Callable[[Settings, str, str, Rendered, dict[str, Any], Link], Awaitable[None]]


CHANNELS: dict[str, Sender] = {"email": send_email, "eml": write_eml, "webhook": send_webhook}


async def send(
    settings: Settings, channel: str, recipient: str, r: Rendered, event: dict[str, Any], *, link: Link
) -> None:
    """Deliver one message; channel is "email", "eml" or "webhook:NAME". Raises DeliveryError, at once
    when the channel was found down earlier in this pass."""
    if channel in link.down:
        raise DeliveryError(f"{link.down[channel]} (not tried again in this pass)", down=True)
    try:
        async with asyncio.timeout(SEND_TIMEOUT):
            await CHANNELS[channel.split(":", 1)[0]](settings, channel, recipient, r, event, link)
    except TimeoutError as exc:
        if channel == "email" and link.smtp is not None:
            link.smtp.close()
        link.down[channel] = f"{channel}: no answer within {SEND_TIMEOUT:.0f} s"
        raise DeliveryError(link.down[channel], down=True) from exc
    except DeliveryError as exc:
        if exc.down:
            link.down[channel] = str(exc)
        raise
