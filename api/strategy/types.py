"""GraphQL types of strategy: campaigns."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.ids import to_global_id
from api.node import Node
from domain.strategy import models


@strawberry.type(description="A named push that posts belong to, e.g. a product launch.")
class Campaign(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this campaign.")
    name: str = strawberry.field(description="Unique within the workspace.")
    description: str = strawberry.field(description="What the campaign is for.")
    starts_on: date | None = strawberry.field(description="First day, if planned.")
    ends_on: date | None = strawberry.field(description="Last day, if planned.")
    created_at: datetime = strawberry.field(description="When it was created.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")

    @classmethod
    def from_model(cls, row: models.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(to_global_id("Campaign", row.id)),
            name=row.name,
            description=row.description,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            created_at=row.created_at,
            workspace_id=strawberry.ID(to_global_id("Workspace", row.workspace_id)),
        )
