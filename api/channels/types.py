"""GraphQL types of channels. Credentials never appear here."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.ids import to_global_id
from api.node import Node
from domain.channels import models
from domain.channels.models import ChannelHealth as DomainChannelHealth
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
