"""Analytics of one post (lifetime, per channel, with its readings over time) and of one
channel (a period against the one before, with its daily audience)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.analytics.aggregation import totals_by
from domain.analytics.models import ChannelMetricDay, MetricSnapshot, TargetMetrics
from domain.analytics.overview import Overview, overview, readable_workspace
from domain.analytics.periods import Window
from domain.analytics.scope import Dimension, Scope
from domain.analytics.totals import Totals
from domain.channels.models import Channel
from domain.content.models import Post, PostTarget
from domain.errors import NotFound
from domain.identity.roles import Permission
from domain.tenancy import Actor, visible_to

MAX_HISTORY = 500


@dataclass(frozen=True)
class TargetReport:
    target: PostTarget
    totals: Totals
    collected_at: datetime | None
    next_poll_at: datetime | None
    history: list[MetricSnapshot]


@dataclass(frozen=True)
class PostReport:
    post: Post
    totals: Totals
    targets: list[TargetReport]


async def _readable(actor: Actor, model, row_id: int, what: str, field: str):
    row = await visible_to(actor, model).get_or_none(id=row_id)
    if row is None:
        raise NotFound(what, field=field)
    await actor.require(row.workspace_id, Permission.ANALYTICS_READ)
    return row


async def post_report(actor: Actor, post_id: int, history_limit: int = 100) -> PostReport:
    """A post's lifetime results: in total and per channel, each channel's readings oldest
    first (the latest `history_limit`)."""
    post = await _readable(actor, Post, post_id, "post", "postId")
    scope = Scope(post_ids=(post.id,))
    overall = await totals_by(post.workspace_id, None, None, scope, customers=True)
    per_channel = await totals_by(post.workspace_id, None, None, scope, Dimension.CHANNEL)
    targets = await PostTarget.filter(workspace_id=post.workspace_id, post_id=post.id).order_by(
        "id"
    )
    rollups = {
        row.target_id: row
        for row in await TargetMetrics.filter(workspace_id=post.workspace_id, post_id=post.id)
    }
    limit = max(1, min(history_limit, MAX_HISTORY))
    snapshots = await MetricSnapshot.filter(
        workspace_id=post.workspace_id, target_id__in=[t.id for t in targets] or [0]
    ).order_by("target_id", "-bucket")
    history: dict[int, list[MetricSnapshot]] = {}
    for snapshot in snapshots:
        kept = history.setdefault(snapshot.target_id, [])
        if len(kept) < limit:
            kept.append(snapshot)
    reports = [
        TargetReport(
            target=target,
            totals=per_channel.get(target.channel_id, Totals()),
            collected_at=rollups[target.id].collected_at if target.id in rollups else None,
            next_poll_at=rollups[target.id].next_poll_at if target.id in rollups else None,
            history=list(reversed(history.get(target.id, []))),
        )
        for target in targets
    ]
    return PostReport(post, overall.get(None, Totals()), reports)


@dataclass(frozen=True)
class ChannelReport:
    channel: Channel
    overview: Overview
    days: list[ChannelMetricDay]


async def channel_report(actor: Actor, channel_id: int, window_for_workspace) -> ChannelReport:
    """A channel's period against the one before, with its audience day by day.
    `window_for_workspace(workspace)` names the period (it depends on the timezone)."""
    channel = await _readable(actor, Channel, channel_id, "channel", "channelId")
    workspace = await readable_workspace(actor, channel.workspace_id)
    window: Window = window_for_workspace(workspace)
    result = await overview(workspace, window, Scope(channel_ids=(channel.id,)))
    days = await ChannelMetricDay.filter(
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        day__gte=window.start,
        day__lte=window.end,
    ).order_by("day")
    return ChannelReport(channel, result, days)
