"""Per-network content rules, as data. Figures from each network's published limits.

Instagram's hashtag limit is changing (it was 30, the network now recommends few): it lives
here as data, like every other figure, so changing it is a one-line edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.content.models import MediaKind
from domain.platforms.base import Platform

MB = 1024 * 1024


@dataclass(frozen=True)
class MediaRules:
    max_items: int
    kinds: frozenset[MediaKind]
    max_videos: int = 1
    mix_images_and_video: bool = False
    max_image_bytes: int = 5 * MB
    max_video_bytes: int = 512 * MB
    max_video_seconds: float = 140.0
    image_mime_types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/webp"})
    video_mime_types: frozenset[str] = frozenset({"video/mp4", "video/quicktime"})


@dataclass(frozen=True)
class PlatformRules:
    text_limit: int
    counting: str  # "chars", "x_weighted" (URLs count 23), "graphemes"
    media: MediaRules
    media_required: bool = False
    max_hashtags: int | None = None
    max_mentions: int | None = None
    title_limit: int | None = None
    link_limit: int | None = None
    links_clickable: bool = True
    supports_poll: bool = False
    supports_first_comment: bool = True


_IMAGES = frozenset({MediaKind.IMAGE, MediaKind.GIF})
_ALL = frozenset(MediaKind)

RULES: dict[Platform, PlatformRules] = {
    Platform.X: PlatformRules(
        text_limit=280,
        counting="x_weighted",
        media=MediaRules(max_items=4, kinds=_ALL, max_video_seconds=140, max_image_bytes=5 * MB),
        max_mentions=50,
        supports_poll=True,
    ),
    Platform.LINKEDIN: PlatformRules(
        text_limit=3000,
        counting="chars",
        media=MediaRules(
            max_items=20, kinds=_ALL, max_video_seconds=600, max_video_bytes=5 * 1024 * MB
        ),
        supports_poll=True,
    ),
    Platform.INSTAGRAM: PlatformRules(
        text_limit=2200,
        counting="chars",
        media=MediaRules(
            max_items=10,
            kinds=frozenset({MediaKind.IMAGE, MediaKind.VIDEO}),
            max_videos=10,
            mix_images_and_video=True,
            max_image_bytes=8 * MB,
            max_video_bytes=300 * MB,
            max_video_seconds=900,
            image_mime_types=frozenset({"image/jpeg"}),
        ),
        media_required=True,
        max_hashtags=30,
        max_mentions=20,
        links_clickable=False,
    ),
    Platform.FACEBOOK: PlatformRules(
        text_limit=63206,
        counting="chars",
        media=MediaRules(
            max_items=10,
            kinds=_ALL,
            max_image_bytes=10 * MB,
            max_video_bytes=1024 * MB,
            max_video_seconds=14400,
        ),
    ),
    Platform.PINTEREST: PlatformRules(
        text_limit=500,
        counting="chars",
        media=MediaRules(
            max_items=5,
            kinds=frozenset({MediaKind.IMAGE, MediaKind.VIDEO}),
            max_image_bytes=20 * MB,
            max_video_bytes=2 * 1024 * MB,
            max_video_seconds=900,
        ),
        media_required=True,
        title_limit=100,
        link_limit=2048,
        supports_first_comment=False,
    ),
    Platform.MASTODON: PlatformRules(
        text_limit=500,
        counting="chars",
        media=MediaRules(
            max_items=4,
            kinds=_ALL,
            max_image_bytes=16 * MB,
            max_video_bytes=99 * MB,
            max_video_seconds=3600,
        ),
        supports_poll=True,
    ),
    Platform.BLUESKY: PlatformRules(
        text_limit=300,
        counting="graphemes",
        media=MediaRules(
            max_items=4,
            kinds=_IMAGES | {MediaKind.VIDEO},
            max_image_bytes=1 * MB,
            max_video_bytes=100 * MB,
            max_video_seconds=180,
        ),
    ),
    Platform.SANDBOX: PlatformRules(
        text_limit=1000,
        counting="chars",
        media=MediaRules(max_items=10, kinds=_ALL, max_videos=10, mix_images_and_video=True),
        max_hashtags=30,
        supports_poll=True,
    ),
}
