"""Conversions: `conversionRecord` and the `conversions` query."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.analytics.link_types import Conversion
from api.errors import UserError
from api.identity.types import After, First
from api.ids import parse_id
from api.mutations import mutation_payload
from api.node import node_type
from api.pagination import Connection
from domain.analytics import conversions

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."


@strawberry.input(description="A sale or sign-up to record.")
class ConversionRecordInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    idempotency_key: str = strawberry.field(
        description=(
            "1 to 128 characters, unique per conversion: sending the same report again with "
            "it returns the first conversion (`replayed: true`); a different report with it "
            "is refused with IDEMPOTENCY_KEY_REUSED."
        )
    )
    value: Decimal = strawberry.field(
        description="The amount, 0 to 10,000,000,000,000, at most 4 decimal places."
    )
    currency: str = strawberry.field(description="ISO 4217 code; lower case is accepted.")
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When it happened, with a UTC offset; default now. At most 5 minutes "
        "ahead and 400 days back.",
    )
    click_refs: list[str] | None = strawberry.field(
        default=None,
        description="The `kelola_click` values the visitor arrived with, up to 20; the latest "
        "click within the attribution window is credited.",
    )
    link_code: str | None = strawberry.field(
        default=None, description="Without click refs: credit this short link's code directly."
    )
    customer_id: str | None = strawberry.field(
        default=None, description="The partner's customer id; stored only as a keyed hash."
    )
    order_id: str | None = strawberry.field(
        default=None, description="The partner's order reference, at most 200 characters."
    )

    def to_report(self) -> conversions.ConversionReport:
        return conversions.ConversionReport(
            idempotency_key=self.idempotency_key,
            value=self.value,
            currency=self.currency,
            occurred_at=self.occurred_at,
            click_refs=self.click_refs,
            link_code=self.link_code,
            customer_id=self.customer_id,
            order_id=self.order_id,
        )


@strawberry.type(description="Result of `conversionRecord`.")
class ConversionRecordPayload:
    conversion: Conversion | None = strawberry.field(
        default=None, description="The conversion (the first one, on a replay)."
    )
    attributed: bool | None = strawberry.field(
        default=None, description="Whether it was credited to a link; null on errors."
    )
    replayed: bool | None = strawberry.field(
        default=None,
        description="True when the idempotency key was seen before with the same report and "
        "nothing new was recorded; null on errors.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


node_type("Conversion", conversions.get_conversion, Conversion.from_model)


@strawberry.type
class ConversionMutation:
    @strawberry.mutation(
        description="Record a conversion and credit it to the last tracked click in the "
        "attribution window. Needs an API key with the CONVERSIONS scope (or an owner or admin)."
    )
    async def conversion_record(
        self,
        info: Info,
        input: Annotated[ConversionRecordInput, strawberry.argument(description=INPUT)],
    ) -> ConversionRecordPayload:
        return await mutation_payload(
            lambda: conversions.record_conversion(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                report=input.to_report(),
            ),
            ConversionRecordPayload,
            lambda recorded: {
                "conversion": Conversion.from_model(recorded.conversion),
                "attributed": recorded.attributed,
                "replayed": recorded.replayed,
            },
        )


@strawberry.type
class ConversionQuery:
    @strawberry.field(description="Conversions of a workspace, oldest first.")
    async def conversions(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        first: First = None,
        after: After = None,
    ) -> Connection[Conversion]:
        page = await conversions.list_conversions(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            first=first,
            after=after,
        )
        return Connection.from_page(page, Conversion.from_model)
