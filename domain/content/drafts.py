"""What a member writes: the content of a post and where it should go."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PollDraft:
    options: tuple[str, ...]
    duration_minutes: int = 1440


@dataclass(frozen=True)
class TargetDraft:
    """One channel to post to, optionally with its own text or media for that network."""

    channel_id: int
    body_override: str | None = None
    media_override: tuple[int, ...] | None = None


@dataclass(frozen=True)
class PostDraft:
    body: str = ""
    title: str | None = None
    link: str | None = None
    first_comment: str | None = None
    poll: PollDraft | None = None
    media_ids: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    campaign_id: int | None = None
    targets: tuple[TargetDraft, ...] = field(default_factory=tuple)
