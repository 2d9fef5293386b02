"""Finishing an OAuth connection: the callback from the network, and the member's choice
when one login granted several accounts.

The callback claims the state first (a conditional update, committed at once), so a
replayed or concurrent callback can never exchange a code twice; it then exchanges the
code, asks the network which accounts the login reaches, and stores the channels. It runs
outside any request transaction and commits on its own, like a job.

When a login reaches several accounts (Facebook Pages, Instagram accounts, LinkedIn
organizations, Pinterest boards), channels the workspace already has for them are
reconnected at once, so a reconnect never needs a second step. If the login reaches a single
account it is connected. Otherwise nothing new is connected behind the member's back: the
accounts wait (credentials encrypted, 30 minutes) for `channelConnectFinish`, because a
workspace rarely wants every Page an agency login can reach, and each new channel counts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.channels import accounts, attempts, instances, networks, oauth
from domain.channels.accounts import Candidate, key_of
from domain.channels.models import Channel, ChannelConnectAttempt, ChannelHealth, ConnectStatus
from domain.channels.oauth import ConnectErrorCode, ConnectFailure
from domain.channels.service import save_connection
from domain.channels.vault import load_credentials
from domain.errors import DomainError, ErrorCode, Forbidden, Problem, Problems
from domain.identity.roles import Permission
from domain.platforms.base import Platform
from domain.secrets import decrypt, token_hash
from domain.settings import get_settings
from domain.tenancy import Actor, visible_to
from domain.uow import unit_of_work

logger = logging.getLogger(__name__)
MAX_STATE_LENGTH = 512
MAX_CODE_LENGTH = 4096
_NO_REDIRECT = frozenset({Platform.SANDBOX, Platform.BLUESKY})


@dataclass(frozen=True)
class Outcome:
    """What the callback tells the member's browser. Never a token or a code."""

    status: str  # "connected", "select" or "error"
    attempt_id: int | None = None
    return_url: str | None = None
    channel_ids: tuple[int, ...] = ()
    code: ConnectErrorCode | None = None
    message: str | None = None


def _error(failure: ConnectFailure, attempt: ChannelConnectAttempt | None = None) -> Outcome:
    return Outcome(
        "error",
        attempt_id=attempt.id if attempt else None,
        return_url=attempt.return_url if attempt else None,
        code=failure.code,
        message=failure.message,
    )


async def complete_authorization(platform_name: str, params: Mapping[str, str]) -> Outcome:
    """Handle the network's redirect to /oauth/callback/{platform}."""
    try:
        platform = Platform(platform_name.upper())
    except ValueError:
        platform = None
    if platform is None or platform in _NO_REDIRECT:
        failure = ConnectFailure(ConnectErrorCode.CALLBACK_INVALID, "Unknown callback")
        return _error(failure)
    try:
        attempt = await _claim(platform, params.get("state") or "")
    except _Unusable as unusable:
        return Outcome(
            "error",
            return_url=unusable.return_url,
            code=unusable.failure.code,
            message=unusable.failure.message,
        )
    try:
        return await _complete(attempt, params)
    except ConnectFailure as failure:
        await _fail(attempt, failure)
        return _error(failure, attempt)
    except Exception:
        # A bug or a network answer no adapter expected: the member still lands on the
        # frontend with a code, and the details go to the log, never to the browser.
        logger.exception("connecting %s failed unexpectedly (attempt %s)", platform, attempt.id)
        failure = ConnectFailure(
            ConnectErrorCode.UNEXPECTED, "Connecting failed unexpectedly: try again"
        )
        await _fail(attempt, failure)
        return _error(failure, attempt)


class _Unusable(Exception):
    def __init__(self, failure: ConnectFailure, return_url: str | None = None):
        self.failure, self.return_url = failure, return_url


