"""Reports: `reportCreate`, `reportScheduleCancel`, the `reports` and `reportSchedules`
queries, and the `reportReady` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.analytics.metric_types import AnalyticsFilterInput, AnalyticsWindowInput
from api.analytics.report_types import Report, ReportFrequency, ReportSchedule, ReportStatus
from api.errors import UserError
from api.identity.types import After, First
from api.ids import parse_id, to_global_id
from api.mutations import mutation_payload
from api.node import node_type
from api.pagination import Connection
from api.streams import until_revoked
from domain.analytics import models
from domain.analytics import reports as service
from domain.analytics.scope import Scope
from domain.errors import Problem, ValidationFailed
from domain.identity.roles import Permission
from domain.streams import workspace_events
from domain.tenancy import workspace_for

INPUT = "The fields of this mutation."
ERRORS = "Problems with the input; empty when the mutation succeeded."
WORKSPACE = "The workspace."


@strawberry.input(description="A report to make once, or a schedule of weekly or monthly ones.")
class ReportCreateInput:
    workspace_id: strawberry.ID = strawberry.field(description=WORKSPACE)
    name: str = strawberry.field(description="A name, 1 to 120 characters.")
    frequency: ReportFrequency = strawberry.field(
        default=models.ReportFrequency.ONCE,
        description="ONCE (the default) makes one report over `window` now; WEEKLY and "
        "MONTHLY make a schedule.",
    )
    window: AnalyticsWindowInput | None = strawberry.field(
        default=None,
        description="The period of a ONCE report (this week by default; it may not start "
        "in the future). Not allowed for WEEKLY and MONTHLY.",
    )
    filter: AnalyticsFilterInput | None = strawberry.field(
        default=None, description="Which posts to count; all by default."
    )


@strawberry.input(description="Which report schedule to stop.")
class ReportScheduleCancelInput:
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")


@strawberry.type(description="Result of `reportCreate`.")
class ReportCreatePayload:
    report: Report | None = strawberry.field(
        default=None, description="The ONCE report, PENDING until its files are made."
    )
    schedule: ReportSchedule | None = strawberry.field(
        default=None, description="The WEEKLY or MONTHLY schedule."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="Result of `reportScheduleCancel`.")
class ReportScheduleCancelPayload:
    schedule: ReportSchedule | None = strawberry.field(
        default=None, description="The cancelled schedule."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="A report was made, or could not be made.")
class ReportReadyEvent:
    report_id: strawberry.ID = strawberry.field(description="The report.")
    name: str = strawberry.field(description="Its name.")
    status: ReportStatus = strawberry.field(description="READY or FAILED.")
    ready_at: datetime | None = strawberry.field(description="When it was ready (READY only).")


def _draft(input: ReportCreateInput) -> service.ReportDraft:
    problems: list[Problem] = []
    try:
        scope = input.filter.to_scope() if input.filter else Scope()
    except ValidationFailed as error:
        problems.extend(error.problems)
        scope = Scope()
    window = None
    if input.window is not None:
        window = service.WindowRequest(
            period=input.window.period,
            on=input.window.date,
            start=input.window.start,
            end=input.window.end,
        )
    return service.ReportDraft(
        name=input.name,
        frequency=input.frequency,
        window=window,
        scope=scope,
        problems=tuple(problems),
    )


node_type("Report", service.get_report, Report.from_model)
node_type("ReportSchedule", service.get_schedule, ReportSchedule.from_model)


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Ask for a report: ONCE makes one over a window (its files follow, see "
        "`reportReady`); WEEKLY and MONTHLY schedule one after each week or month ends."
    )
    async def report_create(
        self,
        info: Info,
        input: Annotated[ReportCreateInput, strawberry.argument(description=INPUT)],
    ) -> ReportCreatePayload:
        return await mutation_payload(
            lambda: service.create_report(
                info.context.actor,
                workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                draft=_draft(input),
            ),
            ReportCreatePayload,
            lambda made: {
                "report": Report.from_model(made.report) if made.report else None,
                "schedule": ReportSchedule.from_model(made.schedule) if made.schedule else None,
            },
        )

    @strawberry.mutation(
        description="Stop a report schedule; reports it already made stay. Cancelling a "
        "cancelled schedule changes nothing."
    )
    async def report_schedule_cancel(
        self,
        info: Info,
        input: Annotated[ReportScheduleCancelInput, strawberry.argument(description=INPUT)],
    ) -> ReportScheduleCancelPayload:
        return await mutation_payload(
            lambda: service.cancel_schedule(
                info.context.actor, parse_id(input.schedule_id, "ReportSchedule", "scheduleId")
            ),
            ReportScheduleCancelPayload,
            lambda row: {"schedule": ReportSchedule.from_model(row)},
        )


@strawberry.type
class ReportQuery:
    @strawberry.field(description="A workspace's reports, newest first.")
    async def reports(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        schedule_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the reports this schedule made."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Report]:
        page = await service.list_reports(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            schedule_id=(
                parse_id(schedule_id, "ReportSchedule", "scheduleId")
                if schedule_id is not None
                else None
            ),
            first=first,
            after=after,
        )
        return Connection.from_page(page, Report.from_model)

    @strawberry.field(
        description="A workspace's report schedules, cancelled ones included, newest first."
    )
    async def report_schedules(
        self,
        info: Info,
        workspace_id: Annotated[strawberry.ID, strawberry.argument(description=WORKSPACE)],
        first: First = None,
        after: After = None,
    ) -> Connection[ReportSchedule]:
        page = await service.list_schedules(
            info.context.actor,
            parse_id(workspace_id, "Workspace", "workspaceId"),
            first=first,
            after=after,
        )
        return Connection.from_page(page, ReportSchedule.from_model)


@strawberry.type
class ReportSubscription:
    @strawberry.subscription(
        description="Reports of a workspace as they become READY (or FAILED), from any process."
    )
    async def report_ready(
        self,
        info: Info,
        workspace_id: Annotated[
            strawberry.ID, strawberry.argument(description="The workspace to watch.")
        ],
    ) -> AsyncGenerator[ReportReadyEvent, None]:
        actor = info.context.actor
        workspace = await workspace_for(
            actor, parse_id(workspace_id, "Workspace", "workspaceId"), Permission.ANALYTICS_READ
        )
        async for event in until_revoked(
            info,
            workspace_events(
                actor, workspace.id, Permission.ANALYTICS_READ, {service.REPORT_READY}
            ),
        ):
            data = event.data
            yield ReportReadyEvent(
                report_id=strawberry.ID(to_global_id("Report", data["report_id"])),
                name=data["name"],
                status=models.ReportStatus(data["status"]),
                ready_at=datetime.fromisoformat(data["ready_at"]) if data["ready_at"] else None,
            )
