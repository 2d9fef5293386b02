"""The approval workflow: policy, submit, approve, reject, comments, and who may do what."""

from __future__ import annotations

from domain.content.models import ContentPolicy, Post, PostComment, StatusChange, TargetStatus
from tests.api.content.support import (
    COMMENT_ADD,
    POLICY_UPDATE,
    POST_APPROVE,
    POST_CANCEL,
    POST_CREATE,
    POST_REJECT,
    POST_SUBMIT,
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

POLICY = """
query($id: ID!) {
  contentPolicy(workspaceId: $id) {
    approvalRequired maxPostsPerChannelPerDay minMinutesBetweenPosts
  }
}"""
COMMENTS = """
query($id: ID!) { node(id: $id) { ... on Post { comments { body authorId } } } }
"""


def statuses(payload: dict) -> list[str]:
    return [target["status"] for target in payload["post"]["targets"]]


async def test_policy_defaults_and_updates(gql):
    owner, workspace_id, _ = await studio(gql)
    policy = (await gql.data(POLICY, {"id": workspace_id}, token=owner.token))["contentPolicy"]
    assert policy == {
        "approvalRequired": False,
        "maxPostsPerChannelPerDay": None,
        "minMinutesBetweenPosts": None,
    }
    updated = await set_policy(
        gql,
        owner.token,
        workspace_id,
        approvalRequired=True,
        maxPostsPerChannelPerDay=3,
        minMinutesBetweenPosts=90,
    )
    assert updated == {
        "approvalRequired": True,
        "maxPostsPerChannelPerDay": 3,
        "minMinutesBetweenPosts": 90,
    }
    policy = (await gql.data(POLICY, {"id": workspace_id}, token=owner.token))["contentPolicy"]
    assert policy == updated
    assert await ContentPolicy.all().count() == 1


async def test_policy_reports_every_bad_value_and_needs_an_admin(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await gql.mutate(
        "contentPolicyUpdate",
        POLICY_UPDATE,
        {
            "workspaceId": workspace_id,
            "approvalRequired": True,
            "maxPostsPerChannelPerDay": 0,
            "minMinutesBetweenPosts": -5,
        },
        token=owner.token,
        expect_errors=True,
    )
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("maxPostsPerChannelPerDay", "INVALID"),
        ("minMinutesBetweenPosts", "INVALID"),
    ]
    editor = await gql.join(workspace_id, owner, "EDITOR")
    body = await gql.execute(
        POLICY_UPDATE,
        {"input": {"workspaceId": workspace_id, "approvalRequired": False}},
        token=editor.person.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await ContentPolicy.all().count() == 0


async def test_submit_approve_by_an_approver_then_schedule(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    editor = await gql.join(workspace_id, owner, "EDITOR")
    approver = await gql.join(workspace_id, owner, "APPROVER")
    post = await create_post(gql, editor.person.token, workspace_id, channels)

    submitted = await gql.mutate(
        "postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=editor.person.token
    )
    assert statuses(submitted) == ["IN_REVIEW", "IN_REVIEW"]

    body = await gql.execute(
        POST_APPROVE, {"input": {"postId": post["id"]}}, token=editor.person.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
    assert await StatusChange.filter(to_status=TargetStatus.APPROVED).count() == 0

    approved = await gql.mutate(
        "postApprove",
        POST_APPROVE,
        {"postId": post["id"], "comment": "Looks good"},
        token=approver.person.token,
    )
    assert statuses(approved) == ["APPROVED", "APPROVED"]
    comment = await PostComment.get()
    assert comment.body == "Looks good" and comment.author_id == pk(approver.person.user_id)
    approvals = await StatusChange.filter(to_status=TargetStatus.APPROVED).values(
        "changed_by_id", "reason"
    )
    assert approvals == [{"changed_by_id": pk(approver.person.user_id), "reason": "Looks good"}] * 2

    scheduled = await schedule(gql, editor.person.token, post["id"], later(days=1))
    assert statuses(scheduled) == ["SCHEDULED", "SCHEDULED"]


async def test_admin_and_owner_may_approve(gql):
    owner, workspace_id, channels = await studio(gql)
    admin = await gql.join(workspace_id, owner, "ADMIN")
    for approver in (owner, admin.person):
        post = await create_post(gql, owner.token, workspace_id, channels, f"by {approver.email}")
        await gql.mutate(
            "postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token
        )
        approved = await gql.mutate(
            "postApprove", POST_APPROVE, {"postId": post["id"]}, token=approver.token
        )
        assert statuses(approved) == ["APPROVED"]


async def test_schedule_without_approval_when_required(gql):
    owner, workspace_id, channels = await studio(gql)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    post = await create_post(gql, owner.token, workspace_id, channels)
    before = await content_rows()
    payload = await schedule(gql, owner.token, post["id"], later(days=1), expect_errors=True)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("postId", "NEEDS_APPROVAL")]
    assert payload["post"] is None

    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)
    payload = await schedule(gql, owner.token, post["id"], later(days=1), expect_errors=True)
    assert codes(payload) == ["NEEDS_APPROVAL"]
    rows = await content_rows()
    assert rows["Post"] == before["Post"]
    assert {t["status"] for t in rows["PostTarget"]} == {TargetStatus.IN_REVIEW}


async def test_without_the_policy_drafts_schedule_directly(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    payload = await schedule(gql, owner.token, post["id"], later(days=1))
    assert statuses(payload) == ["SCHEDULED"]


async def test_reject_sends_the_post_back_as_a_draft_with_the_reason(gql):
    owner, workspace_id, channels = await studio(gql, channels=2)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    approver = await gql.join(workspace_id, owner, "APPROVER")
    post = await create_post(gql, owner.token, workspace_id, channels)
    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)

    empty = await gql.mutate(
        "postReject",
        POST_REJECT,
        {"postId": post["id"], "reason": "   "},
        token=approver.person.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [("reason", "REQUIRED")]

    rejected = await gql.mutate(
        "postReject",
        POST_REJECT,
        {"postId": post["id"], "reason": "Use the new logo"},
        token=approver.person.token,
    )
    assert statuses(rejected) == ["DRAFT", "DRAFT"]
    comments = (await gql.data(COMMENTS, {"id": post["id"]}, token=owner.token))["node"]
    assert comments["comments"] == [
        {"body": "Use the new logo", "authorId": approver.person.user_id}
    ]
    back = await StatusChange.filter(
        to_status=TargetStatus.DRAFT, from_status=TargetStatus.IN_REVIEW
    )
    assert [row.reason for row in back] == ["Use the new logo"] * 2

    # The author fixes it and submits again.
    resubmitted = await gql.mutate(
        "postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token
    )
    assert statuses(resubmitted) == ["IN_REVIEW", "IN_REVIEW"]


async def test_approving_twice_or_rejecting_a_draft_is_a_typed_error(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    before = await content_rows()
    payload = await gql.mutate(
        "postApprove", POST_APPROVE, {"postId": post["id"]}, token=owner.token, expect_errors=True
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("postId", "NOT_ALLOWED")]
    payload = await gql.mutate(
        "postReject",
        POST_REJECT,
        {"postId": post["id"], "reason": "no"},
        token=owner.token,
        expect_errors=True,
    )
    assert codes(payload) == ["NOT_ALLOWED"]
    assert await content_rows() == before


async def test_comments_by_writers_and_approvers_only(gql):
    owner, workspace_id, channels = await studio(gql)
    editor = await gql.join(workspace_id, owner, "EDITOR")
    approver = await gql.join(workspace_id, owner, "APPROVER")
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    post = await create_post(gql, owner.token, workspace_id, channels)

    for who, text in ((editor, "Draft ready"), (approver, "One change")):
        payload = await gql.mutate(
            "postCommentAdd",
            COMMENT_ADD,
            {"postId": post["id"], "body": text},
            token=who.person.token,
        )
        assert payload["comment"]["body"] == text
        assert payload["comment"]["authorId"] == who.person.user_id
        assert payload["comment"]["id"]

    body = await gql.execute(
        COMMENT_ADD, {"input": {"postId": post["id"], "body": "hm"}}, token=analyst.person.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    payload = await gql.mutate(
        "postCommentAdd",
        COMMENT_ADD,
        {"postId": post["id"], "body": ""},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "REQUIRED")]
    payload = await gql.mutate(
        "postCommentAdd",
        COMMENT_ADD,
        {"postId": post["id"], "body": "x" * 5001},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "TOO_LONG")]
    comments = (await gql.data(COMMENTS, {"id": post["id"]}, token=owner.token))["node"]
    assert [c["body"] for c in comments["comments"]] == ["Draft ready", "One change"]


async def test_approvers_cannot_create_or_submit_posts(gql):
    owner, workspace_id, channels = await studio(gql)
    approver = await gql.join(workspace_id, owner, "APPROVER")
    body = await gql.execute(
        POST_CREATE,
        {"input": {"workspaceId": workspace_id, "content": content(channels)}},
        token=approver.person.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Post.all().count() == 0
    post = await create_post(gql, owner.token, workspace_id, channels)
    body = await gql.execute(
        POST_SUBMIT, {"input": {"postId": post["id"]}}, token=approver.person.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_api_keys_cannot_approve(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)
    secret = await gql.api_key(workspace_id, owner, ["READ", "WRITE"])
    body = await gql.execute(POST_APPROVE, {"input": {"postId": post["id"]}}, token=secret)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await StatusChange.filter(to_status=TargetStatus.APPROVED).count() == 0


async def test_a_cancelled_post_can_go_through_review_again(gql):
    owner, workspace_id, channels = await studio(gql)
    await set_policy(gql, owner.token, workspace_id, approvalRequired=True)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)
    await gql.mutate("postApprove", POST_APPROVE, {"postId": post["id"]}, token=owner.token)
    await schedule(gql, owner.token, post["id"], later(days=1))
    await gql.mutate("postCancel", POST_CANCEL, {"postId": post["id"]}, token=owner.token)

    payload = await schedule(gql, owner.token, post["id"], later(days=2), expect_errors=True)
    assert codes(payload) == ["NEEDS_APPROVAL"]
    submitted = await gql.mutate(
        "postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token
    )
    assert statuses(submitted) == ["IN_REVIEW"]
    await gql.mutate("postApprove", POST_APPROVE, {"postId": post["id"]}, token=owner.token)
    assert statuses(await schedule(gql, owner.token, post["id"], later(days=2))) == ["SCHEDULED"]


async def test_a_post_in_review_is_not_scheduled_even_without_the_policy(gql):
    owner, workspace_id, channels = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, channels)
    await gql.mutate("postSubmitForReview", POST_SUBMIT, {"postId": post["id"]}, token=owner.token)
    payload = await schedule(gql, owner.token, post["id"], later(days=1), expect_errors=True)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("postId", "NOT_ALLOWED")]
    assert "review" in payload["errors"][0]["message"]
