"""postCreate, postUpdate, postDelete and reading posts through node(id)."""

from __future__ import annotations

import pytest

from api.ids import to_global_id
from domain.content.models import Post, PostTarget, StatusChange, TargetStatus
from tests.api.content.support import (
    COMMENT_ADD,
    POST_APPROVE,
    POST_CREATE,
    POST_DELETE,
    POST_SUBMIT,
    POST_UPDATE,
    channel,
    codes,
    content,
    content_rows,
    create_post,
    later,
    pk,
    schedule,
    set_policy,
    studio,
)

DISCONNECT = """
mutation($input: ChannelDisconnectInput!) {
  channelDisconnect(input: $input) { channel { id health } errors { code } }
}"""

POST_NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on Post {
      id body tags authorId
      author { id email }
      targets {
        id status channel { id name }
        history { fromStatus toStatus changedById changedBySystem reason changedAt }
      }
      comments { body authorId }
    }
  }
}"""

TARGET_NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on PostTarget { id status scheduledAt post { id body } channel { id } history { reason } }
  }
}"""


async def test_create_starts_every_target_as_a_draft_with_history(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {
            "workspaceId": workspace_id,
            "content": {
                "body": "Kopi susu is back #kopi",
                "title": "Kopi",
                "link": "https://kopi.example/menu",
                "firstComment": "Order at the counter",
                "poll": {"options": ["Hot", "Iced"], "durationMinutes": 60},
                "tags": ["launch", " promo ", "launch"],
                "targets": [
                    {"channelId": channels[0]},
                    {"channelId": channels[1], "bodyOverride": "Kopi susu, iced"},
                ],
            },
        },
        token=owner.token,
    )
    assert payload["validation"] is None
    post = payload["post"]
    assert post["body"] == "Kopi susu is back #kopi"
    assert post["title"] == "Kopi" and post["link"] == "https://kopi.example/menu"
    assert post["firstComment"] == "Order at the counter"
    assert post["poll"] == {"options": ["Hot", "Iced"], "durationMinutes": 60}
    assert post["tags"] == ["launch", "promo"]
    assert post["authorId"] == owner.user_id
    assert post["workspaceId"] == workspace_id
    assert [t["status"] for t in post["targets"]] == ["DRAFT", "DRAFT"]
    assert [t["channel"]["id"] for t in post["targets"]] == channels
    assert [t["bodyOverride"] for t in post["targets"]] == [None, "Kopi susu, iced"]
    assert all(t["scheduledAt"] is None for t in post["targets"])

    history = await StatusChange.all().order_by("id").values()
    assert len(history) == 2
    assert {row["to_status"] for row in history} == {TargetStatus.DRAFT}
    assert {row["reason"] for row in history} == {"created"}
    assert all(row["from_status"] is None for row in history)
    assert {row["changed_by_id"] for row in history} == {pk(owner.user_id)}


async def test_create_reports_every_structural_problem_at_once_and_writes_nothing(gql):
    owner, workspace_id, (mine, gone) = await studio(gql, channels=2)
    await gql.mutate("channelDisconnect", DISCONNECT, {"channelId": gone}, token=owner.token)
    stranger = await gql.person()
    foreign = await channel(gql, stranger, await gql.workspace(stranger, "Elsewhere"))
    unknown = to_global_id("Channel", 987654)
    before = await content_rows()

    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {
            "workspaceId": workspace_id,
            "content": {
                "body": "x" * 100_001,
                "link": "ftp://kopi.example",
                "tags": [f"tag{n}" for n in range(31)],
                "poll": {"options": ["only one"]},
                "targets": [
                    {"channelId": mine},
                    {"channelId": mine},
                    {"channelId": foreign},
                    {"channelId": unknown},
                    {"channelId": gone},
                ],
            },
        },
        token=owner.token,
        expect_errors=True,
    )
    assert payload["post"] is None
    problems = sorted((e["field"], e["code"]) for e in payload["errors"])
    assert problems == [
        ("body", "TOO_LONG"),
        ("link", "INVALID"),
        ("poll.options", "INVALID"),
        ("tags", "INVALID"),
        ("targets", "INVALID"),
        ("targets.2.channelId", "NOT_FOUND"),
        ("targets.3.channelId", "NOT_FOUND"),
        ("targets.4.channelId", "INVALID"),
    ]
    assert all(e["message"] for e in payload["errors"])
    assert await content_rows() == before


