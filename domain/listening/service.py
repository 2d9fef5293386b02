"""Listening queries and feeds: created, changed and listed by members of a workspace."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import ErrorCode, NotFound, Problems
from domain.identity.roles import Permission
from domain.listening.boolean import BooleanSyntaxError, parse
from domain.listening.models import ListeningQuery
from domain.pagination import Page, paginate
from domain.platforms.base import Platform
from domain.tenancy import Actor, readable_row, visible_to, workspace_for

LANGUAGES = ("en", "id")
# Networks whose search the listening reads (their adapters implement search_mentions).
SEARCHABLE = (Platform.X, Platform.MASTODON, Platform.BLUESKY, Platform.SANDBOX)
NETWORKS = (*(platform.value for platform in SEARCHABLE), "RSS")
MAX_TERMS = 50
MAX_COMPETITORS = 10


@dataclass(frozen=True)
class Competitor:
    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class QueryDraft:
    name: str
    brand_terms: tuple[str, ...] = ()
    competitors: tuple[Competitor, ...] = ()
    hashtags: tuple[str, ...] = ()
    include: str | None = None
    exclude: str | None = None
    languages: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    active: bool = True


def _clean_terms(problems: Problems, name: str, terms: tuple[str, ...]) -> list[str]:
    cleaned = []
    if len(terms) > MAX_TERMS:
        problems.add(name, ErrorCode.INVALID, f"at most {MAX_TERMS} terms")
    for term in terms:
        text = " ".join(term.split())
        if not text or len(text) > 100 or "\x00" in text:
            problems.add(name, ErrorCode.INVALID, "each term is 1 to 100 characters")
            break
        if text.lower() not in (t.lower() for t in cleaned):
            cleaned.append(text)
    return cleaned


def _check_expression(problems: Problems, name: str, expression: str | None) -> str | None:
    if expression is None or not expression.strip():
        return None
    try:
        parse(expression)
    except BooleanSyntaxError as error:
        problems.add(name, ErrorCode.INVALID, str(error))
    return expression.strip()


def _validated(draft: QueryDraft) -> dict:
    problems = Problems()
    problems.check_length("name", draft.name.strip(), maximum=120)
    brand = _clean_terms(problems, "brandTerms", draft.brand_terms)
    hashtags = [
        tag if tag.startswith("#") else f"#{tag}"
        for tag in _clean_terms(problems, "hashtags", draft.hashtags)
    ]
    if any(" " in tag for tag in hashtags):
        problems.add("hashtags", ErrorCode.INVALID, "a hashtag has no spaces")
    include = _check_expression(problems, "include", draft.include)
    exclude = _check_expression(problems, "exclude", draft.exclude)
    if not (brand or hashtags or include):
        problems.add(
            "brandTerms", ErrorCode.REQUIRED, "give brand terms, hashtags or an include expression"
        )
    if len(draft.competitors) > MAX_COMPETITORS:
        problems.add("competitors", ErrorCode.INVALID, f"at most {MAX_COMPETITORS} competitors")
    competitors = []
    for competitor in draft.competitors:
        name = competitor.name.strip()
        terms = _clean_terms(problems, "competitors.terms", competitor.terms)
        if not name or len(name) > 120 or not terms:
            problems.add("competitors", ErrorCode.INVALID, "a competitor needs a name and terms")
            break
        competitors.append({"name": name, "terms": terms})
    unknown = [code for code in draft.languages if code not in LANGUAGES]
    if unknown:
        problems.add("languages", ErrorCode.INVALID, f"supported languages: {', '.join(LANGUAGES)}")
    if [network for network in draft.networks if network not in NETWORKS]:
        problems.add("networks", ErrorCode.INVALID, f"listening reads: {', '.join(NETWORKS)}")
    problems.raise_if_any()
    return {
        "name": draft.name.strip(),
        "brand_terms": brand,
        "competitors": competitors,
        "hashtags": hashtags,
        "include_expression": include,
        "exclude_expression": exclude,
        "languages": sorted(set(draft.languages)),
        "networks": sorted(set(draft.networks)),
        "active": draft.active,
    }


async def _check_name_free(workspace_id: int, name: str, except_id: int | None = None) -> None:
    rows = ListeningQuery.filter(workspace_id=workspace_id, name=name)
    if except_id is not None:
        rows = rows.exclude(id=except_id)
    if await rows.exists():
        problems = Problems()
        problems.add("name", ErrorCode.ALREADY_EXISTS, "a listening query has this name")
        problems.raise_if_any()


async def create_query(actor: Actor, *, workspace_id: int, draft: QueryDraft) -> ListeningQuery:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    fields_ = _validated(draft)
    await _check_name_free(workspace.id, fields_["name"])
    return await ListeningQuery.create(
        workspace_id=workspace.id, created_by_id=actor.user_id, **fields_
    )


async def visible_query(actor: Actor, query_id: int, permission: Permission) -> ListeningQuery:
    query = await visible_to(actor, ListeningQuery).get_or_none(id=query_id)
    if query is None:
        raise NotFound("listening query", field="queryId")
    await actor.require(query.workspace_id, permission)
    return query


async def get_query(actor: Actor, query_id: int) -> ListeningQuery | None:
    return await readable_row(actor, ListeningQuery, query_id, Permission.ALERTS_READ)


async def update_query(actor: Actor, *, query_id: int, draft: QueryDraft) -> ListeningQuery:
    query = await visible_query(actor, query_id, Permission.CONTENT_WRITE)
    fields_ = _validated(draft)
    await _check_name_free(query.workspace_id, fields_["name"], except_id=query.id)
    query.update_from_dict(fields_)
    await query.save()
    return query


async def list_queries(
    actor: Actor, workspace_id: int, *, first: int | None, after: str | None
) -> Page[ListeningQuery]:
    workspace = await workspace_for(actor, workspace_id, Permission.ALERTS_READ)
    return await paginate(
        ListeningQuery.filter(workspace_id=workspace.id), first=first, after=after
    )
