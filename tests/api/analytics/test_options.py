"""Analytics settings through GraphQL over HTTP: defaults, updates, the conversion secret."""

from __future__ import annotations

import json

from domain.analytics.models import AnalyticsSettings
from domain.analytics.options import conversion_secret
from tests.api.content.support import pk
from tests.helpers import top_level_codes

SETTINGS_FIELDS = (
    "workspaceId trackLinks attributionWindowDays conversionSecretSet conversionSecretRotatedAt"
)
SETTINGS = f"""
query($workspaceId: ID!) {{ analyticsSettings(workspaceId: $workspaceId) {{ {SETTINGS_FIELDS} }} }}
"""
SETTINGS_UPDATE = f"""
mutation($input: AnalyticsSettingsUpdateInput!) {{
  analyticsSettingsUpdate(input: $input) {{
    settings {{ {SETTINGS_FIELDS} }} errors {{ field code message }}
  }}
}}"""
SECRET_ROTATE = f"""
mutation($input: ConversionSecretRotateInput!) {{
  conversionSecretRotate(input: $input) {{
    settings {{ {SETTINGS_FIELDS} }} secret errors {{ field code message }}
  }}
}}"""


async def set_options(gql, token, workspace_id, **options):
    payload = await gql.mutate(
        "analyticsSettingsUpdate",
        SETTINGS_UPDATE,
        {"workspaceId": workspace_id, **options},
        token=token,
    )
    return payload["settings"]


async def rotate_secret(gql, token, workspace_id) -> str:
    payload = await gql.mutate(
        "conversionSecretRotate", SECRET_ROTATE, {"workspaceId": workspace_id}, token=token
    )
    return payload["secret"]


async def test_defaults_without_a_row(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    data = await gql.data(SETTINGS, {"workspaceId": workspace_id}, token=owner.token)
    assert data["analyticsSettings"] == {
        "workspaceId": workspace_id,
        "trackLinks": True,
        "attributionWindowDays": 7,
        "conversionSecretSet": False,
        "conversionSecretRotatedAt": None,
    }
    assert await AnalyticsSettings.all().count() == 0


async def test_update_changes_only_what_is_given(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    settings = await set_options(gql, owner.token, workspace_id, trackLinks=False)
    assert settings["trackLinks"] is False and settings["attributionWindowDays"] == 7
    settings = await set_options(gql, owner.token, workspace_id, attributionWindowDays=30)
    assert settings["trackLinks"] is False and settings["attributionWindowDays"] == 30
    data = await gql.data(SETTINGS, {"workspaceId": workspace_id}, token=owner.token)
    assert data["analyticsSettings"] == settings
    assert await AnalyticsSettings.all().count() == 1


async def test_the_window_is_one_to_ninety_days_and_nothing_is_written(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    for days in (0, 91, -5):
        payload = await gql.mutate(
            "analyticsSettingsUpdate",
            SETTINGS_UPDATE,
            {"workspaceId": workspace_id, "trackLinks": False, "attributionWindowDays": days},
            token=owner.token,
            expect_errors=True,
        )
        assert payload["settings"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("attributionWindowDays", "INVALID")
        ]
    assert await AnalyticsSettings.all().count() == 0


async def test_the_secret_is_shown_once_stored_encrypted_and_rotated(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    first = await rotate_secret(gql, owner.token, workspace_id)
    assert first.startswith("kcs_") and len(first) > 40
    row = await AnalyticsSettings.get()
    assert first not in row.conversion_secret_encrypted
    assert await conversion_secret(pk(workspace_id)) == first
    data = await gql.data(SETTINGS, {"workspaceId": workspace_id}, token=owner.token)
    settings = data["analyticsSettings"]
    assert settings["conversionSecretSet"] is True
    assert settings["conversionSecretRotatedAt"] is not None
    assert first not in json.dumps(data)
    second = await rotate_secret(gql, owner.token, workspace_id)
    assert second != first
    assert await conversion_secret(pk(workspace_id)) == second


async def test_who_may_read_and_change_the_settings(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    analyst = await gql.join(workspace_id, owner, "ANALYST")
    admin = await gql.join(workspace_id, owner, "ADMIN")
    approver = await gql.join(workspace_id, owner, "APPROVER")
    reader = await gql.api_key(workspace_id, owner, ["READ"])
    conversions_key = await gql.api_key(workspace_id, owner, ["CONVERSIONS"])
    for token in (analyst.person.token, reader):
        readable = await gql.data(SETTINGS, {"workspaceId": workspace_id}, token=token)
        assert readable["analyticsSettings"]["trackLinks"] is True
    for token in (approver.person.token, conversions_key):
        refused = await gql.execute(SETTINGS, {"workspaceId": workspace_id}, token=token)
        assert top_level_codes(refused) == ["FORBIDDEN"]
    for token in (analyst.person.token, reader, conversions_key):
        for document, variables in (
            (SETTINGS_UPDATE, {"workspaceId": workspace_id, "trackLinks": False}),
            (SECRET_ROTATE, {"workspaceId": workspace_id}),
        ):
            refused = await gql.execute(document, {"input": variables}, token=token)
            assert top_level_codes(refused) == ["FORBIDDEN"]
    assert await AnalyticsSettings.all().count() == 0
    assert (await set_options(gql, admin.person.token, workspace_id, trackLinks=False))[
        "trackLinks"
    ] is False
    assert await rotate_secret(gql, admin.person.token, workspace_id)


async def test_another_workspace_looks_missing(gql):
    owner = await gql.person()
    workspace_id = await gql.workspace(owner)
    stranger = await gql.person()
    await gql.workspace(stranger)
    listed = await gql.execute(SETTINGS, {"workspaceId": workspace_id}, token=stranger.token)
    assert top_level_codes(listed) == ["NOT_FOUND"]
    for document, name, variables in (
        (SETTINGS_UPDATE, "analyticsSettingsUpdate", {"trackLinks": False}),
        (SECRET_ROTATE, "conversionSecretRotate", {}),
    ):
        payload = await gql.mutate(
            name,
            document,
            {"workspaceId": workspace_id, **variables},
            token=stranger.token,
            expect_errors=True,
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("workspaceId", "NOT_FOUND")
        ]
    assert await AnalyticsSettings.all().count() == 0
