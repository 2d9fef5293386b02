"""postSchedule, postValidate, duplicates and posting frequency, postCancel, rescheduling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.content.models import PostTarget, StatusChange, TargetStatus
from domain.publishing.claims import CLAIM_LEAD
from domain.publishing.jobs import dispatch_job_id
from tests.api.content.support import (
    POST_CANCEL,
    POST_CREATE,
    VALIDATE,
    channel,
    codes,
    content,
    content_rows,
    create_post,
    finding_codes,
    iso,
    later,
    media,
    parse,
    pk,
    queued,
    schedule,
    set_policy,
    studio,
)
from tests.helpers import WORKSPACE_CREATE

HISTORY = """
query($id: ID!) {
  node(id: $id) { ... on Post { targets { history { fromStatus toStatus reason } } } }
}"""


# postSchedule


async def test_schedule_wall_clock_time_in_a_timezone_and_queue_the_publish_job(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, channels)
    payload = await schedule(gql, owner.token, post["id"], "2027-01-15T09:00:00", "Asia/Jakarta")

    due = datetime(2027, 1, 15, 2, 0, tzinfo=UTC)  # Jakarta is UTC+7
    targets = payload["post"]["targets"]
    assert [t["status"] for t in targets] == ["SCHEDULED", "SCHEDULED"]
    assert all(parse(t["scheduledAt"]) == due for t in targets)
    assert all(parse(t["scheduledAt"]).utcoffset() == timedelta(0) for t in targets)
    assert all(t["timezone"] == "Asia/Jakarta" for t in targets)
    assert payload["validation"] == {"valid": True, "errors": [], "warnings": []}

    # One dispatch job for the instant, whatever the number of targets due then.
    jobs = await queued()
    job_id = dispatch_job_id(due)
    assert list(jobs) == [job_id]
    assert jobs[job_id] == (due - CLAIM_LEAD).timestamp() * 1000
    history = await StatusChange.filter(to_status=TargetStatus.SCHEDULED).values_list(
        "from_status", "reason"
    )
    assert history == [(TargetStatus.DRAFT, "scheduled")] * 2


async def test_an_offset_wins_over_the_timezone(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    payload = await schedule(gql, owner.token, post["id"], "2027-01-15T09:00:00+09:00", "UTC")
    assert parse(payload["post"]["targets"][0]["scheduledAt"]) == datetime(
        2027, 1, 15, 0, 0, tzinfo=UTC
    )


async def test_a_time_in_the_past_is_a_rule_violation(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    before = await content_rows()
    payload = await schedule(
        gql, owner.token, post["id"], datetime.now(UTC) - timedelta(minutes=5), expect_errors=True
    )
    assert payload["post"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("at", "RULE_VIOLATED")]
    report = payload["validation"]
    assert report["valid"] is False
    assert finding_codes(report) == ["TIME_IN_PAST"]
    assert report["errors"][0]["channelId"] == channels[0]
    assert report["errors"][0]["severity"] == "ERROR"
    assert await content_rows() == before
    assert await queued() == {}


async def test_an_invalid_timezone_is_invalid(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    for zone in ("Mars/Olympus_Mons", "", "x" * 200):
        payload = await schedule(
            gql, owner.token, post["id"], later(days=1), zone, expect_errors=True
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("timezone", "INVALID")]
        assert payload["validation"] is None
    assert await PostTarget.filter(status=TargetStatus.SCHEDULED).count() == 0
    assert await queued() == {}


async def test_text_over_x_limit_is_fine_on_a_sandbox_channel(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels, "k" * 281)
    payload = await schedule(gql, owner.token, post["id"], later(days=1))
    assert payload["post"]["targets"][0]["status"] == "SCHEDULED"


async def test_every_broken_rule_is_reported_and_nothing_is_scheduled(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    body = "k" * 1001 + " " + " ".join(f"#tag{n}x" for n in range(31))
    post = await create_post(gql, owner.token, workspace_id, channels, body)
    payload = await schedule(
        gql, owner.token, post["id"], datetime.now(UTC) - timedelta(hours=1), expect_errors=True
    )
    report = payload["validation"]
    per_channel = {
        channel_id: sorted(f["code"] for f in report["errors"] if f["channelId"] == channel_id)
        for channel_id in channels
    }
    assert per_channel == {
        channel_id: ["TEXT_TOO_LONG", "TIME_IN_PAST", "TOO_MANY_HASHTAGS"]
        for channel_id in channels
    }
    assert codes(payload) == ["RULE_VIOLATED"] * 6
    assert await PostTarget.filter(status=TargetStatus.DRAFT).count() == 2
    assert await queued() == {}


async def test_warnings_do_not_block(gql):
    owner, workspace_id, channels = await studio(gql)
    image = await media(workspace_id, alt_text=None)
    post = await create_post(gql, owner.token, workspace_id, channels, mediaIds=[image])
    payload = await schedule(gql, owner.token, post["id"], later(days=1))
    assert payload["post"]["targets"][0]["status"] == "SCHEDULED"
    report = payload["validation"]
    assert report["valid"] is True and report["errors"] == []
    assert finding_codes(report, "warnings") == ["ALT_TEXT_MISSING"]
    assert report["warnings"][0]["severity"] == "WARNING"


async def test_a_disconnected_channel_cannot_be_scheduled(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await gql.mutate(
        "channelDisconnect",
        "mutation($input: ChannelDisconnectInput!) { channelDisconnect(input: $input) {"
        " errors { code } } }",
        {"channelId": channels[0]},
        token=owner.token,
    )
    payload = await schedule(gql, owner.token, post["id"], later(days=1), expect_errors=True)
    assert finding_codes(payload["validation"]) == ["CHANNEL_NOT_CONNECTED"]


# Duplicates and posting frequency


async def test_the_same_text_to_the_same_channel_within_30_days_is_a_duplicate(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    first = await create_post(gql, owner.token, workspace_id, [a], "Kopi susu is back")
    await schedule(gql, owner.token, first["id"], later(days=1))

    again = await create_post(gql, owner.token, workspace_id, [a], "  kopi SUSU   is back ")
    payload = await schedule(gql, owner.token, again["id"], later(days=29), expect_errors=True)
    assert finding_codes(payload["validation"]) == ["DUPLICATE_TEXT"]
    assert payload["validation"]["errors"][0]["channelId"] == a

    # 30 days on, or on another channel, it is not a duplicate.
    assert (await schedule(gql, owner.token, again["id"], later(days=32)))["post"]
    elsewhere = await create_post(gql, owner.token, workspace_id, [b], "Kopi susu is back")
    assert (await schedule(gql, owner.token, elsewhere["id"], later(days=1)))["post"]


async def test_a_body_override_counts_for_duplicates(gql):
    owner, workspace_id, (a,) = await studio(gql)
    first = await create_post(gql, owner.token, workspace_id, [a], "Kopi susu is back")
    await schedule(gql, owner.token, first["id"], later(days=1))
    other = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {
            "workspaceId": workspace_id,
            "content": {
                "body": "Something else",
                "targets": [{"channelId": a, "bodyOverride": "Kopi susu is back"}],
            },
        },
        token=owner.token,
    )
    payload = await schedule(
        gql, owner.token, other["post"]["id"], later(days=2), expect_errors=True
    )
    assert finding_codes(payload["validation"]) == ["DUPLICATE_TEXT"]


async def test_max_posts_per_channel_per_day(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    await set_policy(gql, owner.token, workspace_id, maxPostsPerChannelPerDay=2)
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    for hour in (8, 12):
        post = await create_post(gql, owner.token, workspace_id, [a], f"Post at {hour}")
        await schedule(gql, owner.token, post["id"], f"{day}T{hour:02d}:00:00")
    third = await create_post(gql, owner.token, workspace_id, [a], "Post at 18")
    payload = await schedule(gql, owner.token, third["id"], f"{day}T18:00:00", expect_errors=True)
    assert finding_codes(payload["validation"]) == ["TOO_MANY_POSTS_PER_DAY"]
    # The next day, or another channel, is fine.
    assert (await schedule(gql, owner.token, third["id"], f"{day + timedelta(days=1)}T18:00:00"))[
        "post"
    ]
    other = await create_post(gql, owner.token, workspace_id, [b], "Post at 18 elsewhere")
    assert (await schedule(gql, owner.token, other["id"], f"{day}T18:00:00"))["post"]


async def test_days_are_counted_in_the_workspace_timezone(gql):
    owner = await gql.person()
    created = await gql.mutate(
        "workspaceCreate",
        WORKSPACE_CREATE,
        {"name": "Jakarta", "timezone": "Asia/Jakarta"},
        token=owner.token,
    )
    workspace_id = created["workspace"]["id"]
    a = await channel(gql, owner, workspace_id)
    await set_policy(gql, owner.token, workspace_id, maxPostsPerChannelPerDay=1)
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    late = await create_post(gql, owner.token, workspace_id, [a], "23:30 in Jakarta")
    await schedule(gql, owner.token, late["id"], f"{day}T16:30:00+00:00")
    # The same UTC day, but already the next day in Jakarta.
    early = await create_post(gql, owner.token, workspace_id, [a], "00:30 in Jakarta")
    assert (await schedule(gql, owner.token, early["id"], f"{day}T17:30:00+00:00"))["post"]
    # The same Jakarta day as the first one.
    same = await create_post(gql, owner.token, workspace_id, [a], "08:00 in Jakarta")
    payload = await schedule(
        gql, owner.token, same["id"], f"{day}T08:00:00", "Asia/Jakarta", expect_errors=True
    )
    assert finding_codes(payload["validation"]) == ["TOO_MANY_POSTS_PER_DAY"]


async def test_min_minutes_between_posts(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await set_policy(gql, owner.token, workspace_id, minMinutesBetweenPosts=60)
    at = later(days=2).replace(minute=0, second=0)
    first = await create_post(gql, owner.token, workspace_id, [a], "first")
    await schedule(gql, owner.token, first["id"], at)
    second = await create_post(gql, owner.token, workspace_id, [a], "second")
    for gap in (-59, 30, 59):
        payload = await schedule(
            gql, owner.token, second["id"], at + timedelta(minutes=gap), expect_errors=True
        )
        assert finding_codes(payload["validation"]) == ["TOO_CLOSE_TO_ANOTHER_POST"], gap
    assert (await schedule(gql, owner.token, second["id"], at + timedelta(minutes=60)))["post"]


async def test_frequency_and_duplicates_are_reported_together(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await set_policy(
        gql, owner.token, workspace_id, maxPostsPerChannelPerDay=1, minMinutesBetweenPosts=120
    )
    at = later(days=2).replace(hour=10, minute=0, second=0)
    first = await create_post(gql, owner.token, workspace_id, [a], "Kopi")
    await schedule(gql, owner.token, first["id"], at)
    second = await create_post(gql, owner.token, workspace_id, [a], "kopi")
    payload = await schedule(
        gql, owner.token, second["id"], at + timedelta(minutes=30), expect_errors=True
    )
    assert finding_codes(payload["validation"]) == [
        "DUPLICATE_TEXT",
        "TOO_CLOSE_TO_ANOTHER_POST",
        "TOO_MANY_POSTS_PER_DAY",
    ]


# postValidate


async def test_validate_a_stored_post(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels, "k" * 1001)
    report = (await gql.data(VALIDATE, {"input": {"postId": post["id"]}}, token=owner.token))[
        "postValidate"
    ]
    assert report["valid"] is False
    assert finding_codes(report) == ["TEXT_TOO_LONG"]

    past = iso(datetime.now(UTC) - timedelta(days=1))
    report = (
        await gql.data(VALIDATE, {"input": {"postId": post["id"], "at": past}}, token=owner.token)
    )["postValidate"]
    assert finding_codes(report) == ["TEXT_TOO_LONG", "TIME_IN_PAST"]

    fixed = await create_post(gql, owner.token, workspace_id, channels, "Fine")
    report = (
        await gql.data(
            VALIDATE,
            {
                "input": {
                    "postId": fixed["id"],
                    "at": "2030-01-01T09:00:00",
                    "timezone": "Asia/Jakarta",
                }
            },
            token=owner.token,
        )
    )["postValidate"]
    assert report == {"valid": True, "errors": [], "warnings": []}


async def test_validate_a_draft_writes_nothing(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    scheduled = await create_post(gql, owner.token, workspace_id, [a], "Kopi susu is back")
    await schedule(gql, owner.token, scheduled["id"], later(days=3))
    image = await media(workspace_id)
    before = await content_rows()
    jobs = await queued()

    draft = {
        "body": "KOPI susu is back",
        "mediaIds": [image],
        "targets": [{"channelId": a}, {"channelId": b, "bodyOverride": "x" * 1001}],
    }
    report = (
        await gql.data(
            VALIDATE, {"input": {"workspaceId": workspace_id, "content": draft}}, token=owner.token
        )
    )["postValidate"]
    assert report["valid"] is False
    assert sorted((f["channelId"], f["code"]) for f in report["errors"]) == sorted(
        [(a, "DUPLICATE_TEXT"), (b, "TEXT_TOO_LONG")]
    )
    assert await content_rows() == before
    assert await queued() == jobs


async def test_validate_a_draft_reports_bad_references_as_input_errors(gql):
    owner, workspace_id, _ = await studio(gql)
    body = await gql.execute(
        VALIDATE,
        {
            "input": {
                "workspaceId": workspace_id,
                "content": content(["Q2hhbm5lbDo5OTk5OTk"]),  # Channel:999999
            }
        },
        token=owner.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["problems"][0]["field"] == "targets.0.channelId"
    body = await gql.execute(VALIDATE, {"input": {}}, token=owner.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await gql.execute(
        VALIDATE,
        {"input": {"workspaceId": workspace_id, "content": content([]), "timezone": "Nowhere"}},
        token=owner.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# Cancel and reschedule


async def test_cancel_a_scheduled_post(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule(gql, owner.token, post["id"], later(days=1))
    payload = await gql.mutate(
        "postCancel",
        POST_CANCEL,
        {"postId": post["id"], "reason": "Event postponed"},
        token=owner.token,
    )
    assert [t["status"] for t in payload["post"]["targets"]] == ["CANCELLED", "CANCELLED"]
    assert await PostTarget.filter(next_attempt_at__isnull=False).count() == 0
    node = await gql.data(HISTORY, {"id": post["id"]}, token=owner.token)
    for target in node["node"]["targets"]:
        assert target["history"][-1] == {
            "fromStatus": "SCHEDULED",
            "toStatus": "CANCELLED",
            "reason": "Event postponed",
        }
    # Cancelling again changes nothing and is not an error.
    before = await content_rows()
    await gql.mutate("postCancel", POST_CANCEL, {"postId": post["id"]}, token=owner.token)
    assert await content_rows() == before


async def test_cancel_is_refused_once_the_publisher_claimed_the_target(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule(gql, owner.token, post["id"], later(days=1))
    await PostTarget.filter(post_id=pk(post["id"])).update(status=TargetStatus.PUBLISHING)
    before = await content_rows()
    payload = await gql.mutate(
        "postCancel", POST_CANCEL, {"postId": post["id"]}, token=owner.token, expect_errors=True
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("postId", "NOT_ALLOWED")]
    assert "PUBLISHING" in payload["errors"][0]["message"]
    assert await content_rows() == before


async def test_cancel_stops_the_targets_not_yet_published(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, [a, b])
    await schedule(gql, owner.token, post["id"], later(days=1))
    await PostTarget.filter(post_id=pk(post["id"]), channel_id=pk(a)).update(
        status=TargetStatus.PUBLISHED
    )
    payload = await gql.mutate("postCancel", POST_CANCEL, {"postId": post["id"]}, token=owner.token)
    by_channel = {t["channel"]["id"]: t["status"] for t in payload["post"]["targets"]}
    assert by_channel == {a: "PUBLISHED", b: "CANCELLED"}


async def test_reschedule_a_scheduled_post(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    first_time, second_time = later(days=1), later(days=2, hours=3)
    await schedule(gql, owner.token, post["id"], first_time)
    payload = await schedule(gql, owner.token, post["id"], second_time)
    target = payload["post"]["targets"][0]
    assert target["status"] == "SCHEDULED"
    assert parse(target["scheduledAt"]) == second_time
    row = await PostTarget.get(id=pk(target["id"]))
    assert row.next_attempt_at == second_time
    node = await gql.data(HISTORY, {"id": post["id"]}, token=owner.token)
    assert node["node"]["targets"][0]["history"] == [
        {"fromStatus": None, "toStatus": "DRAFT", "reason": "created"},
        {"fromStatus": "DRAFT", "toStatus": "SCHEDULED", "reason": "scheduled"},
        {"fromStatus": "SCHEDULED", "toStatus": "SCHEDULED", "reason": "rescheduled"},
    ]
    # A job for the new time; the old one finds the target not due and does nothing.
    assert dispatch_job_id(second_time) in await queued()


async def test_a_cancelled_post_can_be_scheduled_again(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule(gql, owner.token, post["id"], later(days=1))
    await gql.mutate("postCancel", POST_CANCEL, {"postId": post["id"]}, token=owner.token)
    payload = await schedule(gql, owner.token, post["id"], later(days=2))
    assert payload["post"]["targets"][0]["status"] == "SCHEDULED"


@pytest.mark.parametrize("status", ["PUBLISHING", "PUBLISHED", "UNCONFIRMED"])
async def test_reschedule_refused_once_the_publisher_has_it(gql, status):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule(gql, owner.token, post["id"], later(days=1))
    await PostTarget.filter(post_id=pk(post["id"])).update(status=status)
    before = await content_rows()
    payload = await schedule(gql, owner.token, post["id"], later(days=2), expect_errors=True)
    assert codes(payload) == ["NOT_ALLOWED"]
    assert await content_rows() == before


async def test_a_failed_channel_is_retried_while_its_published_sibling_stays(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, [a, b])
    await schedule(gql, owner.token, post["id"], later(days=1))
    published_at = datetime.now(UTC)
    await PostTarget.filter(post_id=pk(post["id"]), channel_id=pk(a)).update(
        status=TargetStatus.PUBLISHED, published_at=published_at
    )
    await PostTarget.filter(post_id=pk(post["id"]), channel_id=pk(b)).update(
        status=TargetStatus.FAILED, failure_reason="rejected by the network"
    )
    retry = later(days=2)
    payload = await schedule(gql, owner.token, post["id"], retry)
    by_channel = {t["channel"]["id"]: t for t in payload["post"]["targets"]}
    assert by_channel[a]["status"] == "PUBLISHED"
    assert parse(by_channel[a]["scheduledAt"]) != retry
    assert by_channel[b]["status"] == "SCHEDULED"
    assert parse(by_channel[b]["scheduledAt"]) == retry
    assert dispatch_job_id(retry) in await queued()


async def test_validate_a_draft_reports_every_bad_reference(gql):
    owner, workspace_id, (a,) = await studio(gql)
    body = await gql.execute(
        VALIDATE,
        {
            "input": {
                "workspaceId": workspace_id,
                "content": {
                    "body": "Kopi",
                    "mediaIds": ["TWVkaWE6OTk5OTk"],  # Media:99999
                    "targets": [{"channelId": a}, {"channelId": "Q2hhbm5lbDo5OTk5OTk"}],
                },
            }
        },
        token=owner.token,
    )
    problems = body["errors"][0]["extensions"]["problems"]
    assert sorted((p["field"], p["code"]) for p in problems) == [
        ("mediaIds", "NOT_FOUND"),
        ("targets.1.channelId", "NOT_FOUND"),
    ]
