"""Channel mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.channels.inputs import ChannelConnectStartInput, ChannelDisconnectInput
from api.channels.payloads import ChannelConnectStartPayload, ChannelDisconnectPayload
from api.channels.types import Channel
from api.errors import user_errors
from api.ids import parse_id
from domain.channels import service
from domain.errors import DomainError
from domain.uow import unit_of_work

INPUT = "The fields of this mutation."


def _sandbox_options(input: ChannelConnectStartInput) -> service.SandboxOptions | None:
    if input.sandbox is None:
        return None
    return service.SandboxOptions(
        handle=input.sandbox.handle,
        followers=input.sandbox.followers,
        latency_ms=input.sandbox.latency_ms,
        failure_rates=input.sandbox.failure_rates,
        seed=input.sandbox.seed,
    )


@strawberry.type
class ChannelMutation:
    @strawberry.mutation(
        description=(
            "Connect a social account. OAuth networks answer with an `authorizationUrl`; "
            "flows without a redirect (SANDBOX) answer with the connected `channel`."
        )
    )
    async def channel_connect_start(
        self,
        info: Info,
        input: Annotated[ChannelConnectStartInput, strawberry.argument(description=INPUT)],
    ) -> ChannelConnectStartPayload:
        try:
            async with unit_of_work():
                channel = await service.connect_start(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    platform=input.platform,
                    sandbox=_sandbox_options(input),
                )
        except DomainError as error:
            return ChannelConnectStartPayload(errors=user_errors(error))
        return ChannelConnectStartPayload(channel=Channel.from_model(channel))

    @strawberry.mutation(description="Disconnect a channel: its credentials are erased.")
    async def channel_disconnect(
        self,
        info: Info,
        input: Annotated[ChannelDisconnectInput, strawberry.argument(description=INPUT)],
    ) -> ChannelDisconnectPayload:
        try:
            async with unit_of_work():
                channel = await service.disconnect(
                    info.context.actor,
                    channel_id=parse_id(input.channel_id, "Channel", "channelId"),
                )
        except DomainError as error:
            return ChannelDisconnectPayload(errors=user_errors(error))
        return ChannelDisconnectPayload(channel=Channel.from_model(channel))