async def test_create_without_targets_or_content(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {"workspaceId": workspace_id, "content": {"body": "Kopi", "targets": []}},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("targets", "REQUIRED")]
    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {"workspaceId": workspace_id, "content": {"body": "  ", "link": "not a url"}},
        token=owner.token,
        expect_errors=True,
    )
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("body", "REQUIRED"),
        ("link", "INVALID"),
        ("targets", "REQUIRED"),
    ]
    assert await Post.all().count() == 0


async def test_create_rejects_ids_of_the_wrong_type(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {"workspaceId": workspace_id, "content": content([workspace_id])},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("targets.0.channelId", "INVALID")
    ]
    assert await Post.all().count() == 0


async def test_update_replaces_content_and_targets(gql):
    owner, workspace_id, (a, b, c) = await studio(gql, channels=3)
    post = await create_post(gql, owner.token, workspace_id, [a, b], tags=["old"])
    kept = next(t for t in post["targets"] if t["channel"]["id"] == b)

    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {
            "postId": post["id"],
            "content": {
                "body": "Kopi susu, now with oat milk",
                "tags": ["new"],
                "targets": [{"channelId": b, "bodyOverride": "Oat kopi"}, {"channelId": c}],
            },
        },
        token=owner.token,
    )
    updated = payload["post"]
    assert updated["id"] == post["id"]
    assert updated["body"] == "Kopi susu, now with oat milk"
    assert updated["tags"] == ["new"]
    by_channel = {t["channel"]["id"]: t for t in updated["targets"]}
    assert set(by_channel) == {b, c}
    assert by_channel[b]["id"] == kept["id"]  # the same target, with its history
    assert by_channel[b]["bodyOverride"] == "Oat kopi"
    assert by_channel[c]["status"] == "DRAFT" and by_channel[c]["bodyOverride"] is None
    assert await PostTarget.filter(channel_id=pk(a)).count() == 0
    assert await StatusChange.filter(target_id=pk(by_channel[c]["id"]), reason="created").exists()


async def test_update_reports_problems_and_changes_nothing(gql):
    owner, workspace_id, (a,) = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, [a])
    before = await content_rows()
    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {
            "postId": post["id"],
            "content": {
                "body": "new",
                "poll": {"options": ["a", "b", "c", "d", "e"]},
                "targets": [{"channelId": a}, {"channelId": to_global_id("Channel", 999)}],
            },
        },
        token=owner.token,
        expect_errors=True,
    )
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("poll.options", "INVALID"),
        ("targets.1.channelId", "NOT_FOUND"),
    ]
    assert await content_rows() == before


async def test_update_of_an_approved_and_scheduled_post_goes_back_to_review(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    post = await create_post(gql, owner.token, workspace_id, [a])
    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)
    await gql.mutate("postApprove", POST_APPROVE, {"postId": post["id"]}, token=owner.token)
    scheduled = await schedule(gql, owner.token, post["id"], later(days=2))
    assert scheduled["post"]["targets"][0]["status"] == "SCHEDULED"

    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {"postId": post["id"], "content": content([a], "Kopi susu, changed")},
        token=owner.token,
    )
    target = payload["post"]["targets"][0]
    assert target["status"] == "IN_REVIEW"
    assert target["scheduledAt"] is None
    row = await PostTarget.get(id=pk(target["id"]))
    assert row.next_attempt_at is None  # nothing left for the publisher to pick up
    last = await StatusChange.filter(target_id=row.id).order_by("-id").first()
    assert (last.from_status, last.to_status) == (TargetStatus.SCHEDULED, TargetStatus.IN_REVIEW)
    assert last.reason == "changed after approval"


