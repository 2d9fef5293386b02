"""alertRuleCreate, alertRuleUpdate, alerts, alertAcknowledge, alertResolve, and the
reputationAlerts subscription with cursor replay."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.errors import UserError
from api.identity.types import After, First
from api.ids import parse_id, to_global_id
from api.listening.types import Mention
from api.mutations import mutation_payload
from api.node import Node, node_type
from api.pagination import Connection
from api.streams import until_revoked
from domain.alerts import models, service
from domain.alerts.stream import alert_events
from domain.identity.roles import Permission
from domain.tenancy import workspace_for

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."

RuleKind = strawberry.enum(
    models.RuleKind,
    name="AlertRuleKind",
    description="VOLUME_SPIKE: the window holds `threshold` times the usual volume. "
    "NEGATIVE_SHARE: negative mentions are at least `threshold` (0-1) of the window. "
    "INFLUENTIAL_NEGATIVE: a negative mention by an author with at least `minReach`. "
    "WATCH_TERMS: a mention contains one of `terms`.",
)
AlertStatus = strawberry.enum(
    models.AlertStatus, name="AlertStatus", description="OPEN, ACKNOWLEDGED or RESOLVED."
)
AlertEventKind = strawberry.enum(
    models.AlertEventKind, name="AlertEventKind", description="What happened to the alert."
)


@strawberry.type(description="When a listening query's mentions raise an alert.")
class AlertRule(Node):
    id: strawberry.ID = strawberry.field(description="The global id.")
    query_id: strawberry.ID = strawberry.field(description="The listening query it watches.")
    name: str = strawberry.field(description="Its name.")
    kind: RuleKind = strawberry.field(description="What it looks for.")
    window_minutes: int = strawberry.field(description="The window counted over.")
    threshold: float | None = strawberry.field(description="Share or spike factor.")
    min_mentions: int = strawberry.field(description="Fewer mentions in the window never alert.")
    min_reach: int | None = strawberry.field(description="Author reach that counts.")
    terms: list[str] = strawberry.field(description="Watched terms.")
    cooldown_minutes: int = strawberry.field(
        description="New mentions within this long of an open alert's last update it."
    )
    active: bool = strawberry.field(description="Whether it is checked.")

    @classmethod
    def from_model(cls, row: models.AlertRule) -> AlertRule:
        return cls(
            id=strawberry.ID(to_global_id("AlertRule", row.id)),
            query_id=strawberry.ID(to_global_id("ListeningQuery", row.query_id)),
            name=row.name,
            kind=row.kind,
            window_minutes=row.window_minutes,
            threshold=row.threshold,
            min_mentions=row.min_mentions,
            min_reach=row.min_reach,
            terms=list(row.terms),
            cooldown_minutes=row.cooldown_minutes,
            active=row.active,
        )


@strawberry.type(description="An incident raised by an alert rule.")
class Alert(Node):
    id: strawberry.ID = strawberry.field(description="The global id.")
    rule_id: strawberry.ID = strawberry.field(description="The rule that raised it.")
    status: AlertStatus = strawberry.field(description="Where it stands.")
    summary: str = strawberry.field(description="What it is about.")
    mentions_count: int = strawberry.field(description="Mentions behind it.")
    first_at: datetime = strawberry.field(description="When it was raised.")
    last_at: datetime = strawberry.field(description="When it last grew.")
    acknowledged_at: datetime | None = strawberry.field(description="When it was acknowledged.")
    acknowledged_by_id: strawberry.ID | None = strawberry.field(description="Who acknowledged.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    resolved_by_id: strawberry.ID | None = strawberry.field(description="Who resolved it.")
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Alert) -> Alert:
        def user(pk: int | None) -> strawberry.ID | None:
            return strawberry.ID(to_global_id("User", pk)) if pk else None

        return cls(
            id=strawberry.ID(to_global_id("Alert", row.id)),
            rule_id=strawberry.ID(to_global_id("AlertRule", row.rule_id)),
            status=row.status,
            summary=row.summary,
            mentions_count=row.mentions_count,
            first_at=row.first_at,
            last_at=row.last_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by_id=user(row.acknowledged_by_id),
            resolved_at=row.resolved_at,
            resolved_by_id=user(row.resolved_by_id),
            pk=row.id,
        )

    @strawberry.field(description="The mentions behind it, newest first.")
    async def mentions(self, info: Info) -> list[Mention]:
        rows = await info.context.loaders.scoped(service.mentions_of_alerts).load(self.pk)
        return [Mention.from_model(row) for row in rows]


@strawberry.type(description="Something that happened to an alert, with the cursor to resume from.")
class AlertEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    kind: AlertEventKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When.")
    alert: Alert = strawberry.field(
        description="The alert as read from the log with this event (within a second of it); "
        "`node` gives its latest state."
    )


@strawberry.input(description="An alert rule's fields.")
class AlertRuleFieldsInput:
    name: str = strawberry.field(description="1 to 120 characters.")
    kind: RuleKind = strawberry.field(description="What it looks for.")
    window_minutes: int = strawberry.field(default=60, description="5 to 10080.")
    threshold: float | None = strawberry.field(
        default=None, description="NEGATIVE_SHARE: 0-1. VOLUME_SPIKE: a factor above 1."
    )
    min_mentions: int = strawberry.field(default=5, description="At least this many.")
    min_reach: int | None = strawberry.field(default=None, description="INFLUENTIAL_NEGATIVE.")
    terms: list[str] = strawberry.field(default_factory=list, description="WATCH_TERMS.")
    cooldown_minutes: int = strawberry.field(default=60, description="0 to 10080.")
    active: bool = strawberry.field(default=True, description="Check it.")

    def to_draft(self) -> service.RuleDraft:
        return service.RuleDraft(
            self.name,
            self.kind,
            self.window_minutes,
            self.threshold,
            self.min_mentions,
            self.min_reach,
            tuple(self.terms),
            self.cooldown_minutes,
            self.active,
        )


@strawberry.input(description="A new alert rule on a listening query.")
class AlertRuleCreateInput:
    query_id: strawberry.ID = strawberry.field(description="The listening query.")
    rule: AlertRuleFieldsInput = strawberry.field(description="Its fields.")


@strawberry.input(description="New fields for an alert rule.")
class AlertRuleUpdateInput:
    rule_id: strawberry.ID = strawberry.field(description="The rule.")
    rule: AlertRuleFieldsInput = strawberry.field(description="Its new fields.")


@strawberry.input(description="An alert to acknowledge or resolve.")
class AlertRefInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")


@strawberry.type(description="Result of `alertRuleCreate` and `alertRuleUpdate`.")
class AlertRulePayload:
    rule: AlertRule | None = strawberry.field(default=None, description="The rule.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `alertAcknowledge` and `alertResolve`.")
class AlertPayload:
    alert: Alert | None = strawberry.field(default=None, description="The alert.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


node_type("AlertRule", service.get_rule, AlertRule.from_model)
node_type("Alert", service.get_alert, Alert.from_model)


def _rule(row) -> dict:
    return {"rule": AlertRule.from_model(row)}


def _alert(row) -> dict:
    return {"alert": Alert.from_model(row)}


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Raise alerts when a listening query's mentions call for it.")
    async def alert_rule_create(
        self,
        info: Info,
        input: Annotated[AlertRuleCreateInput, strawberry.argument(description=INPUT)],
    ) -> AlertRulePayload:
        return await mutation_payload(
            lambda: service.create_rule(
                info.context.actor,
                query_id=parse_id(input.query_id, "ListeningQuery", "queryId"),
                draft=input.rule.to_draft(),
            ),
            AlertRulePayload,
            _rule,
        )

    @strawberry.mutation(description="Change an alert rule.")
    async def alert_rule_update(
        self,
        info: Info,
        input: Annotated[AlertRuleUpdateInput, strawberry.argument(description=INPUT)],
    ) -> AlertRulePayload:
        return await mutation_payload(
            lambda: service.update_rule(
                info.context.actor,
                rule_id=parse_id(input.rule_id, "AlertRule", "ruleId"),
                draft=input.rule.to_draft(),
            ),
            AlertRulePayload,
            _rule,
        )

    @strawberry.mutation(description="Say someone is on an open alert.")
    async def alert_acknowledge(
        self, info: Info, input: Annotated[AlertRefInput, strawberry.argument(description=INPUT)]
    ) -> AlertPayload:
        return await mutation_payload(
            lambda: service.acknowledge(
                info.context.actor, alert_id=parse_id(input.alert_id, "Alert", "alertId")
            ),
            AlertPayload,
            _alert,
        )

    @strawberry.mutation(description="Close an alert.")
    async def alert_resolve(
        self, info: Info, input: Annotated[AlertRefInput, strawberry.argument(description=INPUT)]
    ) -> AlertPayload:
        return await mutation_payload(
            lambda: service.resolve(
                info.context.actor, alert_id=parse_id(input.alert_id, "Alert", "alertId")
            ),
            AlertPayload,
            _alert,
        )


@strawberry.type
class AlertQuery:
    @strawberry.field(description="A workspace's alert rules, oldest first.")
    async def alert_rules(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        query_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the rules of this listening query."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[AlertRule]:
        page = await service.list_rules(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            parse_id(query_id, "ListeningQuery", "queryId") if query_id is not None else None,
            first=first,
            after=after,
        )
        return Connection.from_page(page, AlertRule.from_model)

    @strawberry.field(description="A workspace's alerts, newest first.")
    async def alerts(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        status: Annotated[
            AlertStatus | None, strawberry.argument(description="Only alerts in this status.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Alert]:
        page = await service.list_alerts(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            status,
            first=first,
            after=after,
        )
        return Connection.from_page(page, Alert.from_model)


@strawberry.type
class AlertSubscription:
    @strawberry.subscription(
        description="Alert events of a workspace. With `after`, every event since that cursor "
        "is replayed first, so a client that reconnects loses nothing; then events arrive live, "
        "each once, in order. Without it, only new events."
    )
    async def reputation_alerts(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description="The workspace.")],
        after: Annotated[
            str | None, strawberry.argument(description="The last cursor received.")
        ] = None,
    ) -> AsyncGenerator[AlertEvent, None]:
        actor = info.context.actor
        workspace = await workspace_for(
            actor, parse_id(workspace_id, "Workspace", "workspaceId"), Permission.ALERTS_READ
        )
        after_id = parse_id(after, "AlertEvent", "after") if after is not None else None
        async for delivery in until_revoked(info, alert_events(actor, workspace.id, after_id)):
            yield AlertEvent(
                cursor=to_global_id("AlertEvent", delivery.event.id),
                kind=delivery.event.kind,
                occurred_at=delivery.event.created_at,
                alert=Alert.from_model(delivery.alert),
            )
