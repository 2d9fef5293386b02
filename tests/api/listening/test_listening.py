from datetime import UTC, datetime

from api.ids import from_global_id, to_global_id
from domain.listening.collection import search
from domain.listening.models import ListeningQuery, Mention
from tests.api.analytics.support import make_shop
from tests.helpers import top_level_codes

CREATE = """
mutation($input: ListeningQueryCreateInput!) { listeningQueryCreate(input: $input) {
  query { id name brandTerms hashtags include exclude languages networks
          competitors { name terms } }
  errors { field code message }
} }"""
UPDATE = """
mutation($input: ListeningQueryUpdateInput!) { listeningQueryUpdate(input: $input) {
  query { id name brandTerms } errors { field code message }
} }"""
MENTIONS = """
query($ws: ID!, $q: ID, $sentiment: MentionSentiment, $competitors: Boolean, $first: Int,
      $after: String) {
  mentions(workspaceId: $ws, queryId: $q, sentiment: $sentiment, competitors: $competitors,
           first: $first, after: $after) {
    edges { node { id text language sentiment sentimentScore matchedTerms competitor
                   authorHandle authorReach network } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _fields(**extra) -> dict:
    return {"name": "Brand", "brandTerms": ["kopikita"], **extra}


async def test_queries_are_validated_and_nothing_is_written_on_errors(gql):
    shop = await make_shop(gql)
    bad = await gql.mutate(
        "listeningQueryCreate",
        CREATE,
        {
            "workspaceId": shop.workspace_id,
            "query": {
                "name": "",
                "include": "(kopi OR",
                "exclude": "",
                "languages": ["fr"],
                "networks": ["MYSPACE"],
            },
        },
        token=shop.owner.token,
        expect_errors=True,
    )
    fields = {(error["field"], error["code"]) for error in bad["errors"]}
    assert ("name", "REQUIRED") in fields and ("include", "INVALID") in fields
    assert ("languages", "INVALID") in fields and ("networks", "INVALID") in fields
    assert await ListeningQuery.all().count() == 0

    made = await gql.mutate(
        "listeningQueryCreate",
        CREATE,
        {
            "workspaceId": shop.workspace_id,
            "query": _fields(
                hashtags=["kopikita", "#ngopi"],
                include='"kopi kita" -lowongan',
                competitors=[{"name": "Kopi Lain", "terms": ["kopilain"]}],
                languages=["id", "en"],
            ),
        },
        token=shop.owner.token,
    )
    query = made["query"]
    assert query["hashtags"] == ["#kopikita", "#ngopi"]
    assert query["competitors"] == [{"name": "Kopi Lain", "terms": ["kopilain"]}]
    again = await gql.mutate(
        "listeningQueryCreate",
        CREATE,
        {"workspaceId": shop.workspace_id, "query": _fields()},
        token=shop.owner.token,
        expect_errors=True,
    )
    assert [e["code"] for e in again["errors"]] == ["ALREADY_EXISTS"]
    renamed = await gql.mutate(
        "listeningQueryUpdate",
        UPDATE,
        {"queryId": query["id"], "query": _fields(name="Renamed", brandTerms=["kopi kita"])},
        token=shop.owner.token,
    )
    assert renamed["query"]["brandTerms"] == ["kopi kita"]


async def test_foreign_queries_look_missing(gql):
    shop, other = await make_shop(gql), await make_shop(gql, "Other")
    made = await gql.mutate(
        "listeningQueryCreate",
        CREATE,
        {"workspaceId": other.workspace_id, "query": _fields()},
        token=other.owner.token,
    )
    foreign = await gql.mutate(
        "listeningQueryUpdate",
        UPDATE,
        {"queryId": made["query"]["id"], "query": _fields(name="Mine now")},
        token=shop.owner.token,
        expect_errors=True,
    )
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    body = await gql.execute(
        MENTIONS, {"ws": shop.workspace_id, "q": made["query"]["id"]}, token=shop.owner.token
    )
    assert top_level_codes(body) == ["NOT_FOUND"]


async def test_mentions_are_listed_newest_first_with_filters_and_an_alerts_key(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    made = await gql.mutate(
        "listeningQueryCreate",
        CREATE,
        {
            "workspaceId": shop.workspace_id,
            "query": _fields(competitors=[{"name": "Kopi Lain", "terms": ["kopilain"]}]),
        },
        token=shop.owner.token,
    )
    query_pk = from_global_id(made["query"]["id"])[1]
    await search(query_pk, channel.id, datetime.now(UTC))
    total = await Mention.filter(query_id=query_pk).count()
    key = await gql.api_key(shop.workspace_id, shop.owner, ["ALERTS"])
    seen, after = [], None
    while True:
        body = await gql.execute(
            MENTIONS,
            {"ws": shop.workspace_id, "first": 100, "after": after},
            token=key,
        )
        page = body["data"]["mentions"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total
    ids = [from_global_id(node_id)[1] for node_id in seen]
    assert ids == sorted(ids, reverse=True)
    negative = await gql.data(
        MENTIONS, {"ws": shop.workspace_id, "sentiment": "NEGATIVE"}, token=key
    )
    assert all(e["node"]["sentiment"] == "NEGATIVE" for e in negative["mentions"]["edges"])
    theirs = await gql.data(MENTIONS, {"ws": shop.workspace_id, "competitors": True}, token=key)
    assert {e["node"]["competitor"] for e in theirs["mentions"]["edges"]} == {"Kopi Lain"}
    read_only = await gql.api_key(shop.workspace_id, shop.owner, ["READ"])
    assert "errors" not in await gql.execute(MENTIONS, {"ws": shop.workspace_id}, token=read_only)
    writes = await gql.execute(
        CREATE, {"input": {"workspaceId": shop.workspace_id, "query": _fields(name="K")}}, token=key
    )
    assert top_level_codes(writes) == ["FORBIDDEN"]
    assert to_global_id("ListeningQuery", query_pk) == made["query"]["id"]


TRENDS = """
query($q: ID!, $window: AnalyticsWindowInput) { mentionTrends(queryId: $q, window: $window) {
  window { start end }
  points { start mentions positive neutral negative netSentiment }
  shareOfVoice { competitor mentions share }
  topTerms { value count } topHashtags { value count } topAuthors { value count reach }
} }"""


async def test_trends_count_volume_sentiment_and_share_of_voice(gql):
    shop = await make_shop(gql)
    channel = await shop.world.channel()
    made = await gql.mutate(
        "listeningQueryCreate",
        CREATE,
        {
            "workspaceId": shop.workspace_id,
            "query": _fields(competitors=[{"name": "Kopi Lain", "terms": ["kopilain"]}]),
        },
        token=shop.owner.token,
    )
    query_pk = from_global_id(made["query"]["id"])[1]
    await search(query_pk, channel.id, datetime.now(UTC))
    brand = await Mention.filter(query_id=query_pk, competitor__isnull=True).count()
    theirs = await Mention.filter(query_id=query_pk, competitor="Kopi Lain").count()
    trends = (
        await gql.data(
            TRENDS,
            {
                "q": made["query"]["id"],
                "window": {"period": "CUSTOM", "start": "2026-01-01", "end": "2026-12-31"},
            },
            token=shop.owner.token,
        )
    )["mentionTrends"]
    assert sum(p["mentions"] for p in trends["points"]) == brand
    assert all(
        p["positive"] + p["neutral"] + p["negative"] == p["mentions"] for p in trends["points"]
    )
    voices = {v["competitor"]: v for v in trends["shareOfVoice"]}
    assert voices[None]["mentions"] == brand and voices["Kopi Lain"]["mentions"] == theirs
    assert abs(sum(v["share"] for v in voices.values()) - 1) < 1e-9
    assert trends["topTerms"][0] == {"value": "kopikita", "count": brand}
    assert trends["topHashtags"][0]["value"] == "#kopikita"
    assert trends["topAuthors"] and trends["topAuthors"][0]["reach"] is not None
    bad = await gql.execute(
        TRENDS,
        {
            "q": made["query"]["id"],
            "window": {"period": "CUSTOM", "start": "2020-01-01", "end": "2026-12-31"},
        },
        token=shop.owner.token,
    )
    assert top_level_codes(bad) == ["BAD_USER_INPUT"]


FEED_ADD = """
mutation($input: ListeningFeedAddInput!) { listeningFeedAdd(input: $input) {
  feed { id url status } errors { field code message }
} }"""


async def test_feeds_are_validated(gql, monkeypatch):
    shop = await make_shop(gql)
    added = await gql.mutate(
        "listeningFeedAdd",
        FEED_ADD,
        {"workspaceId": shop.workspace_id, "url": " https://news.example/rss "},
        token=shop.owner.token,
    )
    assert added["feed"]["url"] == "https://news.example/rss" and added["feed"]["status"] == "OK"
    for url, code in (
        ("https://news.example/rss", "ALREADY_EXISTS"),
        ("ftp://news.example/rss", "INVALID"),
        ("https://user:pw@news.example/rss", "INVALID"),
        ("", "REQUIRED"),
    ):
        refused = await gql.mutate(
            "listeningFeedAdd",
            FEED_ADD,
            {"workspaceId": shop.workspace_id, "url": url},
            token=shop.owner.token,
            expect_errors=True,
        )
        assert [e["code"] for e in refused["errors"]] == [code], url
    from domain.settings import get_settings

    monkeypatch.setattr(get_settings(), "env", "production")
    internal = await gql.mutate(
        "listeningFeedAdd",
        FEED_ADD,
        {"workspaceId": shop.workspace_id, "url": "https://127.0.0.1/feed"},
        token=shop.owner.token,
        expect_errors=True,
    )
    assert [e["code"] for e in internal["errors"]] == ["NOT_ALLOWED"]
