"""postsImport: many posts from CSV or JSON in one call, with a report of every problem of
every row.

Each row is checked like postCreate and, when it is to be scheduled, like postSchedule (the
full rules of `scheduling.validate`: every network's rules, duplicates, posting frequency,
time in the past) — by running those very services, row after row, each in a savepoint. A
later row therefore sees the earlier ones: two rows with the same text for one channel are
duplicates, and rows going to a queue take successive slots.

- A row with `at` is scheduled at that time (wall-clock time in its `timezone`, by default
  the workspace's, unless `at` carries a UTC offset).
- A row without `at` goes into its channels' queues when `schedule` is true (like
  postAddToQueue), and stays a DRAFT otherwise.
- ALL_OR_NOTHING: one bad row and nothing at all is written. VALID_ROWS: good rows are
  written, bad rows are reported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.channels.models import Channel, ChannelHealth
from domain.content import posts, scheduling
from domain.content.drafts import PostDraft, TargetDraft
from domain.content.import_parsing import ImportFormat, RawRow, parse
from domain.content.models import Media, Post, PostTarget
from domain.content.validation import DUPLICATE_WINDOW, Finding, Occupancy, RuleCode
from domain.errors import DomainError, ErrorCode, Problem, Problems, ValidationFailed
from domain.identity.models import Workspace
from domain.identity.roles import Permission
from domain.identity.workspaces import check_timezone
from domain.platforms.base import Platform
from domain.tenancy import Actor, visible_to, workspace_for
from domain.uow import unit_of_work

__all__ = ["ImportFormat", "ImportMode", "ImportRefused", "ImportReport", "import_posts"]

# Decodes an API global id into (type name, primary key); supplied by the API layer.
IdDecoder = Callable[[str], tuple[str, int] | None]

_TARGET_FIELD = re.compile(r"^targets\.(\d+)\.")
_COLUMNS = {
    "body": "body",
    "title": "title",
    "link": "link",
    "firstComment": "first_comment",
    "tags": "tags",
    "mediaIds": "media_ids",
    "at": "at",
    "timezone": "timezone",
}


class ImportMode(StrEnum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    VALID_ROWS = "VALID_ROWS"


@dataclass(frozen=True)
class RowError:
    """One problem of one row. `field` names the column; rule and channel, when it is a
    publishing rule broken on one channel."""

    field: str | None
    code: ErrorCode
    message: str
    rule: RuleCode | None = None
    channel_id: int | None = None


@dataclass
class RowResult:
    index: int
    errors: list[RowError]
    post: Post | None = None
    scheduled: bool = False
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    rows: list[RowResult]
    imported: bool

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def valid(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def invalid(self) -> int:
        return self.total - self.valid

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.post is not None)

    @property
    def scheduled(self) -> int:
        return sum(1 for row in self.rows if row.scheduled)


class ImportRefused(ValidationFailed):
    """ALL_OR_NOTHING with bad rows: nothing is written; the report says what is wrong."""

    def __init__(self, report: ImportReport):
        super().__init__(
            [
                Problem(
                    "data",
                    ErrorCode.INVALID,
                    f"{report.invalid} of {report.total} rows have errors; nothing was imported",
                )
            ]
        )
        self.report = report


@dataclass
class _Lookup:
    """The workspace's channels, found by id or handle, read once per import."""

    workspace: Workspace
    channels: dict[int, Channel]
    handles: dict[str, list[Channel]]
    decode_id: IdDecoder

    @classmethod
    async def load(cls, actor: Actor, workspace: Workspace, decode_id: IdDecoder) -> _Lookup:
        rows = await visible_to(actor, Channel).filter(workspace_id=workspace.id)
        channels = {channel.id: channel for channel in rows}
        handles: dict[str, list[Channel]] = defaultdict(list)
        for channel in channels.values():
            if channel.handle:
                handles[_handle(channel.handle)].append(channel)
        return cls(workspace, channels, handles, decode_id)


def _handle(value: str) -> str:
    return value.strip().removeprefix("@").lower()


@dataclass
class _Row:
    raw: RawRow
    draft: PostDraft
    at: datetime | None
    timezone: str | None  # None when the row's timezone is not valid
    tokens: list[str]  # as written, for each target of the draft
    errors: list[RowError]

    @property
    def when(self) -> datetime | None:
        """The instant of `at` (wall-clock time in the row's timezone unless it has an
        offset), when both are valid."""
        if self.at is None or self.timezone is None:
            return None
        return scheduling.to_utc(self.at, self.timezone)


def _error(field_name: str | None, code: ErrorCode, message: str) -> RowError:
    return RowError(field_name, code, message)


