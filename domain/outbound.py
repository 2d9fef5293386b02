"""Requests Kelola makes to addresses it is given (webhook endpoints, listening feeds).

Such a URL must be absolute http(s) without credentials; in production https only (for
webhooks), to hosts that are not, and do not resolve to, internal addresses. The checks
answer the API with clear problems; `guarded_client` enforces them where it matters, at
connection time: the host is resolved once, the addresses are checked, and the connection
goes to the checked address (TLS still verifies the host name), so a DNS answer that
changes between a check and the connection (rebinding) cannot reach inside.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from domain.errors import ErrorCode, Problem
from domain.http import DEFAULT_TIMEOUT, USER_AGENT
from domain.settings import get_settings

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


# Injectable (tests replace it): host, port -> the addresses it resolves to.
resolve_host: Callable[[str, int], Awaitable[list[str]]] = _system_resolve
INTERNAL = "must not point to a private, loopback or otherwise internal address"


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


class Refused(Exception):
    """The host does not resolve, or resolves to an internal address."""

    def __init__(self, message: str, code: ErrorCode):
        super().__init__(message)
        self.code = code


async def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses of the host, when none of them is internal; raises Refused otherwise."""
    host = host.strip("[]")
    try:
        return [str(_checked(ipaddress.ip_address(host)))]
    except ValueError:
        pass
    try:
        resolved = await resolve_host(host, port)
    except (OSError, UnicodeError):
        resolved = []
    if not resolved:
        raise Refused("the host does not resolve", ErrorCode.INVALID)
    return [str(_checked(ipaddress.ip_address(item.split("%", 1)[0]))) for item in resolved]


def _checked(address: IPAddress) -> IPAddress:
    if is_internal(address):
        raise Refused(INTERNAL, ErrorCode.NOT_ALLOWED)
    return address


async def address_problems(url: str, field: str = "url") -> list[Problem]:
    """In production: the host must not be, or resolve to, an internal address. Resolved
    each time it is called (at creation and before every delivery)."""
    if get_settings().env != "production":
        return []
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        await checked_addresses(parts.hostname or "", port)
    except Refused as refused:
        if refused.code == ErrorCode.NOT_ALLOWED:
            return [Problem(field, refused.code, f"{field} {refused}")]
        return [Problem(field, refused.code, f"{field}: {refused}")]
    return []


async def url_problems(url: str, field: str = "url") -> list[Problem]:
    problems = syntax_problems(url, field)
    if problems:
        return problems
    return await address_problems(url, field)


class _CheckedConnections(httpcore.AsyncNetworkBackend):
    """Connects, in production, only to an address it has just checked."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None):
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if get_settings().env == "production":
            try:
                host = (await checked_addresses(host, port))[0]
            except Refused as refused:
                raise httpcore.ConnectError(f"refused: the host {refused}") from None
        return await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None):
        super().__init__()
        # httpx builds its pool without a way to pass a network backend: replace it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_CheckedConnections(inner),
        )


def guarded_client(**options: Any) -> httpx.AsyncClient:
    """An HTTP client for URLs Kelola was given: in production every connection goes to
    an address checked as it is made (no environment proxies)."""
    options.setdefault("headers", {"user-agent": USER_AGENT})
    return httpx.AsyncClient(transport=_GuardedTransport(), trust_env=False, **options)


_shared: httpx.AsyncClient | None = None


def shared_guarded_client() -> httpx.AsyncClient:
    """The process's `guarded_client` for webhook deliveries (connections are pooled)."""
    global _shared
    if _shared is None or _shared.is_closed:
        _shared = guarded_client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
    return _shared
