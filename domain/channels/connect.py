"""Starting a connection: `channelConnectStart` for every network.

SANDBOX   connects at once, no credentials
BLUESKY   connects at once with a handle and an app password; the password opens a
          session and is dropped, only the session tokens are kept (encrypted)
others    OAuth2 authorization code: an attempt is stored (state hashed, PKCE verifier
          encrypted, 10 minutes) and the member is sent to the network; the callback
          (domain/channels/completion.py) finishes the job
MASTODON  first registers Kelola on the member's instance, once per instance
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.channels import attempts, instances, networks, oauth
from domain.channels.models import Channel, ChannelConnectAttempt
from domain.channels.service import SandboxOptions, connect_sandbox, save_connection
from domain.errors import DomainError, ErrorCode, Problem, Problems
from domain.identity.roles import Permission
from domain.platforms import registry
from domain.platforms.base import AuthExpired, Platform, ProviderError, Rejected
from domain.secrets import encrypt, token_hash
from domain.settings import get_settings
from domain.tenancy import Actor, workspace_for

# Bluesky app passwords look like `abcd-efgh-ijkl-mnop`; an account password would give
# Kelola full control of the account (including deleting it), so it is refused.
APP_PASSWORD = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")
MAX_HANDLE_LENGTH = 253
MAX_RETURN_URL_LENGTH = 2048
BOARD_ID = re.compile(r"^[0-9]{1,32}$")
# Which option block belongs to which network.
_OPTION_PLATFORMS = {
    "sandbox": Platform.SANDBOX,
    "bluesky": Platform.BLUESKY,
    "mastodon": Platform.MASTODON,
    "linkedin": Platform.LINKEDIN,
    "pinterest": Platform.PINTEREST,
}


class LinkedInKind(StrEnum):
    MEMBER = "MEMBER"
    ORGANIZATION = "ORGANIZATION"


@dataclass(frozen=True)
class BlueskyLogin:
    handle: str
    app_password: str = field(repr=False)


@dataclass(frozen=True)
class ConnectOptions:
    """Per-network input of channelConnectStart; only the block of the chosen network may
    be given."""

    sandbox: SandboxOptions | None = None
    bluesky: BlueskyLogin | None = None
    mastodon_instance_url: str | None = None
    linkedin_kind: LinkedInKind | None = None
    pinterest_board_id: str | None = None
    return_url: str | None = None

    def given(self) -> dict[str, bool]:
        return {
            "sandbox": self.sandbox is not None,
            "bluesky": self.bluesky is not None,
            "mastodon": self.mastodon_instance_url is not None,
            "linkedin": self.linkedin_kind is not None,
            "pinterest": self.pinterest_board_id is not None,
        }


@dataclass(frozen=True)
class ConnectStarted:
    """Either the connected channel, or the attempt and where to send the member."""

    channel: Channel | None = None
    attempt: attempts.AttemptView | None = None
    authorization_url: str | None = None


def redirect_uri_for(platform: Platform) -> str:
    """The callback registered with each network's app: {public_url}/oauth/callback/<net>."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}/oauth/callback/{platform.value.lower()}"


async def connect_start(
    actor: Actor, *, workspace_id: int, platform: Platform, options: ConnectOptions
) -> ConnectStarted:
    user_id = actor.require_user()
    workspace = await workspace_for(actor, workspace_id, Permission.CHANNELS_MANAGE)
    _check_options(platform, options)
    if platform == Platform.SANDBOX:
        channel = await connect_sandbox(
            actor, workspace_id=workspace.id, options=options.sandbox or SandboxOptions()
        )
        return ConnectStarted(channel=channel)
    if not registry.is_available(platform):
        raise DomainError(
            [
                Problem(
                    "platform",
                    ErrorCode.NOT_ALLOWED,
                    f"{oauth.name_of(platform)} is not available in this build",
                )
            ]
        )
    if platform == Platform.BLUESKY:
        assert options.bluesky is not None  # _check_options requires it
        channel = await _connect_bluesky(workspace.id, user_id, options.bluesky)
        return ConnectStarted(channel=channel)
    return await _start_oauth(actor, workspace.id, user_id, platform, options)


def _check_options(platform: Platform, options: ConnectOptions) -> None:
    problems = Problems()
    for name, present in options.given().items():
        if present and _OPTION_PLATFORMS[name] != platform:
            problems.add(
                name,
                ErrorCode.INVALID,
                f"{name} applies to {_OPTION_PLATFORMS[name].value} only",
            )
    if platform == Platform.BLUESKY and options.bluesky is None:
        problems.add("bluesky", ErrorCode.REQUIRED, "Bluesky needs a handle and an app password")
    if platform == Platform.MASTODON and options.mastodon_instance_url is None:
        problems.add("mastodon.instanceUrl", ErrorCode.REQUIRED, "Mastodon needs the instance")
    board = options.pinterest_board_id
    if board is not None and not BOARD_ID.match(board):
        problems.add("pinterest.boardId", ErrorCode.INVALID, "boardId is a Pinterest board id")
    if options.return_url is not None:
        if platform in (Platform.SANDBOX, Platform.BLUESKY):
            problems.add(
                "returnUrl", ErrorCode.INVALID, "returnUrl applies to networks that redirect"
            )
        else:
            _check_return_url(problems, options.return_url)
    problems.raise_if_any()


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_return_origins() -> set[str]:
    settings = get_settings()
    origins = {_origin(origin) for origin in settings.connect_return_origins}
    origins.add(_origin(settings.connect_return_url))
    return {origin for origin in origins if origin}


