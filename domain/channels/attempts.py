"""Reading connection attempts. An attempt is visible only to the member who started it, in
a workspace they still belong to: the state that started it is bound to both."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.channels.accounts import unseal
from domain.channels.models import Channel, ChannelConnectAttempt, ConnectStatus
from domain.errors import NotFound
from domain.tenancy import Actor, visible_to

# Finished and expired attempts stay readable this long, then go at the next start.
RETENTION = timedelta(days=1)


class AttemptStatus(StrEnum):
    """ConnectStatus as members see it, with EXPIRED for attempts that waited too long."""

    PENDING = "PENDING"
    SELECTING = "SELECTING"
    CONNECTED = "CONNECTED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class CandidateView:
    """An account the login granted, without its credentials."""

    key: str
    name: str
    handle: str | None
    detail: str | None
    channel: Channel | None


@dataclass(frozen=True)
class AttemptView:
    attempt: ChannelConnectAttempt
    status: AttemptStatus
    candidates: list[CandidateView] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)


def status_of(attempt: ChannelConnectAttempt, now: datetime | None = None) -> AttemptStatus:
    """The stored status, or EXPIRED for one that waited too long for the network or for
    the member's choice."""
    now = now or datetime.now(UTC)
    if attempt.status == ConnectStatus.PENDING and attempt.expires_at <= now:
        return AttemptStatus.EXPIRED
    if (
        attempt.status == ConnectStatus.SELECTING
        and attempt.selection_expires_at is not None
        and attempt.selection_expires_at <= now
    ):
        return AttemptStatus.EXPIRED
    return AttemptStatus(attempt.status.value)


async def visible_attempt(
    actor: Actor, attempt_id: int, field_name: str = "attemptId"
) -> ChannelConnectAttempt:
    attempt = await _mine(actor).get_or_none(id=attempt_id)
    if attempt is None:
        raise NotFound("connection attempt", field=field_name)
    return attempt


async def attempt_view(actor: Actor, attempt_id: int) -> AttemptView | None:
    """The attempt with its candidates and connected channels (three queries), or None
    when the actor cannot see it."""
    if actor.user_id is None:  # API keys never start connections
        actor.require_authenticated()
        return None
    attempt = await _mine(actor).get_or_none(id=attempt_id)
    if attempt is None:
        return None
    return await view_of(actor, attempt)


async def view_of(actor: Actor, attempt: ChannelConnectAttempt) -> AttemptView:
    status = status_of(attempt)
    channels = []
    if attempt.channel_ids:
        channels = (
            await visible_to(actor, Channel).filter(id__in=attempt.channel_ids).order_by("id")
        )
    candidates = unseal(attempt.candidates_encrypted) if status == AttemptStatus.SELECTING else []
    existing: dict[str, Channel] = {}
    if candidates:
        rows = await visible_to(actor, Channel).filter(
            workspace_id=attempt.workspace_id,
            platform=attempt.platform,
            external_account_id__in=[c.account.external_id for c in candidates],
        )
        existing = {row.external_account_id: row for row in rows}
    return AttemptView(
        attempt,
        status,
        [
            CandidateView(
                c.key,
                c.account.name,
                c.account.handle,
                c.detail,
                existing.get(c.account.external_id),
            )
            for c in candidates
        ],
        channels,
    )


async def purge(actor: Actor, workspace_id: int, now: datetime) -> None:
    """Forget this workspace's long-finished attempts, and drop the credentials of choices
    nobody made in time."""
    await _in_workspace(actor, workspace_id).filter(expires_at__lt=now - RETENTION).delete()
    await (
        _in_workspace(actor, workspace_id)
        .filter(selection_expires_at__lt=now, candidates_encrypted__isnull=False)
        .update(candidates_encrypted=None)
    )


def _mine(actor: Actor):
    user_id = actor.require_user()
    return visible_to(actor, ChannelConnectAttempt).filter(user_id=user_id)


def _in_workspace(actor: Actor, workspace_id: int):
    return visible_to(actor, ChannelConnectAttempt).filter(workspace_id=workspace_id)
