"""Channel mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.channels.inputs import (
    ChannelConnectFinishInput,
    ChannelConnectStartInput,
    ChannelDisconnectInput,
)
from api.channels.payloads import (
    ChannelConnectFinishPayload,
    ChannelConnectStartPayload,
    ChannelDisconnectPayload,
)
from api.channels.types import Channel, ChannelConnectAttempt
from api.errors import user_errors
from api.ids import parse_id
from domain.channels import completion, connect, service
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


def _connect_options(input: ChannelConnectStartInput) -> connect.ConnectOptions:
    bluesky = input.bluesky
    return connect.ConnectOptions(
        sandbox=_sandbox_options(input),
        bluesky=connect.BlueskyLogin(bluesky.handle, bluesky.app_password) if bluesky else None,
        mastodon_instance_url=input.mastodon.instance_url if input.mastodon else None,
        linkedin_kind=input.linkedin.kind if input.linkedin else None,
        pinterest_board_id=input.pinterest.board_id if input.pinterest else None,
        return_url=input.return_url,
    )


@strawberry.type
class ChannelMutation:
    @strawberry.mutation(
        description=(
            "Connect a social account. Networks with a sign-in page (X, Facebook, Instagram, "
            "LinkedIn, Pinterest, Mastodon) answer with an `authorizationUrl` to send the "
            "member to and the `attempt`; the network sends the member back to Kelola's "
            "callback, which stores the channel and redirects to the return URL. Flows "
            "without a redirect (SANDBOX, BLUESKY with an app password) answer with the "
            "connected `channel`. Connecting an account the workspace already has "
            "reconnects its channel, keeping its refresh token."
        )
    )
    async def channel_connect_start(
        self,
        info: Info,
        input: Annotated[ChannelConnectStartInput, strawberry.argument(description=INPUT)],
    ) -> ChannelConnectStartPayload:
        try:
            async with unit_of_work():
                started = await connect.connect_start(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    platform=input.platform,
                    options=_connect_options(input),
                )
        except DomainError as error:
            return ChannelConnectStartPayload(errors=user_errors(error))
        return ChannelConnectStartPayload(
            authorization_url=started.authorization_url,
            attempt=ChannelConnectAttempt.from_view(started.attempt) if started.attempt else None,
            channel=Channel.from_model(started.channel) if started.channel else None,
        )

    @strawberry.mutation(
        description=(
            "Connect the accounts the member chose when one sign-in granted several "
            "(Facebook Pages, Instagram accounts, LinkedIn pages, Pinterest boards). Only the "
            "member who started the connection can choose, once, before `chooseBy`."
        )
    )
    async def channel_connect_finish(
        self,
        info: Info,
        input: Annotated[ChannelConnectFinishInput, strawberry.argument(description=INPUT)],
    ) -> ChannelConnectFinishPayload:
        try:
            async with unit_of_work():
                channels = await completion.finish_selection(
                    info.context.actor,
                    attempt_id=parse_id(input.attempt_id, "ChannelConnectAttempt", "attemptId"),
                    keys=[str(candidate) for candidate in input.candidate_ids],
                )
        except DomainError as error:
            return ChannelConnectFinishPayload(errors=user_errors(error))
        return ChannelConnectFinishPayload(
            channels=[Channel.from_model(channel) for channel in channels]
        )

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
