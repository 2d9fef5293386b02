from datetime import UTC
from zoneinfo import ZoneInfo

from api.ids import to_global_id
from domain.content.models import Post, PostTarget, TargetStatus
from domain.content.series_models import PostSeries, SeriesOccurrence
from tests.api.content.support import POST_CANCEL, POST_SCHEDULE, create_post, pk, studio

NEW_YORK = ZoneInfo("America/New_York")


async def schedule_series(gql, token, post_id, at, rule, timezone="America/New_York", **kw):
    return await gql.mutate(
        "postSchedule",
        POST_SCHEDULE,
        {"postId": post_id, "at": at, "timezone": timezone, "recurrence": rule},
        token=token,
        **kw,
    )


async def test_weekly_post_keeps_its_wall_clock_time_across_dst(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels, "Monday kopi")
    # Mondays 09:00 in New York, across the 2027-03-14 spring-forward.
    payload = await schedule_series(
        gql, owner.token, post["id"], "2027-03-01T09:00:00", "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    )
    assert payload["errors"] == []
    occurrences = await SeriesOccurrence.all().order_by("index").prefetch_related("post")
    assert [o.index for o in occurrences] == [0, 1, 2, 3]
    assert occurrences[0].post_id == pk(post["id"])  # the post itself is the first
    local = [o.at.astimezone(NEW_YORK) for o in occurrences]
    assert [(t.month, t.day, t.hour, t.minute) for t in local] == [
        (3, 1, 9, 0),
        (3, 8, 9, 0),
        (3, 15, 9, 0),
        (3, 22, 9, 0),
    ]
    assert [o.at.astimezone(UTC).hour for o in occurrences] == [14, 14, 13, 13]
    targets = await PostTarget.all().order_by("scheduled_at")
    assert [t.status for t in targets] == [TargetStatus.SCHEDULED] * 4
    assert [t.scheduled_at for t in targets] == [o.at for o in occurrences]
    assert {(await Post.get(id=t.post_id)).body for t in targets} == {"Monday kopi"}
    # Repeating its own text is what a recurring post is for: no duplicate error.
    assert payload["validation"]["valid"] is True


async def test_cancelling_the_rest_of_a_series(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule_series(gql, owner.token, post["id"], "2027-01-04T08:30:00", "FREQ=DAILY;COUNT=5")
    third = await SeriesOccurrence.get(index=2)
    payload = await gql.mutate(
        "postCancel",
        POST_CANCEL,
        {"postId": to_global_id("Post", third.post_id), "wholeSeries": True},
        token=owner.token,
    )
    assert payload["errors"] == []
    statuses = [
        (o.index, (await PostTarget.get(post_id=o.post_id)).status)
        for o in await SeriesOccurrence.all().order_by("index")
    ]
    assert statuses == [
        (0, TargetStatus.SCHEDULED),
        (1, TargetStatus.SCHEDULED),
        (2, TargetStatus.CANCELLED),
        (3, TargetStatus.CANCELLED),
        (4, TargetStatus.CANCELLED),
    ]
    assert (await PostSeries.get()).cancelled_at is not None


async def test_a_bad_rule_is_a_typed_error_and_writes_nothing(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    for rule in ["FREQ=SOMETIMES", "FREQ=MINUTELY", "DTSTART:20270101T000000\nFREQ=DAILY", ""]:
        payload = await schedule_series(
            gql, owner.token, post["id"], "2027-01-04T08:30:00", rule, expect_errors=True
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("recurrence", "INVALID")]
    assert await PostSeries.all().count() == 0
    assert await Post.all().count() == 1
    assert (await PostTarget.get()).status == TargetStatus.DRAFT


async def test_a_rule_that_ended_before_now_is_refused(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    payload = await schedule_series(
        gql,
        owner.token,
        post["id"],
        "2020-01-06T09:00:00",
        "FREQ=WEEKLY;COUNT=3",
        expect_errors=True,
    )
    assert payload["errors"][0]["field"] == "recurrence"
    assert await Post.all().count() == 1


async def test_an_open_ended_series_is_extended_as_time_passes(gql):
    from datetime import datetime, timedelta

    from domain.content.recurrence import MAX_AHEAD
    from domain.content.series import extend_open_series

    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels, "Daily kopi")
    await schedule_series(gql, owner.token, post["id"], "2027-01-04T08:30:00", "FREQ=DAILY")
    assert await SeriesOccurrence.all().count() == MAX_AHEAD
    assert await extend_open_series() == 0  # still MAX_AHEAD ahead: nothing to add
    # Ten days later, ten occurrences have passed: ten more are made, still 08:30 local.
    later = datetime(2027, 1, 14, 12, tzinfo=UTC)
    assert await extend_open_series(now=later) == 10
    occurrences = await SeriesOccurrence.all().order_by("index")
    assert [o.index for o in occurrences] == list(range(MAX_AHEAD + 10))
    local = {o.at.astimezone(NEW_YORK).strftime("%H:%M") for o in occurrences}
    assert local == {"08:30"}
    assert await PostTarget.filter(status=TargetStatus.SCHEDULED).count() == MAX_AHEAD + 10
    assert occurrences[-1].at - occurrences[-2].at in (timedelta(hours=23), timedelta(days=1))


async def test_a_counted_series_finishes(gql):
    from datetime import datetime

    from domain.content.series import extend_open_series

    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule_series(gql, owner.token, post["id"], "2027-01-04T08:30:00", "FREQ=DAILY;COUNT=3")
    assert await extend_open_series(now=datetime(2027, 2, 1, tzinfo=UTC)) == 0
    assert (await PostSeries.get()).finished is True
