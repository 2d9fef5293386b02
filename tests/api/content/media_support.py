"""Shared documents and factories for the media tests: tiny real files and upload helpers."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx

from tests.helpers import GraphQLClient, Person

MEDIA_FIELDS = """
  id kind mimeType sizeBytes width height durationSeconds altText fileName uploaded uploadedAt
  url workspaceId
"""
UPLOAD_CREATE = f"""
mutation($input: MediaUploadCreateInput!) {{
  mediaUploadCreate(input: $input) {{
    media {{ {MEDIA_FIELDS} }} uploadUrl uploadUrlExpiresAt errors {{ field code message }}
  }}
}}"""
MEDIA_UPDATE = f"""
mutation($input: MediaUpdateInput!) {{
  mediaUpdate(input: $input) {{ media {{ {MEDIA_FIELDS} }} errors {{ field code message }} }}
}}"""
MEDIA_DELETE = """
mutation($input: MediaRefInput!) {
  mediaDelete(input: $input) { deletedMediaId errors { field code message } }
}"""
MEDIA_LIST = f"""
query($workspaceId: ID!, $first: Int, $after: String) {{
  media(workspaceId: $workspaceId, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {MEDIA_FIELDS} }} }}
  }}
}}"""
MEDIA_NODE = (
    f"query($id: ID!) {{ node(id: $id) {{ __typename ... on Media {{ {MEDIA_FIELDS} }} }} }}"
)


def png(width: int = 1, height: int = 1) -> bytes:
    """A real, valid PNG: a white image of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """The head of a JFIF file (SOI, APP0) and its end marker: what sniffing looks at."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def mp4() -> bytes:
    """An `ftyp` box of an MP4 file followed by an empty `mdat`."""
    ftyp = b"ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"mdat"


def declaration(workspace_id: str, data: bytes, **fields: Any) -> dict[str, Any]:
    return {
        "workspaceId": workspace_id,
        "kind": "IMAGE",
        "mimeType": "image/png",
        "sizeBytes": len(data),
        "width": 1,
        "height": 1,
        "altText": "A white pixel",
        "fileName": "pixel.png",
        **fields,
    }


def local(url: str) -> str:
    """The path and query of an absolute URL, for the in-process test client."""
    return httpx.URL(url).raw_path.decode()


async def declare(
    gql: GraphQLClient, owner: Person, workspace_id: str, data: bytes, **fields: Any
) -> dict[str, Any]:
    return await gql.mutate(
        "mediaUploadCreate",
        UPLOAD_CREATE,
        declaration(workspace_id, data, **fields),
        token=owner.token,
    )


async def uploaded(
    gql: GraphQLClient, owner: Person, workspace_id: str, data: bytes | None = None, **fields: Any
) -> dict[str, Any]:
    """Declare and PUT a file; the media as the API shows it afterwards."""
    data = data if data is not None else png()
    payload = await declare(gql, owner, workspace_id, data, **fields)
    response = await gql.http.put(local(payload["uploadUrl"]), content=data)
    assert response.status_code == 200, response.text
    body = await gql.data(MEDIA_NODE, {"id": payload["media"]["id"]}, token=owner.token)
    return body["node"]


def error_codes(response: httpx.Response) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]
