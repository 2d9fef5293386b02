"""Media: declaring uploads, PUTting bytes to signed URLs, multipart uploads, signed
downloads, alt text, deletion, listing and tenancy — all over HTTP."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from domain.content.models import Media
from domain.settings import get_settings
from domain.storage import get_storage, public_url, signed_url
from tests.api.content.media_support import (
    MEDIA_DELETE,
    MEDIA_LIST,
    MEDIA_NODE,
    MEDIA_UPDATE,
    UPLOAD_CREATE,
    declaration,
    declare,
    error_codes,
    jpeg,
    local,
    mp4,
    png,
    uploaded,
)
from tests.api.content.support import (
    POST_CANCEL,
    POST_CREATE,
    codes,
    content,
    create_post,
    later,
    pk,
    schedule,
    studio,
)
from tests.helpers import top_level_codes


@pytest.fixture(autouse=True)
def empty_media_root():
    """Files are not rows: each test starts with no stored file."""
    shutil.rmtree(get_settings().data_dir / "media", ignore_errors=True)


def stored_files() -> list[str]:
    root = get_settings().data_dir / "media"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def media_row(media_id: str) -> Media:
    return await Media.get(id=pk(media_id))


# Declaring and uploading through the signed URL


async def test_upload_through_the_signed_url_then_download_and_use_it(gql):
    owner, workspace_id, channels = await studio(gql)
    data = png(2, 3)
    payload = await declare(gql, owner, workspace_id, data, width=2, height=3)
    media = payload["media"]
    assert media["kind"] == "IMAGE" and media["mimeType"] == "image/png"
    assert media["sizeBytes"] == len(data) and (media["width"], media["height"]) == (2, 3)
    assert media["altText"] == "A white pixel" and media["fileName"] == "pixel.png"
    assert media["uploaded"] is False and media["url"] is None
    expires_at = datetime.fromisoformat(payload["uploadUrlExpiresAt"])
    assert timedelta(minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=1)
    assert "/uploads/" in payload["uploadUrl"] and "signature=" in payload["uploadUrl"]

    # Not uploaded yet: posts cannot use it.
    early = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {"workspaceId": workspace_id, "content": content(channels, mediaIds=[media["id"]])},
        token=owner.token,
        expect_errors=True,
    )
    assert codes(early) == ["NOT_FOUND"]

    response = await gql.http.put(
        local(payload["uploadUrl"]), content=data, headers={"content-type": "image/png"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["media"]["id"] == media["id"]
    assert response.json()["media"]["uploaded"] is True
    row = await media_row(media["id"])
    assert row.uploaded_at is not None
    assert await get_storage().read(row.storage_key) == data

    node = (await gql.data(MEDIA_NODE, {"id": media["id"]}, token=owner.token))["node"]
    assert node["__typename"] == "Media" and node["uploaded"] is True
    download = await gql.http.get(local(node["url"]))
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"

    post = await create_post(gql, owner.token, workspace_id, channels, mediaIds=[media["id"]])
    assert post["mediaIds"] == [media["id"]]

    # A file is uploaded once: what posts were checked against never changes.
    again = await gql.http.put(local(payload["uploadUrl"]), content=data)
    assert again.status_code == 409
    assert error_codes(again) == [("key", "ALREADY_EXISTS")]


async def test_a_file_over_the_graphql_body_limit_streams_through(gql):
    owner, workspace_id, _ = await studio(gql)
    data = png() + b"\x00" * (get_settings().max_body_bytes + 1)
    node = await uploaded(gql, owner, workspace_id, data)
    assert node["uploaded"] is True and node["sizeBytes"] == len(data)


async def test_videos_and_gifs_upload_with_their_own_types(gql):
    owner, workspace_id, _ = await studio(gql)
    video = await uploaded(
        gql,
        owner,
        workspace_id,
        mp4(),
        kind="VIDEO",
        mimeType="video/mp4",
        durationSeconds=12.5,
        fileName="clip.mp4",
    )
    assert (video["kind"], video["durationSeconds"], video["uploaded"]) == ("VIDEO", 12.5, True)
    gif = await uploaded(
        gql, owner, workspace_id, b"GIF89a" + b"\x01\x00" * 8, kind="GIF", mimeType="image/gif"
    )
    assert gif["kind"] == "GIF" and gif["uploaded"] is True


async def test_a_tampered_or_foreign_signature_is_refused(gql):
    owner, workspace_id, _ = await studio(gql)
    data = png()
    first = await declare(gql, owner, workspace_id, data)
    second = await declare(gql, owner, workspace_id, data)
    url = local(first["uploadUrl"])
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    other_key = local(second["uploadUrl"]).split("?")[0] + "?" + url.split("?")[1]
    for attempt in (forged, other_key, url.split("?")[0], url.replace("expires=", "expires=1")):
        response = await gql.http.put(attempt, content=data)
        assert response.status_code == 403, attempt
        assert error_codes(response) == [("signature", "TOKEN_INVALID")]
    # An upload URL does not download, nor a download URL upload.
    key = (await media_row(first["media"]["id"])).storage_key
    download_query = local(public_url(key)).split("?")[1]
    crossed = await gql.http.put(f"/uploads/{key}?{download_query}", content=data)
    assert crossed.status_code == 403
    assert stored_files() == []
    assert (await media_row(first["media"]["id"])).uploaded_at is None


async def test_an_expired_upload_url_is_refused(gql):
    owner, workspace_id, _ = await studio(gql)
    data = png()
    payload = await declare(gql, owner, workspace_id, data)
    key = (await media_row(payload["media"]["id"])).storage_key
    response = await gql.http.put(local(signed_url("uploads", key, -1)), content=data)
    assert response.status_code == 403
    assert error_codes(response) == [("expires", "TOKEN_EXPIRED")]
    assert stored_files() == []


async def test_a_body_of_another_size_is_refused_and_nothing_is_kept(gql):
    owner, workspace_id, _ = await studio(gql)
    data = png()
    payload = await declare(gql, owner, workspace_id, data)
    url = local(payload["uploadUrl"])

    bigger = await gql.http.put(url, content=data + b"\x00")
    assert bigger.status_code == 413
    assert error_codes(bigger) == [("Content-Length", "TOO_LARGE")]
    smaller = await gql.http.put(url, content=data[:-1])
    assert smaller.status_code == 400
    assert error_codes(smaller) == [("Content-Length", "SIZE_MISMATCH")]

    # Without a Content-Length (chunked), the body is counted while it streams.
    async def chunks(body: bytes):
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    streamed_big = await gql.http.put(url, content=chunks(data + b"\x00" * 100_000))
    assert streamed_big.status_code == 413
    assert error_codes(streamed_big) == [("body", "TOO_LARGE")]
    streamed_small = await gql.http.put(url, content=chunks(data[:-3]))
    assert streamed_small.status_code == 400
    assert error_codes(streamed_small) == [("body", "SIZE_MISMATCH")]
    assert stored_files() == []
    assert (await media_row(payload["media"]["id"])).uploaded_at is None

    # The URL still works for the right bytes.
    right = await gql.http.put(url, content=chunks(data))
    assert right.status_code == 200
    assert len(stored_files()) == 1


async def test_content_of_another_type_than_declared_is_refused(gql):
    owner, workspace_id, _ = await studio(gql)
    cases = [
        (png(), {"kind": "VIDEO", "mimeType": "video/mp4", "durationSeconds": 3.0}, "image/png"),
        (jpeg(), {}, "image/jpeg"),
        (b"%PDF-1.7\n" + b"\x00" * 20, {}, "not a JPEG, PNG"),
        (mp4(), {"kind": "VIDEO", "mimeType": "video/quicktime", "durationSeconds": 1.0}, "mp4"),
    ]
    for data, fields, found in cases:
        payload = await declare(gql, owner, workspace_id, data, **fields)
        response = await gql.http.put(local(payload["uploadUrl"]), content=data)
        assert response.status_code == 415, response.text
        assert error_codes(response) == [("body", "TYPE_MISMATCH")]
        assert found in response.json()["errors"][0]["message"]
    assert stored_files() == []
    assert await Media.filter(uploaded_at__isnull=False).count() == 0


async def test_every_problem_with_a_declaration_is_reported_and_nothing_is_created(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await gql.mutate(
        "mediaUploadCreate",
        UPLOAD_CREATE,
        {
            "workspaceId": workspace_id,
            "kind": "VIDEO",
            "mimeType": "image/png",
            "sizeBytes": 600 * 1024 * 1024,
            "width": 0,
            "height": -4,
            "altText": "x" * 1501,
        },
        token=owner.token,
        expect_errors=True,
    )
    assert payload["media"] is None and payload["uploadUrl"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("altText", "TOO_LONG"),
        ("durationSeconds", "REQUIRED"),
        ("height", "INVALID"),
        ("kind", "INVALID"),
        ("sizeBytes", "TOO_LARGE"),
        ("width", "INVALID"),
    ]
    others = [
        ({"mimeType": "image/bmp"}, [("mimeType", "INVALID")]),
        ({"sizeBytes": 0}, [("sizeBytes", "INVALID")]),
        ({"kind": "GIF"}, [("kind", "INVALID")]),
        ({"durationSeconds": 2.0}, [("durationSeconds", "INVALID")]),
        ({"width": 10, "height": None}, [("width", "INVALID")]),
        (
            {"kind": "VIDEO", "mimeType": "video/mp4", "durationSeconds": -1.0},
            [("durationSeconds", "INVALID")],
        ),
        ({"fileName": "n" * 256}, [("fileName", "TOO_LONG")]),
    ]
    for fields, expected in others:
        payload = await gql.mutate(
            "mediaUploadCreate",
            UPLOAD_CREATE,
            declaration(workspace_id, png(), **fields),
            token=owner.token,
            expect_errors=True,
        )
        assert sorted((e["field"], e["code"]) for e in payload["errors"]) == expected, fields
    assert await Media.all().count() == 0


# Downloads


async def test_a_download_url_with_a_bad_signature_is_refused(gql):
    owner, workspace_id, _ = await studio(gql)
    node = await uploaded(gql, owner, workspace_id)
    url = local(node["url"])
    assert (await gql.http.get(url)).status_code == 200
    forged = await gql.http.get(url[:-4] + ("0000" if not url.endswith("0000") else "1111"))
    assert forged.status_code == 403
    assert error_codes(forged) == [("signature", "TOKEN_INVALID")]
    key = (await media_row(node["id"])).storage_key
    expired = await gql.http.get(local(signed_url("media", key, -1)))
    assert expired.status_code == 403
    assert error_codes(expired) == [("expires", "TOKEN_EXPIRED")]
    upload_query = signed_url("uploads", key, 60).split("?")[1]
    upload_signature = await gql.http.get(f"/media/{key}?{upload_query}")
    assert upload_signature.status_code == 403
    # What the publisher hands networks works the same way.
    assert (await gql.http.get(local(public_url(key)))).content == png()


async def test_media_not_yet_uploaded_is_not_served(gql):
    owner, workspace_id, _ = await studio(gql)
    payload = await declare(gql, owner, workspace_id, png())
    key = (await media_row(payload["media"]["id"])).storage_key
    response = await gql.http.get(local(public_url(key)))
    assert response.status_code == 404
    assert error_codes(response) == [("key", "NOT_FOUND")]


# Alt text, deletion and listing


async def test_alt_text_is_updated_and_cleared(gql):
    owner, workspace_id, _ = await studio(gql)
    node = await uploaded(gql, owner, workspace_id)
    payload = await gql.mutate(
        "mediaUpdate",
        MEDIA_UPDATE,
        {"mediaId": node["id"], "altText": "  A white square on white  "},
        token=owner.token,
    )
    assert payload["media"]["altText"] == "A white square on white"
    refused = await gql.mutate(
        "mediaUpdate",
        MEDIA_UPDATE,
        {"mediaId": node["id"], "altText": "x" * 1501},
        token=owner.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("altText", "TOO_LONG")]
    assert (await media_row(node["id"])).alt_text == "A white square on white"
    cleared = await gql.mutate(
        "mediaUpdate", MEDIA_UPDATE, {"mediaId": node["id"], "altText": None}, token=owner.token
    )
    assert cleared["media"]["altText"] is None


async def test_delete_is_refused_while_a_scheduled_post_uses_the_media(gql):
    owner, workspace_id, channels = await studio(gql)
    node = await uploaded(gql, owner, workspace_id)
    key = (await media_row(node["id"])).storage_key
    post = await create_post(gql, owner.token, workspace_id, channels, mediaIds=[node["id"]])
    await schedule(gql, owner.token, post["id"], later(days=1))

    refused = await gql.mutate(
        "mediaDelete", MEDIA_DELETE, {"mediaId": node["id"]}, token=owner.token, expect_errors=True
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("mediaId", "IN_USE")]
    assert refused["deletedMediaId"] is None
    assert await Media.exists(id=pk(node["id"]))

    await gql.mutate("postCancel", POST_CANCEL, {"postId": post["id"]}, token=owner.token)
    deleted = await gql.mutate(
        "mediaDelete", MEDIA_DELETE, {"mediaId": node["id"]}, token=owner.token
    )
    assert deleted["deletedMediaId"] == node["id"]
    assert not await Media.exists(id=pk(node["id"]))
    assert await get_storage().read(key) is None


async def test_a_per_channel_override_counts_as_a_use(gql):
    owner, workspace_id, channels = await studio(gql)
    node = await uploaded(gql, owner, workspace_id)
    await gql.mutate(
        "postCreate",
        POST_CREATE,
        {
            "workspaceId": workspace_id,
            "content": {
                "body": "text",
                "targets": [{"channelId": channels[0], "mediaOverrideIds": [node["id"]]}],
            },
        },
        token=owner.token,
    )
    refused = await gql.mutate(
        "mediaDelete", MEDIA_DELETE, {"mediaId": node["id"]}, token=owner.token, expect_errors=True
    )
    assert codes(refused) == ["IN_USE"]


async def test_media_are_listed_page_by_page(gql):
    owner, workspace_id, _ = await studio(gql)
    ids = [(await declare(gql, owner, workspace_id, png()))["media"]["id"] for _ in range(3)]
    first = (
        await gql.data(MEDIA_LIST, {"workspaceId": workspace_id, "first": 2}, token=owner.token)
    )["media"]
    assert [edge["node"]["id"] for edge in first["edges"]] == ids[:2]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.data(
            MEDIA_LIST,
            {"workspaceId": workspace_id, "after": first["pageInfo"]["endCursor"]},
            token=owner.token,
        )
    )["media"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == ids[2:]


# Tenancy and roles


async def test_another_workspaces_media_looks_missing_everywhere(gql):
    owner, workspace_id, _ = await studio(gql)
    node = await uploaded(gql, owner, workspace_id)
    stranger, elsewhere, their_channels = await studio(gql)

    assert (await gql.data(MEDIA_NODE, {"id": node["id"]}, token=stranger.token))["node"] is None
    listing = await gql.execute(MEDIA_LIST, {"workspaceId": workspace_id}, token=stranger.token)
    assert top_level_codes(listing) == ["NOT_FOUND"]
    for name, document, variables in (
        ("mediaUpdate", MEDIA_UPDATE, {"mediaId": node["id"], "altText": "mine"}),
        ("mediaDelete", MEDIA_DELETE, {"mediaId": node["id"]}),
        ("mediaUploadCreate", UPLOAD_CREATE, declaration(workspace_id, png())),
    ):
        payload = await gql.mutate(
            name, document, variables, token=stranger.token, expect_errors=True
        )
        assert codes(payload) == ["NOT_FOUND"], name
    borrowed = await gql.mutate(
        "postCreate",
        POST_CREATE,
        {"workspaceId": elsewhere, "content": content(their_channels, mediaIds=[node["id"]])},
        token=stranger.token,
        expect_errors=True,
    )
    assert [(e["field"], e["code"]) for e in borrowed["errors"]] == [("mediaIds", "NOT_FOUND")]
    row = await media_row(node["id"])
    assert row.alt_text == "A white pixel"
    assert await Media.filter(workspace_id=pk(elsewhere)).count() == 0


async def test_an_analyst_cannot_upload(gql):
    owner, workspace_id, _ = await studio(gql)
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    body = await gql.execute(
        UPLOAD_CREATE,
        {"input": declaration(workspace_id, png())},
        token=analyst.person.token,
    )
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await Media.all().count() == 0


# Multipart: POST /uploads


def form(workspace_id: str, **fields: str) -> dict[str, str]:
    return {"workspaceId": workspace_id, "altText": "A white pixel", **fields}


async def test_multipart_upload_with_a_token_or_a_write_key(gql):
    owner, workspace_id, channels = await studio(gql)
    data = png(4, 4)
    response = await gql.http.post(
        "/uploads",
        data=form(workspace_id, width="4", height="4"),
        files={"file": ("square.png", data, "image/png")},
        headers={"authorization": f"Bearer {owner.token}"},
    )
    assert response.status_code == 201, response.text
    media = response.json()["media"]
    assert (media["kind"], media["mimeType"], media["sizeBytes"]) == (
        "IMAGE",
        "image/png",
        len(data),
    )
    node = (await gql.data(MEDIA_NODE, {"id": media["id"]}, token=owner.token))["node"]
    assert node["uploaded"] is True and node["fileName"] == "square.png"
    assert (node["width"], node["height"], node["altText"]) == (4, 4, "A white pixel")
    assert (await gql.http.get(local(node["url"]))).content == data
    await create_post(gql, owner.token, workspace_id, channels, mediaIds=[media["id"]])

    key = await gql.api_key(workspace_id, owner, ["WRITE"])
    # The type comes from the content when the part does not say.
    by_key = await gql.http.post(
        "/uploads",
        data={"workspaceId": workspace_id},
        files={"file": ("blob", jpeg(), "application/octet-stream")},
        headers={"authorization": f"Bearer {key}"},
    )
    assert by_key.status_code == 201, by_key.text
    assert by_key.json()["media"]["mimeType"] == "image/jpeg"


async def test_multipart_upload_is_refused_without_rights_or_with_bad_content(gql, monkeypatch):
    owner, workspace_id, _ = await studio(gql)
    stranger, elsewhere, _ = await studio(gql)
    read_key = await gql.api_key(workspace_id, owner, ["READ"])
    files = {"file": ("pixel.png", png(), "image/png")}

    anonymous = await gql.http.post("/uploads", data=form(workspace_id), files=files)
    assert anonymous.status_code == 401
    forged = await gql.http.post(
        "/uploads", data=form(workspace_id), files=files, headers={"authorization": "Bearer x.y.z"}
    )
    assert forged.status_code == 401
    reader = await gql.http.post(
        "/uploads",
        data=form(workspace_id),
        files=files,
        headers={"authorization": f"Bearer {read_key}"},
    )
    assert reader.status_code == 403
    foreign = await gql.http.post(
        "/uploads",
        data=form(workspace_id),
        files=files,
        headers={"authorization": f"Bearer {stranger.token}"},
    )
    assert foreign.status_code == 404
    assert error_codes(foreign) == [("workspaceId", "NOT_FOUND")]

    auth = {"authorization": f"Bearer {owner.token}"}
    mismatch = await gql.http.post(
        "/uploads",
        data=form(workspace_id, mimeType="video/mp4", kind="VIDEO", durationSeconds="2"),
        files=files,
        headers=auth,
    )
    assert mismatch.status_code == 415
    assert error_codes(mismatch) == [("body", "TYPE_MISMATCH")]
    bad_fields = await gql.http.post(
        "/uploads",
        data=form(workspace_id, width="wide", colour="red", altText="x" * 1501),
        files=files,
        headers=auth,
    )
    assert bad_fields.status_code == 400
    assert sorted(error_codes(bad_fields)) == [
        ("altText", "TOO_LONG"),
        ("colour", "INVALID"),
        ("width", "INVALID"),
    ]
    no_file = await gql.http.post(
        "/uploads", data=form(workspace_id), files={"other": ("a", b"b")}, headers=auth
    )
    assert no_file.status_code == 400
    not_multipart = await gql.http.post(
        "/uploads", json={"workspaceId": workspace_id}, headers=auth
    )
    assert not_multipart.status_code == 415

    monkeypatch.setattr(get_settings(), "media_multipart_max_bytes", 2000)
    too_big = await gql.http.post(
        "/uploads",
        data=form(workspace_id),
        files={"file": ("big.png", png() + b"\x00" * 5000, "image/png")},
        headers=auth,
    )
    assert too_big.status_code == 413
    assert await Media.all().count() == 0
    assert stored_files() == []


@pytest.mark.parametrize("scheme", ["GET", "POST", "DELETE"])
async def test_upload_routes_answer_only_their_methods(gql, scheme):
    response = await gql.http.request(scheme, "/uploads/ab/abc.png?expires=1&signature=x")
    assert response.status_code == 405
