"""postsImport."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.content.import_types import ImportReport, PostsImportInput, PostsImportPayload
from api.content.mutations.common import INPUT
from api.errors import user_errors
from api.ids import from_global_id, parse_id
from domain.content import imports
from domain.errors import DomainError
from domain.uow import unit_of_work


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Create posts in bulk from CSV or JSON. Every row is checked like "
        "postCreate and, when scheduled, like postSchedule; the report lists every problem of "
        "every row. Malformed data (bad quoting, not an array, wrong types, a missing header, "
        "an unknown column) or more than 5 MB / 5,000 rows is refused with nothing written."
    )
    async def posts_import(
        self, info: Info, input: Annotated[PostsImportInput, strawberry.argument(description=INPUT)]
    ) -> PostsImportPayload:
        try:
            async with unit_of_work():
                report = await imports.import_posts(
                    info.context.actor,
                    workspace_id=parse_id(input.workspace_id, "Workspace", "workspaceId"),
                    data_format=input.format,
                    data=input.data,
                    mode=input.mode,
                    schedule=input.schedule,
                    decode_id=from_global_id,
                )
        except imports.ImportRefused as refused:
            return PostsImportPayload(
                report=ImportReport.from_report(refused.report), errors=user_errors(refused)
            )
        except DomainError as error:
            return PostsImportPayload(errors=user_errors(error))
        return PostsImportPayload(report=ImportReport.from_report(report))
