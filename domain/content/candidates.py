"""Turning stored posts and targets into what each network would receive."""

from __future__ import annotations

from datetime import datetime

from domain.channels.models import Channel
from domain.content.models import Media, Post, PostTarget
from domain.content.validation import Candidate


async def candidates_for(
    post: Post, targets: list[PostTarget], at: dict[int, datetime | None]
) -> list[Candidate]:
    """One query for the channels and one for the media, whatever the number of targets."""
    channels = {
        channel.id: channel
        for channel in await Channel.filter(
            workspace_id=post.workspace_id, id__in=[target.channel_id for target in targets]
        )
    }
    wanted: set[int] = set(post.media_ids)
    for target in targets:
        wanted |= set(target.media_override or ())
    own_media = Media.filter(workspace_id=post.workspace_id, id__in=list(wanted))
    media = {item.id: item for item in await own_media} if wanted else {}
    return [
        Candidate(
            channel=channels[target.channel_id],
            text=target.body_override if target.body_override is not None else post.body,
            media=[
                media[media_id]
                for media_id in (
                    target.media_override if target.media_override is not None else post.media_ids
                )
                if media_id in media
            ],
            at=at.get(target.id),
            target_id=target.id,
        )
        for target in targets
    ]
