"""Video pins: Pinterest takes a video only through its media-upload flow
(v5/openapi.yaml `media/create`, `media/get`; docs/api-features/creating-boards-and-pins):

  POST /v5/media {"media_type": "video"}  → {"media_id", "upload_url", "upload_parameters"}
  POST <upload_url>  multipart form: every upload parameter, then the bytes as `file`
  GET  /v5/media/{media_id}               → status registered | processing | succeeded | failed

The pin then names the upload: media_source {"source_type": "video_id", "media_id"}.
Nothing here creates a pin, so every request is sent as non-publishing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from domain.platforms.base import MediaItem, Rejected, TransientBeforeSend
from domain.platforms.http_errors import raise_for_status, send

NETWORK = "Pinterest"


@dataclass(frozen=True)
class VideoPolicy:
    interval_s: float = 5.0
    max_polls: int = 30
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


async def upload_video(
    http: httpx.AsyncClient, api_base: str, token: str, video: MediaItem, policy: VideoPolicy
) -> str:
    """The media_id of a processed upload, ready for a pin."""
    data = await _download(http, video)
    auth = {"Authorization": f"Bearer {token}"}
    response = await send(
        http,
        "POST",
        f"{api_base}/media",
        network=NETWORK,
        publishing=False,
        json={"media_type": "video"},
        headers=auth,
    )
    registered = raise_for_status(response, network=NETWORK, publishing=False).json()
    parameters = registered.get("upload_parameters") or {}
    upload = await send(
        http,
        "POST",
        registered["upload_url"],
        network=f"{NETWORK} upload",
        publishing=False,
        data={key: str(value) for key, value in parameters.items()},
        files={"file": (video.url.rsplit("/", 1)[-1] or "video.mp4", data, video.mime_type)},
    )
    raise_for_status(upload, network=f"{NETWORK} upload", publishing=False)
    media_id = str(registered["media_id"])
    await _wait_until_processed(http, f"{api_base}/media/{media_id}", auth, policy)
    return media_id


async def _wait_until_processed(
    http: httpx.AsyncClient, url: str, auth: dict[str, str], policy: VideoPolicy
) -> None:
    for attempt in range(policy.max_polls):
        response = await send(http, "GET", url, network=NETWORK, publishing=False, headers=auth)
        status = raise_for_status(response, network=NETWORK, publishing=False).json().get("status")
        if status == "succeeded":
            return
        if status == "failed":
            raise Rejected(f"{NETWORK}: the video could not be processed")
        if attempt + 1 < policy.max_polls:
            await policy.sleep(policy.interval_s)
    raise TransientBeforeSend(f"{NETWORK}: the video is still processing; nothing was pinned")


async def _download(http: httpx.AsyncClient, media: MediaItem) -> bytes:
    response = await send(http, "GET", media.url, network=f"{NETWORK} media", publishing=False)
    raise_for_status(
        response,
        network=f"{NETWORK} media",
        publishing=False,
        message="the media file cannot be fetched",
    )
    return response.content
