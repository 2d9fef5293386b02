"""Which domain events partners can subscribe to, and what their webhook bodies say.

The one place that maps domain event types to webhook event types: a new kind of webhook
is an entry in `WebhookEventType` and one in `_CATALOG`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.events import Event
from domain.ids import to_global_id

ENDPOINT_DISABLED = "webhooks.endpoint_disabled"


class WebhookEventType(StrEnum):
    """What a partner subscribes to; the value is the `type` of the webhook body."""

    POST_STATUS_CHANGED = "post.status_changed"
    REPORT_READY = "report.ready"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    ALERT_OPENED = "alert.opened"
    ALERT_UPDATED = "alert.updated"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    ALERT_RESOLVED = "alert.resolved"


def global_id(type_name: str, pk: int | None) -> str | None:
    """The API's global id of a row (the encoding of `api.ids.to_global_id`)."""
    return to_global_id(type_name, pk) if pk is not None else None


def _post_status(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "postId": global_id("Post", data.get("post_id")),
        "targetId": global_id("PostTarget", data.get("target_id")),
        "channelId": global_id("Channel", data.get("channel_id")),
        "status": data.get("status"),
        "fromStatus": data.get("from_status"),
        "reason": data.get("reason"),
    }


def _report_ready(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "reportId": global_id("Report", data.get("report_id")),
        "name": data.get("name"),
        "status": data.get("status"),
        "readyAt": data.get("ready_at"),
    }


def _endpoint_disabled(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "endpointId": global_id("WebhookEndpoint", data.get("endpoint_id")),
        "url": data.get("url"),
        "reason": data.get("reason"),
    }


def _alert(data: dict[str, Any]) -> dict[str, Any]:
    """The alert as the event left it, and the cursor `reputationAlerts` resumes after."""
    return {
        "cursor": global_id("AlertEvent", data.get("event_id")),
        "alertId": global_id("Alert", data.get("alert_id")),
        "ruleId": global_id("AlertRule", data.get("rule_id")),
        "kind": data.get("kind"),
        "status": data.get("status"),
        "summary": data.get("summary"),
        "mentionsCount": data.get("mentions_count"),
        "firstAt": data.get("first_at"),
        "lastAt": data.get("last_at"),
    }


@dataclass(frozen=True)
class Mapping:
    webhook_type: WebhookEventType
    data: Callable[[dict[str, Any]], dict[str, Any]]


# Domain event type -> webhook event type and the `data` of its body (global ids only,
# never tokens or secrets).
_CATALOG: dict[str, Mapping] = {
    "target.status_changed": Mapping(WebhookEventType.POST_STATUS_CHANGED, _post_status),
    "analytics.report_ready": Mapping(WebhookEventType.REPORT_READY, _report_ready),
    ENDPOINT_DISABLED: Mapping(WebhookEventType.WEBHOOK_ENDPOINT_DISABLED, _endpoint_disabled),
    "alert.opened": Mapping(WebhookEventType.ALERT_OPENED, _alert),
    "alert.updated": Mapping(WebhookEventType.ALERT_UPDATED, _alert),
    "alert.acknowledged": Mapping(WebhookEventType.ALERT_ACKNOWLEDGED, _alert),
    "alert.resolved": Mapping(WebhookEventType.ALERT_RESOLVED, _alert),
}


def webhook_type_of(event: Event) -> WebhookEventType | None:
    mapping = _CATALOG.get(event.type)
    return mapping.webhook_type if mapping else None


def body_of(event: Event) -> str:
    """The exact JSON body POSTed (and signed) for an event."""
    mapping = _CATALOG[event.type]
    return json.dumps(
        {
            "id": event.id,
            "type": mapping.webhook_type.value,
            "workspaceId": global_id("Workspace", event.workspace_id),
            "occurredAt": event.occurred_at.isoformat(),
            "data": mapping.data(event.data),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
