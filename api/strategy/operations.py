"""Campaign queries and mutations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.errors import UserError
from api.identity.types import After, First
from api.ids import parse_id
from api.mutations import mutation_payload
from api.node import node_type
from api.pagination import Connection
from api.strategy.types import Campaign
from domain.strategy import campaigns

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.input(description="A campaign's fields.")
class CampaignFieldsInput:
    name: str = strawberry.field(description="Unique within the workspace, 1 to 120 characters.")
    description: str = strawberry.field(default="", description="What it is for.")
    starts_on: date | None = strawberry.field(default=None, description="First day.")
    ends_on: date | None = strawberry.field(default=None, description="Last day.")

    def to_draft(self) -> campaigns.CampaignDraft:
        return campaigns.CampaignDraft(self.name, self.description, self.starts_on, self.ends_on)


@strawberry.input(description="A new campaign.")
class CampaignCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    campaign: CampaignFieldsInput = strawberry.field(description="Its fields.")


@strawberry.input(description="New fields for a campaign.")
class CampaignUpdateInput:
    campaign_id: strawberry.ID = strawberry.field(description="The campaign.")
    campaign: CampaignFieldsInput = strawberry.field(description="Its new fields.")


@strawberry.type(description="Result of `campaignCreate` and `campaignUpdate`.")
class CampaignPayload:
    campaign: Campaign | None = strawberry.field(default=None, description="The campaign.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


node_type("Campaign", campaigns.get_campaign, Campaign.from_model)


async def _campaign_mutation(action) -> CampaignPayload:
    return await mutation_payload(
        action, CampaignPayload, lambda row: {"campaign": Campaign.from_model(row)}
    )


@strawberry.type
class StrategyMutation:
    @strawberry.mutation(description="Create a campaign posts can belong to.")
    async def campaign_create(
        self,
        info: Info,
        input: Annotated[CampaignCreateInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        return await _campaign_mutation(
            lambda: campaigns.create_campaign(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                draft=input.campaign.to_draft(),
            )
        )

    @strawberry.mutation(description="Change a campaign's name, description or dates.")
    async def campaign_update(
        self,
        info: Info,
        input: Annotated[CampaignUpdateInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        return await _campaign_mutation(
            lambda: campaigns.update_campaign(
                info.context.actor,
                campaign_id=parse_id(input.campaign_id, "Campaign", "campaignId"),
                draft=input.campaign.to_draft(),
            )
        )


@strawberry.type
class StrategyQuery:
    @strawberry.field(description="Campaigns of a workspace, oldest first.")
    async def campaigns(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        first: First = None,
        after: After = None,
    ) -> Connection[Campaign]:
        page = await campaigns.list_campaigns(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            first=first,
            after=after,
        )
        return Connection.from_page(page, Campaign.from_model)
