"""Shared documents and factories for the content tests (all through GraphQL over HTTP)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from api.ids import from_global_id, to_global_id
from domain.content.models import (
    ContentPolicy,
    Media,
    MediaKind,
    Post,
    PostComment,
    PostTarget,
    QueueSlot,
    StatusChange,
)
from domain.jobs import QUEUE_NAME
from domain.redis import get_redis
from tests.helpers import GraphQLClient, Person

TARGET_FIELDS = "id status scheduledAt timezone bodyOverride channel { id }"
POST_FIELDS = f"""
  id body title link firstComment tags mediaIds authorId workspaceId
  poll {{ options durationMinutes }}
  targets {{ {TARGET_FIELDS} }}
"""
FINDING = "severity code field channelId message"
PAYLOAD = f"""
  post {{ {POST_FIELDS} }}
  validation {{ valid errors {{ {FINDING} }} warnings {{ {FINDING} }} }}
  errors {{ field code message }}
"""


def post_mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD} }} }}"


POST_CREATE = post_mutation("postCreate", "PostCreateInput")
POST_UPDATE = post_mutation("postUpdate", "PostUpdateInput")
POST_SUBMIT = post_mutation("postSubmitForReview", "PostRefInput")
POST_APPROVE = post_mutation("postApprove", "PostApproveInput")
POST_REJECT = post_mutation("postReject", "PostRejectInput")
POST_SCHEDULE = post_mutation("postSchedule", "PostScheduleInput")
POST_ADD_TO_QUEUE = post_mutation("postAddToQueue", "PostRefInput")
POST_CANCEL = post_mutation("postCancel", "PostCancelInput")
POST_DELETE = """
mutation($input: PostRefInput!) {
  postDelete(input: $input) { deletedPostId errors { field code message } }
}"""
COMMENT_ADD = """
mutation($input: PostCommentAddInput!) {
  postCommentAdd(input: $input) { comment { id body authorId } errors { field code message } }
}"""
POLICY_UPDATE = """
mutation($input: ContentPolicyUpdateInput!) {
  contentPolicyUpdate(input: $input) {
    policy { approvalRequired maxPostsPerChannelPerDay minMinutesBetweenPosts }
    errors { field code message }
  }
}"""
QUEUE_SLOTS_SET = """
mutation($input: QueueSlotsSetInput!) {
  queueSlotsSet(input: $input) { slots { weekday time timezone } errors { field code message } }
}"""
VALIDATE = f"""
query($input: PostValidateInput!) {{
  postValidate(input: $input) {{ valid errors {{ {FINDING} }} warnings {{ {FINDING} }} }}
}}"""
CALENDAR = """
query($workspaceId: ID!, $from: DateTime!, $to: DateTime!, $filter: CalendarFilterInput) {
  calendar(workspaceId: $workspaceId, from: $from, to: $to, filter: $filter) {
    id status scheduledAt post { id body tags } channel { id name }
  }
}"""
CONNECT = """
mutation($input: ChannelConnectStartInput!) {
  channelConnectStart(input: $input) { channel { id } errors { field code message } }
}"""


def pk(global_id: str) -> int:
    decoded = from_global_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def later(**delta: float) -> datetime:
    """A whole-second instant in the future."""
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def channel(
    gql: GraphQLClient, owner: Person, workspace_id: str, handle: str = "kopi"
) -> str:
    payload = await gql.mutate(
        "channelConnectStart",
        CONNECT,
        {"workspaceId": workspace_id, "platform": "SANDBOX", "sandbox": {"handle": handle}},
        token=owner.token,
    )
    return payload["channel"]["id"]


async def studio(gql: GraphQLClient, channels: int = 1) -> tuple[Person, str, list[str]]:
    """An owner, their workspace and `channels` connected sandbox channels."""
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    ids = [await channel(gql, owner, workspace_id, f"acct{n}") for n in range(channels)]
    return owner, workspace_id, ids


def content(channel_ids: list[str], body: str = "Kopi susu is back", **fields: Any) -> dict:
    return {"body": body, "targets": [{"channelId": c} for c in channel_ids], **fields}


async def create_post(
    gql: GraphQLClient,
    token: str,
    workspace_id: str,
    channel_ids: list[str],
    body: str = "Kopi susu is back",
    **fields: Any,
) -> dict:
    payload = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {"workspaceId": workspace_id, "content": content(channel_ids, body, **fields)},
        token=token,
    )
    return payload["post"]


async def schedule(
    gql: GraphQLClient,
    token: str,
    post_id: str,
    at: datetime | str,
    timezone: str = "UTC",
    *,
    expect_errors: bool = False,
) -> dict:
    return await gql.mutate(
        "postSchedule",
        POST_SCHEDULE,
        {"postId": post_id, "at": at if isinstance(at, str) else iso(at), "timezone": timezone},
        token=token,
        expect_errors=expect_errors,
    )


async def set_policy(gql: GraphQLClient, token: str, workspace_id: str, **policy: Any) -> dict:
    payload = await gql.mutate(
        "contentPolicyUpdate",
        POLICY_UPDATE,
        {"workspaceId": workspace_id, "approvalRequired": False, **policy},
        token=token,
    )
    return payload["policy"]


async def content_rows() -> dict[str, list[dict[str, Any]]]:
    """Every content row, to compare before and after a call that must write nothing."""
    tables = (Post, PostTarget, StatusChange, PostComment, QueueSlot, ContentPolicy)
    return {table.__name__: await table.all().order_by("id").values() for table in tables}


def codes(payload: dict) -> list[str]:
    return sorted(error["code"] for error in payload["errors"])


def finding_codes(report: dict, kind: str = "errors") -> list[str]:
    return sorted(finding["code"] for finding in report[kind])


async def queued() -> dict[str, float]:
    """arq's queue: job id → the time (ms) it becomes due."""
    return dict(await get_redis().zrange(QUEUE_NAME, 0, -1, withscores=True))


async def media(workspace_id: str, alt_text: str | None = None) -> str:
    row = await Media.create(
        workspace_id=pk(workspace_id),
        kind=MediaKind.IMAGE,
        mime_type="image/jpeg",
        size_bytes=120_000,
        width=1080,
        height=1080,
        alt_text=alt_text,
        storage_key=f"test/{uuid.uuid4().hex}",
        uploaded_at=datetime.now(UTC),
    )
    return to_global_id("Media", row.id)
