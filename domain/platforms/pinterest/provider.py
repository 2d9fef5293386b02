"""Pinterest over API v5 (https://developers.pinterest.com/docs/api/v5/).

Endpoints used (api.pinterest.com/v5, `Authorization: Bearer`):
  POST /oauth/token            grant_type=refresh_token, HTTP Basic client auth  refresh_token
  GET  /user_account           id, username, business_name                       fetch_account
                               follower_count                        fetch_channel_metrics
  GET  /user_account/analytics daily PROFILE_VISIT                     fetch_channel_metrics
  GET  /boards                 the boards a channel can pin to                   list_boards
  POST /pins                   board_id, title (≤100), description (≤800), link (≤2048),
                               alt_text (≤500), note, media_source image_url |
                               multiple_image_urls (2-5 items) | video_id        publish
  POST /media, GET /media/{id} video uploads (pinterest/video.py)
  GET  /boards/{board_id}/pins the board's pins, page by page (bookmark)       find_published
  GET  /pins/analytics?pin_ids= up to 100 pins a call (beta: not every app has it)
  GET  /pins/{pin_id}/analytics  one pin, where the batch is refused           fetch_metrics
                               (metric types and their mapping: pinterest/analytics.py)
Checked against Pinterest's OpenAPI description (github.com/pinterest/api-description,
v5/openapi.yaml: PinCreate, Pin, PinAnalyticsResponse, OauthAccessTokenResponse*) and
docs/getting-started/set-up-authentication-and-authorization.

Credentials name the board in `extra["board_id"]`. Every pin carries Kelola's reference in
its private `note` (visible only to the owner and board collaborators), so after an
ambiguous failure `find_published` recognises its own pin exactly instead of guessing from
text. Pinterest has no API for comments, replies or mention search. A pin needs media:
one to five images, or one video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.http import get_http_client
from domain.platforms.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Capability,
    ChannelMetrics,
    Credentials,
    Interaction,
    MediaItem,
    OAuthEndpoints,
    Platform,
    PostMetrics,
    PublishedPost,
    PublishRequest,
    Rejected,
    TransientBeforeSend,
    Unsupported,
)
from domain.platforms.http_errors import raise_for_status, send
from domain.platforms.pinterest import analytics
from domain.platforms.pinterest.video import VideoPolicy, upload_video

NETWORK = "Pinterest"
logger = logging.getLogger(__name__)
SCOPES = ("boards:read", "pins:read", "pins:write", "user_accounts:read")
MAX_TITLE = 100
MAX_DESCRIPTION = 800
MAX_LINK = 2048
MAX_ALT_TEXT = 500
MAX_IMAGES = 5
FIND_PAGES = 4


class PinterestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KELOLA_PINTEREST_", extra="ignore")

    api_base: str = "https://api.pinterest.com/v5"
    authorize_url: str = "https://www.pinterest.com/oauth/"
    client_id: str = ""
    client_secret: str = ""
    # Apps created before 25 September 2025 must ask for continuous (rotating) refresh
    # tokens explicitly; newer apps get them anyway.
    continuous_refresh: bool = True
    video_poll_interval_s: float = Field(default=5.0, gt=0)
    video_max_polls: int = Field(default=30, ge=1)


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    privacy: str | None


class PinterestProvider:
    platform = Platform.PINTEREST
    capabilities = frozenset(
        {Capability.PUBLISH, Capability.FIND_POST, Capability.METRICS, Capability.REFRESH_TOKEN}
    )

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        settings: PinterestSettings | None = None,
        video: VideoPolicy | None = None,
    ):
        self.settings = settings or PinterestSettings()
        self._client = client
        self.video = video or VideoPolicy(
            self.settings.video_poll_interval_s, self.settings.video_max_polls
        )

    @property
    def http(self) -> httpx.AsyncClient:
        return self._client or get_http_client()

    def oauth_endpoints(self, connection: dict[str, Any]) -> OAuthEndpoints:
        """Pinterest's code flow authenticates the client with HTTP Basic at the token
        endpoint and documents no PKCE."""
        return OAuthEndpoints(
            authorize_url=self.settings.authorize_url,
            token_url=f"{self.settings.api_base.rstrip('/')}/oauth/token",
            scopes=SCOPES,
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret or None,
            token_endpoint_auth_method="client_secret_basic",
            uses_pkce=False,
        )

    async def fetch_account(self, credentials: Credentials) -> Account:
        body = await self._get("/user_account", credentials.access_token)
        username = body.get("username")
        return Account(
            str(body["id"]), body.get("business_name") or username or body["id"], username
        )

    async def fetch_channel_metrics(self, credentials: Credentials) -> ChannelMetrics:
        """follower_count of the user account, and PROFILE_VISIT of the latest reported day
        of its analytics (asked for all metric types: PROFILE_VISIT is answered but not
        among the documented filters). Refused analytics (not a business account, missing
        scope) leave profile_views None."""
        token = credentials.access_token
        account = await self._get("/user_account", token)
        try:
            report = await self._get(
                "/user_account/analytics", token, analytics.dates(analytics.PROFILE_VISIT_DAYS)
            )
        except Rejected as error:
            logger.info("pinterest: no user analytics: %s", error)
            report = {}
        return ChannelMetrics(
            followers=analytics.number(account.get("follower_count")),
            profile_views=analytics.latest_profile_visits(report),
        )

    async def list_boards(self, credentials: Credentials) -> list[Board]:
        """The boards a channel can be set to pin to (`extra["board_id"]`)."""
        boards, params = [], {"page_size": 100}
        for _ in range(FIND_PAGES):
            body = await self._get("/boards", credentials.access_token, params)
            boards += [
                Board(str(item["id"]), item.get("name") or str(item["id"]), item.get("privacy"))
                for item in body.get("items") or []
            ]
            if not body.get("bookmark"):
                break
            params = {"page_size": 100, "bookmark": body["bookmark"]}
        return boards

    async def publish(self, credentials: Credentials, request: PublishRequest) -> PublishedPost:
        body, video = _pin(_board(credentials), request)
        if video is not None:
            media_id = await upload_video(
                self.http, self._url(""), credentials.access_token, video, self.video
            )
            body["media_source"] = {
                "source_type": "video_id",
                "media_id": media_id,
                "cover_image_key_frame_time": 0,
            }
        response = await send(
            self.http,
            "POST",
            self._url("/pins"),
            network=NETWORK,
            publishing=True,
            json=body,
            headers=_auth(credentials.access_token),
        )
        raise_for_status(response, network=NETWORK, publishing=True)
        pin = _json(response, publishing=True)
        if not pin.get("id"):
            raise Ambiguous(f"{NETWORK}: the pin was created but Pinterest named no id")
        return _published(pin)

    async def find_published(
        self, credentials: Credentials, request: PublishRequest, since: datetime
    ) -> PublishedPost | None:
        board, token = _board(credentials), credentials.access_token
        params: dict[str, Any] = {"page_size": 100}
        for _ in range(FIND_PAGES):
            body = await self._get(f"/boards/{board}/pins", token, params)
            for pin in body.get("items") or []:
                created = _time(pin.get("created_at"))
                # Boards can be sorted by hand, so older pins may come first: skip, not stop.
                if (created is None or created >= since) and _is_ours(pin, request):
                    return _published(pin)
            if not body.get("bookmark"):
                return None
            params = {"page_size": 100, "bookmark": body["bookmark"]}
        return None

    async def fetch_metrics(
        self, credentials: Credentials, network_post_ids: list[str]
    ) -> list[PostMetrics]:
        """BULK_PINS pins a call where the app has the (beta) multi-pin analytics, else pin
        by pin. Pins deleted since are left out."""
        token = credentials.access_token
        params = {
            **analytics.dates(analytics.ANALYTICS_DAYS),
            "metric_types": f"{analytics.METRIC_TYPES},{analytics.VIDEO_METRIC_TYPES}",
            "app_types": "ALL",
        }
        wanted = list(dict.fromkeys(network_post_ids))
        reports: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), analytics.BULK_PINS):
            batch = wanted[start : start + analytics.BULK_PINS]
            found = await self._bulk_analytics(token, batch, params)
            if found is None:
                found = {}
                for pin_id in batch:
                    report = await self._pin_analytics(token, pin_id, params)
                    if report is not None:
                        found[pin_id] = report
            reports |= found
        return [
            analytics.pin_metrics(pin_id, reports[pin_id]) for pin_id in wanted if pin_id in reports
        ]

    async def fetch_interactions(
        self, credentials: Credentials, since: datetime
    ) -> list[Interaction]:
        raise Unsupported(self.platform, Capability.COMMENTS)

    async def reply(self, credentials: Credentials, in_reply_to: str, text: str) -> str:
        raise Unsupported(self.platform, Capability.REPLY)

    async def search_mentions(
        self, credentials: Credentials, terms: list[str], since: datetime
    ) -> list[Interaction]:
        raise Unsupported(self.platform, Capability.MENTIONS)

    async def refresh_token(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired(f"{NETWORK}: no refresh token; reconnect the channel")
        data = {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token}
        if self.settings.continuous_refresh:
            data["continuous_refresh"] = "true"
        response = await send(
            self.http,
            "POST",
            self._url("/oauth/token"),
            network=NETWORK,
            publishing=False,
            data=data,
            auth=httpx.BasicAuth(self.settings.client_id, self.settings.client_secret),
        )
        raise_for_status(
            response,
            network=NETWORK,
            publishing=False,
            auth_expired=response.status_code in (400, 401),
        )
        body = _json(response, publishing=False)
        expires_in = body.get("expires_in")
        return Credentials(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or credentials.refresh_token,
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in
            else None,
            extra=credentials.extra,
        )

    async def _bulk_analytics(
        self, token: str, pin_ids: list[str], params: dict[str, Any]
    ) -> dict[str, dict[str, Any]] | None:
        """Reports by pin from /pins/analytics, or None where it is refused: the endpoint is
        a beta not every app has, and a pin that is gone or not ours fails the whole call."""
        response = await send(
            self.http,
            "GET",
            self._url("/pins/analytics"),
            network=NETWORK,
            publishing=False,
            params={**params, "pin_ids": ",".join(pin_ids)},
            headers=_auth(token),
        )
        if analytics.bulk_refused(response):
            logger.info("pinterest: multi-pin analytics refused (%s)", response.status_code)
            return None
        raise_for_status(response, network=NETWORK, publishing=False)
        body = _json(response, publishing=False)
        return {
            str(pin_id): report.get("all") or {}
            for pin_id, report in body.items()
            if isinstance(report, dict)
        }

    async def _pin_analytics(
        self, token: str, pin_id: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """One pin's report; without the video metric types when Pinterest refuses them
        (they are documented for video pins), None for a pin that is gone."""
        for metric_types in (params["metric_types"], analytics.METRIC_TYPES):
            try:
                body = await self._get(
                    f"/pins/{pin_id}/analytics", token, {**params, "metric_types": metric_types}
                )
            except Rejected as error:
                if error.status == 404:
                    return None
                if error.status == 400 and metric_types != analytics.METRIC_TYPES:
                    continue
                raise
            return body.get("all") or {}
        return None

    async def _get(
        self, path: str, token: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await send(
            self.http,
            "GET",
            self._url(path),
            network=NETWORK,
            publishing=False,
            params=params,
            headers=_auth(token),
        )
        raise_for_status(response, network=NETWORK, publishing=False)
        return _json(response, publishing=False)

    def _url(self, path: str) -> str:
        return f"{self.settings.api_base.rstrip('/')}{path}"


def provider(client: httpx.AsyncClient | None = None) -> PinterestProvider:
    return PinterestProvider(client)


def _board(credentials: Credentials) -> str:
    board = credentials.extra.get("board_id")
    if not board:
        raise Rejected(f"{NETWORK}: the channel has no board to pin to; choose one")
    return str(board)


def _pin(board: str, request: PublishRequest) -> tuple[dict[str, Any], MediaItem | None]:
    """The PinCreate body, refusing locally what Pinterest's schema would refuse. A video
    still has to be uploaded before its media_source can be filled in, so it is returned
    alongside."""
    images = [item for item in request.media if item.kind in ("IMAGE", "GIF")]
    videos = [item for item in request.media if item.kind == "VIDEO"]
    if not (videos and len(request.media) == 1) and (
        not images or len(images) != len(request.media) or len(images) > MAX_IMAGES
    ):
        raise Rejected(f"{NETWORK}: a pin needs one to {MAX_IMAGES} images, or one video")
    alt_text = images[0].alt_text if images else videos[0].alt_text
    limits = [
        (request.title, MAX_TITLE, "title"),
        (request.text, MAX_DESCRIPTION, "description"),
        (request.link, MAX_LINK, "link"),
        (alt_text, MAX_ALT_TEXT, "alt text"),
    ]
    for value, limit, name in limits:
        if value and len(value) > limit:
            raise Rejected(f"{NETWORK}: the {name} is longer than {limit} characters")
    body: dict[str, Any] = {"board_id": board, "note": request.reference}
    optional = {
        "title": request.title,
        "description": request.text,
        "link": request.link,
        "alt_text": alt_text,
    }
    body.update({key: value for key, value in optional.items() if value})
    if videos:
        return body, videos[0]
    body["media_source"] = _image_source(images, request)
    return body, None


def _image_source(images: list[MediaItem], request: PublishRequest) -> dict[str, Any]:
    if len(images) == 1:
        return {"source_type": "image_url", "url": images[0].url}
    items = [
        {key: value for key, value in item.items() if value}
        for item in (
            {"url": image.url, "title": request.title, "link": request.link} for image in images
        )
    ]
    return {"source_type": "multiple_image_urls", "items": items}


def _is_ours(pin: dict[str, Any], request: PublishRequest) -> bool:
    if pin.get("note"):
        return pin["note"] == request.reference
    return (pin.get("description") or "") == request.text and pin.get("title") == request.title


def _published(pin: dict[str, Any]) -> PublishedPost:
    pin_id = str(pin["id"])
    return PublishedPost(
        pin_id,
        f"https://www.pinterest.com/pin/{pin_id}/",
        _time(pin.get("created_at")) or datetime.now(UTC),
    )


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(response: httpx.Response, *, publishing: bool) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if publishing:
        raise Ambiguous(f"{NETWORK}: unreadable answer to a publishing request")
    raise TransientBeforeSend(f"{NETWORK}: unreadable answer")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
