"""Which addresses a source may reach, for ``fetch``: an address that is loopback, private or link-local (cloud
metadata among them) is refused unless the source's own URL is on that same kind of address, so a source on
127.0.0.1 works in tests while a link to 169.254.169.254 never does. Checked on literal addresses (``check_url``)
and inside the DNS resolver (``GuardedResolver``), against the kinds in force for the request (``ALLOWED``, set
by ``Fetcher.get``).
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from monitor.errors import FetchError

# the address kinds the request in hand may reach (``Fetcher.get`` sets them for each URL it fetches)
ALLOWED: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("allowed", default=frozenset())


class RefusedAddress(OSError):
    """Raised inside the resolver: aiohttp reports it as a connection error we can recognise."""


# Cloud metadata services outside the link-local range: Alibaba/Tencent-style 100.100.100.200 sits in the
# carrier-grade NAT range 100.64.0.0/10 (which Python does not call private); AWS's IPv6 fd00:ec2::254.
_SHARED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fd00:ec2::/32"))


def address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local or any(ip in net for net in _SHARED if ip.version == net.version):
        return "link-local"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    return "global"


@lru_cache(maxsize=4096)  # asked for every request: a poll's sources sit on a few hundred addresses
def literal_kind(host: str) -> str | None:
    """``address_kind`` of a literal address (a zone index after ``%`` aside); None for a name."""
    try:
        return address_kind(ipaddress.ip_address(host.split("%", maxsplit=1)[0]))
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # asked for each request with its source's listing URL
def allowed_for(url: str) -> frozenset[str]:
    """The address kinds a source may reach: global, plus its own URL's kind when that is not global."""
    host = urlsplit(url).hostname or ""
    kind = literal_kind(host) or ("loopback" if host == "localhost" else "global")
    return frozenset({"global", kind} - {"reserved"})


def _check_ip(host: str, ip: str, allowed: frozenset[str]) -> None:
    kind = literal_kind(ip)
    if kind is None:
        raise RefusedAddress(f"refused: {host} resolved to {ip!r}, which is not an address")
    if kind not in allowed:
        raise RefusedAddress(
            f"refused: {host} is a {kind} address ({ip}); only the source's own kind of address is allowed"
        )


class GuardedResolver(AbstractResolver):
    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for r in results:
            _check_ip(host, r["host"], ALLOWED.get())
        return results

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str) -> str:
    """An http(s) URL whose literal address (if it is one) is allowed; names are checked by the resolver.
    Returns its host."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError(f"{url}: not an http(s) URL")
    if literal_kind(host) is None:
        return host  # a name: the resolver checks what it resolves to
    try:
        _check_ip(host, host, ALLOWED.get())
    except RefusedAddress as exc:
        raise FetchError(f"{url}: {exc}") from exc
    return host