def _channel(lookup: _Lookup, token: str) -> Channel | RowError:
    decoded = lookup.decode_id(token) if len(token) <= 128 else None
    if decoded is not None:
        if decoded[0] != "Channel":
            return _error("channels", ErrorCode.INVALID, f"{token}: not a channel id")
        found = lookup.channels.get(decoded[1])
        return found or _error("channels", ErrorCode.NOT_FOUND, f"{token}: channel not found")
    platform, _, handle = token.rpartition(":")
    matches = lookup.handles.get(_handle(handle), [])
    if platform:
        matches = [c for c in matches if c.platform.value.lower() == platform.strip().lower()]
    if len(matches) > 1:
        live = [c for c in matches if c.health != ChannelHealth.DISCONNECTED]
        matches = live if len(live) == 1 else matches
    if not matches:
        return _error("channels", ErrorCode.NOT_FOUND, f"{token}: no channel has this handle")
    if len(matches) > 1:
        return _error(
            "channels",
            ErrorCode.INVALID,
            f"{token}: {len(matches)} channels have this handle; use a channel id or "
            f"platform:handle ({', '.join(p.value.lower() for p in Platform)})",
        )
    return matches[0]


def _media_ids(lookup: _Lookup, tokens: tuple[str, ...], errors: list[RowError]) -> list[int]:
    ids: list[int] = []
    for token in tokens:
        decoded = lookup.decode_id(token) if len(token) <= 128 else None
        if decoded is None or decoded[0] != "Media":
            errors.append(_error("media_ids", ErrorCode.INVALID, f"{token[:64]}: not a media id"))
        else:
            ids.append(decoded[1])
    return ids


def _moment(value: str | None, errors: list[RowError]) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) < 16 or text[10] not in "Tt ":
            raise ValueError
        return datetime.fromisoformat(text)
    except ValueError:
        errors.append(
            _error(
                "at",
                ErrorCode.INVALID,
                f"{text[:40]!r} is not an ISO 8601 date and time (e.g. 2027-01-15T09:00)",
            )
        )
        return None


def _read(lookup: _Lookup, raw: RawRow) -> _Row:
    """A draft from the row's values; problems with the values themselves in `errors`."""
    errors: list[RowError] = []
    targets: list[TargetDraft] = []
    tokens: list[str] = []
    for token in raw.channels:
        found = _channel(lookup, token)
        if isinstance(found, RowError):
            errors.append(found)
        else:
            targets.append(TargetDraft(channel_id=found.id))
            tokens.append(token)
    at = _moment(raw.at, errors)
    timezone = raw.timezone.strip() if raw.timezone else lookup.workspace.timezone
    problems = Problems()
    check_timezone(problems, timezone)
    errors.extend(_error(p.field, p.code, p.message) for p in problems.items)
    draft = PostDraft(
        body=raw.body or "",
        title=raw.title,
        link=raw.link.strip() if raw.link else None,
        first_comment=raw.first_comment,
        media_ids=tuple(_media_ids(lookup, raw.media_ids, errors)),
        tags=raw.tags,
        targets=tuple(targets),
    )
    return _Row(raw, draft, at, None if problems.items else timezone, tokens, errors)


def _column(field_name: str | None) -> str | None:
    if field_name is None or field_name == "postId":
        return None
    if field_name in _COLUMNS:
        return _COLUMNS[field_name]
    if field_name == "targets" or field_name.startswith("targets."):
        return "media_ids" if field_name.endswith("mediaOverrideIds") else "channels"
    return field_name


def _from_problem(problem: Problem, tokens: list[str]) -> RowError:
    message = problem.message
    match = _TARGET_FIELD.match(problem.field or "")
    if match and int(match.group(1)) < len(tokens):
        message = f"{tokens[int(match.group(1))]}: {message}"
    return RowError(_column(problem.field), problem.code, message)


def _from_finding(finding: Finding) -> RowError:
    return RowError(
        _column(finding.field),
        ErrorCode.RULE_VIOLATED,
        finding.message,
        rule=finding.code,
        channel_id=finding.channel_id,
    )


async def _draft_findings(
    lookup: _Lookup, occupancy: Occupancy, draft: PostDraft, at: datetime | None
) -> list[Finding]:
    """What scheduling would refuse in a draft that cannot be saved, on the channels and
    media of the workspace it names (the others are already reported as not found)."""
    workspace_id = lookup.workspace.id
    wanted = [target for target in draft.targets if target.channel_id in lookup.channels]
    if not wanted:
        return []
    known = set(
        await Media.filter(
            workspace_id=workspace_id, id__in=list(draft.media_ids), uploaded_at__isnull=False
        ).values_list("id", flat=True)
    )
    post = Post(
        workspace_id=workspace_id,
        body=draft.body,
        title=draft.title,
        link=draft.link,
        first_comment=draft.first_comment,
        media_ids=[media_id for media_id in draft.media_ids if media_id in known],
        tags=list(draft.tags),
    )
    targets = [
        PostTarget(id=-(index + 1), workspace_id=workspace_id, channel_id=target.channel_id)
        for index, target in enumerate(wanted)
    ]
    report = await scheduling.validate(
        post, targets, {target.id: at for target in targets}, datetime.now(UTC), occupancy
    )
    return report.errors


