"""Domain events, published after commit on one Redis pub/sub channel per workspace."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.redis import get_redis
from domain.uow import after_commit


def workspace_channel(workspace_id: int) -> str:
    return f"kelola:events:workspace:{workspace_id}"


@dataclass(frozen=True)
class Event:
    """Something that happened in one workspace; `type` names it, `data` carries ids."""

    type: str
    workspace_id: int
    data: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def encode(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "workspace_id": self.workspace_id,
                "data": self.data,
                "occurred_at": self.occurred_at.isoformat(),
            }
        )

    @classmethod
    def decode(cls, raw: str) -> Event:
        body = json.loads(raw)
        return cls(
            type=body["type"],
            workspace_id=body["workspace_id"],
            data=body["data"],
            id=body["id"],
            occurred_at=datetime.fromisoformat(body["occurred_at"]),
        )


def publish_after_commit(event: Event) -> None:
    publish_many_after_commit([event])


def publish_many_after_commit(events: list[Event]) -> None:
    """Publish the events, in order, once the unit of work commits: one round trip for all."""
    if not events:
        return

    async def send() -> None:
        async with get_redis().pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(workspace_channel(event.workspace_id), event.encode())
            await pipe.execute()

    after_commit(send)


async def emit(event: Event) -> None:
    """Announce a domain event from inside a unit of work: the webhook deliveries it owes
    are written in the same transaction, and it is published once that commits."""
    await emit_many([event])


async def emit_many(events: list[Event]) -> None:
    """`emit` for a batch: the webhook deliveries of all the events in one statement."""
    from domain.webhooks.outbox import record_deliveries  # lazily: webhooks import events

    await record_deliveries(events)
    publish_many_after_commit(events)


async def listen(workspace_ids: Iterable[int], types: set[str]) -> AsyncIterator[Event]:
    """Events of the given types in the given workspaces, from any process, as they happen."""
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    channels = [workspace_channel(workspace_id) for workspace_id in workspace_ids]
    await pubsub.subscribe(*channels)
    try:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            event = Event.decode(message["data"])
            if event.type in types:
                yield event
    finally:
        await pubsub.unsubscribe(*channels)
        await pubsub.aclose()
