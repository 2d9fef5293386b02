"""Posts and their targets. A target is one post going to one channel, with its own status."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class TargetStatus(StrEnum):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    SCHEDULED = "SCHEDULED"
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"
    UNCONFIRMED = "UNCONFIRMED"
    CANCELLED = "CANCELLED"


# Statuses a member may still edit, schedule or cancel; the rest belong to the publisher.
EDITABLE = frozenset(
    {
        TargetStatus.DRAFT,
        TargetStatus.IN_REVIEW,
        TargetStatus.APPROVED,
        TargetStatus.SCHEDULED,
        TargetStatus.FAILED,
        TargetStatus.CANCELLED,
    }
)
FINAL = frozenset({TargetStatus.PUBLISHED, TargetStatus.FAILED, TargetStatus.CANCELLED})


class MediaKind(StrEnum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    GIF = "GIF"


class Media(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="media", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(MediaKind, max_length=8)
    mime_type = fields.CharField(max_length=100)
    size_bytes = fields.BigIntField()
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    duration_s = fields.FloatField(null=True)
    alt_text = fields.CharField(max_length=1500, null=True)
    file_name = fields.CharField(max_length=255, null=True)
    storage_key = fields.CharField(max_length=300, unique=True)
    uploaded_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "media"


class Post(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name="posts", on_delete=fields.CASCADE
    )
    author = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField(default="")
    title = fields.CharField(max_length=300, null=True)
    link = fields.CharField(max_length=4096, null=True)
    first_comment = fields.TextField(null=True)
    poll = fields.JSONField(null=True)
    media_ids = fields.JSONField(default=list)
    tags = fields.JSONField(default=list)
    recurrence_rule = fields.CharField(max_length=500, null=True)
    campaign = fields.ForeignKeyField(
        "kelola.Campaign", related_name="posts", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "posts"


class PostTarget(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    post = fields.ForeignKeyField("kelola.Post", related_name="targets", on_delete=fields.CASCADE)
    channel = fields.ForeignKeyField(
        "kelola.Channel", related_name="targets", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(TargetStatus, max_length=16, default=TargetStatus.DRAFT)
    body_override = fields.TextField(null=True)
    media_override = fields.JSONField(null=True)
    scheduled_at = fields.DatetimeField(null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    # Publishing state machine: the claim token fences each attempt.
    attempt_token = fields.CharField(max_length=32, null=True, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    network_post_id = fields.CharField(max_length=200, null=True)
    network_url = fields.CharField(max_length=2048, null=True)
    failure_reason = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "post_targets"
        unique_together = (("post", "channel"),)
        indexes = (
            ("status", "next_attempt_at"),
            ("workspace_id", "scheduled_at"),
            ("channel_id", "scheduled_at"),
        )


class StatusChange(Model):
    """Every status change of a target: who (or which process), when and why."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    target = fields.ForeignKeyField(
        "kelola.PostTarget", related_name="history", on_delete=fields.CASCADE
    )
    from_status = fields.CharEnumField(TargetStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(TargetStatus, max_length=16)
    changed_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    changed_by_system = fields.CharField(max_length=64, null=True)
    reason = fields.CharField(max_length=1000, null=True)
    changed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "target_status_changes"


class PublishAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    target = fields.ForeignKeyField(
        "kelola.PostTarget", related_name="attempt_log", on_delete=fields.CASCADE
    )
    attempt_token = fields.CharField(max_length=32)
    started_at = fields.DatetimeField()
    latency_ms = fields.IntField(null=True)
    outcome = fields.CharField(max_length=16)
    error_class = fields.CharField(max_length=32, null=True)
    error_message = fields.CharField(max_length=1000, null=True)
    network_post_id = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "publish_attempts"


class PostComment(Model):
    """Review discussion on a post."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    post = fields.ForeignKeyField("kelola.Post", related_name="comments", on_delete=fields.CASCADE)
    author = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "post_comments"


class QueueSlot(Model):
    """A weekly time at which a channel's queue publishes, in wall-clock time of a zone."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    channel = fields.ForeignKeyField(
        "kelola.Channel", related_name="queue_slots", on_delete=fields.CASCADE
    )
    weekday = fields.SmallIntField()  # 0 = Monday
    minute_of_day = fields.SmallIntField()
    timezone = fields.CharField(max_length=64)

    class Meta:
        table = "queue_slots"
        unique_together = (("channel", "weekday", "minute_of_day"),)


class ContentPolicy(Model):
    """A workspace's publishing rules: approvals and posting frequency."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.OneToOneField(
        "kelola.Workspace", related_name="content_policy", on_delete=fields.CASCADE
    )
    approval_required = fields.BooleanField(default=False)
    max_posts_per_channel_per_day = fields.IntField(null=True)
    min_minutes_between_posts = fields.IntField(null=True)

    class Meta:
        table = "content_policies"
