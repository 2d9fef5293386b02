"""LinkedIn's statistics: post metrics, follower counts and page views.

  GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&shares=List(...)
      an organization's posts: impressions, unique impressions, clicks, likes, comments,
      shares (organizations/share-statistics)
  GET /rest/socialActions?ids=List(...)     BATCH_GET of likesSummary and commentsSummary,
      `{"results", "statuses", "errors"}` keyed by the encoded URN; /rest/socialActions/{urn}
      one by one where the batch read is refused (shares/network-update-social-actions)
  GET /rest/networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER   `firstDegreeSize`
      (organizations/follower-statistics)
  GET /rest/organizationPageStatistics?q=organization&organization={org}&timeIntervals=
      (timeRange:(start,end),timeGranularityType:DAY)   one element per day, all page views
      in totalPageStatistics.views.allPageViews.pageViews (organizations/page-statistics)
  GET /rest/memberFollowersCount?q=me        `elements[0].memberFollowersCount`; needs the
      restricted r_member_profileAnalytics (members/member-followers-count)
LinkedIn offers no member profile views and, through these APIs, no video views or watch
time, so those stay None.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from domain.platforms.base import PostMetrics, Rejected
from domain.platforms.linkedin.client import LinkedInClient, restli_list, urn_path

logger = logging.getLogger(__name__)

PAGE_VIEW_DAYS = 3  # page statistics lag; the latest reported day within these counts


async def network_size(client: LinkedInClient, token: str, organization: str) -> int | None:
    body = await client.get_json(
        f"/rest/networkSizes/{urn_path(organization)}",
        token,
        params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
    )
    return _int(body.get("firstDegreeSize"))


async def share_statistics(
    client: LinkedInClient, token: str, organization: str, urns: list[str]
) -> dict[str, dict[str, Any]]:
    """totalShareStatistics by post URN; posts LinkedIn has no statistics for are absent."""
    query = f"q=organizationalEntity&organizationalEntity={urn_path(organization)}"
    shares = [urn for urn in urns if urn.startswith("urn:li:share:")]
    ugc_posts = [urn for urn in urns if urn.startswith("urn:li:ugcPost:")]
    if shares:
        query += f"&shares={restli_list(shares)}"
    if ugc_posts:
        query += f"&ugcPosts={restli_list(ugc_posts)}"
    body = await client.get_json(
        "/rest/organizationalEntityShareStatistics", token, raw_query=query
    )
    found = {}
    for element in body.get("elements") or []:
        urn = element.get("share") or element.get("ugcPost")
        if urn:
            found[urn] = element.get("totalShareStatistics") or {}
    return found


async def social_counts(
    client: LinkedInClient, token: str, urns: list[str]
) -> dict[str, PostMetrics]:
    """BATCH_GET of the posts' social actions; URNs it reports under `errors` (deleted,
    not visible) are left out. Where the batch read itself is refused, one by one."""
    try:
        body = await client.get_json(
            "/rest/socialActions", token, raw_query=f"ids={restli_list(urns)}"
        )
    except Rejected as error:
        logger.info("linkedin: batch social actions refused, reading apart: %s", error)
        found = {}
        for urn in urns:
            try:
                single = await client.get_json(f"/rest/socialActions/{urn_path(urn)}", token)
            except Rejected as refused:
                if refused.status in (403, 404):
                    continue  # deleted, or no longer visible
                raise
            found[urn] = from_social(urn, single)
        return found
    results = {unquote(key): value for key, value in (body.get("results") or {}).items()}
    return {urn: from_social(urn, results[urn]) for urn in urns if urn in results}


async def member_followers(client: LinkedInClient, token: str) -> int | None:
    """None where the token lacks r_member_profileAnalytics (403)."""
    try:
        body = await client.get_json("/rest/memberFollowersCount", token, params={"q": "me"})
    except Rejected as error:
        logger.info("linkedin: no member follower count: %s", error)
        return None
    counts = [e.get("memberFollowersCount") for e in body.get("elements") or []]
    return _int(counts[0]) if counts else None


async def page_views(client: LinkedInClient, token: str, organization: str) -> int | None:
    """All page views of the latest day LinkedIn reports within PAGE_VIEW_DAYS."""
    now = datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=PAGE_VIEW_DAYS - 1
    )
    interval = (
        f"(timeRange:(start:{int(start.timestamp() * 1000)},"
        f"end:{int(now.timestamp() * 1000)}),timeGranularityType:DAY)"
    )
    query = f"q=organization&organization={urn_path(organization)}&timeIntervals={interval}"
    try:
        body = await client.get_json("/rest/organizationPageStatistics", token, raw_query=query)
    except Rejected as error:
        logger.info("linkedin: no page statistics for %s: %s", organization, error)
        return None
    days = [
        element
        for element in body.get("elements") or []
        if isinstance((element.get("timeRange") or {}).get("start"), int)
    ]
    if not days:
        return None
    latest = max(days, key=lambda element: element["timeRange"]["start"])
    views = ((latest.get("totalPageStatistics") or {}).get("views") or {}).get("allPageViews") or {}
    return _int(views.get("pageViews"))


def from_statistics(urn: str, stats: dict[str, Any]) -> PostMetrics:
    return PostMetrics(
        network_post_id=urn,
        impressions=_int(stats.get("impressionCount")),
        reach=_int(stats.get("uniqueImpressionsCount")),
        likes=_int(stats.get("likeCount")),
        comments=_int(stats.get("commentCount")),
        shares=_int(stats.get("shareCount")),
        clicks=_int(stats.get("clickCount")),
    )


def from_social(urn: str, body: dict[str, Any]) -> PostMetrics:
    likes = (body.get("likesSummary") or {}).get("totalLikes")
    comments = (body.get("commentsSummary") or {}).get("aggregatedTotalComments")
    return PostMetrics(network_post_id=urn, likes=_int(likes), comments=_int(comments))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
