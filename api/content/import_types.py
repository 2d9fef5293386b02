"""GraphQL enums, input and report of postsImport."""

from __future__ import annotations

import strawberry

from api.content.payloads import ERRORS
from api.content.types import Post, RuleCode, ValidationFinding, gid
from api.errors import ErrorCode, UserError
from domain.content import imports
from domain.content.import_parsing import ImportFormat as DomainImportFormat

ImportFormat = strawberry.enum(
    DomainImportFormat,
    name="ImportFormat",
    description=(
        "CSV: comma-separated with a header row naming the columns, quoted as in RFC 4180. "
        "JSON: an array of objects keyed by the column names."
    ),
)
ImportMode = strawberry.enum(
    imports.ImportMode,
    name="ImportMode",
    description=(
        "ALL_OR_NOTHING: if any row has an error, nothing is imported. VALID_ROWS: the valid "
        "rows are imported and the others reported."
    ),
)


@strawberry.input(description="Posts to create (and schedule) in bulk.")
class PostsImportInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    format: ImportFormat = strawberry.field(description="CSV or JSON.")
    data: str = strawberry.field(
        description=(
            "The rows, at most 5 MB and 5,000 rows. Columns (CSV header or JSON keys): body; "
            "channels (channel ids or handles — `@handle`, or `platform:handle` when a handle "
            "is on several networks — separated by `|`); at (ISO 8601, e.g. "
            "2027-01-15T09:00, wall-clock time in `timezone` unless it has a UTC offset); "
            "timezone (IANA, default the workspace's); tags (separated by `|`); link; title; "
            "first_comment; media_ids (uploaded Media ids separated by `|`). In JSON, "
            "channels, tags and media_ids may also be arrays of strings. Only `channels` is "
            "required in the header; an unknown column refuses the whole import."
        )
    )
    mode: ImportMode = strawberry.field(
        default=imports.ImportMode.ALL_OR_NOTHING, description="What to do with bad rows."
    )
    schedule: bool = strawberry.field(
        default=False,
        description=(
            "Rows with `at` are always scheduled at that time. With true, rows without `at` "
            "go into the next free slots of their channels' queues (like postAddToQueue); "
            "with false they are created as drafts."
        ),
    )


@strawberry.type(description="One problem of one imported row.")
class ImportRowError:
    field: str | None = strawberry.field(
        description="The column at fault (e.g. channels, at, body), or null for the whole row."
    )
    code: ErrorCode = strawberry.field(description="A stable code to branch on.")
    message: str = strawberry.field(description="What is wrong, in words.")
    rule: RuleCode | None = strawberry.field(
        description="For RULE_VIOLATED: which publishing rule (as in postValidate)."
    )
    channel_id: strawberry.ID | None = strawberry.field(
        description="For RULE_VIOLATED: the channel the rule is broken on."
    )

    @classmethod
    def from_error(cls, error: imports.RowError) -> ImportRowError:
        return cls(
            field=error.field,
            code=error.code,
            message=error.message,
            rule=error.rule,
            channel_id=gid("Channel", error.channel_id),
        )


@strawberry.type(description="What became of one row of an import.")
class ImportRow:
    index: int = strawberry.field(description="The row's position among the data rows, from 1.")
    ok: bool = strawberry.field(description="Whether the row has no error.")
    post_id: strawberry.ID | None = strawberry.field(
        description="The post created from it; null when nothing was written."
    )
    post: Post | None = strawberry.field(description="The post created from it.")
    scheduled: bool = strawberry.field(description="Whether that post was scheduled.")
    errors: list[ImportRowError] = strawberry.field(description="Every problem of the row.")
    warnings: list[ValidationFinding] = strawberry.field(
        description="Publishing rules the scheduled post bends without being refused."
    )

    @classmethod
    def from_result(cls, row: imports.RowResult) -> ImportRow:
        return cls(
            index=row.index,
            ok=row.ok,
            post_id=gid("Post", row.post.id) if row.post else None,
            post=Post.from_model(row.post) if row.post else None,
            scheduled=row.scheduled,
            errors=[ImportRowError.from_error(error) for error in row.errors],
            warnings=[ValidationFinding.from_finding(f) for f in row.warnings],
        )


@strawberry.type(description="Every row of an import and what became of it.")
class ImportReport:
    imported: bool = strawberry.field(
        description="Whether anything was written (false when ALL_OR_NOTHING found a bad row)."
    )
    total: int = strawberry.field(description="How many data rows there were.")
    valid: int = strawberry.field(description="How many rows had no error.")
    invalid: int = strawberry.field(description="How many rows had errors.")
    created: int = strawberry.field(description="How many posts were created.")
    scheduled: int = strawberry.field(description="How many of them were scheduled.")
    rows: list[ImportRow] = strawberry.field(description="Every row, in order.")

    @classmethod
    def from_report(cls, report: imports.ImportReport) -> ImportReport:
        return cls(
            imported=report.imported,
            total=report.total,
            valid=report.valid,
            invalid=report.invalid,
            created=report.created,
            scheduled=report.scheduled,
            rows=[ImportRow.from_result(row) for row in report.rows],
        )


@strawberry.type(description="Result of `postsImport`.")
class PostsImportPayload:
    report: ImportReport | None = strawberry.field(
        default=None,
        description="Every row and what became of it; null when the data itself was refused "
        "(malformed, too large, not your workspace).",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
