"""Uploading a status's media to a Mastodon instance.

`POST /api/v2/media` (multipart `file`, `description` for alt text) answers 200 with the
attachment when it was processed synchronously, or 202 with `url: null` while the instance
processes it in the background; `GET /api/v1/media/:id` then answers 206 Partial Content
until processing ends and 200 after (docs.joinmastodon.org/methods/media). A status may only
reference processed attachments.

Uploads are classified as non-publishing: a lost answer leaves an unattached media record
the instance cleans up, never a visible post.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import httpx

from domain.platforms.base import MediaItem, Rejected, TransientBeforeSend
from domain.platforms.http_errors import download_media, raise_for_status, send

NETWORK = "MASTODON"
# Mastodon's default limits (instances may lower them; the instance then answers 422).
MAX_BYTES = {"IMAGE": 16 * 1024 * 1024, "GIF": 99 * 1024 * 1024, "VIDEO": 99 * 1024 * 1024}
TRANSFER_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=120.0, pool=5.0)


class MastodonMediaUploader:
    def __init__(
        self,
        client: httpx.AsyncClient,
        instance_url: str,
        *,
        poll_interval: float,
        processing_timeout: float,
    ):
        self._client = client
        self._instance = instance_url
        self._poll_interval = poll_interval
        self._processing_timeout = processing_timeout

    async def upload(self, headers: Mapping[str, str], item: MediaItem) -> str:
        """The attachment id, once the instance has processed the file."""
        kind = item.kind.upper()
        if kind not in MAX_BYTES:
            raise Rejected(f"{NETWORK}: media kind {item.kind} is not supported")
        content, served_type = await download_media(
            self._client,
            item.url,
            network=NETWORK,
            max_bytes=MAX_BYTES[kind],
            transfer_timeout=TRANSFER_TIMEOUT,
        )
        mime_type = item.mime_type or served_type or "application/octet-stream"
        data = {"description": item.alt_text} if item.alt_text else {}
        response = await send(
            self._client,
            "POST",
            f"{self._instance}/api/v2/media",
            network=NETWORK,
            publishing=False,
            headers=headers,
            data=data,
            files={"file": (_filename(item.url), content, mime_type)},
            timeout=TRANSFER_TIMEOUT,
        )
        raise_for_status(response, network=NETWORK, publishing=False)
        attachment = response.json()
        if response.status_code == 202 or attachment.get("url") is None:
            await self._wait_until_processed(headers, str(attachment["id"]))
        return str(attachment["id"])

    async def _wait_until_processed(self, headers: Mapping[str, str], media_id: str) -> None:
        deadline = time.monotonic() + self._processing_timeout
        while True:
            response = await send(
                self._client,
                "GET",
                f"{self._instance}/api/v1/media/{media_id}",
                network=NETWORK,
                publishing=False,
                headers=headers,
            )
            raise_for_status(response, network=NETWORK, publishing=False)
            if response.status_code == 200 and response.json().get("url"):
                return
            if time.monotonic() >= deadline:
                raise TransientBeforeSend(f"{NETWORK}: media still processing; retry later")
            await asyncio.sleep(self._poll_interval)


def _filename(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0] or "media"
