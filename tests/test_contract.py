"""The schema and the migrations are contracts: both must match the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from api.schema import schema

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


def test_migrations_match_the_models():
    # In a process of its own: initialising Tortoise again would rebind this session's models.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "api.cli", "makemigrations", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
