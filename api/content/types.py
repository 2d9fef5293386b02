"""GraphQL types of content: posts, their targets, history, attempts, comments, reports."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.channels.types import Channel
from api.identity.types import User
from api.ids import to_global_id
from api.node import Node
from api.strategy.types import Campaign
from domain.content import models
from domain.content import queries as content_queries
from domain.content.models import MediaKind as DomainMediaKind
from domain.content.models import TargetStatus as DomainTargetStatus
from domain.content.validation import Finding, Report
from domain.content.validation import RuleCode as DomainRuleCode
from domain.content.validation import Severity as DomainSeverity
from domain.strategy.campaigns import campaigns_by_ids

TargetStatus = strawberry.enum(
    DomainTargetStatus,
    name="TargetStatus",
    description=(
        "Where a post stands on one channel: DRAFT, IN_REVIEW, APPROVED, SCHEDULED, PUBLISHING, "
        "PUBLISHED, FAILED (see failureReason), UNCONFIRMED (the network's answer was lost; "
        "Kelola is checking before anything is resent) or CANCELLED."
    ),
)
MediaKind = strawberry.enum(DomainMediaKind, name="MediaKind", description="A kind of media.")
Severity = strawberry.enum(
    DomainSeverity, name="Severity", description="ERROR blocks scheduling; WARNING does not."
)
RuleCode = strawberry.enum(
    DomainRuleCode, name="RuleCode", description="Which publishing rule a finding is about."
)


def gid(type_name: str, pk: int | None) -> strawberry.ID | None:
    return strawberry.ID(to_global_id(type_name, pk)) if pk is not None else None


@strawberry.type(description="A poll attached to a post.")
class Poll:
    options: list[str] = strawberry.field(description="The choices, 2 to 4.")
    duration_minutes: int = strawberry.field(description="How long the poll stays open.")


@strawberry.type(description="One recorded status change of a target.")
class StatusChange:
    from_status: TargetStatus | None = strawberry.field(description="The status before.")
    to_status: TargetStatus = strawberry.field(description="The status after.")
    changed_by_id: strawberry.ID | None = strawberry.field(
        description="The member who changed it, if a member did."
    )
    changed_by_system: str | None = strawberry.field(
        description="The process that changed it (e.g. publisher), or the API key."
    )
    reason: str | None = strawberry.field(description="Why.")
    changed_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: models.StatusChange) -> StatusChange:
        return cls(
            from_status=row.from_status,
            to_status=row.to_status,
            changed_by_id=gid("User", row.changed_by_id),
            changed_by_system=row.changed_by_system,
            reason=row.reason,
            changed_at=row.changed_at,
        )


@strawberry.type(description="One attempt to publish a target to its network.")
class PublishAttempt:
    started_at: datetime = strawberry.field(description="When the request was sent.")
    latency_ms: int | None = strawberry.field(description="How long the network took.")
    outcome: str = strawberry.field(
        description="PUBLISHED, AUTH, RATE_LIMITED, REJECTED, RETRY or UNKNOWN."
    )
    error_class: str | None = strawberry.field(description="The kind of failure, if any.")
    error_message: str | None = strawberry.field(description="The network's explanation.")
    network_post_id: str | None = strawberry.field(description="The network's id of the post.")

    @classmethod
    def from_model(cls, row: models.PublishAttempt) -> PublishAttempt:
        return cls(
            started_at=row.started_at,
            latency_ms=row.latency_ms,
            outcome=row.outcome,
            error_class=row.error_class,
            error_message=row.error_message,
            network_post_id=row.network_post_id,
        )


@strawberry.type(description="A comment in a post's review discussion.")
class PostComment:
    id: strawberry.ID = strawberry.field(description="The comment's id.")
    body: str = strawberry.field(description="The text.")
    author_id: strawberry.ID | None = strawberry.field(description="Who wrote it.")
    created_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: models.PostComment) -> PostComment:
        return cls(
            id=strawberry.ID(to_global_id("PostComment", row.id)),
            body=row.body,
            author_id=gid("User", row.author_id),
            created_at=row.created_at,
        )


@strawberry.type(description="A post going to one channel, with its own status and schedule.")
class PostTarget(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this target.")
    status: TargetStatus = strawberry.field(description="Where it stands.")
    scheduled_at: datetime | None = strawberry.field(description="When it is due (UTC).")
    timezone: str = strawberry.field(description="The zone it was scheduled in.")
    published_at: datetime | None = strawberry.field(description="When the network took it.")
    network_post_id: str | None = strawberry.field(description="The network's id of the post.")
    network_url: str | None = strawberry.field(description="Where to see it on the network.")
    failure_reason: str | None = strawberry.field(
        description="Why it failed or is being retried, in words a member can act on."
    )
    attempts: int = strawberry.field(description="How many times publishing was attempted.")
    body_override: str | None = strawberry.field(description="Text for this network only.")
    media_override_ids: list[strawberry.ID] | None = strawberry.field(
        description="Media for this network only."
    )
    pk: strawberry.Private[int]
    post_pk: strawberry.Private[int]
    channel_pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.PostTarget) -> PostTarget:
        return cls(
            id=strawberry.ID(to_global_id("PostTarget", row.id)),
            status=row.status,
            scheduled_at=row.scheduled_at,
            timezone=row.timezone,
            published_at=row.published_at,
            network_post_id=row.network_post_id,
            network_url=row.network_url,
            failure_reason=row.failure_reason,
            attempts=row.attempts,
            body_override=row.body_override,
            media_override_ids=[gid("Media", i) for i in row.media_override]
            if row.media_override is not None
            else None,
            pk=row.id,
            post_pk=row.post_id,
            channel_pk=row.channel_id,
        )

    @strawberry.field(description="The channel it goes to.")
    async def channel(self, info: Info) -> Channel | None:
        row = await info.context.loaders.scoped(content_queries.channels_by_ids).load(
            self.channel_pk
        )
        return Channel.from_model(row) if row else None

    @strawberry.field(description="The post.")
    async def post(self, info: Info) -> Post | None:
        row = await info.context.loaders.scoped(content_queries.posts_by_ids).load(self.post_pk)
        return Post.from_model(row) if row else None

    @strawberry.field(description="Every status change, oldest first.")
    async def history(self, info: Info) -> list[StatusChange]:
        rows = await info.context.loaders.scoped(content_queries.history_by_target_ids).load(
            self.pk
        )
        return [StatusChange.from_model(row) for row in rows]

    @strawberry.field(description="Every publishing attempt, oldest first.")
    async def attempt_log(self, info: Info) -> list[PublishAttempt]:
        rows = await info.context.loaders.scoped(content_queries.attempts_by_target_ids).load(
            self.pk
        )
        return [PublishAttempt.from_model(row) for row in rows]


@strawberry.type(description="A piece of content and the channels it goes to.")
class Post(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this post.")
    body: str = strawberry.field(description="The text, shared by every channel.")
    title: str | None = strawberry.field(description="A title, for networks that show one.")
    link: str | None = strawberry.field(description="A link to attach.")
    first_comment: str | None = strawberry.field(
        description="A comment posted right after the post, where the network allows."
    )
    poll: Poll | None = strawberry.field(description="A poll, for networks that support one.")
    media_ids: list[strawberry.ID] = strawberry.field(description="Media, in order.")
    tags: list[str] = strawberry.field(description="Labels for planning and reporting.")
    campaign_id: strawberry.ID | None = strawberry.field(
        description="The campaign the post belongs to."
    )
    recurrence_rule: str | None = strawberry.field(
        description="The RRULE this post repeats by, for a recurring post and its occurrences."
    )
    author_id: strawberry.ID | None = strawberry.field(description="Who wrote it.")
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    pk: strawberry.Private[int]
    author_pk: strawberry.Private[int | None]
    campaign_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Post) -> Post:
        poll = row.poll
        return cls(
            id=strawberry.ID(to_global_id("Post", row.id)),
            body=row.body,
            title=row.title,
            link=row.link,
            first_comment=row.first_comment,
            poll=Poll(options=poll["options"], duration_minutes=poll.get("duration_minutes", 1440))
            if poll
            else None,
            media_ids=[gid("Media", i) for i in row.media_ids],
            tags=list(row.tags),
            recurrence_rule=row.recurrence_rule,
            campaign_id=gid("Campaign", row.campaign_id),
            author_id=gid("User", row.author_id),
            workspace_id=gid("Workspace", row.workspace_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
            pk=row.id,
            author_pk=row.author_id,
            campaign_pk=row.campaign_id,
        )

    @strawberry.field(description="One target per channel.")
    async def targets(self, info: Info) -> list[PostTarget]:
        rows = await info.context.loaders.scoped(content_queries.targets_by_post_ids).load(self.pk)
        return [PostTarget.from_model(row) for row in rows]

    @strawberry.field(description="The review discussion, oldest first.")
    async def comments(self, info: Info) -> list[PostComment]:
        rows = await info.context.loaders.scoped(content_queries.comments_by_post_ids).load(self.pk)
        return [PostComment.from_model(row) for row in rows]

    @strawberry.field(description="The campaign, if the post belongs to one.")
    async def campaign(self, info: Info) -> Campaign | None:
        if self.campaign_pk is None:
            return None
        row = await info.context.loaders.scoped(campaigns_by_ids).load(self.campaign_pk)
        return Campaign.from_model(row) if row else None

    @strawberry.field(description="The author.")
    async def author(self, info: Info) -> User | None:
        if self.author_pk is None:
            return None
        user = await info.context.loaders.users.load(self.author_pk)
        return User.from_model(user) if user else None


@strawberry.type(description="One rule a post breaks on one channel.")
class ValidationFinding:
    severity: Severity = strawberry.field(description="ERROR blocks scheduling; WARNING does not.")
    code: RuleCode = strawberry.field(description="Which rule.")
    message: str = strawberry.field(description="What is wrong, in words.")
    field: str | None = strawberry.field(description="The input field at fault.")
    channel_id: strawberry.ID | None = strawberry.field(description="The channel it concerns.")

    @classmethod
    def from_finding(cls, finding: Finding) -> ValidationFinding:
        return cls(
            severity=finding.severity,
            code=finding.code,
            message=finding.message,
            field=finding.field,
            channel_id=gid("Channel", finding.channel_id),
        )


@strawberry.type(description="Every rule a post breaks on every channel it targets.")
class ValidationReport:
    valid: bool = strawberry.field(description="True when there are no errors.")
    errors: list[ValidationFinding] = strawberry.field(description="Findings that block.")
    warnings: list[ValidationFinding] = strawberry.field(description="Findings that do not.")

    @classmethod
    def from_report(cls, report: Report) -> ValidationReport:
        return cls(
            valid=report.valid,
            errors=[ValidationFinding.from_finding(f) for f in report.errors],
            warnings=[ValidationFinding.from_finding(f) for f in report.warnings],
        )
