"""Mastodon instances: checking the URL a member typed, and Kelola's app on each instance.

The instance URL is the one network address a member chooses, so it is checked before
Kelola sends anything there: https only, no credentials in it, and in production no host
that is (or resolves to) a loopback, private, link-local or otherwise non-public address,
so the server cannot be pointed at its own network. (The address is checked when the
connection starts; a name that later re-resolves elsewhere is the resolver's business.)

Registering Kelola on an instance (`POST /api/v1/apps`) is needed once per instance and
redirect URI: registrations are kept in the database and reused by every workspace.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError

from domain.channels import networks
from domain.channels.models import OAuthAppRegistration
from domain.errors import DomainError, ErrorCode, Problem
from domain.platforms.base import AuthExpired, Platform, ProviderError, Rejected
from domain.secrets import decrypt, encrypt
from domain.uow import unit_of_work

FIELD = "mastodon.instanceUrl"
MAX_URL_LENGTH = 255
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


def _invalid(message: str) -> DomainError:
    return DomainError([Problem(FIELD, ErrorCode.INVALID, message)])


async def check_instance_url(raw: str, *, production: bool, resolver: Resolver = resolve) -> str:
    """`https://host[:port]` of the instance, or a typed INVALID error saying why not."""
    url = raw.strip()
    if not url:
        raise DomainError([Problem(FIELD, ErrorCode.REQUIRED, "The instance URL is required")])
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise _invalid("The instance URL is not a valid URL")
    if "://" not in url:
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 443
    except ValueError:
        raise _invalid("The instance URL is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise _invalid("The instance URL must use https")
    if not host or parts.username is not None or parts.password is not None:
        raise _invalid("The instance URL must be https://host, without credentials")
    try:
        host.encode("idna")
    except UnicodeError:
        raise _invalid("The instance URL has an invalid host name") from None
    if production:
        await _require_public(host, port, resolver)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    return f"https://{netloc.lower()}"


async def _require_public(host: str, port: int, resolver: Resolver) -> None:
    refused = "The instance URL must point to a public Mastodon server"
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not literal.is_global:
            raise _invalid(refused)
        return
    lowered = host.lower().rstrip(".")
    if "." not in lowered or lowered == "localhost" or lowered.endswith(_LOCAL_SUFFIXES):
        raise _invalid(refused)
    try:
        addresses = await resolver(lowered, port)
    except (OSError, UnicodeError):
        raise _invalid("The instance could not be found (its name does not resolve)") from None
    if not addresses or not all(_is_public(address) for address in addresses):
        raise _invalid(refused)


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


async def registration_for(instance_url: str, redirect_uri: str) -> OAuthAppRegistration:
    """Kelola's app on the instance, registered on first use. Two first connects racing on
    one instance both register; the second insert loses and the first row is used."""
    existing = await OAuthAppRegistration.get_or_none(
        platform=Platform.MASTODON, instance_url=instance_url, redirect_uri=redirect_uri
    )
    if existing is not None:
        return existing
    provider = networks.provider(Platform.MASTODON)
    try:
        app = await provider.register_app(instance_url, redirect_uri)  # type: ignore[attr-defined]
    except (Rejected, AuthExpired, ValueError) as error:
        raise DomainError(
            [Problem(FIELD, ErrorCode.INVALID, f"The instance refused Kelola: {_short(error)}")]
        ) from None
    except ProviderError as error:
        raise DomainError(
            [
                Problem(
                    FIELD,
                    ErrorCode.NETWORK_ERROR,
                    f"The instance could not be reached; try again ({_short(error)})",
                )
            ]
        ) from None
    try:
        async with unit_of_work():  # a savepoint: a lost race must not abort the caller
            return await OAuthAppRegistration.create(
                platform=Platform.MASTODON,
                instance_url=instance_url,
                redirect_uri=redirect_uri,
                client_id=app.client_id,
                client_secret_encrypted=encrypt(app.client_secret),
            )
    except IntegrityError:
        return await OAuthAppRegistration.get(
            platform=Platform.MASTODON, instance_url=instance_url, redirect_uri=redirect_uri
        )


def connection(registration: OAuthAppRegistration) -> dict[str, str]:
    """The `connection` the Mastodon adapter's `oauth_endpoints` takes."""
    return {
        "instance_url": registration.instance_url,
        "client_id": registration.client_id,
        "client_secret": decrypt(registration.client_secret_encrypted) or "",
    }


async def forget(registration_id: int) -> None:
    """Drop a registration the instance no longer honours, so the next connect registers
    again instead of failing forever."""
    await OAuthAppRegistration.filter(id=registration_id).delete()


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:200]
