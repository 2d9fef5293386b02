"""End to end: media bytes through real uvicorn processes — declared on one, uploaded to and
downloaded from the other, large and streamed bodies, and a body that runs over."""

from __future__ import annotations

import httpx

from tests.api.content.media_support import UPLOAD_CREATE, declaration, local, png
from tests.e2e.conftest import Server
from tests.e2e.test_server import mutate, register, workspace


async def declare(server: Server, owner: dict, workspace_id: str, data: bytes) -> dict:
    return await mutate(
        server,
        "mediaUploadCreate",
        UPLOAD_CREATE,
        declaration(workspace_id, data),
        token=owner["token"],
    )


async def test_a_large_file_uploads_streamed_to_another_process_and_downloads(servers):
    a, b = servers
    owner = await register(a)
    workspace_id = await workspace(a, owner)
    data = png() + bytes(range(256)) * 12_000  # ~3 MB, over the GraphQL body limit

    async def chunks():
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    declared = await declare(a, owner, workspace_id, data)
    async with httpx.AsyncClient(base_url=b.url, timeout=20) as client:
        put = await client.put(local(declared["uploadUrl"]), content=chunks())
        assert put.status_code == 200, put.text
        assert put.json()["media"]["uploaded"] is True
        download = await client.get(local(put.json()["media"]["url"]))
    assert download.status_code == 200
    assert download.headers["content-length"] == str(len(data))
    assert download.content == data


async def test_a_body_running_over_its_declared_size_is_cut_off(servers):
    a, b = servers
    owner = await register(a)
    workspace_id = await workspace(a, owner)
    data = png()
    declared = await declare(a, owner, workspace_id, data)

    async def endless():
        yield data
        for _ in range(200):  # 20 MB, if anyone read it all
            yield b"\x00" * 100_000

    async with httpx.AsyncClient(base_url=b.url, timeout=20) as client:
        try:
            response = await client.put(local(declared["uploadUrl"]), content=endless())
        except httpx.TransportError:
            response = None  # the server answered and closed while we were still sending
        if response is not None:
            assert response.status_code == 413
            assert response.json()["errors"][0]["code"] == "TOO_LARGE"
        # Nothing was kept: the right bytes still go through.
        retry = await client.put(local(declared["uploadUrl"]), content=data)
    assert retry.status_code == 200, retry.text
