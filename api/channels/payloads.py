"""Results of channel mutations."""

from __future__ import annotations

import strawberry

from api.channels.types import Channel, ChannelConnectAttempt
from api.errors import UserError

ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.type(description="Result of `channelConnectStart`.")
class ChannelConnectStartPayload:
    authorization_url: str | None = strawberry.field(
        default=None,
        description="For OAuth networks: send the member here; the callback finishes the job.",
    )
    attempt: ChannelConnectAttempt | None = strawberry.field(
        default=None,
        description="For OAuth networks: the attempt the callback will finish (PENDING).",
    )
    channel: Channel | None = strawberry.field(
        default=None, description="For flows without a redirect: the connected channel."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `channelConnectFinish`.")
class ChannelConnectFinishPayload:
    channels: list[Channel] = strawberry.field(
        default_factory=list, description="The channels connected or reconnected now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `channelDisconnect`.")
class ChannelDisconnectPayload:
    channel: Channel | None = strawberry.field(default=None, description="The channel.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
