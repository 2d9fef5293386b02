"""The calendar: targets in a time range, filtered, at a fixed number of SQL statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.content.models import Post, PostTarget, TargetStatus
from tests.api.content.support import (
    CALENDAR,
    POST_CANCEL,
    create_post,
    iso,
    later,
    pk,
    schedule,
    studio,
)


async def calendar(gql, token, workspace_id, start, end, **filters):
    variables = {"workspaceId": workspace_id, "from": iso(start), "to": iso(end)}
    if filters:
        variables["filter"] = filters
    return (await gql.data(CALENDAR, variables, token=token))["calendar"]


def bodies(entries: list[dict]) -> list[str]:
    return [entry["post"]["body"] for entry in entries]


async def test_calendar_lists_placed_targets_in_time_order_with_filters(gql):
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    editor = await gql.join(workspace_id, owner, "EDITOR")
    base = later(days=1).replace(hour=9, minute=0, second=0)

    p1 = await create_post(gql, owner.token, workspace_id, [a], "one", tags=["launch"])
    await schedule(gql, owner.token, p1["id"], base + timedelta(days=1))
    p2 = await create_post(gql, editor.person.token, workspace_id, [b], "two", tags=["promo"])
    await schedule(gql, editor.person.token, p2["id"], base + timedelta(days=2))
    p3 = await create_post(gql, owner.token, workspace_id, [a], "draft", tags=["launch"])
    p4 = await create_post(gql, owner.token, workspace_id, [b], "four", tags=["launch", "promo"])
    await schedule(gql, owner.token, p4["id"], base)
    await gql.mutate("postCancel", POST_CANCEL, {"postId": p4["id"]}, token=owner.token)
    outside = await create_post(gql, owner.token, workspace_id, [a], "later", tags=["launch"])
    await schedule(gql, owner.token, outside["id"], base + timedelta(days=40))

    start, end = base - timedelta(hours=1), base + timedelta(days=30)
    entries = await calendar(gql, owner.token, workspace_id, start, end)
    assert bodies(entries) == ["four", "one", "two"]
    assert [e["status"] for e in entries] == ["CANCELLED", "SCHEDULED", "SCHEDULED"]
    assert entries[1]["channel"]["id"] == a and entries[1]["channel"]["name"]
    assert entries[1]["post"] == {"id": p1["id"], "body": "one", "tags": ["launch"]}
    assert p3["id"] not in {e["post"]["id"] for e in entries}  # a draft has no time

    assert bodies(await calendar(gql, owner.token, workspace_id, start, end, channelIds=[a])) == [
        "one"
    ]
    assert bodies(
        await calendar(gql, owner.token, workspace_id, start, end, statuses=["SCHEDULED"])
    ) == ["one", "two"]
    assert bodies(
        await calendar(gql, owner.token, workspace_id, start, end, statuses=["CANCELLED"])
    ) == ["four"]
    assert bodies(await calendar(gql, owner.token, workspace_id, start, end, tags=["launch"])) == [
        "four",
        "one",
    ]
    assert bodies(await calendar(gql, owner.token, workspace_id, start, end, tags=["promo"])) == [
        "four",
        "two",
    ]
    assert bodies(
        await calendar(
            gql, owner.token, workspace_id, start, end, authorIds=[editor.person.user_id]
        )
    ) == ["two"]
    assert (
        bodies(
            await calendar(
                gql,
                owner.token,
                workspace_id,
                start,
                end,
                channelIds=[b],
                tags=["promo"],
                statuses=["SCHEDULED"],
                authorIds=[owner.user_id],
            )
        )
        == []
    )
    # `from` is inclusive, `to` exclusive.
    at_one = base + timedelta(days=1)
    assert bodies(
        await calendar(gql, owner.token, workspace_id, at_one, at_one + timedelta(days=1))
    ) == ["one"]
    # Anyone who may read content sees it.
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    assert len(await calendar(gql, analyst.person.token, workspace_id, start, end)) == 3


async def test_calendar_range_is_checked(gql):
    owner, workspace_id, _ = await studio(gql)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for end, field in (
        (start + timedelta(days=366, seconds=1), "to"),
        (start, "to"),
        (start - timedelta(days=1), "to"),
    ):
        body = await gql.execute(
            CALENDAR,
            {"workspaceId": workspace_id, "from": iso(start), "to": iso(end)},
            token=owner.token,
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", end
        assert body["errors"][0]["extensions"]["problems"][0]["field"] == field
    body = await gql.execute(
        CALENDAR,
        {"workspaceId": workspace_id, "from": "2027-01-01T00:00:00", "to": "2027-02-01T00:00:00"},
        token=owner.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    full_year = await calendar(gql, owner.token, workspace_id, start, start + timedelta(days=366))
    assert full_year == []


async def seed_calendar(workspace_id: str, channel_ids: list[str], count: int) -> None:
    """`count` scheduled targets spread over the channels, written directly (a factory)."""
    workspace_pk = pk(workspace_id)
    base = datetime.now(UTC) + timedelta(days=1)
    for index in range(count):
        post = await Post.create(
            workspace_id=workspace_pk, body=f"post {index}", tags=["launch", f"t{index}"]
        )
        await PostTarget.create(
            workspace_id=workspace_pk,
            post_id=post.id,
            channel_id=pk(channel_ids[index % len(channel_ids)]),
            status=TargetStatus.SCHEDULED,
            scheduled_at=base + timedelta(hours=index),
            next_attempt_at=base + timedelta(hours=index),
        )


CALENDAR_QUERY = """
query($workspaceId: ID!, $from: DateTime!, $to: DateTime!) {
  calendar(workspaceId: $workspaceId, from: $from, to: $to) {
    status post { body tags } channel { name }
  }
}"""


async def test_calendar_costs_the_same_number_of_queries_for_3_and_30_posts(gql, queries):
    start = datetime.now(UTC)
    end = start + timedelta(days=10)
    counts = {}
    for size in (3, 30):
        owner, workspace_id, channels = await studio(gql, channels=3)
        await seed_calendar(workspace_id, channels, size)
        variables = {"workspaceId": workspace_id, "from": iso(start), "to": iso(end)}
        with queries.count() as statements:
            data = await gql.data(CALENDAR_QUERY, variables, token=owner.token)
        assert len(data["calendar"]) == size
        assert all(entry["post"]["body"] and entry["channel"]["name"] for entry in data["calendar"])
        counts[size] = len(statements)
    assert counts[3] == counts[30], counts
    assert counts[30] <= 6, counts
