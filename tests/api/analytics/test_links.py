"""Tracked links through GraphQL over HTTP: UTM parameters, validation, tenancy, no N+1.

The factories at the top are shared by the other analytics API tests (imported by name)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from api.ids import to_global_id
from domain.analytics.models import TrackedLink
from tests.api.content.support import create_post, pk, studio
from tests.api.strategy.test_campaigns import campaign
from tests.helpers import top_level_codes

LINK_FIELDS = """
  id code shortUrl originalUrl destination clicks createdAt workspaceId targetId
  post { id } channel { id platform } campaign { id name } conversions
"""
LINK_CREATE = f"""
mutation($input: LinkCreateInput!) {{
  linkCreate(input: $input) {{ link {{ {LINK_FIELDS} }} errors {{ field code message }} }}
}}"""
LINKS = f"""
query($workspaceId: ID!, $postId: ID, $first: Int, $after: String) {{
  links(workspaceId: $workspaceId, postId: $postId, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {LINK_FIELDS} }} }}
  }}
}}"""


async def create_link(gql, token, workspace_id, url="https://kopi.example/menu", **fields):
    payload = await gql.mutate(
        "linkCreate", LINK_CREATE, {"workspaceId": workspace_id, "url": url, **fields}, token=token
    )
    return payload["link"]


async def link_create_errors(gql, token, workspace_id, **fields):
    payload = await gql.mutate(
        "linkCreate",
        LINK_CREATE,
        {"workspaceId": workspace_id, "url": "https://kopi.example", **fields},
        token=token,
        expect_errors=True,
    )
    assert payload["link"] is None
    return sorted((error["field"], error["code"]) for error in payload["errors"])


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


# linkCreate


async def test_a_bare_link_gets_default_utm_parameters(gql):
    owner, workspace_id, _ = await studio(gql)
    link = await create_link(gql, owner.token, workspace_id, "https://kopi.example/menu")
    assert len(link["code"]) == 8 and link["code"].isalnum()
    assert link["shortUrl"] == f"http://127.0.0.1:8000/l/{link['code']}"
    assert link["originalUrl"] == "https://kopi.example/menu"
    assert link["destination"] == (
        "https://kopi.example/menu?utm_source=kelola&utm_medium=social&utm_campaign=kelola"
    )
    assert link["clicks"] == 0 and link["conversions"] == 0
    assert link["post"] is None and link["channel"] is None and link["campaign"] is None
    assert link["workspaceId"] == workspace_id and link["targetId"] is None


async def test_post_channel_and_campaign_shape_the_utm_parameters(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    launch = await campaign(gql, owner.token, workspace_id, "Ramadan Sale 2027!")
    post = await create_post(gql, owner.token, workspace_id, [channel], campaignId=launch["id"])
    link = await create_link(
        gql,
        owner.token,
        workspace_id,
        "https://kopi.example/menu?ref=bio&b=%20x#beans",
        postId=post["id"],
        channelId=channel,
    )
    destination = link["destination"]
    # The user's query is kept byte for byte, the fragment stays last.
    assert destination.startswith("https://kopi.example/menu?ref=bio&b=%20x&")
    assert destination.endswith("#beans")
    assert query_of(destination) == [
        ("ref", "bio"),
        ("b", " x"),
        ("utm_source", "sandbox"),
        ("utm_medium", "social"),
        ("utm_campaign", "ramadan-sale-2027"),
        ("utm_content", f"post-{pk(post['id'])}"),
    ]
    assert link["post"] == {"id": post["id"]}
    assert link["channel"] == {"id": channel, "platform": "SANDBOX"}
    # The post's campaign is used when none is given.
    assert link["campaign"] == {"id": launch["id"], "name": "Ramadan Sale 2027!"}


async def test_utm_parameters_already_in_the_url_are_never_overridden(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    link = await create_link(
        gql,
        owner.token,
        workspace_id,
        "https://kopi.example/?UTM_Source=newsletter&utm_campaign=",
        channelId=channel,
    )
    assert query_of(link["destination"]) == [
        ("UTM_Source", "newsletter"),
        ("utm_campaign", ""),
        ("utm_medium", "social"),
    ]


async def test_every_problem_is_reported_and_nothing_written(gql):
    owner, workspace_id, _ = await studio(gql)
    too_long = "https://kopi.example/" + "a" * 2048
    cases = {
        "ftp://kopi.example/file": [("url", "INVALID")],
        "https://": [("url", "INVALID")],
        "kopi.example/menu": [("url", "INVALID")],
        "https://kopi.example/a b": [("url", "INVALID")],
        "https://kopi.example:99999/": [("url", "INVALID")],
        "": [("url", "REQUIRED")],
        too_long: [("url", "TOO_LONG")],
    }
    for url, expected in cases.items():
        assert await link_create_errors(gql, owner.token, workspace_id, url=url) == expected, url
    both = await link_create_errors(
        gql,
        owner.token,
        workspace_id,
        url="mailto:a@b.c",
        postId="not-an-id",
        channelId=to_global_id("Channel", 999999),
    )
    assert both == [("channelId", "NOT_FOUND"), ("postId", "INVALID"), ("url", "INVALID")]
    missing = await link_create_errors(
        gql,
        owner.token,
        workspace_id,
        url="nope",
        postId=to_global_id("Post", 999999),
        channelId=to_global_id("Channel", 999999),
        campaignId=to_global_id("Campaign", 999999),
    )
    assert missing == [
        ("campaignId", "NOT_FOUND"),
        ("channelId", "NOT_FOUND"),
        ("postId", "NOT_FOUND"),
        ("url", "INVALID"),
    ]
    assert await TrackedLink.all().count() == 0


async def test_another_workspaces_post_channel_and_campaign_look_missing(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    theirs_campaign = await campaign(gql, owner.token, workspace_id, "Theirs")
    theirs_post = await create_post(gql, owner.token, workspace_id, [channel])
    stranger, stranger_workspace, _ = await studio(gql)
    foreign = await link_create_errors(
        gql,
        stranger.token,
        stranger_workspace,
        postId=theirs_post["id"],
        channelId=channel,
        campaignId=theirs_campaign["id"],
    )
    missing = await link_create_errors(
        gql,
        stranger.token,
        stranger_workspace,
        postId=to_global_id("Post", pk(theirs_post["id"]) + 1000),
        channelId=to_global_id("Channel", pk(channel) + 1000),
        campaignId=to_global_id("Campaign", pk(theirs_campaign["id"]) + 1000),
    )
    assert (
        foreign
        == missing
        == [
            ("campaignId", "NOT_FOUND"),
            ("channelId", "NOT_FOUND"),
            ("postId", "NOT_FOUND"),
        ]
    )
    # Their workspace itself: NOT_FOUND too.
    into_theirs = await link_create_errors(gql, stranger.token, workspace_id)
    assert into_theirs == [("workspaceId", "NOT_FOUND")]
    assert await TrackedLink.all().count() == 0


async def test_who_may_create_and_read_links(gql):
    owner, workspace_id, _ = await studio(gql)
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    editor = await gql.join(workspace_id, owner, "EDITOR")
    refused = await gql.execute(
        LINK_CREATE,
        {"input": {"workspaceId": workspace_id, "url": "https://kopi.example"}},
        token=analyst.person.token,
    )
    assert top_level_codes(refused) == ["FORBIDDEN"]
    writer_key = await gql.api_key(workspace_id, owner, ["WRITE"])
    await create_link(gql, writer_key, workspace_id)
    await create_link(gql, editor.person.token, workspace_id)
    listed = await gql.data(LINKS, {"workspaceId": workspace_id}, token=analyst.person.token)
    assert listed["links"]["totalCount"] == 2
    # WRITE alone does not read analytics.
    unreadable = await gql.execute(LINKS, {"workspaceId": workspace_id}, token=writer_key)
    assert top_level_codes(unreadable) == ["FORBIDDEN"]
    anonymous = await gql.execute(LINKS, {"workspaceId": workspace_id})
    assert top_level_codes(anonymous) == ["UNAUTHENTICATED"]


# links


async def test_links_are_paged_and_filtered_by_post(gql):
    owner, workspace_id, (channel,) = await studio(gql)
    post = await create_post(gql, owner.token, workspace_id, [channel])
    other = await create_post(gql, owner.token, workspace_id, [channel], "Another")
    for n in range(3):
        await create_link(
            gql, owner.token, workspace_id, f"https://k.example/{n}", postId=post["id"]
        )
    await create_link(gql, owner.token, workspace_id, "https://k.example/x", postId=other["id"])
    await create_link(gql, owner.token, workspace_id, "https://k.example/none")
    page = await gql.data(
        LINKS, {"workspaceId": workspace_id, "postId": post["id"], "first": 2}, token=owner.token
    )
    links = page["links"]
    assert links["totalCount"] == 3 and links["pageInfo"]["hasNextPage"] is True
    rest = await gql.data(
        LINKS,
        {
            "workspaceId": workspace_id,
            "postId": post["id"],
            "after": links["pageInfo"]["endCursor"],
        },
        token=owner.token,
    )
    urls = [edge["node"]["originalUrl"] for edge in links["edges"] + rest["links"]["edges"]]
    assert urls == ["https://k.example/0", "https://k.example/1", "https://k.example/2"]
    everything = await gql.data(LINKS, {"workspaceId": workspace_id}, token=owner.token)
    assert everything["links"]["totalCount"] == 5


async def test_a_foreign_link_looks_missing(gql):
    owner, workspace_id, _ = await studio(gql)
    link = await create_link(gql, owner.token, workspace_id)
    stranger, stranger_workspace, _ = await studio(gql)
    node = "query($id: ID!) { node(id: $id) { id ... on TrackedLink { code } } }"
    assert (await gql.data(node, {"id": link["id"]}, token=owner.token))["node"] == {
        "id": link["id"],
        "code": link["code"],
    }
    assert (await gql.data(node, {"id": link["id"]}, token=stranger.token))["node"] is None
    listed = await gql.execute(LINKS, {"workspaceId": workspace_id}, token=stranger.token)
    assert top_level_codes(listed) == ["NOT_FOUND"]
    own = await gql.data(LINKS, {"workspaceId": stranger_workspace}, token=stranger.token)
    assert own["links"]["totalCount"] == 0


async def _links_with_relations(gql, owner, workspace_id, channel, count):
    launch = await campaign(gql, owner.token, workspace_id, f"Launch {count}")
    for n in range(count):
        post = await create_post(gql, owner.token, workspace_id, [channel], f"Post {n}")
        await create_link(
            gql,
            owner.token,
            workspace_id,
            f"https://k.example/{n}",
            postId=post["id"],
            channelId=channel,
            campaignId=launch["id"],
        )


async def test_listing_links_with_their_relations_is_not_n_plus_one(gql, queries):
    owner, workspace_id, (channel,) = await studio(gql)
    await _links_with_relations(gql, owner, workspace_id, channel, 2)
    with queries.count() as small:
        data = await gql.data(LINKS, {"workspaceId": workspace_id}, token=owner.token)
    assert len(data["links"]["edges"]) == 2
    await _links_with_relations(gql, owner, workspace_id, channel, 8)
    with queries.count() as large:
        data = await gql.data(LINKS, {"workspaceId": workspace_id}, token=owner.token)
    assert len(data["links"]["edges"]) == 10
    assert all(edge["node"]["campaign"] for edge in data["links"]["edges"])
    assert len(small) == len(large), (small, large)
