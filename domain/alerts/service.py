"""Alert rules, alerts and their lifecycle (OPEN, ACKNOWLEDGED, RESOLVED), and the event
log subscribers replay from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.alerts.evaluation import lock_event_log, record_event
from domain.alerts.models import (
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertMention,
    AlertRule,
    AlertStatus,
    RuleKind,
)
from domain.errors import ErrorCode, NotFound, Problems
from domain.events import emit
from domain.identity.roles import Permission
from domain.listening.boolean import BooleanSyntaxError, parse
from domain.listening.models import Mention
from domain.listening.service import visible_query
from domain.pagination import Page, paginate, paginate_newest
from domain.tenancy import Actor, readable_row, visible_to, workspace_for


@dataclass(frozen=True)
class RuleDraft:
    name: str
    kind: RuleKind
    window_minutes: int = 60
    threshold: float | None = None
    min_mentions: int = 5
    min_reach: int | None = None
    terms: tuple[str, ...] = ()
    cooldown_minutes: int = 60
    active: bool = True


def _validated(draft: RuleDraft) -> dict:
    problems = Problems()
    problems.check_length("name", draft.name, maximum=120)
    if not 5 <= draft.window_minutes <= 7 * 24 * 60:
        problems.add("windowMinutes", ErrorCode.INVALID, "windowMinutes must be 5 to 10080")
    if not 0 <= draft.cooldown_minutes <= 7 * 24 * 60:
        problems.add("cooldownMinutes", ErrorCode.INVALID, "cooldownMinutes must be 0 to 10080")
    if not 1 <= draft.min_mentions <= 1_000_000:
        problems.add("minMentions", ErrorCode.INVALID, "minMentions must be 1 to 1,000,000")
    if draft.kind == RuleKind.NEGATIVE_SHARE and not (
        draft.threshold is not None and 0 < draft.threshold <= 1
    ):
        problems.add("threshold", ErrorCode.INVALID, "a negative share is above 0 and at most 1")
    if draft.kind == RuleKind.VOLUME_SPIKE and not (
        draft.threshold is not None and 1 < draft.threshold <= 1000
    ):
        problems.add("threshold", ErrorCode.INVALID, "a spike factor is above 1 (e.g. 3)")
    if draft.kind == RuleKind.INFLUENTIAL_NEGATIVE and not (draft.min_reach or 0) > 0:
        problems.add("minReach", ErrorCode.REQUIRED, "give the reach that makes an author count")
    terms = [" ".join(term.split()) for term in draft.terms]
    if draft.kind == RuleKind.WATCH_TERMS and not terms:
        problems.add("terms", ErrorCode.REQUIRED, "give the words to watch for")
    if len(terms) > 100 or any(not t or len(t) > 100 for t in terms):
        problems.add("terms", ErrorCode.INVALID, "up to 100 terms of 1 to 100 characters")
    for term in terms:
        try:
            parse(f'"{term}"')
        except BooleanSyntaxError:
            problems.add("terms", ErrorCode.INVALID, f"cannot watch {term!r}")
            break
    problems.raise_if_any()
    return {
        "name": draft.name.strip(),
        "kind": draft.kind,
        "window_minutes": draft.window_minutes,
        "threshold": draft.threshold,
        "min_mentions": draft.min_mentions,
        "min_reach": draft.min_reach,
        "terms": terms,
        "cooldown_minutes": draft.cooldown_minutes,
        "active": draft.active,
    }


async def create_rule(actor: Actor, *, query_id: int, draft: RuleDraft) -> AlertRule:
    query = await visible_query(actor, query_id, Permission.CONTENT_WRITE)
    return await AlertRule.create(
        workspace_id=query.workspace_id, query_id=query.id, **_validated(draft)
    )


async def update_rule(actor: Actor, *, rule_id: int, draft: RuleDraft) -> AlertRule:
    rule = await visible_to(actor, AlertRule).get_or_none(id=rule_id)
    if rule is None:
        raise NotFound("alert rule", field="ruleId")
    await actor.require(rule.workspace_id, Permission.CONTENT_WRITE)
    rule.update_from_dict(_validated(draft))
    await rule.save()
    return rule


async def get_rule(actor: Actor, rule_id: int) -> AlertRule | None:
    return await readable_row(actor, AlertRule, rule_id, Permission.ALERTS_READ)


async def get_alert(actor: Actor, alert_id: int) -> Alert | None:
    return await readable_row(actor, Alert, alert_id, Permission.ALERTS_READ)


async def list_rules(
    actor: Actor,
    workspace_id: int,
    query_id: int | None,
    *,
    first: int | None,
    after: str | None,
) -> Page[AlertRule]:
    """A workspace's alert rules, oldest first; of one listening query when it is given."""
    workspace = await workspace_for(actor, workspace_id, Permission.ALERTS_READ)
    rows = AlertRule.filter(workspace_id=workspace.id)
    if query_id is not None:
        rows = rows.filter(query_id=query_id)
    return await paginate(rows, first=first, after=after)


