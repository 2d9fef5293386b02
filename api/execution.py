"""How operations are executed: strawberry's execution context, made safe for long-lived
subscriptions."""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core (3.3.2) shares one sub-field memo between a subscription and the
    executor of each of its events, keyed by the identity of field lists built anew per
    event: a subscription kept every event's lists alive, growing without end (and full
    garbage-collector passes with it). Each event gets a memo of its own here."""

    def build_per_event_executor(self, payload: Any) -> ExecutionContext:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor
