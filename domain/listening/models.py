"""Listening: the queries a workspace listens with, the feeds it reads, where each source
left off, and the mentions found."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ListeningQuery(Model):
    """What a workspace listens for: brand and competitor terms, hashtags, boolean include
    and exclude expressions, languages and networks."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    brand_terms = fields.JSONField(default=list)
    competitors = fields.JSONField(default=list)  # [{"name": ..., "terms": [...]}]
    hashtags = fields.JSONField(default=list)
    include_expression = fields.TextField(null=True)
    exclude_expression = fields.TextField(null=True)
    languages = fields.JSONField(default=list)
    networks = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    created_by = fields.ForeignKeyField(
        "kelola.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "listening_queries"
        unique_together = (("workspace", "name"),)


class FeedStatus(StrEnum):
    OK = "OK"
    FAILING = "FAILING"


class ListeningFeed(Model):
    """An RSS or Atom feed (news, blogs) a workspace reads for mentions."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "kelola.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2048)
    title = fields.CharField(max_length=300, null=True)
    status = fields.CharEnumField(FeedStatus, max_length=8, default=FeedStatus.OK)
    last_error = fields.CharField(max_length=500, null=True)
    failures = fields.IntField(default=0)
    next_read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "listening_feeds"
        unique_together = (("workspace", "url"),)


class SourceCursor(Model):
    """Where reading one source for one query left off (a network search through a channel,
    or a feed), so each run asks only for what is new."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    query = fields.ForeignKeyField(
        "kelola.ListeningQuery", related_name="cursors", on_delete=fields.CASCADE
    )
    source = fields.CharField(max_length=64)  # "channel:<id>" or "feed:<id>"
    seen_until = fields.DatetimeField(null=True)
    last_run_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "listening_cursors"
        unique_together = (("query", "source"),)


class Sentiment(StrEnum):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"


class Mention(Model):
    """A post, comment or article that matched a listening query, once per query."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    query = fields.ForeignKeyField(
        "kelola.ListeningQuery", related_name="mentions", on_delete=fields.CASCADE
    )
    source = fields.CharField(max_length=64)
    network = fields.CharField(max_length=16)
    external_id = fields.CharField(max_length=300)
    url = fields.CharField(max_length=2048, null=True)
    author_handle = fields.CharField(max_length=200, null=True)
    author_reach = fields.BigIntField(null=True)
    text = fields.TextField()
    language = fields.CharField(max_length=8)
    sentiment_score = fields.FloatField()
    sentiment = fields.CharEnumField(Sentiment, max_length=8)
    matched_terms = fields.JSONField(default=list)
    competitor = fields.CharField(max_length=120, null=True)
    published_at = fields.DatetimeField()
    collected_at = fields.DatetimeField()

    class Meta:
        table = "mentions"
        unique_together = (("query", "network", "external_id"),)
        indexes = (("workspace_id", "published_at"), ("query_id", "published_at"))
