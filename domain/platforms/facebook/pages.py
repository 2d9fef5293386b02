"""The Pages a Facebook Login user manages, with their Page access tokens.

After the code exchange Kelola holds a short-lived user token (about an hour). Exchanged
for a long-lived one first, it yields Page tokens without an expiry
(https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived),
which is why neither Facebook nor Instagram channels ever need a refresh.
`GET /me/accounts` lists the Pages with their tokens, their tasks and the Instagram
business account linked to each (https://developers.facebook.com/docs/pages-api/getting-started).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.platforms.base import Credentials
from domain.platforms.facebook.graph import GraphClient

ACCOUNT_FIELDS = "id,name,username,access_token,tasks,instagram_business_account{id,username,name}"
PUBLISHING_TASK = "CREATE_CONTENT"


@dataclass(frozen=True)
class ManagedPage:
    id: str
    name: str
    username: str | None
    access_token: str
    tasks: tuple[str, ...]
    instagram: dict[str, str] | None

    @property
    def can_publish(self) -> bool:
        return not self.tasks or PUBLISHING_TASK in self.tasks


async def managed_pages(graph: GraphClient, user_credentials: Credentials) -> list[ManagedPage]:
    exchanged = await graph.exchange_token(user_credentials.access_token)
    user_token = exchanged.get("access_token") or user_credentials.access_token
    pages = []
    async for item in graph.paginate(
        "me/accounts", user_token, {"fields": ACCOUNT_FIELDS, "limit": 100}, owner=None
    ):
        if not item.get("id") or not item.get("access_token"):
            continue
        instagram = item.get("instagram_business_account")
        pages.append(
            ManagedPage(
                id=str(item["id"]),
                name=item.get("name") or str(item["id"]),
                username=item.get("username"),
                access_token=item["access_token"],
                tasks=tuple(item.get("tasks") or ()),
                instagram=instagram
                if isinstance(instagram, dict) and instagram.get("id")
                else None,
            )
        )
    return pages