async def test_update_of_an_approved_post_goes_back_to_review(gql):
    owner, workspace_id, (a,) = await studio(gql)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    post = await create_post(gql, owner.token, workspace_id, [a])
    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)
    await gql.mutate("postApprove", POST_APPROVE, {"postId": post["id"]}, token=owner.token)
    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {"postId": post["id"], "content": content([a], "changed")},
        token=owner.token,
    )
    assert payload["post"]["targets"][0]["status"] == "IN_REVIEW"


async def test_update_without_approvals_keeps_the_schedule(gql):
    owner, workspace_id, (a,) = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, [a])
    at = later(days=2)
    await schedule(gql, owner.token, post["id"], at)
    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {"postId": post["id"], "content": content([a], "Kopi susu, typo fixed")},
        token=owner.token,
    )
    target = payload["post"]["targets"][0]
    assert target["status"] == "SCHEDULED"
    assert target["scheduledAt"] is not None


async def test_an_edit_that_breaks_a_rule_of_a_scheduled_post_is_refused(gql):
    owner, workspace_id, (a,) = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, [a])
    await schedule(gql, owner.token, post["id"], later(days=2))
    before = await content_rows()
    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {"postId": post["id"], "content": content([a], "x" * 1001)},  # sandbox allows 1,000
        token=owner.token,
        expect_errors=True,
    )
    assert [e["code"] for e in payload["errors"]] == ["RULE_VIOLATED"]
    assert [f["code"] for f in payload["validation"]["errors"]] == ["TEXT_TOO_LONG"]
    assert await content_rows() == before


@pytest.mark.parametrize("status", ["PUBLISHING", "PUBLISHED", "UNCONFIRMED"])
async def test_update_refused_once_the_publisher_has_the_post(gql, status):
    owner, workspace_id, (a,) = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, [a])
    await PostTarget.filter(post_id=pk(post["id"])).update(status=status)
    before = await content_rows()
    payload = await gql.mutate(
        "postUpdate",
        POST_UPDATE,
        {"postId": post["id"], "content": content([a], "changed")},
        token=owner.token,
        expect_errors=True,
    )
    assert codes(payload) == ["NOT_ALLOWED"]
    assert await content_rows() == before


async def test_delete_removes_the_post_its_targets_and_history(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await schedule(gql, owner.token, post["id"], later(days=1))
    payload = await gql.mutate("postDelete", POST_DELETE, {"postId": post["id"]}, token=owner.token)
    assert payload["deletedPostId"] == post["id"]
    assert await Post.all().count() == 0
    assert await PostTarget.all().count() == 0
    assert await StatusChange.all().count() == 0
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": post["id"]}, token=owner.token
    )
    assert node["node"] is None


@pytest.mark.parametrize("status", ["PUBLISHING", "PUBLISHED", "UNCONFIRMED"])
async def test_delete_refused_when_it_was_or_may_have_been_published(gql, status):
    owner, workspace_id, channels = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, channels)
    first = await PostTarget.filter(post_id=pk(post["id"])).order_by("id").first()
    await PostTarget.filter(id=first.id).update(status=status)
    before = await content_rows()
    payload = await gql.mutate(
        "postDelete",
        POST_DELETE,
        {"postId": post["id"]},
        token=owner.token,
        expect_errors=True,
    )
    assert payload["deletedPostId"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("postId", "NOT_ALLOWED")]
    assert await content_rows() == before


@pytest.mark.parametrize("status", ["DRAFT", "FAILED", "CANCELLED", "IN_REVIEW", "APPROVED"])
async def test_delete_allowed_for_posts_never_sent(gql, status):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await PostTarget.filter(post_id=pk(post["id"])).update(status=status)
    await gql.mutate("postDelete", POST_DELETE, {"postId": post["id"]}, token=owner.token)
    assert await Post.all().count() == 0


