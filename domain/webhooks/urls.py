"""Where webhooks may be sent: absolute http(s) URLs without credentials; in production
https only, to hosts that are not (and do not resolve to) internal addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from domain.errors import ErrorCode, Problem
from domain.settings import get_settings

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


# Injectable (tests replace it): host, port -> the addresses it resolves to.
resolve_host: Callable[[str, int], Awaitable[list[str]]] = _system_resolve


def is_internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def syntax_problems(url: str, field: str = "url") -> list[Problem]:
    """Problems visible in the URL itself; the address check is `address_problems`."""
    problems: list[Problem] = []
    if not url.strip():
        return [Problem(field, ErrorCode.REQUIRED, f"{field} is required")]
    if len(url) > MAX_URL_LENGTH:
        problems.append(
            Problem(field, ErrorCode.TOO_LONG, f"{field} must have at most 2,048 characters")
        )
        return problems
    if any(ord(char) <= 32 or ord(char) == 127 for char in url):
        problems.append(Problem(field, ErrorCode.INVALID, f"{field} must not contain spaces"))
        return problems
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return [Problem(field, ErrorCode.INVALID, f"{field} is not a valid URL")]
    production = get_settings().env == "production"
    allowed = ("https",) if production else ("http", "https")
    if parts.scheme.lower() not in allowed:
        problems.append(
            Problem(field, ErrorCode.INVALID, f"{field} must use {' or '.join(allowed)}")
        )
    if not parts.hostname:
        problems.append(Problem(field, ErrorCode.INVALID, f"{field} must be an absolute URL"))
    if parts.username is not None or parts.password is not None:
        problems.append(
            Problem(field, ErrorCode.INVALID, f"{field} must not contain a user name or password")
        )
    if port == 0:
        problems.append(Problem(field, ErrorCode.INVALID, f"{field} has an invalid port"))
    return problems


async def address_problems(url: str, field: str = "url") -> list[Problem]:
    """In production: the host must not be, or resolve to, an internal address. Resolved
    each time it is called (at creation and before every delivery)."""
    if get_settings().env != "production":
        return []
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            resolved = await resolve_host(host, port)
        except (OSError, UnicodeError):
            resolved = []
        if not resolved:
            return [Problem(field, ErrorCode.INVALID, f"{field}: the host does not resolve")]
        addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in resolved]
    if any(is_internal(address) for address in addresses):
        return [
            Problem(
                field,
                ErrorCode.NOT_ALLOWED,
                f"{field} must not point to a private, loopback or otherwise internal address",
            )
        ]
    return []


async def url_problems(url: str, field: str = "url") -> list[Problem]:
    problems = syntax_problems(url, field)
    if problems:
        return problems
    return await address_problems(url, field)
