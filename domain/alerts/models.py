"""Alert rules over listening queries, the alerts they raise, and the log of alert events
(its ids are the cursor subscribers resume from)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RuleKind(StrEnum):
    VOLUME_SPIKE = "VOLUME_SPIKE"
    NEGATIVE_SHARE = "NEGATIVE_SHARE"
    INFLUENTIAL_NEGATIVE = "INFLUENTIAL_NEGATIVE"
    WATCH_TERMS = "WATCH_TERMS"


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class AlertRule(Model):
    """When a listening query's mentions should raise an alert."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    query = fields.ForeignKeyField(
        "kelola.ListeningQuery", related_name="alert_rules", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    kind = fields.CharEnumField(RuleKind, max_length=24)
    window_minutes = fields.IntField(default=60)
    threshold = fields.FloatField(null=True)
    min_mentions = fields.IntField(default=5)
    min_reach = fields.BigIntField(null=True)
    terms = fields.JSONField(default=list)
    cooldown_minutes = fields.IntField(default=60)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_rules"


class Alert(Model):
    """One incident: raised by a rule, updated while it continues, acknowledged, resolved."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    rule = fields.ForeignKeyField(
        "kelola.AlertRule", related_name="alerts", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(AlertStatus, max_length=16, default=AlertStatus.OPEN)
    summary = fields.CharField(max_length=300)
    mentions_count = fields.IntField(default=0)
    first_at = fields.DatetimeField()
    last_at = fields.DatetimeField()
    acknowledged_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    acknowledged_at = fields.DatetimeField(null=True)
    resolved_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alerts"
        indexes = (("workspace_id", "status"),)


class AlertMention(Model):
    """A mention behind an alert."""

    id = fields.BigIntField(primary_key=True)
    alert = fields.ForeignKeyField("kelola.Alert", related_name="links", on_delete=fields.CASCADE)
    mention = fields.ForeignKeyField("kelola.Mention", related_name=False, on_delete=fields.CASCADE)

    class Meta:
        table = "alert_mentions"
        unique_together = (("alert", "mention"),)


class AlertEventKind(StrEnum):
    OPENED = "OPENED"
    UPDATED = "UPDATED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class AlertEvent(Model):
    """Something that happened to an alert, in order (the id is the replay cursor)."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    alert = fields.ForeignKeyField("kelola.Alert", related_name="events", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(AlertEventKind, max_length=16)
    created_at = fields.DatetimeField()

    class Meta:
        table = "alert_events"
        indexes = (("workspace_id", "id"),)
