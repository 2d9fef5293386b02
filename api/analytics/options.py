"""Analytics settings: `analyticsSettings`, `analyticsSettingsUpdate`, `conversionSecretRotate`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.analytics.link_types import AnalyticsSettings
from api.errors import UserError
from api.ids import parse_id
from api.mutations import mutation_payload
from domain.analytics import options

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.input(description="New analytics options; a null field is left as it is.")
class AnalyticsSettingsUpdateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    track_links: bool | None = strawberry.field(
        default=None, description="Turn URLs of published posts into tracked short links."
    )
    attribution_window_days: int | None = strawberry.field(
        default=None, description="Days after a click a conversion is credited to it, 1 to 90."
    )


@strawberry.input(description="Which workspace's conversion secret to replace.")
class ConversionSecretRotateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")


@strawberry.type(description="Result of `analyticsSettingsUpdate`.")
class AnalyticsSettingsPayload:
    settings: AnalyticsSettings | None = strawberry.field(
        default=None, description="The settings now in force."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `conversionSecretRotate`.")
class ConversionSecretRotatePayload:
    settings: AnalyticsSettings | None = strawberry.field(
        default=None, description="The settings, with the new rotation time."
    )
    secret: str | None = strawberry.field(
        default=None,
        description=(
            "The new secret for signing `POST /conversions/{workspaceId}`; shown only this "
            "once. The previous secret stops working at once."
        ),
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type
class AnalyticsSettingsMutation:
    @strawberry.mutation(
        description="Change whether links are tracked and the conversion attribution window."
    )
    async def analytics_settings_update(
        self,
        info: Info,
        input: Annotated[AnalyticsSettingsUpdateInput, strawberry.argument(description=INPUT)],
    ) -> AnalyticsSettingsPayload:
        return await mutation_payload(
            lambda: options.update_options(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                track_links=input.track_links,
                attribution_window_days=input.attribution_window_days,
            ),
            AnalyticsSettingsPayload,
            lambda row: {"settings": AnalyticsSettings.from_model(row)},
        )

    @strawberry.mutation(
        description="Make a new secret for signing server-to-server conversions; returned once."
    )
    async def conversion_secret_rotate(
        self,
        info: Info,
        input: Annotated[ConversionSecretRotateInput, strawberry.argument(description=INPUT)],
    ) -> ConversionSecretRotatePayload:
        return await mutation_payload(
            lambda: options.rotate_conversion_secret(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
            ),
            ConversionSecretRotatePayload,
            lambda rotated: {
                "settings": AnalyticsSettings.from_model(rotated.options),
                "secret": rotated.secret,
            },
        )


@strawberry.type
class AnalyticsSettingsQuery:
    @strawberry.field(description="A workspace's analytics options (never the secret itself).")
    async def analytics_settings(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
    ) -> AnalyticsSettings:
        row = await options.get_options(
            info.context.actor, parse_id(workspace_id, "Workspace", "workspaceId")
        )
        return AnalyticsSettings.from_model(row)
