from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.platforms.base import (
    Ambiguous,
    AuthExpired,
    RateLimited,
    Rejected,
    TransientBeforeSend,
)
from domain.platforms.http_errors import (
    classify_exception,
    classify_response,
    download_media,
    error_message,
    parse_reset,
    reset_time,
    send,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REQUEST = httpx.Request("POST", "https://api.example.test/posts?access_token=secret")


@pytest.mark.parametrize(
    ("error", "publishing", "expected"),
    [
        (httpx.ConnectError("refused"), True, TransientBeforeSend),
        (httpx.ConnectTimeout("slow dns"), True, TransientBeforeSend),
        (httpx.PoolTimeout("pool"), True, TransientBeforeSend),
        (httpx.ReadTimeout("late"), True, Ambiguous),
        (httpx.WriteTimeout("half sent"), True, Ambiguous),
        (httpx.RemoteProtocolError("dropped"), True, Ambiguous),
        (httpx.ReadTimeout("late"), False, TransientBeforeSend),
        (httpx.RemoteProtocolError("dropped"), False, TransientBeforeSend),
    ],
)
def test_transport_failures_depend_on_whether_the_request_may_have_arrived(
    error, publishing, expected
):
    assert type(classify_exception(error, network="T", publishing=publishing)) is expected


@pytest.mark.parametrize(
    ("status", "publishing", "expected"),
    [
        (401, True, AuthExpired),
        (429, True, RateLimited),
        (400, True, Rejected),
        (403, True, Rejected),
        (422, False, Rejected),
        (408, True, TransientBeforeSend),
        (500, True, Ambiguous),
        (503, True, Ambiguous),
        (503, False, TransientBeforeSend),
    ],
)
def test_statuses_map_to_classes(status, publishing, expected):
    response = httpx.Response(status, json={"error": "nope"}, request=REQUEST)
    error = classify_response(response, network="T", publishing=publishing, now=NOW)
    assert type(error) is expected
    assert error.status == status
    assert "secret" not in str(error)


def test_success_is_not_an_error():
    assert classify_response(httpx.Response(201), network="T", publishing=True) is None


def test_network_specific_hints_override_the_status():
    response = httpx.Response(400, json={"error": "ExpiredToken"})
    assert isinstance(
        classify_response(response, network="T", publishing=True, auth_expired=True), AuthExpired
    )
    limited = classify_response(
        httpx.Response(200), network="T", publishing=False, retry_at=NOW + timedelta(hours=1)
    )
    assert isinstance(limited, RateLimited) and limited.retry_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, NOW + timedelta(seconds=120)),
        (
            {"x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp()))},
            NOW + timedelta(minutes=15),
        ),
        ({"X-RateLimit-Reset": "2026-03-01T12:05:00.000Z"}, NOW + timedelta(minutes=5)),
        (
            {"RateLimit-Reset": str(int((NOW + timedelta(hours=1)).timestamp()))},
            NOW + timedelta(hours=1),
        ),
        ({"Retry-After": "Sun, 01 Mar 2026 12:10:00 GMT"}, NOW + timedelta(minutes=10)),
        ({}, NOW + timedelta(seconds=60)),
        ({"x-rate-limit-reset": "garbage"}, NOW + timedelta(seconds=60)),
    ],
)
def test_reset_headers_of_every_flavour(headers, expected):
    assert reset_time(httpx.Headers(headers), now=NOW) == expected


def test_a_reset_in_the_past_means_now():
    assert reset_time({"retry-after": "1"}, now=NOW) == NOW + timedelta(seconds=1)
    assert parse_reset("1000000000", now=NOW) < NOW
    assert reset_time({"x-rate-limit-reset": "1000000000"}, now=NOW) == NOW


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"errors": [{"message": "Text too long"}], "detail": "One or more"}, "Text too long"),
        ({"title": "Forbidden", "detail": "duplicate content"}, "duplicate content"),
        ({"error": "Validation failed: Text can't be blank"}, "Validation failed"),
        ({"error": "RecordNotFound", "message": "Could not locate"}, "RecordNotFound: Could"),
        ({"error": {"message": "Invalid OAuth access token", "code": 190}}, "Invalid OAuth"),
        ({"message": "Too many requests", "status": 429}, "Too many requests"),
    ],
)
def test_error_messages_from_each_networks_body(body, expected):
    assert error_message(httpx.Response(400, json=body)).startswith(expected)


def test_non_json_error_bodies_fall_back_to_the_reason():
    assert error_message(httpx.Response(502, text="<html>Bad Gateway</html>")) == "Bad Gateway"


async def test_send_turns_transport_errors_into_provider_errors():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(TransientBeforeSend):
            await send(client, "POST", "https://x.test/p", network="T", publishing=True)


async def test_download_media_classifies_the_media_host_separately():
    def serve(request):
        return {
            "/ok.png": httpx.Response(200, content=b"png", headers={"content-type": "image/png"}),
            "/gone.png": httpx.Response(401),
            "/busy.png": httpx.Response(503),
        }[request.url.path]

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
        content, mime = await download_media(
            client, "https://m.test/ok.png", network="T", max_bytes=10
        )
        assert (content, mime) == (b"png", "image/png")
        with pytest.raises(Rejected):  # never AuthExpired: it is not the network's token
            await download_media(client, "https://m.test/gone.png", network="T", max_bytes=10)
        with pytest.raises(TransientBeforeSend):
            await download_media(client, "https://m.test/busy.png", network="T", max_bytes=10)
        with pytest.raises(Rejected, match="exceeds"):
            await download_media(client, "https://m.test/ok.png", network="T", max_bytes=2)