async def _claim(platform: Platform, state: str) -> ChannelConnectAttempt:
    """The attempt behind `state`, now marked used. A state that is unknown, meant for
    another network, used or expired leaves every attempt as it was."""
    unknown = ConnectFailure(
        ConnectErrorCode.STATE_INVALID, "This connection link is unknown: start again"
    )
    if not state or len(state) > MAX_STATE_LENGTH:
        raise _Unusable(unknown)
    attempt = await ChannelConnectAttempt.get_or_none(
        state_hash=token_hash(state), platform=platform
    )
    if attempt is None:
        raise _Unusable(unknown)
    now = datetime.now(UTC)
    claimed = 0
    if attempt.used_at is None and attempt.expires_at > now:
        claimed = await ChannelConnectAttempt.filter(
            id=attempt.id, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
    if claimed:
        attempt.used_at = now
        return attempt
    await attempt.refresh_from_db(fields=["used_at"])
    if attempt.used_at is not None:
        failure = ConnectFailure(
            ConnectErrorCode.STATE_USED, "This connection link was already used: start again"
        )
    else:
        failure = ConnectFailure(
            ConnectErrorCode.STATE_EXPIRED, "This connection link expired: start again"
        )
    raise _Unusable(failure, attempt.return_url)


async def _complete(attempt: ChannelConnectAttempt, params: Mapping[str, str]) -> Outcome:
    platform, name = attempt.platform, oauth.name_of(attempt.platform)
    error = params.get("error")
    if error == "access_denied":
        raise ConnectFailure(
            ConnectErrorCode.ACCESS_DENIED, f"The member declined to connect {name}"
        )
    if error:
        raise ConnectFailure(
            ConnectErrorCode.NETWORK_REFUSED,
            f"{name} refused the authorization ({oauth.error_name(error)})",
            reason=oauth.error_name(error),
        )
    code = params.get("code") or ""
    if not code or len(code) > MAX_CODE_LENGTH:
        raise ConnectFailure(
            ConnectErrorCode.CALLBACK_INVALID, f"{name} sent no authorization code"
        )
    actor = Actor(user_id=attempt.user_id)
    try:
        await actor.require(attempt.workspace_id, Permission.CHANNELS_MANAGE)
    except Forbidden:
        raise ConnectFailure(
            ConnectErrorCode.FORBIDDEN,
            "The member who started this connection may no longer manage its channels",
        ) from None
    provider = networks.provider(platform)
    connection = dict(attempt.facts)
    registration = None
    if platform == Platform.MASTODON:
        registration = await attempt.app_registration
        if registration is None:
            raise ConnectFailure(
                ConnectErrorCode.NETWORK_REFUSED, "Kelola's app on this instance is gone: try again"
            )
        connection = instances.connection(registration)
    endpoints = provider.oauth_endpoints(connection)
    verifier = decrypt(attempt.code_verifier_encrypted) if attempt.code_verifier_encrypted else None
    try:
        credentials = await oauth.exchange_code(
            platform,
            endpoints,
            redirect_uri=attempt.redirect_uri,
            code=code,
            code_verifier=verifier,
        )
    except ConnectFailure as failure:
        if registration is not None and failure.reason == "invalid_client":
            await instances.forget(registration.id)
        raise
    candidates = await accounts.discover(platform, provider, credentials, dict(attempt.facts))
    async with unit_of_work():
        return await _settle(actor, attempt, candidates)


async def _settle(
    actor: Actor, attempt: ChannelConnectAttempt, candidates: list[Candidate]
) -> Outcome:
    now = datetime.now(UTC)
    existing = await _existing(actor, attempt, candidates)
    if len(candidates) == 1:
        connect, waiting = candidates, []
    else:
        connect = [c for c in candidates if _live_match(attempt.platform, existing, c)]
        done = {c.account.external_id for c in connect}
        waiting = [c for c in candidates if c.account.external_id not in done]
    channels = [
        await save_connection(
            attempt.workspace_id, attempt.user_id, attempt.platform, c.account, c.credentials
        )
        for c in connect
    ]
    attempt.channel_ids = [channel.id for channel in channels]
    attempt.code_verifier_encrypted = None
    if waiting:
        attempt.status = ConnectStatus.SELECTING
        attempt.candidates_encrypted = accounts.seal(waiting)
        ttl = timedelta(seconds=get_settings().connect_selection_ttl_s)
        attempt.selection_expires_at = now + ttl
    else:
        attempt.status, attempt.finished_at = ConnectStatus.CONNECTED, now
    await attempt.save(
        update_fields=[
            "channel_ids",
            "code_verifier_encrypted",
            "status",
            "candidates_encrypted",
            "selection_expires_at",
            "finished_at",
        ]
    )
    return Outcome(
        "select" if waiting else "connected",
        attempt_id=attempt.id,
        return_url=attempt.return_url,
        channel_ids=tuple(attempt.channel_ids),
    )


async def _existing(
    actor: Actor, attempt: ChannelConnectAttempt, candidates: list[Candidate]
) -> dict[str, Channel]:
    rows = await visible_to(actor, Channel).filter(
        workspace_id=attempt.workspace_id,
        platform=attempt.platform,
        external_account_id__in=[c.account.external_id for c in candidates],
    )
    return {row.external_account_id: row for row in rows}


def _live_match(platform: Platform, existing: dict[str, Channel], candidate: Candidate) -> bool:
    """Whether the candidate is a channel the workspace still uses (for Pinterest: with the
    same board), so reconnecting it needs no choice. Disconnected channels wait for one."""
    channel = existing.get(candidate.account.external_id)
    if channel is None or channel.health == ChannelHealth.DISCONNECTED:
        return False
    stored = load_credentials(channel)
    extra = stored.extra if stored else {}
    return key_of(platform, channel.external_account_id, extra) == candidate.key


async def _fail(attempt: ChannelConnectAttempt, failure: ConnectFailure) -> None:
    await ChannelConnectAttempt.filter(id=attempt.id).update(
        status=ConnectStatus.FAILED,
        error_code=failure.code.value,
        error_message=failure.message,
        code_verifier_encrypted=None,
        finished_at=datetime.now(UTC),
    )


async def finish_selection(actor: Actor, *, attempt_id: int, keys: list[str]) -> list[Channel]:
    """Connect the accounts the member chose among those the login granted. Only the member
    who started the connection can choose, once; the accounts not chosen are forgotten."""
    attempt = await attempts.visible_attempt(actor, attempt_id)
    await actor.require(attempt.workspace_id, Permission.CHANNELS_MANAGE)
    status = attempts.status_of(attempt)
    if status == attempts.AttemptStatus.EXPIRED:
        raise DomainError(
            [Problem("attemptId", ErrorCode.TOKEN_EXPIRED, "The choice expired: connect again")]
        )
    if status != attempts.AttemptStatus.SELECTING:
        raise DomainError(
            [
                Problem(
                    "attemptId",
                    ErrorCode.NOT_ALLOWED,
                    "This connection is not waiting for a choice",
                )
            ]
        )
    chosen = _chosen(accounts.unseal(attempt.candidates_encrypted), keys)
    now = datetime.now(UTC)
    claimed = await ChannelConnectAttempt.filter(
        id=attempt.id, status=ConnectStatus.SELECTING
    ).update(status=ConnectStatus.CONNECTED, candidates_encrypted=None, finished_at=now)
    if not claimed:
        raise DomainError(
            [Problem("attemptId", ErrorCode.NOT_ALLOWED, "This choice was already made")]
        )
    channels = [
        await save_connection(
            attempt.workspace_id, attempt.user_id, attempt.platform, c.account, c.credentials
        )
        for c in chosen
    ]
    attempt.channel_ids = [*attempt.channel_ids, *(channel.id for channel in channels)]
    await attempt.save(update_fields=["channel_ids"])
    return channels


def _chosen(candidates: list[Candidate], keys: list[str]) -> list[Candidate]:
    by_key = {candidate.key: candidate for candidate in candidates}
    problems = Problems()
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        problems.add("candidateIds", ErrorCode.REQUIRED, "Choose at least one account")
    unknown = [key for key in wanted if key not in by_key]
    if unknown:
        problems.add(
            "candidateIds", ErrorCode.NOT_FOUND, "candidateIds names an account not offered"
        )
    problems.raise_if_any()
    chosen = [by_key[key] for key in wanted]
    accounts_seen = [candidate.account.external_id for candidate in chosen]
    if len(set(accounts_seen)) != len(accounts_seen):
        problems.add(
            "candidateIds",
            ErrorCode.INVALID,
            "Choose one board per Pinterest account: a channel pins to one board",
        )
    problems.raise_if_any()
    return chosen
