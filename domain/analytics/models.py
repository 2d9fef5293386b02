"""Analytics tables: metric snapshots and their rollups, tracked links and clicks,
conversions, per-workspace analytics settings, and reports.

Every network metric is cumulative (a post's likes so far), so totals are read from the
latest reading of each target (`TargetMetrics`), never by summing snapshots: summing
readings is how peers double-count analytics.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MetricSnapshot(Model):
    """One reading of a published target cumulative metrics, one per target and time bucket."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    target = fields.ForeignKeyField(
        "kelola.PostTarget", related_name=False, on_delete=fields.CASCADE
    )
    bucket = fields.DatetimeField()
    collected_at = fields.DatetimeField()
    impressions = fields.BigIntField(null=True)
    reach = fields.BigIntField(null=True)
    likes = fields.BigIntField(null=True)
    comments = fields.BigIntField(null=True)
    shares = fields.BigIntField(null=True)
    saves = fields.BigIntField(null=True)
    clicks = fields.BigIntField(null=True)
    video_views = fields.BigIntField(null=True)
    watch_time_s = fields.BigIntField(null=True)

    class Meta:
        table = "metric_snapshots"
        unique_together = (("target", "bucket"),)


class TargetMetrics(Model):
    """The latest reading of a published target (the rollup analytics reads) and when to
    read it next. `next_poll_at` is null once the target is past the polling age."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    target = fields.OneToOneField(
        "kelola.PostTarget", related_name="metrics", on_delete=fields.CASCADE
    )
    post_id = fields.BigIntField()
    channel_id = fields.BigIntField()
    platform = fields.CharField(max_length=16)
    published_at = fields.DatetimeField()
    # The publishing moment in the workspace timezone (as it was at enrollment), so periods
    # and hour-of-week heatmaps group by plain columns.
    published_day = fields.DateField()
    published_hour_of_week = fields.SmallIntField()
    next_poll_at = fields.DatetimeField(null=True)
    collected_at = fields.DatetimeField(null=True)
    polls = fields.IntField(default=0)
    impressions = fields.BigIntField(null=True)
    reach = fields.BigIntField(null=True)
    likes = fields.BigIntField(null=True)
    comments = fields.BigIntField(null=True)
    shares = fields.BigIntField(null=True)
    saves = fields.BigIntField(null=True)
    clicks = fields.BigIntField(null=True)
    video_views = fields.BigIntField(null=True)
    watch_time_s = fields.BigIntField(null=True)

    class Meta:
        table = "target_metrics"
        indexes = (("workspace_id", "published_day"), ("next_poll_at", "channel_id"))


class TargetTag(Model):
    """A tag of a published target post, copied at enrollment so analytics can group by tag."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    target_metrics = fields.ForeignKeyField(
        "kelola.TargetMetrics", related_name="tags", on_delete=fields.CASCADE
    )
    tag = fields.CharField(max_length=100)

    class Meta:
        table = "target_tags"
        unique_together = (("target_metrics", "tag"),)
        indexes = (("workspace_id", "tag"),)


