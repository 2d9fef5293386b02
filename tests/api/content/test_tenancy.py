"""Another workspace's content looks missing: every id-taking query and mutation, tried by
the OWNER of another workspace, answers NOT_FOUND and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.channels.models import Channel
from tests.api.content.support import (
    CALENDAR,
    COMMENT_ADD,
    POLICY_UPDATE,
    POST_ADD_TO_QUEUE,
    POST_APPROVE,
    POST_CANCEL,
    POST_CREATE,
    POST_DELETE,
    POST_REJECT,
    POST_SCHEDULE,
    POST_SUBMIT,
    POST_UPDATE,
    QUEUE_SLOTS_SET,
    VALIDATE,
    channel,
    content,
    content_rows,
    create_post,
    iso,
    later,
    queued,
    schedule,
    set_policy,
    studio,
)

POLICY = "query($id: ID!) { contentPolicy(workspaceId: $id) { approvalRequired } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


@pytest.fixture
async def victim(gql):
    """A workspace with a scheduled post, a post in review, queue slots and a policy."""
    owner, workspace_id, (a, b) = await studio(gql, channels=2)
    await set_policy(gql, owner.token, workspace_id, maxPostsPerChannelPerDay=10)
    await gql.mutate(
        "queueSlotsSet",
        QUEUE_SLOTS_SET,
        {"channelId": a, "timezone": "UTC", "slots": [{"weekday": 0, "time": "09:00"}]},
        token=owner.token,
    )
    scheduled = await create_post(gql, owner.token, workspace_id, [a, b], "scheduled")
    await schedule(gql, owner.token, scheduled["id"], later(days=1))
    in_review = await create_post(gql, owner.token, workspace_id, [a], "in review")
    await gql.mutate(
        "postSubmitForReview", POST_SUBMIT, {"postId": in_review["id"]}, token=owner.token
    )
    return {
        "owner": owner,
        "workspace_id": workspace_id,
        "channels": [a, b],
        "scheduled": scheduled,
        "in_review": in_review,
    }


@pytest.fixture
async def stranger(gql):
    """The OWNER of another workspace, with a channel and a post of their own."""
    person = await gql.person()
    workspace_id = await gql.workspace(person, "Elsewhere")
    own_channel = await channel(gql, person, workspace_id)
    own_post = await create_post(gql, person.token, workspace_id, [own_channel], "mine")
    return {
        "person": person,
        "workspace_id": workspace_id,
        "channel": own_channel,
        "post": own_post,
    }


def mutations(victim: dict, stranger: dict) -> list[tuple[str, str, dict]]:
    post_id = victim["scheduled"]["id"]
    review_id = victim["in_review"]["id"]
    a = victim["channels"][0]
    return [
        (
            "postCreate",
            POST_CREATE,
            {"workspaceId": victim["workspace_id"], "content": content([a])},
        ),
        ("postUpdate", POST_UPDATE, {"postId": post_id, "content": content([a], "hijacked")}),
        ("postDelete", POST_DELETE, {"postId": post_id}),
        ("postSubmitForReview", POST_SUBMIT, {"postId": post_id}),
        ("postApprove", POST_APPROVE, {"postId": review_id}),
        ("postReject", POST_REJECT, {"postId": review_id, "reason": "no"}),
        ("postSchedule", POST_SCHEDULE, {"postId": post_id, "at": iso(later(days=5))}),
        ("postAddToQueue", POST_ADD_TO_QUEUE, {"postId": post_id}),
        ("postCancel", POST_CANCEL, {"postId": post_id}),
        ("postCommentAdd", COMMENT_ADD, {"postId": post_id, "body": "hello"}),
        (
            "queueSlotsSet",
            QUEUE_SLOTS_SET,
            {"channelId": a, "timezone": "UTC", "slots": []},
        ),
        (
            "contentPolicyUpdate",
            POLICY_UPDATE,
            {"workspaceId": victim["workspace_id"], "approvalRequired": True},
        ),
        # The stranger's own post, pointed at the victim's channel.
        (
            "postUpdate",
            POST_UPDATE,
            {"postId": stranger["post"]["id"], "content": content([a])},
        ),
        (
            "postCreate",
            POST_CREATE,
            {"workspaceId": stranger["workspace_id"], "content": content([a])},
        ),
    ]


async def test_mutations_on_foreign_ids_answer_not_found_and_change_nothing(gql, victim, stranger):
    before = await content_rows()
    channels_before = await Channel.all().order_by("id").values()
    jobs = await queued()
    for name, document, variables in mutations(victim, stranger):
        body = await gql.execute(document, {"input": variables}, token=stranger["person"].token)
        assert "errors" not in body, (name, body)
        payload = body["data"][name]
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], (name, payload)
        result = {k: v for k, v in payload.items() if k not in ("errors", "validation")}
        assert all(not value for value in result.values()), (name, payload)
    assert await content_rows() == before
    assert await Channel.all().order_by("id").values() == channels_before
    assert await queued() == jobs


async def test_queries_on_foreign_ids_answer_null_or_not_found(gql, victim, stranger):
    token = stranger["person"].token
    scheduled = victim["scheduled"]
    for global_id in (scheduled["id"], scheduled["targets"][0]["id"], victim["channels"][0]):
        assert (await gql.data(NODE, {"id": global_id}, token=token))["node"] is None

    start = datetime.now(UTC)
    calendar = await gql.execute(
        CALENDAR,
        {
            "workspaceId": victim["workspace_id"],
            "from": iso(start),
            "to": iso(start + timedelta(days=30)),
        },
        token=token,
    )
    assert calendar["data"] is None
    assert calendar["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Filtering their own calendar by the victim's channel shows nothing.
    own = await gql.data(
        CALENDAR,
        {
            "workspaceId": stranger["workspace_id"],
            "from": iso(start),
            "to": iso(start + timedelta(days=30)),
            "filter": {"channelIds": victim["channels"]},
        },
        token=token,
    )
    assert own["calendar"] == []

    policy = await gql.execute(POLICY, {"id": victim["workspace_id"]}, token=token)
    assert policy["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    stored = await gql.execute(VALIDATE, {"input": {"postId": scheduled["id"]}}, token=token)
    assert stored["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    draft = await gql.execute(
        VALIDATE,
        {
            "input": {
                "workspaceId": victim["workspace_id"],
                "content": content([stranger["channel"]]),
            }
        },
        token=token,
    )
    assert draft["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # A draft in their own workspace naming the victim's channel: the channel looks missing.
    pointed = await gql.execute(
        VALIDATE,
        {
            "input": {
                "workspaceId": stranger["workspace_id"],
                "content": content(victim["channels"]),
            }
        },
        token=token,
    )
    problems = pointed["errors"][0]["extensions"]["problems"]
    assert {p["code"] for p in problems} == {"NOT_FOUND"}


async def test_the_victim_still_sees_everything(gql, victim, stranger):
    token = victim["owner"].token
    for post in (victim["scheduled"], victim["in_review"]):
        node = (await gql.data(NODE, {"id": post["id"]}, token=token))["node"]
        assert node == {"__typename": "Post", "id": post["id"]}
    # And the stranger's post stays invisible the other way round.
    node = await gql.data(NODE, {"id": stranger["post"]["id"]}, token=token)
    assert node["node"] is None
