"""Which published posts an analytics question is about: a workspace, a range of
publishing days, and optional channels, networks, tags, campaigns or posts.

Every analytics read starts from `scoped_targets`, which is always bounded to one
workspace the caller was checked against (see `domain.analytics.access`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from domain.analytics.models import TargetMetrics, TargetTag


class Dimension(StrEnum):
    CHANNEL = "CHANNEL"
    NETWORK = "NETWORK"
    TAG = "TAG"
    CAMPAIGN = "CAMPAIGN"
    POST = "POST"


# The rollup column (or joined column) each dimension groups by; TAG groups via TargetTag.
GROUP_FIELDS = {
    Dimension.CHANNEL: "channel_id",
    Dimension.NETWORK: "platform",
    Dimension.CAMPAIGN: "target__post__campaign_id",
    Dimension.POST: "post_id",
}


@dataclass(frozen=True)
class Scope:
    channel_ids: tuple[int, ...] = ()
    platforms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    post_ids: tuple[int, ...] = ()

    @property
    def narrower_than_channels(self) -> bool:
        """Whether the scope picks posts within channels (so audience numbers don't apply)."""
        return bool(self.tags or self.campaign_ids or self.post_ids)


def scoped_targets(
    workspace_id: int, start: date | None, end: date | None, scope: Scope
) -> QuerySet[TargetMetrics]:
    rows = TargetMetrics.filter(workspace_id=workspace_id)
    if start is not None:
        rows = rows.filter(published_day__gte=start)
    if end is not None:
        rows = rows.filter(published_day__lte=end)
    if scope.channel_ids:
        rows = rows.filter(channel_id__in=scope.channel_ids)
    if scope.platforms:
        rows = rows.filter(platform__in=scope.platforms)
    if scope.post_ids:
        rows = rows.filter(post_id__in=scope.post_ids)
    if scope.campaign_ids:
        rows = rows.filter(target__post__campaign_id__in=scope.campaign_ids)
    if scope.tags:
        tagged = TargetTag.filter(workspace_id=workspace_id, tag__in=scope.tags)
        rows = rows.filter(id__in=Subquery(tagged.values("target_metrics_id")))
    return rows
