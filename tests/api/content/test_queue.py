"""Queue slots and postAddToQueue: the next free slot of each channel's weekly queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.publishing.jobs import dispatch_job_id
from tests.api.content.support import (
    POST_ADD_TO_QUEUE,
    POST_CANCEL,
    QUEUE_SLOTS_SET,
    content_rows,
    create_post,
    parse,
    queued,
    studio,
)


async def set_slots(gql, token, channel_id, timezone, slots):
    return await gql.mutate(
        "queueSlotsSet",
        QUEUE_SLOTS_SET,
        {"channelId": channel_id, "timezone": timezone, "slots": slots},
        token=token,
    )


def expected_slots(zone: str, clocks: list[str], count: int) -> list[datetime]:
    """The next `count` daily wall-clock times after a minute from now, computed by hand."""
    tz = ZoneInfo(zone)
    after = datetime.now(UTC) + timedelta(minutes=1)
    today = after.astimezone(tz).date()
    found = []
    for offset in range(3):
        day: date = today + timedelta(days=offset)
        for clock in clocks:
            moment = datetime.combine(day, time.fromisoformat(clock), tzinfo=tz)
            if moment > after:
                found.append(moment.astimezone(UTC))
    return sorted(found)[:count]


async def test_queue_slots_are_set_and_listed_in_order(gql):
    owner, workspace_id, (a,) = await studio(gql)
    payload = await set_slots(
        gql,
        owner.token,
        a,
        "America/New_York",
        [{"weekday": 4, "time": "17:30"}, {"weekday": 0, "time": "09:00"}],
    )
    assert payload["slots"] == [
        {"weekday": 0, "time": "09:00", "timezone": "America/New_York"},
        {"weekday": 4, "time": "17:30", "timezone": "America/New_York"},
    ]
    payload = await set_slots(gql, owner.token, a, "UTC", [{"weekday": 2, "time": "06:15"}])
    assert payload["slots"] == [{"weekday": 2, "time": "06:15", "timezone": "UTC"}]


async def test_queue_slots_refuse_bad_input(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await set_slots(gql, owner.token, a, "UTC", [{"weekday": 1, "time": "10:00"}])
    before = await content_rows()
    for timezone, slots, field in (
        ("UTC", [{"weekday": 0, "time": "24:00"}], "slots.0.time"),
        ("UTC", [{"weekday": 0, "time": "9am"}], "slots.0.time"),
        ("UTC", [{"weekday": 7, "time": "09:00"}], "slots"),
        ("UTC", [{"weekday": 0, "time": "09:00"}, {"weekday": 0, "time": "09:00"}], "slots"),
        ("Atlantis/Capital", [{"weekday": 0, "time": "09:00"}], "timezone"),
    ):
        payload = await gql.mutate(
            "queueSlotsSet",
            QUEUE_SLOTS_SET,
            {"channelId": a, "timezone": timezone, "slots": slots},
            token=owner.token,
            expect_errors=True,
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "INVALID")]
    assert await content_rows() == before


async def test_add_to_queue_takes_the_next_free_slot_then_the_following_one(gql):
    owner, workspace_id, (a,) = await studio(gql)
    clocks = ["09:00", "17:00"]
    await set_slots(
        gql,
        owner.token,
        a,
        "Asia/Jakarta",
        [{"weekday": day, "time": clock} for day in range(7) for clock in clocks],
    )
    first = await create_post(gql, owner.token, workspace_id, [a], "first")
    second = await create_post(gql, owner.token, workspace_id, [a], "second")
    expected = expected_slots("Asia/Jakarta", clocks, 2)

    taken = []
    for post in (first, second):
        payload = await gql.mutate(
            "postAddToQueue", POST_ADD_TO_QUEUE, {"postId": post["id"]}, token=owner.token
        )
        target = payload["post"]["targets"][0]
        assert target["status"] == "SCHEDULED"
        assert target["timezone"] == "Asia/Jakarta"
        taken.append(parse(target["scheduledAt"]))
    assert taken == expected
    jobs = await queued()
    assert dispatch_job_id(taken[0]) in jobs
    assert dispatch_job_id(taken[1]) in jobs

    # Queueing an already queued post again keeps its own slot.
    payload = await gql.mutate(
        "postAddToQueue", POST_ADD_TO_QUEUE, {"postId": first["id"]}, token=owner.token
    )
    assert parse(payload["post"]["targets"][0]["scheduledAt"]) == taken[0]


async def test_a_cancelled_slot_is_free_again(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await set_slots(gql, owner.token, a, "UTC", [{"weekday": d, "time": "12:00"} for d in range(7)])
    first = await create_post(gql, owner.token, workspace_id, [a], "first")
    payload = await gql.mutate(
        "postAddToQueue", POST_ADD_TO_QUEUE, {"postId": first["id"]}, token=owner.token
    )
    slot = payload["post"]["targets"][0]["scheduledAt"]
    await gql.mutate("postCancel", POST_CANCEL, {"postId": first["id"]}, token=owner.token)
    second = await create_post(gql, owner.token, workspace_id, [a], "second")
    payload = await gql.mutate(
        "postAddToQueue", POST_ADD_TO_QUEUE, {"postId": second["id"]}, token=owner.token
    )
    assert payload["post"]["targets"][0]["scheduledAt"] == slot


async def test_each_channel_uses_its_own_queue(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    await set_slots(
        gql, owner.token, a, "Asia/Jakarta", [{"weekday": d, "time": "09:00"} for d in range(7)]
    )
    await set_slots(
        gql, owner.token, b, "America/New_York", [{"weekday": d, "time": "09:00"} for d in range(7)]
    )
    post = await create_post(gql, owner.token, workspace_id, [a, b])
    payload = await gql.mutate(
        "postAddToQueue", POST_ADD_TO_QUEUE, {"postId": post["id"]}, token=owner.token
    )
    by_channel = {t["channel"]["id"]: t for t in payload["post"]["targets"]}
    assert parse(by_channel[a]["scheduledAt"]) == expected_slots("Asia/Jakarta", ["09:00"], 1)[0]
    assert (
        parse(by_channel[b]["scheduledAt"]) == expected_slots("America/New_York", ["09:00"], 1)[0]
    )
    assert by_channel[a]["timezone"] == "Asia/Jakarta"
    assert by_channel[b]["timezone"] == "America/New_York"


async def test_add_to_queue_without_slots_is_refused(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    await set_slots(gql, owner.token, a, "UTC", [{"weekday": 0, "time": "09:00"}])
    post = await create_post(gql, owner.token, workspace_id, [a, b])
    before = await content_rows()
    payload = await gql.mutate(
        "postAddToQueue",
        POST_ADD_TO_QUEUE,
        {"postId": post["id"]},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("postId", "INVALID")]
    assert await content_rows() == before
    assert await queued() == {}