async def list_alerts(
    actor: Actor,
    workspace_id: int,
    status: AlertStatus | None,
    *,
    first: int | None,
    after: str | None,
) -> Page[Alert]:
    workspace = await workspace_for(actor, workspace_id, Permission.ALERTS_READ)
    rows = Alert.filter(workspace_id=workspace.id)
    if status is not None:
        rows = rows.filter(status=status)
    return await paginate_newest(rows, first=first, after=after)


async def _change(actor: Actor, alert_id: int, to: AlertStatus) -> Alert:
    alert = await visible_to(actor, Alert).get_or_none(id=alert_id)
    if alert is None:
        raise NotFound("alert", field="alertId")
    await lock_event_log(alert.workspace_id)
    alert = await Alert.select_for_update().get(id=alert.id)
    await actor.require(alert.workspace_id, Permission.ALERTS_READ)
    allowed = {
        AlertStatus.ACKNOWLEDGED: (AlertStatus.OPEN,),
        AlertStatus.RESOLVED: (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
    }[to]
    if alert.status not in allowed:
        problems = Problems()
        problems.add("alertId", ErrorCode.NOT_ALLOWED, f"the alert is {alert.status.value}")
        problems.raise_if_any()
    now = datetime.now(UTC)
    alert.status = to
    if to == AlertStatus.ACKNOWLEDGED:
        alert.acknowledged_by_id, alert.acknowledged_at = actor.user_id, now
        kind = AlertEventKind.ACKNOWLEDGED
    else:
        alert.resolved_by_id, alert.resolved_at = actor.user_id, now
        kind = AlertEventKind.RESOLVED
    await alert.save()
    await emit(await record_event(alert, kind))
    return alert


async def acknowledge(actor: Actor, *, alert_id: int) -> Alert:
    return await _change(actor, alert_id, AlertStatus.ACKNOWLEDGED)


async def resolve(actor: Actor, *, alert_id: int) -> Alert:
    return await _change(actor, alert_id, AlertStatus.RESOLVED)


async def event_exists(workspace_id: int, event_id: int) -> bool:
    return await AlertEvent.filter(workspace_id=workspace_id, id=event_id).exists()


async def mentions_of_alerts(actor: Actor, ids: list[int]) -> list[list[Mention]]:
    """The mentions behind each alert, newest first (a DataLoader's batch: three statements)."""
    visible = set(
        await visible_to(actor, Alert).filter(id__in=set(ids)).values_list("id", flat=True)
    )
    links = await AlertMention.filter(alert_id__in=visible or {0}).values("alert_id", "mention_id")
    mentions = {
        row.id: row
        for row in await Mention.filter(id__in={link["mention_id"] for link in links} or {0})
    }
    grouped: dict[int, list[Mention]] = {alert_id: [] for alert_id in ids}
    for link in sorted(links, key=lambda link: -link["mention_id"]):
        if link["mention_id"] in mentions:
            grouped[link["alert_id"]].append(mentions[link["mention_id"]])
    return [grouped[alert_id] for alert_id in ids]
