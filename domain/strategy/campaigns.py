"""Creating, changing and listing campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.exceptions import IntegrityError

from domain.errors import DomainError, ErrorCode, NotFound, Problem, Problems
from domain.identity.roles import Permission
from domain.pagination import Page, paginate
from domain.strategy.models import Campaign
from domain.tenancy import Actor, visible_by_ids, visible_to, workspace_for


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


def _check(draft: CampaignDraft) -> None:
    problems = Problems()
    problems.check_length("name", draft.name, maximum=120)
    if len(draft.description) > 5000:
        problems.add("description", ErrorCode.TOO_LONG, "description has at most 5,000 characters")
    if draft.starts_on and draft.ends_on and draft.ends_on < draft.starts_on:
        problems.add("endsOn", ErrorCode.INVALID, "endsOn must not be before startsOn")
    problems.raise_if_any()


def _name_taken() -> DomainError:
    return DomainError(
        [Problem("name", ErrorCode.ALREADY_EXISTS, "A campaign with this name already exists")]
    )


async def create_campaign(actor: Actor, *, workspace_id: int, draft: CampaignDraft) -> Campaign:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_WRITE)
    _check(draft)
    if await Campaign.exists(workspace_id=workspace.id, name=draft.name.strip()):
        raise _name_taken()
    try:
        return await Campaign.create(
            workspace_id=workspace.id,
            name=draft.name.strip(),
            description=draft.description,
            starts_on=draft.starts_on,
            ends_on=draft.ends_on,
        )
    except IntegrityError:
        raise _name_taken() from None


async def update_campaign(actor: Actor, *, campaign_id: int, draft: CampaignDraft) -> Campaign:
    campaign = await visible_campaign(actor, campaign_id)
    await actor.require(campaign.workspace_id, Permission.CONTENT_WRITE)
    _check(draft)
    name = draft.name.strip()
    if name != campaign.name and await Campaign.exists(
        workspace_id=campaign.workspace_id, name=name
    ):
        raise _name_taken()
    campaign.name, campaign.description = name, draft.description
    campaign.starts_on, campaign.ends_on = draft.starts_on, draft.ends_on
    await campaign.save()
    return campaign


async def visible_campaign(actor: Actor, campaign_id: int, field: str = "campaignId") -> Campaign:
    campaign = await visible_to(actor, Campaign).get_or_none(id=campaign_id)
    if campaign is None:
        raise NotFound("campaign", field=field)
    return campaign


async def get_campaign(actor: Actor, campaign_id: int) -> Campaign | None:
    return await visible_to(actor, Campaign).get_or_none(id=campaign_id)


async def list_campaigns(
    actor: Actor, workspace_id: int, *, first: int | None, after: str | None
) -> Page[Campaign]:
    workspace = await workspace_for(actor, workspace_id, Permission.CONTENT_READ)
    return await paginate(
        visible_to(actor, Campaign).filter(workspace_id=workspace.id), first=first, after=after
    )


async def campaigns_by_ids(actor: Actor, ids: list[int]) -> list[Campaign | None]:
    return await visible_by_ids(actor, Campaign, ids)