async def _occupancy(lookup: _Lookup, rows: list[_Row], schedule: bool) -> Occupancy:
    """The workspace's calendars over every time the import may use, read once; each row
    scheduled is added, so later rows are checked against it too."""
    now = datetime.now(UTC)
    moments = [now] + [row.when for row in rows if row.when is not None]
    if schedule:  # queue slots lie within the queue's horizon
        moments.append(now + timedelta(days=scheduling.QUEUE_HORIZON_DAYS + 1))
    return await Occupancy.load(
        list(lookup.channels),
        min(moments) - DUPLICATE_WINDOW - timedelta(days=1),
        max(moments) + DUPLICATE_WINDOW + timedelta(days=1),
    )


async def _occupy(occupancy: Occupancy, post: Post) -> None:
    for channel_id, at, override in await PostTarget.filter(
        post_id=post.id, scheduled_at__isnull=False
    ).values_list("channel_id", "scheduled_at", "body_override"):
        occupancy.add(channel_id, at, override if override is not None else post.body)


async def _import_row(
    actor: Actor, lookup: _Lookup, occupancy: Occupancy, row: _Row, schedule: bool
) -> RowResult:
    raw = row.raw
    timed = raw.at is not None or schedule
    if not row.errors:
        stage = "create"
        try:
            async with unit_of_work():  # a savepoint: a bad row leaves nothing behind
                post = await posts.create_post(
                    actor, workspace_id=lookup.workspace.id, draft=row.draft
                )
                stage = "schedule"
                done: scheduling.Scheduled | None = None
                if row.at is not None:
                    done = await scheduling.schedule_post(
                        actor,
                        post_id=post.id,
                        at=row.at,
                        timezone=row.timezone,
                        occupancy=occupancy,
                    )
                elif schedule:
                    done = await scheduling.add_to_queue(
                        actor, post_id=post.id, occupancy=occupancy
                    )
        except scheduling.RulesViolated as violated:
            return RowResult(raw.index, [_from_finding(f) for f in violated.report.errors])
        except DomainError as error:
            errors = [_from_problem(problem, row.tokens) for problem in error.problems]
            if stage == "create" and timed:
                findings = await _draft_findings(lookup, occupancy, row.draft, row.when)
                errors += [_from_finding(f) for f in findings]
            return RowResult(raw.index, errors)
        if done is not None:
            await _occupy(occupancy, post)
        return RowResult(
            raw.index,
            [],
            post,
            scheduled=done is not None,
            warnings=done.report.warnings if done else [],
        )
    # The row cannot be saved: list what postCreate refuses, and what scheduling would.
    errors = list(row.errors)
    for problem in (await posts.draft_problems(lookup.workspace.id, row.draft)).items:
        if problem.field == "targets" and problem.code == ErrorCode.REQUIRED and raw.channels:
            continue  # its channels were all reported as not found already
        errors.append(_from_problem(problem, row.tokens))
    if timed and row.timezone is not None:
        findings = await _draft_findings(lookup, occupancy, row.draft, row.when)
        errors += [_from_finding(f) for f in findings]
    return RowResult(raw.index, errors)


async def import_posts(
    actor: Actor,
    *,
    workspace_id: int,
    data_format: ImportFormat,
    data: str,
    mode: ImportMode,
    schedule: bool,
    decode_id: IdDecoder,
) -> ImportReport:
    """Import every row of `data`. Malformed or oversized data raises ValidationFailed
    before anything is looked at; ALL_OR_NOTHING with a bad row raises ImportRefused (its
    report lists every problem), rolling back every row."""
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    raw_rows = parse(data_format, data)
    lookup = await _Lookup.load(actor, workspace, decode_id)
    rows = [_read(lookup, raw) for raw in raw_rows]
    occupancy = await _occupancy(lookup, rows, schedule)
    async with unit_of_work():  # nested in the mutation's: one rollback for ALL_OR_NOTHING
        results = [await _import_row(actor, lookup, occupancy, row, schedule) for row in rows]
        report = ImportReport(results, imported=True)
        if mode == ImportMode.ALL_OR_NOTHING and report.invalid:
            unwritten = [replace(row, post=None, scheduled=False) for row in results]
            raise ImportRefused(ImportReport(unwritten, imported=False))
    return report
