"""Uploading a post's media to X before the post is created.

Images go up in one multipart `POST /2/media/upload`; videos and GIFs take the chunked
INIT → APPEND → FINALIZE flow and, when FINALIZE answers with `processing_info`, STATUS
polling until `succeeded` (docs.x.com/x-api/media/quickstart/media-upload-chunked). Alt text
is attached with `POST /2/media/metadata`.

Every call here is classified as non-publishing: an upload that timed out leaves at most an
orphaned media id that X discards after `expires_after_secs`, never a visible post, so the
whole publish can safely be retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

from domain.platforms.base import MediaItem, Rejected, TransientBeforeSend
from domain.platforms.http_errors import download_media, raise_for_status, send

NETWORK = "X"
CHUNK_BYTES = 4 * 1024 * 1024
# X's documented per-category limits.
MAX_BYTES = {"IMAGE": 5 * 1024 * 1024, "GIF": 15 * 1024 * 1024, "VIDEO": 512 * 1024 * 1024}
CATEGORY = {"IMAGE": "tweet_image", "GIF": "tweet_gif", "VIDEO": "tweet_video"}
# Media transfers move megabytes; the shared client's 20 s would cut large chunks short.
TRANSFER_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=120.0, pool=5.0)


class XMediaUploader:
    def __init__(
        self,
        client: httpx.AsyncClient,
        api_base: str,
        *,
        poll_interval_cap: float,
        processing_timeout: float,
    ):
        self._client = client
        self._url = f"{api_base}/2/media/upload"
        self._metadata_url = f"{api_base}/2/media/metadata"
        self._poll_interval_cap = poll_interval_cap
        self._processing_timeout = processing_timeout

    async def upload(self, headers: Mapping[str, str], item: MediaItem) -> str:
        """The media id to attach to a post."""
        kind = item.kind.upper()
        if kind not in CATEGORY:
            raise Rejected(f"{NETWORK}: media kind {item.kind} is not supported")
        content, served_type = await download_media(
            self._client,
            item.url,
            network=NETWORK,
            max_bytes=MAX_BYTES[kind],
            transfer_timeout=TRANSFER_TIMEOUT,
        )
        mime_type = item.mime_type or served_type or "application/octet-stream"
        if kind == "IMAGE":
            media_id = await self._simple(headers, content, mime_type)
        else:
            media_id = await self._chunked(headers, content, mime_type, CATEGORY[kind])
        if item.alt_text and kind != "VIDEO":
            await self._alt_text(headers, media_id, item.alt_text)
        return media_id

    async def _simple(self, headers: Mapping[str, str], content: bytes, mime_type: str) -> str:
        body = await self._post(
            headers,
            data={"media_category": CATEGORY["IMAGE"], "media_type": mime_type},
            files={"media": ("media", content, mime_type)},
        )
        return _media_id(body)

    async def _chunked(
        self, headers: Mapping[str, str], content: bytes, mime_type: str, category: str
    ) -> str:
        init = await self._post(
            headers,
            data={
                "command": "INIT",
                "media_type": mime_type,
                "total_bytes": str(len(content)),
                "media_category": category,
            },
        )
        media_id = _media_id(init)
        for index, start in enumerate(range(0, len(content), CHUNK_BYTES)):
            chunk = content[start : start + CHUNK_BYTES]
            await self._post(
                headers,
                data={"command": "APPEND", "media_id": media_id, "segment_index": str(index)},
                files={"media": ("chunk", chunk, "application/octet-stream")},
            )
        final = await self._post(headers, data={"command": "FINALIZE", "media_id": media_id})
        await self._wait_for_processing(headers, media_id, final)
        return media_id

    async def _wait_for_processing(
        self, headers: Mapping[str, str], media_id: str, answer: Mapping[str, Any]
    ) -> None:
        """Poll STATUS as long as X reports pending/in_progress, at X's suggested pace."""
        deadline = time.monotonic() + self._processing_timeout
        info = (answer.get("data") or {}).get("processing_info")
        while info:
            state = info.get("state")
            if state == "succeeded":
                return
            if state == "failed":
                error = info.get("error") or {}
                raise Rejected(f"{NETWORK}: media processing failed: {error.get('message', '')}")
            if time.monotonic() >= deadline:
                raise TransientBeforeSend(f"{NETWORK}: media still processing; retry later")
            await asyncio.sleep(
                min(float(info.get("check_after_secs", 1)), self._poll_interval_cap)
            )
            response = await send(
                self._client,
                "GET",
                self._url,
                network=NETWORK,
                publishing=False,
                headers=headers,
                params={"command": "STATUS", "media_id": media_id},
            )
            raise_for_status(response, network=NETWORK, publishing=False)
            info = (response.json().get("data") or {}).get("processing_info")

    async def _alt_text(self, headers: Mapping[str, str], media_id: str, alt_text: str) -> None:
        response = await send(
            self._client,
            "POST",
            self._metadata_url,
            network=NETWORK,
            publishing=False,
            headers=headers,
            json={"id": media_id, "metadata": {"alt_text": {"text": alt_text[:1000]}}},
        )
        raise_for_status(response, network=NETWORK, publishing=False)

    async def _post(self, headers: Mapping[str, str], **kwargs: Any) -> dict[str, Any]:
        response = await send(
            self._client,
            "POST",
            self._url,
            network=NETWORK,
            publishing=False,
            headers=headers,
            timeout=TRANSFER_TIMEOUT,
            **kwargs,
        )
        raise_for_status(response, network=NETWORK, publishing=False)
        return response.json() if response.content else {}


def _media_id(body: Mapping[str, Any]) -> str:
    data = body.get("data") or {}
    media_id = data.get("id") or body.get("media_id_string")
    if not media_id:
        raise TransientBeforeSend(f"{NETWORK}: media upload answered without a media id")
    return str(media_id)
