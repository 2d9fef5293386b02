"""GraphQL types of channels. Credentials never appear here."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.ids import to_global_id
from api.node import Node
from domain.channels import models
from domain.channels.attempts import AttemptStatus, AttemptView
from domain.channels.models import ChannelHealth as DomainChannelHealth
from domain.channels.oauth import ConnectErrorCode
from domain.platforms.base import Platform as DomainPlatform

Platform = strawberry.enum(
    DomainPlatform,
    name="Platform",
    description="A social network Kelola can publish to; SANDBOX is Kelola's simulated network.",
)
ChannelHealth = strawberry.enum(
    DomainChannelHealth,
    name="ChannelHealth",
    description=(
        "Whether a channel can act: CONNECTED; NEEDS_REAUTH (a member must connect it again); "
        "RATE_LIMITED (paused until `rateLimitedUntil`); DISCONNECTED (removed by a member)."
    ),
)


@strawberry.type(description="A social account connected to a workspace.")
class Channel(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this channel.")
    platform: Platform = strawberry.field(description="The network.")
    name: str = strawberry.field(description="The account's display name on the network.")
    handle: str | None = strawberry.field(description="The account's handle, where it has one.")
    health: ChannelHealth = strawberry.field(description="Whether the channel can act.")
    health_reason: str | None = strawberry.field(
        description="Why the channel is not CONNECTED, in words a member can act on."
    )
    health_changed_at: datetime = strawberry.field(description="When the health last changed.")
    rate_limited_until: datetime | None = strawberry.field(
        description="While RATE_LIMITED: when the network accepts requests again."
    )
    credentials_expire_at: datetime | None = strawberry.field(
        description="When the current access token expires; it is refreshed ahead of time."
    )
    connected_at: datetime = strawberry.field(description="When it was last (re)connected.")
    disconnected_at: datetime | None = strawberry.field(
        description="When a member disconnected it, if they did."
    )
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")

    @classmethod
    def from_model(cls, channel: models.Channel) -> Channel:
        return cls(
            id=strawberry.ID(to_global_id("Channel", channel.id)),
            platform=channel.platform,
            name=channel.name,
            handle=channel.handle,
            health=channel.health,
            health_reason=channel.health_reason,
            health_changed_at=channel.health_changed_at,
            rate_limited_until=channel.rate_limited_until,
            credentials_expire_at=channel.token_expires_at,
            connected_at=channel.connected_at,
            disconnected_at=channel.disconnected_at,
            workspace_id=strawberry.ID(to_global_id("Workspace", channel.workspace_id)),
        )


ChannelConnectStatus = strawberry.enum(
    AttemptStatus,
    name="ChannelConnectStatus",
    description=(
        "Where a connection through the network's sign-in stands: PENDING (waiting for the "
        "member to come back from the network), SELECTING (the login granted several "
        "accounts: choose with `channelConnectFinish`), CONNECTED, FAILED (see `failure`), "
        "EXPIRED (the member did not come back, or did not choose, in time)."
    ),
)
ChannelConnectErrorCode = strawberry.enum(
    ConnectErrorCode,
    name="ChannelConnectErrorCode",
    description=(
        "Why a connection failed, also sent to the return URL as `code`: CALLBACK_INVALID "
        "(the network's redirect was malformed), STATE_INVALID (unknown link), STATE_EXPIRED, "
        "STATE_USED (each link works once), ACCESS_DENIED (the member declined), FORBIDDEN "
        "(the member may no longer manage channels), NETWORK_REFUSED (the network refused "
        "the code or the account), NETWORK_UNAVAILABLE (try again), NO_ACCOUNTS (the login "
        "reaches no account Kelola can publish to), UNEXPECTED (an error on Kelola's side; "
        "try again)."
    ),
)


@strawberry.type(description="Why a connection attempt failed.")
class ChannelConnectFailure:
    code: ChannelConnectErrorCode = strawberry.field(description="A stable code to branch on.")
    message: str = strawberry.field(description="A human-readable explanation.")


@strawberry.type(description="An account a network login granted, waiting to be chosen.")
class ChannelCandidate:
    id: strawberry.ID = strawberry.field(
        description="Pass it in `channelConnectFinish.candidateIds`."
    )
    name: str = strawberry.field(description="The account's display name on the network.")
    handle: str | None = strawberry.field(description="The account's handle, where it has one.")
    detail: str | None = strawberry.field(
        description="What else sets it apart, e.g. the Pinterest board it would pin to."
    )
    channel: Channel | None = strawberry.field(
        description="The workspace's existing channel for this account, which choosing it "
        "reconnects (e.g. one a member disconnected)."
    )


@strawberry.type(
    description=(
        "One connection a member started through a network's sign-in. Only that member "
        "sees it; it is kept for a day."
    )
)
class ChannelConnectAttempt(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this attempt.")
    platform: Platform = strawberry.field(description="The network.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it connects to.")
    status: ChannelConnectStatus = strawberry.field(description="Where it stands.")
    failure: ChannelConnectFailure | None = strawberry.field(
        description="Why it failed, when it did."
    )
    created_at: datetime = strawberry.field(description="When the member started it.")
    expires_at: datetime = strawberry.field(
        description="The member must come back from the network before this."
    )
    choose_by: datetime | None = strawberry.field(
        description="While SELECTING: `channelConnectFinish` must come before this."
    )
    candidates: list[ChannelCandidate] = strawberry.field(
        description="While SELECTING: the accounts the login granted that can be chosen."
    )
    channels: list[Channel] = strawberry.field(
        description="The channels it connected or reconnected so far."
    )

    @classmethod
    def from_view(cls, view: AttemptView) -> ChannelConnectAttempt:
        attempt = view.attempt
        failure = None
        if attempt.error_code:
            failure = ChannelConnectFailure(
                code=ConnectErrorCode(attempt.error_code), message=attempt.error_message or ""
            )
        return cls(
            id=strawberry.ID(to_global_id("ChannelConnectAttempt", attempt.id)),
            platform=attempt.platform,
            workspace_id=strawberry.ID(to_global_id("Workspace", attempt.workspace_id)),
            status=view.status,
            failure=failure,
            created_at=attempt.created_at,
            expires_at=attempt.expires_at,
            choose_by=attempt.selection_expires_at if view.candidates else None,
            candidates=[
                ChannelCandidate(
                    id=strawberry.ID(candidate.key),
                    name=candidate.name,
                    handle=candidate.handle,
                    detail=candidate.detail,
                    channel=Channel.from_model(candidate.channel) if candidate.channel else None,
                )
                for candidate in view.candidates
            ],
            channels=[Channel.from_model(channel) for channel in view.channels],
        )