def _check_return_url(problems: Problems, url: str) -> None:
    if len(url) > MAX_RETURN_URL_LENGTH:
        problems.add("returnUrl", ErrorCode.TOO_LONG, "returnUrl must have at most 2048 characters")
        return
    try:
        parts = urlsplit(url)
        credentials = parts.username is not None or parts.password is not None
    except ValueError:
        parts, credentials = None, True
    origin = _origin(url)
    if parts is None or origin is None or credentials or any(ch.isspace() for ch in url):
        problems.add("returnUrl", ErrorCode.INVALID, "returnUrl must be an absolute URL")
    elif origin not in allowed_return_origins():
        problems.add(
            "returnUrl",
            ErrorCode.NOT_ALLOWED,
            "returnUrl must be on an allowed origin "
            "(KELOLA_CONNECT_RETURN_URL or KELOLA_CONNECT_RETURN_ORIGINS)",
        )


async def _connect_bluesky(workspace_id: int, user_id: int, login: BlueskyLogin) -> Channel:
    handle = login.handle.strip().lstrip("@")
    problems = Problems()
    problems.check_length("bluesky.handle", handle, maximum=MAX_HANDLE_LENGTH)
    if not APP_PASSWORD.match(login.app_password.strip()):
        problems.add(
            "bluesky.appPassword",
            ErrorCode.INVALID,
            "Use an app password (Bluesky settings → Privacy and security → App passwords), "
            "formatted xxxx-xxxx-xxxx-xxxx, never the account password",
        )
    problems.raise_if_any()
    provider = networks.provider(Platform.BLUESKY)
    try:
        account, credentials = await provider.connect_with_app_password(  # type: ignore[attr-defined]
            handle, login.app_password.strip()
        )
    except AuthExpired:
        raise DomainError(
            [
                Problem(
                    "bluesky.appPassword",
                    ErrorCode.INVALID_CREDENTIALS,
                    "Bluesky refused this handle and app password",
                )
            ]
        ) from None
    except Rejected as error:
        raise DomainError(
            [Problem("bluesky.handle", ErrorCode.INVALID, f"Bluesky refused the sign-in: {error}")]
        ) from None
    except ProviderError as error:
        raise DomainError(
            [
                Problem(
                    "platform",
                    ErrorCode.NETWORK_ERROR,
                    f"Bluesky could not be reached; try again ({type(error).__name__})",
                )
            ]
        ) from None
    return await save_connection(workspace_id, user_id, Platform.BLUESKY, account, credentials)


async def _start_oauth(
    actor: Actor, workspace_id: int, user_id: int, platform: Platform, options: ConnectOptions
) -> ConnectStarted:
    settings = get_settings()
    redirect_uri = redirect_uri_for(platform)
    facts: dict[str, str] = {}
    connection: dict[str, str] = {}
    registration = None
    if platform == Platform.MASTODON:
        instance = await instances.check_instance_url(
            options.mastodon_instance_url or "", production=settings.env == "production"
        )
        registration = await instances.registration_for(instance, redirect_uri)
        facts["instance_url"] = instance
        connection = instances.connection(registration)
    elif platform == Platform.LINKEDIN:
        kind = options.linkedin_kind or LinkedInKind.MEMBER
        facts["kind"] = connection["kind"] = kind.value
    elif platform == Platform.PINTEREST and options.pinterest_board_id:
        facts["board_id"] = options.pinterest_board_id
    endpoints = networks.provider(platform).oauth_endpoints(connection)
    if endpoints is None:  # pragma: no cover - every redirect network has endpoints
        raise DomainError([Problem("platform", ErrorCode.NOT_ALLOWED, "No OAuth flow")])
    problem = oauth.configuration_problem(platform, endpoints)
    if problem is not None:
        raise DomainError([problem])
    state = oauth.new_state()
    verifier = oauth.new_code_verifier() if endpoints.uses_pkce else None
    now = datetime.now(UTC)
    await attempts.purge(actor, workspace_id, now)
    attempt = await ChannelConnectAttempt.create(
        workspace_id=workspace_id,
        user_id=user_id,
        platform=platform,
        state_hash=token_hash(state),
        code_verifier_encrypted=encrypt(verifier) if verifier else None,
        redirect_uri=redirect_uri,
        return_url=options.return_url,
        facts=facts,
        app_registration=registration,
        expires_at=now + timedelta(seconds=settings.connect_attempt_ttl_s),
    )
    url = await oauth.authorization_url(
        platform, endpoints, redirect_uri=redirect_uri, state=state, code_verifier=verifier
    )
    view = attempts.AttemptView(attempt, attempts.status_of(attempt, now))
    return ConnectStarted(attempt=view, authorization_url=url)
