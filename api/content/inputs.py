"""Inputs of content mutations and queries."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.content.types import TargetStatus
from api.ids import parse_id
from domain.content.drafts import PollDraft, PostDraft, TargetDraft


@strawberry.input(description="A poll.")
class PollInput:
    options: list[str] = strawberry.field(description="2 to 4 choices.")
    duration_minutes: int = strawberry.field(
        default=1440, description="How long it stays open, 5 minutes to 7 days."
    )


@strawberry.input(description="A channel to post to, optionally with its own text or media.")
class TargetInput:
    channel_id: strawberry.ID = strawberry.field(description="The channel.")
    body_override: str | None = strawberry.field(
        default=None, description="Text for this network instead of the post's body."
    )
    media_override_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Media for this network instead of the post's media."
    )


@strawberry.input(description="The content of a post and where it goes.")
class PostContentInput:
    body: str = strawberry.field(default="", description="The text.")
    title: str | None = strawberry.field(default=None, description="A title (e.g. Pinterest).")
    link: str | None = strawberry.field(default=None, description="An http(s) link.")
    first_comment: str | None = strawberry.field(
        default=None, description="A comment posted right after the post."
    )
    poll: PollInput | None = strawberry.field(default=None, description="A poll.")
    media_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Uploaded media, in order."
    )
    tags: list[str] = strawberry.field(default_factory=list, description="Labels.")
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None, description="The campaign the post belongs to."
    )
    targets: list[TargetInput] = strawberry.field(
        default_factory=list, description="One entry per channel."
    )

    def to_draft(self) -> PostDraft:
        """Raises a typed INVALID error for ids that are not ids of the right type."""
        return PostDraft(
            body=self.body,
            title=self.title,
            link=self.link,
            first_comment=self.first_comment,
            poll=PollDraft(tuple(self.poll.options), self.poll.duration_minutes)
            if self.poll
            else None,
            media_ids=tuple(parse_id(i, "Media", "mediaIds") for i in self.media_ids),
            tags=tuple(self.tags),
            campaign_id=parse_id(self.campaign_id, "Campaign", "campaignId")
            if self.campaign_id is not None
            else None,
            targets=tuple(
                TargetDraft(
                    channel_id=parse_id(t.channel_id, "Channel", f"targets.{n}.channelId"),
                    body_override=t.body_override,
                    media_override=tuple(
                        parse_id(i, "Media", f"targets.{n}.mediaOverrideIds")
                        for i in t.media_override_ids
                    )
                    if t.media_override_ids is not None
                    else None,
                )
                for n, t in enumerate(self.targets)
            ),
        )


@strawberry.input(description="A new post; every target starts as a DRAFT.")
class PostCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    content: PostContentInput = strawberry.field(description="What to post, and where.")


@strawberry.input(description="New content for a post; targets not listed are removed.")
class PostUpdateInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")
    content: PostContentInput = strawberry.field(description="The whole new content.")


@strawberry.input(description="A post to act on.")
class PostRefInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")


@strawberry.input(description="Approve a post under review.")
class PostApproveInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")
    comment: str | None = strawberry.field(default=None, description="An optional note.")


@strawberry.input(description="Send a post back to its author.")
class PostRejectInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")
    reason: str = strawberry.field(description="What to change; kept as a comment.")


@strawberry.input(description="Schedule every target of a post at one instant.")
class PostScheduleInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")
    at: datetime = strawberry.field(
        description="When; without a UTC offset it is wall-clock time in `timezone`."
    )
    timezone: str = strawberry.field(default="UTC", description="An IANA timezone.")
    recurrence: str | None = strawberry.field(
        default=None,
        description="An RRULE (e.g. `FREQ=WEEKLY;BYDAY=MO,TH`) repeating the post from `at` in "
        "wall-clock time of `timezone` (09:00 stays 09:00 across DST). Each occurrence becomes "
        "its own post, created up to a year (at most 60 occurrences) ahead.",
    )


@strawberry.input(description="Cancel a post on every channel not yet publishing.")
class PostCancelInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")
    reason: str | None = strawberry.field(default=None, description="Why, for the history.")
    whole_series: bool = strawberry.field(
        default=False,
        description="For an occurrence of a recurring post: cancel it and every later one.",
    )


@strawberry.input(description="A comment in a post's review discussion.")
class PostCommentAddInput:
    post_id: strawberry.ID = strawberry.field(description="The post.")
    body: str = strawberry.field(description="The text.")


@strawberry.input(description="A weekly queue slot.")
class QueueSlotInput:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    time: str = strawberry.field(description="Wall-clock time, HH:MM (24 h).")


@strawberry.input(description="Replace a channel's weekly queue slots.")
class QueueSlotsSetInput:
    channel_id: strawberry.ID = strawberry.field(description="The channel.")
    timezone: str = strawberry.field(description="The IANA timezone the times are in.")
    slots: list[QueueSlotInput] = strawberry.field(description="The slots; empty clears them.")


@strawberry.input(description="Check content against every network's rules.")
class PostValidateInput:
    post_id: strawberry.ID | None = strawberry.field(
        default=None, description="A stored post to check; or give `workspaceId` + `content`."
    )
    workspace_id: strawberry.ID | None = strawberry.field(
        default=None, description="The workspace of a draft."
    )
    content: PostContentInput | None = strawberry.field(
        default=None, description="A draft to check without saving it."
    )
    at: datetime | None = strawberry.field(
        default=None, description="The intended time (checks frequency rules and the past)."
    )
    timezone: str = strawberry.field(default="UTC", description="The zone of `at`.")


@strawberry.input(description="What the calendar shows.")
class CalendarFilterInput:
    channel_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Only these channels."
    )
    statuses: list[TargetStatus] = strawberry.field(
        default_factory=list, description="Only these statuses."
    )
    tags: list[str] = strawberry.field(default_factory=list, description="Posts with any tag.")
    campaign_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Posts of these campaigns."
    )
    author_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Posts by these members."
    )
