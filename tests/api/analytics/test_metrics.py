from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from api.ids import from_global_id
from domain.analytics.cadence import current_cadence
from domain.analytics.models import ChannelMetricDay, Conversion, TargetMetrics
from domain.analytics.periods import today_in
from domain.strategy.models import Campaign
from tests.api.analytics.support import (
    OVERVIEW,
    SERIES,
    TOP,
    collect,
    days_ago,
    gid,
    make_shop,
)
from tests.helpers import top_level_codes


async def _sum(field: str, **filters) -> int:
    return sum(getattr(row, field) or 0 for row in await TargetMetrics.filter(**filters))


async def test_overview_counts_each_post_once_from_its_latest_reading(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel(followers=8000)
    for _ in range(3):
        await shop.world.published(channel, age=timedelta(hours=3))
    now = datetime.now(UTC)
    await collect(channel, now=now)
    # A second reading in a later bucket: totals move to it, they are not added to.
    later = now + current_cadence().bucket
    await TargetMetrics.all().update(next_poll_at=now)
    await collect(channel, now=later)

    data = await gql.data(OVERVIEW, {"ws": shop.workspace_id}, token=shop.owner.token)
    current = data["analyticsOverview"]["current"]
    assert current["posts"] == 3 and current["targets"] == 3
    assert current["likes"] == await _sum("likes") > 0
    assert current["impressions"] == await _sum("impressions")
    assert current["engagements"] == sum(
        [await _sum(name) for name in ("likes", "comments", "shares", "saves")]
    )
    assert current["engagementRateByReach"] == current["engagements"] / current["reach"]
    # The sandbox reports no clicks for posts without a link, and no video: null, never 0.
    assert current["clicks"] is None and current["videoViews"] is None
    assert current["clickThroughRate"] is None
    assert current["conversions"] == 0 and current["revenue"] == []
    week = data["analyticsOverview"]["window"]
    assert week["period"] == "WEEK"
    assert date.fromisoformat(week["start"]).weekday() == 0


async def test_periods_compare_against_the_period_before(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    today = today_in("UTC")
    await shop.world.published(channel, age=timedelta(hours=1))
    await shop.world.published(channel, age=timedelta(hours=1))
    await shop.world.published(channel, age=days_ago(7))
    await collect(channel)
    data = await gql.data(
        OVERVIEW,
        {"ws": shop.workspace_id, "window": {"period": "DAY", "date": today.isoformat()}},
        token=shop.owner.token,
    )
    overview = data["analyticsOverview"]
    assert overview["current"]["posts"] == 2
    previous_day = (today - timedelta(days=1)).isoformat()
    assert overview["previousWindow"] == {
        "period": "DAY",
        "start": previous_day,
        "end": previous_day,
    }
    custom = await gql.data(
        OVERVIEW,
        {
            "ws": shop.workspace_id,
            "window": {
                "period": "CUSTOM",
                "start": (today - timedelta(days=6)).isoformat(),
                "end": today.isoformat(),
            },
        },
        token=shop.owner.token,
    )
    result = custom["analyticsOverview"]
    assert result["current"]["posts"] == 2 and result["previous"]["posts"] == 1
    posts_change = next(c for c in result["changes"] if c["metric"] == "POSTS")
    assert posts_change == {"metric": "POSTS", "current": 2.0, "previous": 1.0, "change": 1.0}


async def test_days_are_the_workspace_timezone(gql):
    shop = await make_shop(gql)
    await shop.set_timezone("Asia/Jakarta")  # UTC+7
    channel = await shop.world.channel()
    target = await shop.world.published(channel, age=timedelta(hours=1))
    await collect(channel)
    local_day = target.published_at.astimezone(ZoneInfo("Asia/Jakarta")).date()
    data = await gql.data(
        OVERVIEW,
        {"ws": shop.workspace_id, "window": {"period": "DAY", "date": local_day.isoformat()}},
        token=shop.owner.token,
    )
    assert data["analyticsOverview"]["current"]["posts"] == 1
    rollup = await TargetMetrics.get(target_id=target.id)
    assert rollup.published_day == local_day


async def test_breakdowns_by_channel_network_tag_campaign_and_post(gql):
    shop = await make_shop(gql)
    first, second = await shop.world.channel(), await shop.world.channel(followers=300)
    campaign = await Campaign.create(workspace_id=shop.pk, name="Ramadan")
    await shop.world.published(first, tags=["promo", "kopi"], campaign_id=campaign.id)
    await shop.world.published(first, tags=["promo"])
    await shop.world.published(second, tags=["kopi"])
    await collect(first, second)

    async def rows(by: str) -> list[dict]:
        data = await gql.data(OVERVIEW, {"ws": shop.workspace_id, "by": by}, token=shop.owner.token)
        return data["analyticsOverview"]["breakdown"]

    by_channel = {row["channel"]["id"]: row["current"] for row in await rows("CHANNEL")}
    assert by_channel[gid("Channel", first.id)]["posts"] == 2
    assert by_channel[gid("Channel", second.id)]["likes"] == await _sum(
        "likes", channel_id=second.id
    )
    [network] = await rows("NETWORK")
    assert network["network"] == "SANDBOX" and network["current"]["posts"] == 3
    by_tag = {row["tag"]: row["current"]["posts"] for row in await rows("TAG")}
    assert by_tag == {"kopi": 2, "promo": 2}
    by_campaign = {row["key"]: row for row in await rows("CAMPAIGN")}
    assert by_campaign[gid("Campaign", campaign.id)]["campaign"]["name"] == "Ramadan"
    assert by_campaign[gid("Campaign", campaign.id)]["current"]["posts"] == 1
    assert by_campaign[""]["current"]["posts"] == 2 and by_campaign[""]["campaign"] is None
    assert len(await rows("POST")) == 3

    filtered = await gql.data(
        OVERVIEW,
        {
            "ws": shop.workspace_id,
            "filter": {"tags": ["kopi"], "channelIds": [gid("Channel", first.id)]},
        },
        token=shop.owner.token,
    )
    current = filtered["analyticsOverview"]["current"]
    assert current["posts"] == 1
    # Posts picked by tag have no audience of their own.
    assert current["followers"] is None


async def test_conversions_revenue_and_customers(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    first = await shop.world.published(channel)
    second = await shop.world.published(channel)
    await collect(channel)
    now = datetime.now(UTC)
    for key, target, value, currency, customer in (
        ("a", first, "100.00", "IDR", "c1"),
        ("b", first, "50.00", "IDR", "c1"),
        ("c", second, "20.00", "USD", "c2"),
        ("d", None, "999.00", "IDR", "c1"),  # unattributed: not in totals, but in c1's lifetime
    ):
        await Conversion.create(
            workspace_id=shop.pk,
            idempotency_key=key,
            request_hash=key,
            source="API",
            occurred_at=now,
            value=Decimal(value),
            currency=currency,
            customer_hash=customer,
            target_id=target.id if target else None,
            post_id=target.post_id if target else None,
            channel_id=channel.id if target else None,
        )
    data = await gql.data(OVERVIEW, {"ws": shop.workspace_id}, token=shop.owner.token)
    current = data["analyticsOverview"]["current"]
    assert current["conversions"] == 3
    assert current["revenue"] == [
        {"amount": "150.0000", "currency": "IDR"},
        {"amount": "20.0000", "currency": "USD"},
    ]
    assert current["revenuePerPost"] == [
        {"amount": "75.0000", "currency": "IDR"},
        {"amount": "10.0000", "currency": "USD"},
    ]
    assert current["customers"] == 2 and current["repeatCustomers"] == 1
    assert {"amount": "1149.0000", "currency": "IDR"} in current["customerLifetimeValue"]
    assert current["conversionRate"] is None  # no tracked-link clicks to divide by


async def test_series_has_every_interval_and_adds_up(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    await shop.world.published(channel, age=timedelta(hours=2))
    await shop.world.published(channel, age=days_ago(2))
    await collect(channel)
    today = today_in("UTC")
    window = {
        "period": "CUSTOM",
        "start": (today - timedelta(days=6)).isoformat(),
        "end": today.isoformat(),
    }
    data = await gql.data(
        SERIES,
        {"ws": shop.workspace_id, "metric": "LIKES", "interval": "DAY", "window": window},
        token=shop.owner.token,
    )
    points = data["metricSeries"]["points"]
    assert [p["start"] for p in points] == [
        (today - timedelta(days=6 - i)).isoformat() for i in range(7)
    ]
    assert sum(p["posts"] for p in points) == 2
    assert sum(p["value"] or 0 for p in points) == await _sum("likes")
    assert points[-1]["metrics"]["likes"] == points[-1]["value"]

    month = await gql.data(
        SERIES,
        {"ws": shop.workspace_id, "interval": "WEEK", "window": {"period": "MONTH"}},
        token=shop.owner.token,
    )
    weeks = month["metricSeries"]["points"]
    assert weeks[0]["start"] == today.replace(day=1).isoformat()
    assert all(date.fromisoformat(p["start"]).weekday() == 0 for p in weeks[1:])


async def test_top_and_bottom_posts(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    for index in range(4):
        await shop.world.published(channel, body=f"post {index}", age=timedelta(hours=index + 1))
    await collect(channel)
    top = (
        await gql.data(
            TOP, {"ws": shop.workspace_id, "metric": "LIKES", "first": 4}, token=shop.owner.token
        )
    )["topPosts"]
    likes = [row["value"] for row in top]
    assert likes == sorted(likes, reverse=True) and [row["rank"] for row in top] == [1, 2, 3, 4]
    bottom = (
        await gql.data(
            TOP,
            {"ws": shop.workspace_id, "metric": "LIKES", "order": "BOTTOM", "first": 2},
            token=shop.owner.token,
        )
    )["topPosts"]
    assert [row["value"] for row in bottom] == sorted(likes)[:2]


POST_METRICS = """
query($id: ID!) { postMetrics(postId: $id) {
  post { id } metrics { likes posts }
  targets { target { id } metrics { likes } lastCollectedAt nextCollectionAt
            history { collectedAt likes impressions } }
} }"""


async def test_post_metrics_has_the_readings_over_time(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    target = await shop.world.published(channel, age=timedelta(hours=5))
    now = datetime.now(UTC)
    await collect(channel, now=now)
    await TargetMetrics.all().update(next_poll_at=now)
    await collect(channel, now=now + timedelta(minutes=20))
    data = await gql.data(POST_METRICS, {"id": gid("Post", target.post_id)}, token=shop.owner.token)
    report = data["postMetrics"]
    [item] = report["targets"]
    assert len(item["history"]) == 2
    assert item["metrics"]["likes"] == item["history"][-1]["likes"] == report["metrics"]["likes"]
    assert item["history"][0]["collectedAt"] < item["history"][1]["collectedAt"]


CHANNEL_METRICS = """
query($id: ID!, $window: AnalyticsWindowInput) { channelMetrics(channelId: $id, window: $window) {
  channel { id } current { followers followerGrowth profileViews posts }
  days { day followers profileViews }
} }"""


async def test_channel_metrics_follow_the_audience_day_by_day(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    today = today_in("UTC")
    for offset, followers, views in ((7, 1000, 5), (1, 1040, 9), (0, 1100, 11)):
        await ChannelMetricDay.create(
            workspace_id=shop.pk,
            channel_id=channel.id,
            day=today - timedelta(days=offset),
            followers=followers,
            profile_views=views,
            collected_at=datetime.now(UTC),
        )
    window = {
        "period": "CUSTOM",
        "start": (today - timedelta(days=1)).isoformat(),
        "end": today.isoformat(),
    }
    data = await gql.data(
        CHANNEL_METRICS,
        {"id": gid("Channel", channel.id), "window": window},
        token=shop.owner.token,
    )
    report = data["channelMetrics"]
    assert report["current"]["followers"] == 1100
    # Growth counts from the day before the window (1000 on day -7 is further back).
    assert report["current"]["followerGrowth"] == 60
    assert report["current"]["profileViews"] == 20
    assert [d["followers"] for d in report["days"]] == [1040, 1100]


async def test_bad_input_is_refused_with_typed_errors(gql):
    shop = await make_shop(gql)
    other = await make_shop(gql, "Other")
    foreign_channel = await other.world.channel()
    today = today_in("UTC")

    async def codes(variables: dict, query: str = OVERVIEW) -> tuple[list, list]:
        body = await gql.execute(query, variables, token=shop.owner.token)
        errors = body.get("errors") or []
        problems = [
            p["code"] for e in errors for p in (e.get("extensions") or {}).get("problems", [])
        ]
        return top_level_codes(body), problems

    too_long = {
        "period": "CUSTOM",
        "start": (today - timedelta(days=800)).isoformat(),
        "end": today.isoformat(),
    }
    assert await codes({"ws": shop.workspace_id, "window": too_long}) == (
        ["BAD_USER_INPUT"],
        ["RANGE_TOO_LONG"],
    )
    no_end = {"period": "CUSTOM", "start": today.isoformat()}
    assert await codes({"ws": shop.workspace_id, "window": no_end}) == (
        ["BAD_USER_INPUT"],
        ["REQUIRED"],
    )
    unknown = {"period": "FORTNIGHT"}
    assert (await codes({"ws": shop.workspace_id, "window": unknown}))[0] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    foreign = {"channelIds": [gid("Channel", foreign_channel.id)]}
    assert (await codes({"ws": shop.workspace_id, "filter": foreign}))[0] == ["NOT_FOUND"]
    assert (await codes({"ws": other.workspace_id}))[0] == ["NOT_FOUND"]
    assert (await codes({"ws": shop.workspace_id, "first": 0}, TOP))[0] == ["BAD_USER_INPUT"]
    bad_id = {"channelIds": ["not-an-id"]}
    assert (await codes({"ws": shop.workspace_id, "filter": bad_id}))[0] == ["BAD_USER_INPUT"]


async def test_who_may_read_analytics(gql):
    shop = await make_shop(gql)
    analyst = await gql.join(shop.workspace_id, shop.owner, "ANALYST")
    approver = await gql.join(shop.workspace_id, shop.owner, "APPROVER")
    ok = await gql.execute(OVERVIEW, {"ws": shop.workspace_id}, token=analyst.person.token)
    assert "errors" not in ok
    refused = await gql.execute(OVERVIEW, {"ws": shop.workspace_id}, token=approver.person.token)
    assert top_level_codes(refused) == ["FORBIDDEN"]
    anonymous = await gql.execute(OVERVIEW, {"ws": shop.workspace_id})
    assert top_level_codes(anonymous) == ["UNAUTHENTICATED"]


async def _statements(gql, shop, queries, query: str, variables: dict) -> int:
    with queries.count() as statements:
        body = await gql.execute(query, variables, token=shop.owner.token)
    assert "errors" not in body, body
    return len(statements)


async def test_analytics_queries_cost_the_same_for_few_or_many_posts(gql, queries):
    counts = []
    for posts in (2, 9):
        shop = await make_shop(gql, f"Shop {posts}")
        channel = await shop.world.channel()
        campaign = await Campaign.create(workspace_id=shop.pk, name="C")
        targets = [
            await shop.world.published(channel, tags=["a", "b"], campaign_id=campaign.id)
            for _ in range(posts)
        ]
        await collect(channel)
        await ChannelMetricDay.create(
            workspace_id=shop.pk,
            channel_id=channel.id,
            day=today_in("UTC"),
            followers=10,
            profile_views=1,
            collected_at=datetime.now(UTC),
        )
        for index, target in enumerate(targets):
            await Conversion.create(
                workspace_id=shop.pk,
                idempotency_key=f"k{index}",
                request_hash="h",
                source="API",
                occurred_at=datetime.now(UTC),
                value=Decimal("1"),
                currency="IDR",
                customer_hash=f"c{index % 2}",
                target_id=target.id,
                post_id=target.post_id,
                channel_id=channel.id,
            )
        ws = shop.workspace_id
        runs = [
            await _statements(gql, shop, queries, OVERVIEW, {"ws": ws, "by": dimension})
            for dimension in ("CHANNEL", "NETWORK", "TAG", "CAMPAIGN", "POST")
        ]
        runs.append(await _statements(gql, shop, queries, SERIES, {"ws": ws}))
        runs.append(await _statements(gql, shop, queries, TOP, {"ws": ws}))
        runs.append(
            await _statements(
                gql, shop, queries, POST_METRICS, {"id": gid("Post", targets[0].post_id)}
            )
        )
        counts.append(runs)
    assert counts[0] == counts[1]


BEST_TIMES = """
query($id: ID!) { bestTimes(channelId: $id) {
  timezone basis posts cells { dayOfWeek hour posts engagementRate score source }
} }"""
SUGGEST = """
query($id: ID!, $count: Int) { queueSlotsSuggest(channelId: $id, count: $count) {
  timezone slots { weekday time score posts source }
} }"""


async def test_best_times_from_own_results_with_fallbacks(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    empty = (
        await gql.data(BEST_TIMES, {"id": gid("Channel", channel.id)}, token=shop.owner.token)
    )["bestTimes"]
    assert len(empty["cells"]) == 168 and {c["source"] for c in empty["cells"]} == {"DEFAULT"}
    assert max(c["score"] for c in empty["cells"]) <= 1.0

    for _ in range(3):
        await shop.world.published(channel, age=timedelta(hours=2))
    await collect(channel)
    rollup = await TargetMetrics.first()
    heat = (await gql.data(BEST_TIMES, {"id": gid("Channel", channel.id)}, token=shop.owner.token))[
        "bestTimes"
    ]
    assert heat["posts"] == 3 and heat["basis"] == "REACH"
    cell = heat["cells"][rollup.published_hour_of_week]
    assert cell["posts"] == 3 and cell["source"] == "CHANNEL" and cell["score"] == 1.0
    same_hour_other_day = heat["cells"][(rollup.published_hour_of_week + 24) % 168]
    assert same_hour_other_day["source"] == "CHANNEL_HOUR"

    slots = (
        await gql.data(
            SUGGEST, {"id": gid("Channel", channel.id), "count": 7}, token=shop.owner.token
        )
    )["queueSlotsSuggest"]["slots"]
    assert len(slots) == 7
    assert slots == sorted(slots, key=lambda s: (s["weekday"], s["time"]))
    bad = await gql.execute(
        SUGGEST, {"id": gid("Channel", channel.id), "count": 0}, token=shop.owner.token
    )
    assert top_level_codes(bad) == ["BAD_USER_INPUT"]


def test_ids_round_trip():
    assert from_global_id(gid("Post", 5)) == ("Post", 5)
