"""Uploading Kelola's media to LinkedIn before a post references it.

Images (https://learn.microsoft.com/linkedin/marketing/community-management/shares/images-api):
  POST /rest/images?action=initializeUpload {"initializeUploadRequest": {"owner"}}
       → {"value": {"uploadUrl", "uploadUrlExpiresAt", "image": "urn:li:image:..."}}
  PUT  <uploadUrl> with the bytes
Videos (.../shares/videos-api):
  POST /rest/videos?action=initializeUpload {"initializeUploadRequest": {"owner",
       "fileSizeBytes", "uploadCaptions", "uploadThumbnail"}}
       → {"value": {"video", "uploadToken", "uploadInstructions": [{"uploadUrl",
          "firstByte", "lastByte"}]}}
  PUT  each part, keeping its ETag
  POST /rest/videos?action=finalizeUpload {"finalizeUploadRequest": {"video",
       "uploadToken", "uploadedPartIds"}}

LinkedIn takes bytes, not URLs, so the media is first fetched from Kelola's public URL.
None of this publishes anything: an upload that fails or times out is simply redone, so
every request here is sent as non-publishing.
"""

from __future__ import annotations

from domain.platforms.base import MediaItem, TransientBeforeSend
from domain.platforms.http_errors import raise_for_status, send
from domain.platforms.linkedin.client import NETWORK, LinkedInClient, body_of


async def upload_image(client: LinkedInClient, token: str, owner: str, image: MediaItem) -> str:
    data = await _download(client, image)
    init = await client.call(
        "POST",
        "/rest/images",
        token,
        publishing=False,
        params={"action": "initializeUpload"},
        json={"initializeUploadRequest": {"owner": owner}},
    )
    value = _value(init)
    await _put(client, token, value["uploadUrl"], data, image.mime_type)
    return str(value["image"])


async def upload_video(client: LinkedInClient, token: str, owner: str, video: MediaItem) -> str:
    data = await _download(client, video)
    init = await client.call(
        "POST",
        "/rest/videos",
        token,
        publishing=False,
        params={"action": "initializeUpload"},
        json={
            "initializeUploadRequest": {
                "owner": owner,
                "fileSizeBytes": len(data),
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
        },
    )
    value = _value(init)
    etags = []
    for part in value.get("uploadInstructions") or []:
        chunk = data[int(part["firstByte"]) : int(part["lastByte"]) + 1]
        response = await _put(client, token, part["uploadUrl"], chunk, "application/octet-stream")
        etag = response.headers.get("etag")
        if not etag:
            raise TransientBeforeSend(f"{NETWORK}: a video part was stored without an ETag")
        etags.append(etag)
    await client.call(
        "POST",
        "/rest/videos",
        token,
        publishing=False,
        params={"action": "finalizeUpload"},
        json={
            "finalizeUploadRequest": {
                "video": value["video"],
                "uploadToken": value.get("uploadToken", ""),
                "uploadedPartIds": etags,
            }
        },
    )
    return str(value["video"])


async def _download(client: LinkedInClient, media: MediaItem) -> bytes:
    response = await send(
        client.http, "GET", media.url, network=f"{NETWORK} media", publishing=False
    )
    raise_for_status(
        response,
        network=f"{NETWORK} media",
        publishing=False,
        message="the media file cannot be fetched",
    )
    return response.content


async def _put(client: LinkedInClient, token: str, url: str, data: bytes, mime: str):
    response = await send(
        client.http,
        "PUT",
        url,
        network=NETWORK,
        publishing=False,
        content=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": mime},
    )
    return raise_for_status(response, network=NETWORK, publishing=False)


def _value(response) -> dict:
    value = body_of(response, publishing=False).get("value")
    if not isinstance(value, dict):
        raise TransientBeforeSend(f"{NETWORK}: upload could not be initialised")
    return value
