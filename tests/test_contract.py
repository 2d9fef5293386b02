"""The schema and the migrations are contracts: both must match the code."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from api.schema import schema
from domain.db import APP_LABEL, tortoise_config

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_matches_the_code():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", (
        "schema.graphql is stale: run `kelola export-schema` and commit it"
    )


def _own_types():
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(graphql_type, GraphQLScalarType) and name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
        }:
            continue
        yield name, graphql_type


def test_every_type_field_and_argument_is_described():
    missing = []
    for name, graphql_type in _own_types():
        if not graphql_type.description:
            missing.append(name)
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif not isinstance(graphql_type, GraphQLEnumType | GraphQLScalarType | GraphQLUnionType):
            missing.append(f"{name} (unchecked kind)")
    assert missing == []


async def test_migrations_match_the_models():
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        detector = MigrationAutodetector(context.apps, config["apps"])
        changes = await detector.changes()
        await context.close_connections()
    assert [writer.app_label for writer in changes] == [], (
        f"models of {APP_LABEL} changed without a migration: run `kelola makemigrations`"
    )
