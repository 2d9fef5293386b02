"""A fake Bluesky PDS (with the AppView queries it proxies) for the Bluesky adapter.

Faithful to the lexicons in bluesky-social/atproto: XRPC `{"error", "message"}` bodies,
ExpiredToken as a 400, RateLimit-* headers with an epoch reset, createRecord validating the
rkey as a TID and answering 500 when the key already holds a record (the PDS's current
behaviour), getRecord answering 400 RecordNotFound, createSession returning a DID document
whose #atproto_pds endpoint differs from the entryway. Failure modes as in the X fake.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.domain.platforms.fakes.transport import FailurePlan, Recorded
from tests.domain.platforms.fakes.x import MP4, PNG

PDS = "https://pds.bsky.test"
ME = {"did": "did:plc:kopi", "handle": "kopi.bsky.social", "displayName": "Kopi Kenangan"}
FAN = {"did": "did:plc:budi", "handle": "budi.bsky.social", "displayName": "Budi"}
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
POST = "app.bsky.feed.post"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
INVALID_POST = "Invalid app.bsky.feed.post record"


def jwt(subject: str, scope: str, lifetime: timedelta) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "scope": scope,
        "sub": subject,
        "iat": now,
        "exp": now + int(lifetime.total_seconds()),
    }
    claims["jti"] = hashlib.sha256(f"{subject}{time.time_ns()}".encode()).hexdigest()[:16]
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


def tid(at: datetime, clock: int = 0) -> str:
    value = (int(at.timestamp() * 1_000_000) << 10) | (clock & 0x3FF)
    return "".join(_ALPHABET[(value >> (5 * i)) & 0x1F] for i in reversed(range(13)))


def cid(data: Any) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


@dataclass
class BlueskyFakeState(FailurePlan):
    profiles: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            ME["did"]: {**ME, "followersCount": 3200, "followsCount": 10, "postsCount": 5},
            FAN["did"]: {**FAN, "followersCount": 77, "followsCount": 300, "postsCount": 50},
        }
    )
    app_passwords: dict[str, str] = field(default_factory=lambda: {ME["handle"]: APP_PASSWORD})
    access_tokens: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    records: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    _clock: itertools.count = field(default_factory=itertools.count)

    def session(self, did: str) -> dict[str, Any]:
        access = jwt(did, "com.atproto.appPass", timedelta(hours=2))
        refresh = jwt(did, "com.atproto.refresh", timedelta(days=90))
        self.access_tokens[access] = did
        self.refresh_tokens[refresh] = did
        profile = self.profiles[did]
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": profile["handle"],
            "did": did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "alsoKnownAs": [f"at://{profile['handle']}"],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": PDS,
                    }
                ],
            },
            "active": True,
        }

    def store(self, did: str, rkey: str, value: dict[str, Any]) -> dict[str, Any]:
        stored = {
            "uri": f"at://{did}/{POST}/{rkey}",
            "cid": cid(value),
            "value": value,
            "indexedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "counts": {"likeCount": 0, "repostCount": 0, "replyCount": 0, "quoteCount": 0},
        }
        self.records[(did, POST, rkey)] = stored
        self._notify(did, stored)
        return stored

    def add_post(self, author: dict[str, Any], text: str, **options: Any) -> dict[str, Any]:
        created = options.pop("created_at", datetime.now(UTC))
        value: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        if parent := options.pop("reply_to", None):
            ref = {"uri": parent["uri"], "cid": parent["cid"]}
            root = (parent["value"].get("reply") or {}).get("root") or ref
            value["reply"] = {"root": root, "parent": ref}
        stored = self.store(author["did"], tid(created, next(self._clock)), value)
        stored["indexedAt"] = value["createdAt"]
        for note in self.notifications:
            if note["uri"] == stored["uri"]:
                note["indexedAt"] = value["createdAt"]
        stored["counts"].update(options)
        return stored

    def _notify(self, author_did: str, stored: dict[str, Any]) -> None:
        if author_did == ME["did"]:
            return
        value = stored["value"]
        parent = ((value.get("reply") or {}).get("parent") or {}).get("uri", "")
        reason = None
        if parent.startswith(f"at://{ME['did']}/"):
            reason = "reply"
        elif f"@{ME['handle']}" in value.get("text", ""):
            reason = "mention"
        if reason:
            self.notifications.append(
                {
                    "uri": stored["uri"],
                    "cid": stored["cid"],
                    "author": _basic(self.profiles[author_did]),
                    "reason": reason,
                    "record": value,
                    "isRead": False,
                    "indexedAt": stored["indexedAt"],
                }
            )

    def own_posts(self) -> list[dict[str, Any]]:
        return [r for (did, _, _), r in self.records.items() if did == ME["did"]]


def _basic(profile: dict[str, Any]) -> dict[str, Any]:
    return {key: profile[key] for key in ("did", "handle", "displayName")}


def _error(status: int, name: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": name, "message": message}, status_code=status, headers=headers)


def _post_view(state: BlueskyFakeState, stored: dict[str, Any]) -> dict[str, Any]:
    did = stored["uri"].removeprefix("at://").split("/")[0]
    return {
        "uri": stored["uri"],
        "cid": stored["cid"],
        "author": _basic(state.profiles[did]),
        "record": stored["value"],
        "indexedAt": stored["indexedAt"],
        **stored["counts"],
    }


def create_app(state: BlueskyFakeState) -> Starlette:
    def by_uri(uri: str) -> dict[str, Any] | None:
        did, collection, rkey = uri.removeprefix("at://").split("/")
        return state.records.get((did, collection, rkey))

    async def create_session(request: Request, did: str | None, body: Any) -> Response:
        identifier = str((body or {}).get("identifier", "")).lower()
        handle = next(
            (p["handle"] for p in state.profiles.values() if identifier in (p["handle"], p["did"])),
            None,
        )
        if handle is None or state.app_passwords.get(handle) != body.get("password"):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return JSONResponse(
            state.session(next(d for d, p in state.profiles.items() if p["handle"] == handle))
        )

    async def refresh_session(request: Request, did: str | None, body: Any) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        owner = state.refresh_tokens.pop(token, None)
        if owner is None:
            return _error(400, "ExpiredToken", "Token has been revoked")
        session = state.session(owner)
        session.pop("didDoc")
        return JSONResponse(session)

    async def get_session(request: Request, did: str | None, body: Any) -> Response:
        profile = state.profiles[did]
        return JSONResponse({"handle": profile["handle"], "did": did, "active": True})

    async def get_profile(request: Request, did: str | None, body: Any) -> Response:
        actor = request.query_params.get("actor")
        profile = next(
            (p for p in state.profiles.values() if actor in (p["did"], p["handle"])), None
        )
        if profile is None:
            return _error(400, "InvalidRequest", "Profile not found")
        return JSONResponse(profile)

    async def get_profiles(request: Request, did: str | None, body: Any) -> Response:
        actors = request.query_params.getlist("actors")
        if len(actors) > 25:
            return _error(400, "InvalidRequest", "Input/actors must not have more than 25 elements")
        found = [p for p in state.profiles.values() if p["did"] in actors or p["handle"] in actors]
        return JSONResponse({"profiles": found})

    async def resolve_handle(request: Request, did: str | None, body: Any) -> Response:
        handle = request.query_params.get("handle", "").lower()
        found = next((p["did"] for p in state.profiles.values() if p["handle"] == handle), None)
        if found is None:
            return _error(400, "InvalidRequest", "Unable to resolve handle")
        return JSONResponse({"did": found})

    async def upload_blob(request: Request, did: str | None, body: Any) -> Response:
        content = await request.body()
        if not content:
            return _error(400, "InvalidRequest", "Request body is empty")
        link = cid(hashlib.sha256(content).hexdigest())
        blob = {
            "$type": "blob",
            "ref": {"$link": link},
            "mimeType": request.headers.get("content-type", "application/octet-stream"),
            "size": len(content),
        }
        state.blobs[link] = blob
        return JSONResponse({"blob": blob})

    def invalid_record(record: dict[str, Any]) -> str | None:
        text = str(record.get("text", ""))
        if record.get("$type") != POST or "createdAt" not in record:
            return f'{INVALID_POST}: Record must have the property "createdAt"'
        if len(text) > 300 or len(text.encode()) > 3000:
            return f"{INVALID_POST}: Record/text must not be longer than 300 graphemes"
        size = len(text.encode())
        for facet in record.get("facets") or ():
            index = facet["index"]
            if not 0 <= index["byteStart"] < index["byteEnd"] <= size:
                return f"{INVALID_POST}: facet index out of range"
        embed = record.get("embed") or {}
        video = embed.get("video") if embed.get("$type") == "app.bsky.embed.video" else None
        if video is not None and video["ref"]["$link"] not in state.blobs:
            return "Could not find blob"
        if embed.get("$type") == "app.bsky.embed.images":
            images = embed["images"]
            if len(images) > 4:
                return f"{INVALID_POST}: Record/embed/images must not have more than 4 elements"
            for image in images:
                if "alt" not in image or image["image"]["ref"]["$link"] not in state.blobs:
                    return "Could not find blob"
        for key in ("root", "parent"):
            ref = (record.get("reply") or {}).get(key)
            if ref is not None and by_uri(ref["uri"]) is None:
                return "Invalid reply reference"
        return None

    async def create_record(request: Request, did: str | None, body: Any) -> Response:
        body = body or {}
        if body.get("repo") not in (did, state.profiles[did]["handle"]):
            return _error(401, "AuthRequired", "Authentication Required")
        if body.get("collection") != POST:
            return _error(400, "InvalidRequest", "Unsupported collection in this fake")
        rkey = body.get("rkey")
        if rkey is None:
            rkey = tid(datetime.now(UTC), next(state._clock))
        if not _TID.match(rkey):
            return _error(400, "InvalidRequest", f"Invalid record key for {POST}: must be a tid")
        problem = invalid_record(body.get("record") or {})
        if problem:
            return _error(400, "InvalidRequest", problem)
        if (did, POST, rkey) in state.records:
            return _error(500, "InternalServerError", "Internal Server Error")
        stored = state.store(did, rkey, body["record"])
        return JSONResponse(
            {
                "uri": stored["uri"],
                "cid": stored["cid"],
                "commit": {"cid": cid(stored["uri"]), "rev": tid(datetime.now(UTC))},
                "validationStatus": "valid",
            }
        )

    async def get_record(request: Request, did: str | None, body: Any) -> Response:
        params = request.query_params
        repo = params.get("repo", "")
        owner = next((d for d, p in state.profiles.items() if repo in (d, p["handle"])), repo)
        stored = state.records.get((owner, params.get("collection", ""), params.get("rkey", "")))
        if stored is None:
            uri = f"at://{owner}/{params.get('collection')}/{params.get('rkey')}"
            return _error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return JSONResponse({"uri": stored["uri"], "cid": stored["cid"], "value": stored["value"]})

    async def get_posts(request: Request, did: str | None, body: Any) -> Response:
        uris = request.query_params.getlist("uris")
        if len(uris) > 25:
            return _error(400, "InvalidRequest", "Input/uris must not have more than 25 elements")
        found = [by_uri(uri) for uri in uris]
        return JSONResponse({"posts": [_post_view(state, s) for s in found if s is not None]})

    async def list_notifications(request: Request, did: str | None, body: Any) -> Response:
        reasons = request.query_params.getlist("reasons")
        limit = int(request.query_params.get("limit", "50"))
        offset = int(request.query_params.get("cursor", "0"))
        items = [n for n in state.notifications if not reasons or n["reason"] in reasons]
        items.sort(key=lambda n: n["indexedAt"], reverse=True)
        page = items[offset : offset + limit]
        answer: dict[str, Any] = {"notifications": page}
        if offset + limit < len(items):
            answer["cursor"] = str(offset + limit)
        return JSONResponse(answer)

    async def search_posts(request: Request, did: str | None, body: Any) -> Response:
        query = request.query_params.get("q", "").lower()
        since = request.query_params.get("since")
        posts = [
            _post_view(state, stored)
            for stored in state.records.values()
            if query in stored["value"].get("text", "").lower()
            and (not since or stored["indexedAt"] >= since)
        ]
        return JSONResponse({"posts": posts, "hitsTotal": len(posts)})

    methods: dict[str, tuple[str, Any, str]] = {
        "com.atproto.server.createSession": ("POST", create_session, "none"),
        "com.atproto.server.refreshSession": ("POST", refresh_session, "refresh"),
        "com.atproto.server.getSession": ("GET", get_session, "access"),
        "app.bsky.actor.getProfile": ("GET", get_profile, "access"),
        "app.bsky.actor.getProfiles": ("GET", get_profiles, "access"),
        "com.atproto.identity.resolveHandle": ("GET", resolve_handle, "none"),
        "com.atproto.repo.uploadBlob": ("POST", upload_blob, "access"),
        "com.atproto.repo.createRecord": ("POST", create_record, "access"),
        "com.atproto.repo.getRecord": ("GET", get_record, "none"),
        "app.bsky.feed.getPosts": ("GET", get_posts, "access"),
        "app.bsky.notification.listNotifications": ("GET", list_notifications, "access"),
        "app.bsky.feed.searchPosts": ("GET", search_posts, "access"),
    }

    async def xrpc(request: Request) -> Response:
        nsid = request.path_params["nsid"]
        if nsid not in methods:
            return _error(501, "MethodNotImplemented", "Method Not Implemented")
        verb, handler, auth = methods[nsid]
        if request.method != verb:
            return _error(400, "InvalidRequest", f"Incorrect HTTP method ({request.method})")
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(await request.body() or b"null")
        state.hosts.append(f"{request.url.hostname} {nsid}")
        state.requests.append(
            Recorded(request.method, nsid, dict(request.headers), dict(request.query_params), body)
        )
        mode = state.failure_for(request.method, nsid)
        if mode == "slow":
            await asyncio.sleep(state.slow_seconds)
        if mode == "expired":
            return _error(400, "ExpiredToken", "Token has expired")
        if mode == "rate_limit":
            return _error(
                429,
                "RateLimitExceeded",
                "Rate Limit Exceeded",
                **{
                    "RateLimit-Limit": "5000",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(int(time.time()) + 3600),
                    "RateLimit-Policy": "5000;w=3600",
                },
            )
        if mode == "server_error":
            return _error(500, "InternalServerError", "Internal Server Error")
        if mode == "invalid":
            return _error(400, "InvalidRequest", "Invalid app.bsky.feed.post record")
        did = None
        if auth == "access":
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            did = state.access_tokens.get(token)
            if did is None:
                return _error(401, "AuthMissing", "Authentication Required")
        response = await handler(request, did, body)
        if mode == "server_error_after":
            return _error(500, "InternalServerError", "Internal Server Error")
        if mode == "slow_after":
            await asyncio.sleep(state.slow_seconds)
        return response

    async def media_file(request: Request) -> Response:
        if request.path_params["name"].endswith(".mp4"):
            return Response(MP4, media_type="video/mp4")
        if request.path_params["name"].startswith("huge"):
            return Response(PNG + b"\x00" * 2_100_000, media_type="image/png")
        return Response(PNG, media_type="image/png")

    return Starlette(
        routes=[
            Route("/xrpc/{nsid}", xrpc, methods=["GET", "POST"]),
            Route("/media/{name}", media_file, methods=["GET"]),
        ]
    )
