"""The channels by config key: each registers a ``Channel`` under the name its deliveries carry (``email``,
``eml``, ``webhook``; a webhook's deliveries are ``webhook:NAME``), with the config section it reads. ``send``
finds a delivery's channel and its section and hands the transport only that: the ``Email`` table, the .eml
folder, the one ``Webhook``. Transports know nothing of the outbox: what is due, digests, budget, backoff and dead
letters are ``alerts.outbox``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aiohttp
import aiosmtplib

from monitor.alerts.render import Rendered
from monitor.config import Settings, Source
from monitor.model import Payload
from monitor.redact import redact

SEND_TIMEOUT = 30.0  # one message on any channel, all its round trips: a channel that hangs costs this, once

S = TypeVar("S")  # a channel's config section


class DeliveryError(Exception):
    """A channel refused or failed: the message stays in the outbox and is retried. ``down``: the channel
    itself cannot be reached, so the rest of its batch fails at once instead of waiting out each timeout.
    ``permanent``: retrying cannot help (SMTP 5xx, a recipient that cannot be written in a header): dead now.
    ``too_big``: the message is larger than the server takes (a digest is sent again in halves)."""

    def __init__(self, message: str, down: bool = False, permanent: bool = False, too_big: bool = False) -> None:
        super().__init__(redact(message))
        self.down, self.permanent, self.too_big = down, permanent, too_big


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


@dataclass(frozen=True)
class Outgoing:
    """One message for a channel: the event it tells (its kind, its key, its payload) in its words. A digest is
    one message for several events: its key is the digest's, its kind and payload its first event's."""

    kind: str
    key: str
    payload: Payload
    rendered: Rendered
    # when its (first) event was stored, and where (machine, database): with the key, what makes its Message-ID this
    # installation's own (two databases' events of one key, a source id both give, mailed to one mailbox: review 112)
    made: str = ""


@dataclass(frozen=True)
class Channel(Generic[S]):
    """A way alerts reach staff. ``sections``: its configured addresses (the channel of a delivery), each with
    the config section its transport reads; ``recipients``: whom a source's alerts go to at one address;
    ``send``: the transport, given that section only; ``absent``: why an address stored in the outbox is no
    longer configured (``{address}`` is filled in)."""

    name: str
    config: str  # where sources.toml configures it, for people
    sections: Callable[[Settings], dict[str, S]]
    recipients: Callable[[S, Source | None], tuple[str, ...]]
    send: Callable[[S, str, Outgoing, Link], Awaitable[None]]
    absent: str


CHANNELS: dict[str, Channel[Any]] = {}


def register(channel: Channel[S]) -> Channel[S]:
    """Add a channel under its name; registered in the order its alerts are queued (e-mail, .eml, webhooks)."""
    if channel.name in CHANNELS:
        raise ValueError(f"channel '{channel.name}' is registered twice")
    CHANNELS[channel.name] = channel
    return channel


def recipients(settings: Settings, source: Source | None) -> tuple[tuple[str, str], ...]:
    """(channel address, recipient) pairs for a source's alerts (``source`` None: every configured address's
    default recipients), channel by channel in the order they registered."""
    return tuple(
        (address, recipient)
        for channel in CHANNELS.values()
        for address, section in channel.sections(settings).items()
        for recipient in channel.recipients(section, source)
    )


def configured(settings: Settings, address: str) -> tuple[Channel[Any], Any]:
    """A delivery's channel and its section. A channel name no transport has (a database written by another
    version) is refused for good, naming the valid ones; an address removed from sources.toml is retried."""
    name = address.split(":", 1)[0]
    channel = CHANNELS.get(name)
    if channel is None:
        valid = ", ".join(CHANNELS)
        raise DeliveryError(f"unknown channel '{name}'; valid channels are {valid}", permanent=True)
    section = channel.sections(settings).get(address)
    if section is None:
        raise DeliveryError(channel.absent.format(address=address, name=address.split(":", 1)[-1]))
    return channel, section


async def send(settings: Settings, address: str, recipient: str, message: Outgoing, *, link: Link) -> None:
    """Deliver one message; ``address`` is "email", "eml" or "webhook:NAME". Raises DeliveryError, at once
    when the channel was found down earlier in this pass."""
    if address in link.down:
        raise DeliveryError(f"{link.down[address]} (not tried again in this pass)", down=True)
    channel, section = configured(settings, address)
    try:
        async with asyncio.timeout(SEND_TIMEOUT):
            await channel.send(section, recipient, message, link)
    except TimeoutError as exc:
        link.down[address] = f"{address}: no answer within {SEND_TIMEOUT:.0f} s"
        raise DeliveryError(link.down[address], down=True) from exc
    except DeliveryError as exc:
        if exc.down:
            link.down[address] = str(exc)
        raise
