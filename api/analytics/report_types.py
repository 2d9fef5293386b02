"""GraphQL types of reports: reports, their files, schedules and the filter they keep."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.channels.types import Platform
from api.ids import to_global_id
from api.node import Node
from domain.analytics import models
from domain.analytics import reports as service

ReportFrequency = strawberry.enum(
    models.ReportFrequency,
    name="ReportFrequency",
    description="ONCE: one report over a chosen window. WEEKLY: a report of each ISO week "
    "(Monday to Sunday), made on Monday at 06:00. MONTHLY: a report of each calendar "
    "month, made on the 1st at 06:00. Days and times are the workspace's timezone.",
)
ReportStatus = strawberry.enum(
    models.ReportStatus,
    name="ReportStatus",
    description="PENDING: being made. READY: its files can be downloaded. FAILED: it could "
    "not be made (see `failureReason`).",
)


def _gids(type_name: str, pks) -> list[strawberry.ID]:
    return [strawberry.ID(to_global_id(type_name, pk)) for pk in pks]


@strawberry.type(description="Which posts a report counts; an empty list does not narrow.")
class ReportFilter:
    channel_ids: list[strawberry.ID] = strawberry.field(description="Only these channels.")
    networks: list[Platform] = strawberry.field(description="Only these networks.")
    tags: list[str] = strawberry.field(description="Only posts with any of these tags.")
    campaign_ids: list[strawberry.ID] = strawberry.field(
        description="Only posts of these campaigns."
    )
    post_ids: list[strawberry.ID] = strawberry.field(description="Only these posts.")

    @classmethod
    def from_filters(cls, filters: dict | None) -> ReportFilter:
        scope = service.scope_from_json(filters)
        return cls(
            channel_ids=_gids("Channel", scope.channel_ids),
            networks=[Platform(value) for value in scope.platforms],
            tags=list(scope.tags),
            campaign_ids=_gids("Campaign", scope.campaign_ids),
            post_ids=_gids("Post", scope.post_ids),
        )


@strawberry.type(
    description="Signed download links of a report's files. Anyone holding a link can "
    "download until `expiresAt`; read the report again for fresh links."
)
class ReportFiles:
    json_url: str = strawberry.field(
        description="report.json: totals against the period before with the change of each "
        "metric, breakdowns by channel and by network, and the top 10 posts by engagements."
    )
    csv_url: str = strawberry.field(
        description="report.csv: one row per post published in the period, with its metrics."
    )
    png_url: str = strawberry.field(
        description="chart.png: daily engagements and impressions, and posts per day."
    )
    expires_at: datetime = strawberry.field(description="When the links stop working.")


@strawberry.type(
    description="A summary of a period's results as downloadable files (JSON, CSV, PNG). "
    "Posts count toward the period they were published in, in the workspace's timezone."
)
class Report(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this report.")
    name: str = strawberry.field(description="The name it was asked with.")
    frequency: ReportFrequency = strawberry.field(
        description="ONCE, or the frequency of the schedule that made it."
    )
    status: ReportStatus = strawberry.field(description="Where the making stands.")
    period_start: date = strawberry.field(description="First day covered.")
    period_end: date = strawberry.field(description="Last day covered, included.")
    filter: ReportFilter = strawberry.field(description="Which posts it counts.")
    schedule_id: strawberry.ID | None = strawberry.field(
        description="The schedule that made it; null for a ONCE report."
    )
    created_at: datetime = strawberry.field(description="When it was asked for.")
    ready_at: datetime | None = strawberry.field(description="When its files were ready.")
    failure_reason: str | None = strawberry.field(
        description="Why it could not be made (FAILED only)."
    )
    files: ReportFiles | None = strawberry.field(
        description="Download links; null until the report is READY."
    )

    @classmethod
    def from_model(cls, row: models.Report) -> Report:
        urls = service.file_urls(row)
        return cls(
            id=strawberry.ID(to_global_id("Report", row.id)),
            name=row.name,
            frequency=row.frequency,
            status=row.status,
            period_start=row.period_start,
            period_end=row.period_end,
            filter=ReportFilter.from_filters(row.filters),
            schedule_id=(
                strawberry.ID(to_global_id("ReportSchedule", row.schedule_id))
                if row.schedule_id is not None
                else None
            ),
            created_at=row.created_at,
            ready_at=row.ready_at,
            failure_reason=row.failure_reason,
            files=(
                ReportFiles(
                    json_url=urls.json_url,
                    csv_url=urls.csv_url,
                    png_url=urls.png_url,
                    expires_at=urls.expires_at,
                )
                if urls
                else None
            ),
        )


@strawberry.type(
    description="A recurring report: after each week or month ends, a report of it is made "
    "and `reportReady` fires."
)
class ReportSchedule(Node):
    id: strawberry.ID = strawberry.field(description="The global id of this schedule.")
    name: str = strawberry.field(description="The name of the reports it makes.")
    frequency: ReportFrequency = strawberry.field(description="WEEKLY or MONTHLY.")
    filter: ReportFilter = strawberry.field(description="Which posts its reports count.")
    next_run_at: datetime | None = strawberry.field(
        description="When the next report will be made (Monday or the 1st, 06:00 in the "
        "workspace's timezone); null once cancelled."
    )
    created_at: datetime = strawberry.field(description="When it was made.")
    cancelled_at: datetime | None = strawberry.field(
        description="When it was cancelled; null while active."
    )

    @classmethod
    def from_model(cls, row: models.ReportSchedule) -> ReportSchedule:
        return cls(
            id=strawberry.ID(to_global_id("ReportSchedule", row.id)),
            name=row.name,
            frequency=row.frequency,
            filter=ReportFilter.from_filters(row.filters),
            next_run_at=row.upcoming_run_at,
            created_at=row.created_at,
            cancelled_at=row.cancelled_at,
        )