async def test_post_node_with_targets_history_comments_and_author(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await gql.mutate(
        "postCommentAdd", COMMENT_ADD, {"postId": post["id"], "body": "Nice!"}, token=owner.token
    )
    await schedule(gql, owner.token, post["id"], later(days=1))

    node = (await gql.data(POST_NODE, {"id": post["id"]}, token=owner.token))["node"]
    assert node["__typename"] == "Post"
    assert node["id"] == post["id"]
    assert node["authorId"] == owner.user_id
    assert node["author"] == {"id": owner.user_id, "email": owner.email}
    assert node["comments"] == [{"body": "Nice!", "authorId": owner.user_id}]
    assert [t["channel"]["id"] for t in node["targets"]] == channels
    for target in node["targets"]:
        assert target["status"] == "SCHEDULED"
        history = target["history"]
        assert [(h["fromStatus"], h["toStatus"], h["reason"]) for h in history] == [
            (None, "DRAFT", "created"),
            ("DRAFT", "SCHEDULED", "scheduled"),
        ]
        assert {h["changedById"] for h in history} == {owner.user_id}
        assert all(h["changedBySystem"] is None and h["changedAt"] for h in history)


async def test_target_node(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    target_id = post["targets"][0]["id"]
    node = (await gql.data(TARGET_NODE, {"id": target_id}, token=owner.token))["node"]
    assert node == {
        "__typename": "PostTarget",
        "id": target_id,
        "status": "DRAFT",
        "scheduledAt": None,
        "post": {"id": post["id"], "body": "Kopi susu is back"},
        "channel": {"id": channels[0]},
        "history": [{"reason": "created"}],
    }


async def test_members_who_may_not_write_cannot_create(gql):
    owner, workspace_id, channels = await studio(gql)
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    body = await gql.execute(
        POST_CREATE,
        {"input": {"workspaceId": workspace_id, "content": content(channels)}},
        token=analyst.person.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql.execute(
        POST_CREATE, {"input": {"workspaceId": workspace_id, "content": content(channels)}}
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Post.all().count() == 0


async def test_editor_creates_and_the_post_names_them(gql):
    owner, workspace_id, channels = await studio(gql)
    editor = await gql.join(workspace_id, owner, "EDITOR")
    post = await create_post(gql, editor.person.token, workspace_id, channels)
    assert post["authorId"] == editor.person.user_id
    node = (await gql.data(POST_NODE, {"id": post["id"]}, token=owner.token))["node"]
    assert node["author"]["email"] == editor.person.email


async def test_an_api_key_with_write_scope_creates_and_schedules(gql):
    owner, workspace_id, channels = await studio(gql)
    secret = await gql.api_key(workspace_id, owner, ["READ", "WRITE"])
    post = await create_post(gql, secret, workspace_id, channels)
    assert post["authorId"] is None
    await schedule(gql, secret, post["id"], later(days=1))
    node = (await gql.data(POST_NODE, {"id": post["id"]}, token=secret))["node"]
    history = node["targets"][0]["history"]
    assert [h["toStatus"] for h in history] == ["DRAFT", "SCHEDULED"]
    assert {h["changedById"] for h in history} == {None}
    assert all(h["changedBySystem"].startswith("api_key:") for h in history)
    assert node["author"] is None


async def test_a_read_only_api_key_cannot_write(gql):
    owner, workspace_id, channels = await studio(gql)
    secret = await gql.api_key(workspace_id, owner, ["READ"])
    body = await gql.execute(
        POST_CREATE,
        {"input": {"workspaceId": workspace_id, "content": content(channels)}},
        token=secret,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Post.all().count() == 0


async def test_a_nul_character_is_invalid_not_an_unexpected_error(gql):
    owner, workspace_id, channels = await studio(gql)
    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {
            "workspaceId": workspace_id,
            "content": {
                **content(channels, "a\x00b", title="t\x00", tags=["ok", "b\x00d"]),
                "targets": [{"channelId": channels[0], "bodyOverride": "x\x00"}],
            },
        },
        token=owner.token,
        expect_errors=True,
    )
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("body", "INVALID"),
        ("tags", "INVALID"),
        ("targets.0.bodyOverride", "INVALID"),
        ("title", "INVALID"),
    ]