class ChannelMetricDay(Model):
    """The audience of a channel on one UTC day.

    Followers as counted at collection time, profile views of that day."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    channel = fields.ForeignKeyField("kelola.Channel", related_name=False, on_delete=fields.CASCADE)
    day = fields.DateField()
    followers = fields.BigIntField(null=True)
    profile_views = fields.BigIntField(null=True)
    collected_at = fields.DatetimeField()

    class Meta:
        table = "channel_metric_days"
        unique_together = (("channel", "day"),)
        indexes = (("workspace_id", "day"),)


class TrackedLink(Model):
    """A short link `/l/{code}` that redirects to `destination` (UTM parameters included)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=16, unique=True)
    original_url = fields.CharField(max_length=2048)
    destination = fields.CharField(max_length=4096)
    post = fields.ForeignKeyField(
        "kelola.Post", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    target = fields.ForeignKeyField(
        "kelola.PostTarget", related_name="tracked_links", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.ForeignKeyField(
        "kelola.Channel", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    campaign = fields.ForeignKeyField(
        "kelola.Campaign", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    clicks = fields.BigIntField(default=0)
    created_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tracked_links"
        unique_together = (("target", "original_url"),)
        indexes = (("workspace_id", "created_at"),)


class LinkClick(Model):
    """One counted click: at most one per link, visitor and hour. `visitor_hash` is a keyed
    hash of the visitor address and agent for that hour, never the address itself."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    link = fields.ForeignKeyField(
        "kelola.TrackedLink", related_name=False, on_delete=fields.CASCADE
    )
    visitor_hash = fields.CharField(max_length=64)
    hour = fields.DatetimeField()
    click_ref = fields.CharField(max_length=32, unique=True)
    clicked_at = fields.DatetimeField()

    class Meta:
        table = "link_clicks"
        unique_together = (("link", "visitor_hash", "hour"),)


class ConversionSource(StrEnum):
    API = "API"
    SERVER = "SERVER"


class Conversion(Model):
    """A sale or sign-up reported by a partner, attributed to the last click in the window."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    idempotency_key = fields.CharField(max_length=128)
    request_hash = fields.CharField(max_length=64)
    source = fields.CharEnumField(ConversionSource, max_length=8)
    occurred_at = fields.DatetimeField()
    value = fields.DecimalField(max_digits=18, decimal_places=4)
    currency = fields.CharField(max_length=3)
    customer_hash = fields.CharField(max_length=64, null=True)
    order_ref = fields.CharField(max_length=200, null=True)
    click = fields.ForeignKeyField(
        "kelola.LinkClick", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    link = fields.ForeignKeyField(
        "kelola.TrackedLink", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    target = fields.ForeignKeyField(
        "kelola.PostTarget", related_name="conversions", null=True, on_delete=fields.SET_NULL
    )
    post_id = fields.BigIntField(null=True)
    channel_id = fields.BigIntField(null=True)
    campaign_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    @property
    def attributed(self) -> bool:
        """Credited to a tracked link (a click within the attribution window)."""
        return self.link_id is not None

    class Meta:
        table = "conversions"
        unique_together = (("workspace", "idempotency_key"),)
        indexes = (("workspace_id", "target_id"), ("workspace_id", "customer_hash"))


class AnalyticsSettings(Model):
    """Analytics options of a workspace (a workspace without a row uses the defaults)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.OneToOneField(
        "kelola.Workspace", related_name="analytics_settings", on_delete=fields.CASCADE
    )
    track_links = fields.BooleanField(default=True)
    attribution_window_days = fields.IntField(default=7)
    conversion_secret_encrypted = fields.TextField(null=True)
    conversion_secret_rotated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "analytics_settings"


class ReportFrequency(StrEnum):
    ONCE = "ONCE"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class ReportStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class ReportSchedule(Model):
    """A recurring report: made after each week or month ends, in the workspace timezone."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    frequency = fields.CharEnumField(ReportFrequency, max_length=8)
    filters = fields.JSONField(default=dict)
    next_run_at = fields.DatetimeField()
    created_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)

    @property
    def upcoming_run_at(self) -> datetime | None:
        """When it makes its next report; None once cancelled."""
        return None if self.cancelled_at else self.next_run_at

    class Meta:
        table = "report_schedules"
        indexes = (("next_run_at",),)


class Report(Model):
    """One made (or being made) report over a date range: JSON, CSV and PNG files."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    schedule = fields.ForeignKeyField(
        "kelola.ReportSchedule", related_name="reports", null=True, on_delete=fields.SET_NULL
    )
    name = fields.CharField(max_length=120)
    frequency = fields.CharEnumField(ReportFrequency, max_length=8)
    period_start = fields.DateField()
    period_end = fields.DateField()
    filters = fields.JSONField(default=dict)
    status = fields.CharEnumField(ReportStatus, max_length=8, default=ReportStatus.PENDING)
    failure_reason = fields.CharField(max_length=500, null=True)
    storage_prefix = fields.CharField(max_length=200, null=True)
    created_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    ready_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reports"
        unique_together = (("schedule", "period_start"),)
        indexes = (("workspace_id", "created_at"),)
