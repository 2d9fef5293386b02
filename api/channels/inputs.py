"""Inputs of channel mutations."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.channels.types import Platform


@strawberry.input(description="How a sandbox account behaves.")
class SandboxAccountInput:
    handle: str = strawberry.field(default="kelola", description="The account's handle.")
    followers: int = strawberry.field(
        default=1000, description="Audience size; engagement grows in proportion."
    )
    latency_ms: int = strawberry.field(
        default=0, description="Simulated network latency of every call, 0 to 30,000 ms."
    )
    failure_rates: JSON = strawberry.field(
        default_factory=dict,
        description=(
            "Probability per publish of each injected failure, 0 to 1: rate_limit, "
            "auth_expired, server_error_before, rejected, server_error_after, timeout, slow."
        ),
    )
    seed: int | None = strawberry.field(
        default=None, description="Seed of the engagement curves; random when null."
    )


@strawberry.input(description="Start connecting a social account to a workspace.")
class ChannelConnectStartInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace to connect to.")
    platform: Platform = strawberry.field(description="The network.")
    sandbox: SandboxAccountInput | None = strawberry.field(
        default=None, description="For SANDBOX: how the simulated account behaves."
    )


@strawberry.input(description="The channel to disconnect.")
class ChannelDisconnectInput:
    channel_id: strawberry.ID = strawberry.field(description="The channel.")
