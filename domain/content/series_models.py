"""Recurring posts: a series and the occurrences it has produced so far."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PostSeries(Model):
    """A post repeated by an RRULE in wall-clock time of a zone (09:00 stays 09:00)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    template = fields.ForeignKeyField(
        "kelola.Post", related_name="series_as_template", on_delete=fields.CASCADE
    )
    rule = fields.CharField(max_length=500)
    timezone = fields.CharField(max_length=64)
    starts_at_local = fields.CharField(max_length=19)  # ISO wall-clock time, no zone
    generated_until = fields.DatetimeField(null=True)  # UTC instant of the last occurrence made
    finished = fields.BooleanField(default=False)
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "post_series"


class SeriesOccurrence(Model):
    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    series = fields.ForeignKeyField(
        "kelola.PostSeries", related_name="occurrences", on_delete=fields.CASCADE
    )
    post = fields.OneToOneField("kelola.Post", related_name="occurrence", on_delete=fields.CASCADE)
    index = fields.IntField()
    at = fields.DatetimeField()

    class Meta:
        table = "series_occurrences"
        unique_together = (("series", "index"),)
