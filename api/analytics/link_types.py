"""GraphQL types of link tracking and conversions: tracked links, conversions, and a
workspace's analytics settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from api.channels.types import Channel
from api.content.types import Post, PostTarget
from api.ids import to_global_id
from api.node import Node
from api.strategy.types import Campaign
from domain.analytics import conversions as conversions_service
from domain.analytics import links as links_service
from domain.analytics import models
from domain.analytics.models import ConversionSource as DomainConversionSource
from domain.content import queries as content_queries
from domain.strategy.campaigns import campaigns_by_ids

ConversionSource = strawberry.enum(
    DomainConversionSource,
    name="ConversionSource",
    description=(
        "How a conversion was reported: API through the `conversionRecord` mutation, SERVER "
        "through the signed `POST /conversions/{workspaceId}` endpoint."
    ),
)


def _gid(type_name: str, pk: int | None) -> strawberry.ID | None:
    return strawberry.ID(to_global_id(type_name, pk)) if pk is not None else None


async def _post(info: Info, pk: int | None) -> Post | None:
    if pk is None:
        return None
    row = await info.context.loaders.scoped(content_queries.posts_by_ids).load(pk)
    return Post.from_model(row) if row else None


async def _channel(info: Info, pk: int | None) -> Channel | None:
    if pk is None:
        return None
    row = await info.context.loaders.scoped(content_queries.channels_by_ids).load(pk)
    return Channel.from_model(row) if row else None


async def _campaign(info: Info, pk: int | None) -> Campaign | None:
    if pk is None:
        return None
    row = await info.context.loaders.scoped(campaigns_by_ids).load(pk)
    return Campaign.from_model(row) if row else None


@strawberry.type(
    description=(
        "A short link `/l/{code}` that counts clicks and redirects to `destination`, the "
        "original URL with UTM parameters."
    )
)
class TrackedLink(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this link.")
    code: str = strawberry.field(description="The short code, 8 letters and digits.")
    short_url: str = strawberry.field(description="The link to share: `<public URL>/l/<code>`.")
    original_url: str = strawberry.field(description="The URL as it was given.")
    destination: str = strawberry.field(
        description=(
            "Where the short link leads: the original URL plus utm_source, utm_medium, "
            "utm_campaign and utm_content, except those the URL already had."
        )
    )
    clicks: int = strawberry.field(
        description="Clicks counted: at most one per visitor and hour; link previews not counted."
    )
    created_at: datetime = strawberry.field(description="When it was made.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    target_id: strawberry.ID | None = strawberry.field(
        description="The post target it was made for when publishing, if any."
    )
    pk: strawberry.Private[int]
    post_pk: strawberry.Private[int | None]
    channel_pk: strawberry.Private[int | None]
    campaign_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.TrackedLink) -> TrackedLink:
        return cls(
            id=strawberry.ID(to_global_id("TrackedLink", row.id)),
            code=row.code,
            short_url=links_service.short_url(row.code),
            original_url=row.original_url,
            destination=row.destination,
            clicks=row.clicks,
            created_at=row.created_at,
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
            target_id=_gid("PostTarget", row.target_id),
            pk=row.id,
            post_pk=row.post_id,
            channel_pk=row.channel_id,
            campaign_pk=row.campaign_id,
        )

    @strawberry.field(description="The post it belongs to, if any.")
    async def post(self, info: Info) -> Post | None:
        return await _post(info, self.post_pk)

    @strawberry.field(description="The channel it was shared on, if known.")
    async def channel(self, info: Info) -> Channel | None:
        return await _channel(info, self.channel_pk)

    @strawberry.field(description="The campaign it counts towards, if any.")
    async def campaign(self, info: Info) -> Campaign | None:
        return await _campaign(info, self.campaign_pk)

    @strawberry.field(description="How many conversions were credited to this link.")
    async def conversions(self, info: Info) -> int:
        loader = info.context.loaders.scoped(links_service.conversion_counts_by_link_ids)
        return await loader.load(self.pk)


@strawberry.type(description="A sale or sign-up a partner reported, credited to the last click.")
class Conversion(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this conversion.")
    value: Decimal = strawberry.field(description="The amount, up to 4 decimal places.")
    currency: str = strawberry.field(description="ISO 4217 code, upper case.")
    occurred_at: datetime = strawberry.field(description="When the conversion happened.")
    order_id: str | None = strawberry.field(description="The partner's order reference.")
    source: ConversionSource = strawberry.field(description="How it was reported.")
    attributed: bool = strawberry.field(
        description="Whether it was credited to a link (a click in the window, or a link code)."
    )
    created_at: datetime = strawberry.field(description="When Kelola recorded it.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    link_pk: strawberry.Private[int | None]
    target_pk: strawberry.Private[int | None]
    post_pk: strawberry.Private[int | None]
    channel_pk: strawberry.Private[int | None]
    campaign_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Conversion) -> Conversion:
        return cls(
            id=strawberry.ID(to_global_id("Conversion", row.id)),
            value=row.value,
            currency=row.currency,
            occurred_at=row.occurred_at,
            order_id=row.order_ref,
            source=row.source,
            attributed=row.attributed,
            created_at=row.created_at,
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
            link_pk=row.link_id,
            target_pk=row.target_id,
            post_pk=row.post_id,
            channel_pk=row.channel_id,
            campaign_pk=row.campaign_id,
        )

    @strawberry.field(description="The link it was credited to, if any.")
    async def link(self, info: Info) -> TrackedLink | None:
        if self.link_pk is None:
            return None
        row = await info.context.loaders.scoped(links_service.links_by_ids).load(self.link_pk)
        return TrackedLink.from_model(row) if row else None

    @strawberry.field(description="The post target of that link, if it was made when publishing.")
    async def target(self, info: Info) -> PostTarget | None:
        if self.target_pk is None:
            return None
        loader = info.context.loaders.scoped(conversions_service.targets_by_ids)
        row = await loader.load(self.target_pk)
        return PostTarget.from_model(row) if row else None

    @strawberry.field(description="The post credited, if any.")
    async def post(self, info: Info) -> Post | None:
        return await _post(info, self.post_pk)

    @strawberry.field(description="The channel credited, if any.")
    async def channel(self, info: Info) -> Channel | None:
        return await _channel(info, self.channel_pk)

    @strawberry.field(description="The campaign credited, if any.")
    async def campaign(self, info: Info) -> Campaign | None:
        return await _campaign(info, self.campaign_pk)


@strawberry.type(description="A workspace's analytics options.")
class AnalyticsSettings:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    track_links: bool = strawberry.field(
        description="Whether URLs in published posts are turned into tracked short links."
    )
    attribution_window_days: int = strawberry.field(
        description="How many days after a click a conversion is still credited to it (1 to 90)."
    )
    conversion_secret_set: bool = strawberry.field(
        description=(
            "Whether a secret for signing server-to-server conversions exists "
            "(`conversionSecretRotate` makes one; it is never shown again)."
        )
    )
    conversion_secret_rotated_at: datetime | None = strawberry.field(
        description="When the conversion secret was last made."
    )

    @classmethod
    def from_model(cls, row: models.AnalyticsSettings) -> AnalyticsSettings:
        return cls(
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
            track_links=row.track_links,
            attribution_window_days=row.attribution_window_days,
            conversion_secret_set=bool(row.conversion_secret_encrypted),
            conversion_secret_rotated_at=row.conversion_secret_rotated_at,
        )
