"""The channels alerts reach staff by, each registered under its config key with the section it reads
(``registry``): ``email`` (``[alerts.email]``), ``eml`` (``outbox_dir``), ``webhook`` (each ``[[alerts.webhook]]``,
in its format: ``json`` in ``webhook``, the robots in ``robots``). A new channel is one module here that
registers a ``Channel`` (and its section in ``config.py``); a new webhook format one ``@webhook_format`` function
(and its name in ``config.WEBHOOK_FORMATS``). Imported in the order alerts are queued: e-mail, .eml, webhooks.
"""

from __future__ import annotations

from monitor.alerts.channels import email, eml, robots, webhook
from monitor.alerts.channels.registry import (
    CHANNELS,
    Channel,
    DeliveryError,
    Link,
    Outgoing,
    recipients,
    register,
    send,
)
from monitor.alerts.channels.webhook import FORMATS, webhook_format

__all__ = [
    "CHANNELS",
    "FORMATS",
    "Channel",
    "DeliveryError",
    "Link",
    "Outgoing",
    "email",
    "eml",
    "recipients",
    "register",
    "robots",
    "send",
    "webhook",
    "webhook_format",
]

if webhook.unbound():  # a name sources.toml accepts that nothing here can post: refused before any poll
    raise ImportError(f"webhook format(s) {', '.join(webhook.unbound())} in config.WEBHOOK_FORMATS have no module")
