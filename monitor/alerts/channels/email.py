"""The e-mail channel: ``[alerts.email]`` (the ``Email`` section), one SMTP connection a delivery pass for all its
messages, each message a plain text and an HTML part with a Message-ID stable per (event, recipient). What the
server's answers mean: down (the batch waits: the server, the login, the sender refused), refused for good (a
message's or recipient's 5xx: dead now), or for now (4xx, and 5.7.x, the server's rules such as a relay refused:
retried, so the alert goes once an admin has set them right)."""

from __future__ import annotations

import asyncio
import hashlib
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from monitor.alerts.channels.registry import Channel, DeliveryError, Link, Outgoing, register
from monitor.config import Email, Settings, Source

SMTP_TIMEOUT = 10.0  # connect, greeting, and each SMTP command: a server that never greets costs this, once a pass


def email_message(sender: str, recipient: str, message: Outgoing) -> EmailMessage:
    r = message.rendered
    msg = EmailMessage()
    msg["Subject"] = r.subject
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    # Stable per (event, recipient): a mail system that sees a retry after a crash can drop the copy.
    own = f"{message.key}|{message.made}|{recipient}"  # the same sent again keeps it; another database's differs
    msg["Message-ID"] = f"<{hashlib.sha256(own.encode()).hexdigest()[:32]}@govreport-monitor>"
    msg.set_content(r.text)
    msg.add_alternative(r.html, subtype="html")
    return msg


def written(sender: str, recipient: str, message: Outgoing) -> EmailMessage:
    """The e-mail, or a permanent DeliveryError when it cannot be written (a header with a line break in it,
    from a database older than the check at load): that one message is dead, the others go."""
    try:
        return email_message(sender, recipient, message)
    except ValueError as exc:
        raise DeliveryError(f"the message cannot be written: {exc}", permanent=True) from exc


_SMTP_DOWN = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPAuthenticationError,
    OSError,
    TimeoutError,
)


async def send_email(e: Email, recipient: str, message: Outgoing, link: Link) -> None:
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
        await link.smtp.send_message(written(e.sender, recipient, message))
    except asyncio.CancelledError:  # the pass's bound on one message ran out mid-exchange: the connection is spent
        if link.smtp is not None:
            link.smtp.close()
        raise
    except (aiosmtplib.SMTPException, *_SMTP_DOWN) as exc:
        raise _failure(e, exc, link) from exc


def _failure(e: Email, exc: BaseException, link: Link) -> DeliveryError:
    """What an SMTP exception means for this message and the rest of the batch. Only what refuses every message
    takes the channel down for the pass (the server, the login, the sender); a refusal of one recipient or one
    message never holds back the others. A refusal by the server's rules (5.7.x: relaying, a policy) is retried,
    never dead at once: it is the admin's to set right, after which the alert must still go."""
    where = f"SMTP {e.host}:{e.port}"
    if _too_big(exc):  # this message's size (declared at MAIL FROM, or at DATA): not the server's, nor the sender's
        return DeliveryError(f"{where}: too large for the server: {exc}", too_big=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):  # every recipient refused: by its code, for good or now
        permanent = all(x.code >= 500 and not _by_rule(x) for x in exc.recipients)
        return DeliveryError(f"{where}: {exc}", permanent=permanent)
    if isinstance(exc, (*_SMTP_DOWN, aiosmtplib.SMTPSenderRefused)) or _login(exc):  # not this message
        if link.smtp is not None:
            link.smtp.close()
        return DeliveryError(f"{where}: {type(exc).__name__}: {exc}", down=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500 and not _by_rule(exc):
        return DeliveryError(f"{where}: refused: {exc.code} {exc.message}", permanent=True)  # 4xx, 5.7.x: later
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}")  # this message (a recipient, a size): others go


def _too_big(exc: BaseException) -> bool:
    """The server's answer that the message exceeds its size limit (552, 5.3.4)."""
    if not isinstance(exc, aiosmtplib.SMTPResponseException):
        return False
    return exc.code == 552 or exc.message.lstrip().startswith("5.3.4")


def _login(exc: BaseException) -> bool:
    """An answer about govmon's login (530 authentication required, 534, 535, 538), whatever command drew it."""
    return isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code in (530, 534, 535, 538)


def _by_rule(exc: aiosmtplib.SMTPResponseException) -> bool:
    """A refusal by the server's rules (5.7.x: relay access denied, a policy), not a fact of the address."""
    return exc.message.lstrip().startswith("5.7.")


def _sections(settings: Settings) -> dict[str, Email]:
    return {"email": settings.email} if settings.email else {}


def _recipients(e: Email, source: Source | None) -> tuple[str, ...]:
    """The source's ``alert_to``, else the global ``to``."""
    return source.alert_to if source and source.alert_to else e.to


register(Channel("email", "[alerts.email]", _sections, _recipients, send_email, "no [alerts.email] in sources.toml"))
