"""Inputs of channel mutations."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.channels.types import Platform
from domain.channels.connect import LinkedInKind


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


@strawberry.input(description="A Bluesky account to connect with an app password.")
class BlueskyAccountInput:
    handle: str = strawberry.field(description="The account's handle, e.g. `kopi.bsky.social`.")
    app_password: str = strawberry.field(
        description=(
            "An app password (`xxxx-xxxx-xxxx-xxxx`, made in Bluesky's settings), never the "
            "account password. It opens a session and is not stored."
        )
    )


@strawberry.input(description="The Mastodon server the account lives on.")
class MastodonInstanceInput:
    instance_url: str = strawberry.field(
        description="The instance, e.g. `https://mastodon.social` or `mastodon.social` (https)."
    )


LinkedInAccountKind = strawberry.enum(
    LinkedInKind,
    name="LinkedInAccountKind",
    description=(
        "What a LinkedIn login connects: MEMBER (the member's own profile) or ORGANIZATION "
        "(the organization pages the member administers)."
    ),
)


@strawberry.input(description="Which LinkedIn accounts to connect.")
class LinkedInConnectInput:
    kind: LinkedInAccountKind = strawberry.field(
        default=LinkedInKind.MEMBER, description="The member's profile, or their pages."
    )


@strawberry.input(description="Where a Pinterest channel pins.")
class PinterestConnectInput:
    board_id: str | None = strawberry.field(
        default=None,
        description=(
            "The Pinterest board id to pin to. When null: a reconnect keeps the channel's "
            "board, an account with one board uses it, and otherwise the member chooses a "
            "board with `channelConnectFinish`."
        ),
    )


@strawberry.input(description="Start connecting a social account to a workspace.")
class ChannelConnectStartInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace to connect to.")
    platform: Platform = strawberry.field(description="The network.")
    sandbox: SandboxAccountInput | None = strawberry.field(
        default=None, description="For SANDBOX: how the simulated account behaves."
    )
    bluesky: BlueskyAccountInput | None = strawberry.field(
        default=None, description="For BLUESKY (required): the handle and an app password."
    )
    mastodon: MastodonInstanceInput | None = strawberry.field(
        default=None, description="For MASTODON (required): the member's instance."
    )
    linkedin: LinkedInConnectInput | None = strawberry.field(
        default=None, description="For LINKEDIN: the member's profile (default) or their pages."
    )
    pinterest: PinterestConnectInput | None = strawberry.field(
        default=None, description="For PINTEREST: the board to pin to."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description=(
            "For networks that redirect: where the callback sends the member's browser "
            "afterwards, with `status`, `attemptId`, `channelIds` or `code` added to its "
            "query. Must be on the origin of KELOLA_CONNECT_RETURN_URL or one of "
            "KELOLA_CONNECT_RETURN_ORIGINS; defaults to KELOLA_CONNECT_RETURN_URL."
        ),
    )


@strawberry.input(description="The accounts to connect among those a login granted.")
class ChannelConnectFinishInput:
    attempt_id: strawberry.ID = strawberry.field(
        description="The connection attempt, as in the callback's `attemptId`."
    )
    candidate_ids: list[strawberry.ID] = strawberry.field(
        description="The `ChannelCandidate.id`s to connect (one board per Pinterest account)."
    )


@strawberry.input(description="The channel to disconnect.")
class ChannelDisconnectInput:
    channel_id: strawberry.ID = strawberry.field(description="The channel.")
