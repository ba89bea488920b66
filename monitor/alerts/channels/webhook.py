"""The webhook channel: each ``[[alerts.webhook]]`` (its ``Webhook`` section) is an address ``webhook:NAME``,
posted to in its ``format``. The formats by the name sources.toml gives them: ``json`` here (the generic body,
signed; README "The JSON webhook body"), the robots (DingTalk, WeCom, Feishu) in ``robots``. A format's name is
one ``config.WEBHOOK_FORMATS`` accepts: the config reader refuses any other at load, naming file, line and key."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from monitor.alerts.channels.registry import Channel, DeliveryError, Link, Outgoing, register
from monitor.config import WEBHOOK_FORMATS, Settings, Source, Webhook
from monitor.redact import redact

log = logging.getLogger("govmon.alerts")
TIMEOUT = 15.0  # one webhook request in all
CONNECT_TIMEOUT = 10.0  # its connection, as the SMTP channel's


@dataclass(frozen=True)
class Request:
    """What a format posts: a query string for the webhook's URL ("" for none), the headers and the body."""

    query: str
    headers: dict[str, str]
    body: bytes


Builder = Callable[[Outgoing, str | None], Request]  # the message and the webhook's secret (None: unsigned)


@dataclass(frozen=True)
class Format:
    """A webhook format: its body, and whether it is a robot that answers 200 with an error code in its body."""

    name: str
    build: Builder
    robot: bool


FORMATS: dict[str, Format] = {}


def webhook_format(name: str, *, robot: bool) -> Callable[[Builder], Builder]:
    """Register a format under the name ``format =`` gives it in sources.toml."""

    def add(build: Builder) -> Builder:
        if name not in WEBHOOK_FORMATS:
            raise ValueError(f"webhook format '{name}': sources.toml accepts {', '.join(WEBHOOK_FORMATS)} (config.py)")
        if name in FORMATS:
            raise ValueError(f"webhook format '{name}' is registered twice")
        FORMATS[name] = Format(name, build, robot)
        return build

    return add


def unbound() -> list[str]:
    """The formats sources.toml accepts that no module registered (none, once ``channels`` is imported)."""
    return [name for name in WEBHOOK_FORMATS if name not in FORMATS]


@webhook_format("json", robot=False)
def json_body(message: Outgoing, secret: str | None) -> Request:
    """The generic body: the envelope (``event``, ``key``, ``subject``, ``text``), then the payload's fields
    (``Payload.to_json``), signed with HMAC-SHA256 of the body when a secret is configured."""
    body = json.dumps(
        {
            "event": message.kind,
            "key": message.key,
            "subject": message.rendered.subject,
            "text": message.rendered.text,
            **message.payload.to_json(),
        },
        ensure_ascii=False,
    ).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Govmon-Event": message.kind}
    if secret:
        headers["X-Govmon-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Request("", headers, body)


async def send_webhook(hook: Webhook, _recipient: str, message: Outgoing, link: Link) -> None:
    form = FORMATS.get(hook.format)
    if form is None:  # a Settings made in code: sources.toml cannot name one
        raise DeliveryError(
            f"webhook {hook.name}: unknown format '{hook.format}'; valid formats are {', '.join(FORMATS)}",
            permanent=True,
        )
    request = form.build(message, hook.secret)
    url = hook.url + (("&" if "?" in hook.url else "?") + request.query if request.query else "")
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        async with link.http.post(url, data=request.body, headers=request.headers, timeout=timeout) as resp:
            text = await resp.text(errors="replace")
            if resp.status >= 300:
                raise DeliveryError(f"webhook {hook.name}: HTTP {resp.status}: {text[:200]}")
            if form.robot and (resp.content_type == "text/html" or text.lstrip().startswith("<")):
                raise DeliveryError(  # a proxy's or a server's page at a wrong address: the robot never saw it
                    f"webhook {hook.name}: answered with a web page, not a robot's answer: is its url right?"
                )
            if form.robot and _refused(hook, text):  # the robots answer 200 with an error code in the body
                raise DeliveryError(f"webhook {hook.name}: robot refused: {text[:200]}")
    except TimeoutError as exc:  # (its own words are none)
        raise DeliveryError(f"webhook {hook.name}: no answer in time (at most {TIMEOUT:.0f} s)", down=True) from exc
    except aiohttp.ClientConnectionError as exc:
        raise DeliveryError(f"webhook {hook.name}: {type(exc).__name__}: {exc}", down=True) from exc
    except aiohttp.ClientError as exc:
        raise DeliveryError(f"webhook {hook.name}: {type(exc).__name__}: {exc}") from exc


def _refused(hook: Webhook, text: str) -> bool:
    """Whether a robot's 2xx answer says it refused the message (a non-zero ``errcode``, ``code`` or
    ``StatusCode``). An answer that is no robot's (a relay before it answering ``ok``) was accepted by HTTP: taken
    as delivered, with a warning, since sending it again at every retry would repeat it in the group each time."""
    try:
        answer = json.loads(text or "{}")
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        log.warning("webhook %s answered %r, not a robot's answer: taken as delivered", hook.name, text[:200])
        return False
    return bool(answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))))


def _sections(settings: Settings) -> dict[str, Webhook]:
    return {f"webhook:{w.name}": w for w in settings.webhooks}


def _recipients(hook: Webhook, _source: Source | None) -> tuple[str, ...]:
    return (redact(hook.url),)  # the recipient is shown and stored: its credentials are not


register(
    Channel(
        "webhook",
        "[[alerts.webhook]]",
        _sections,
        _recipients,
        send_webhook,
        "webhook '{name}' is no longer in sources.toml",
    )
)
