"""The .eml folder channel: ``outbox_dir`` in ``[monitor]``, the demo's sink or a mail gateway's pick-up folder.
Each message is the e-mail the SMTP channel would send (From the ``[alerts.email]`` sender when there is one),
written as one file and renamed into place."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.alerts.channels.email import written
from monitor.alerts.channels.registry import Channel, Link, Outgoing, register
from monitor.config import Settings, Source


@dataclass(frozen=True)
class EmlFolder:
    """Its section: the folder, and the sender its messages name."""

    folder: Path
    sender: str


async def write_eml(section: EmlFolder, recipient: str, message: Outgoing, _link: Link) -> None:
    """One .eml file per message, named by time and (event, recipient)."""
    folder = section.folder
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(f"{message.key}|{recipient}".encode()).hexdigest()[:12]
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{digest}.eml"
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(bytes(written(section.sender, recipient, message)))
    os.replace(tmp, folder / name)  # atomic: a reader never sees half a message


def _sections(settings: Settings) -> dict[str, EmlFolder]:
    if settings.outbox_dir is None:
        return {}
    return {"eml": EmlFolder(settings.outbox_dir, settings.email.sender if settings.email else "govmon@localhost")}


def _recipients(_section: EmlFolder, source: Source | None) -> tuple[str, ...]:
    """The source's ``alert_to``, else one local address."""
    return source.alert_to if source and source.alert_to else ("oversight@localhost",)


register(Channel("eml", "outbox_dir in [monitor]", _sections, _recipients, write_eml, "no outbox_dir in [monitor]"))
