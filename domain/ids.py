"""The API's opaque global ids (base64 of `TypeName:primary key`), for the places in the
domain that write them into bodies and files (webhooks, reports)."""

from __future__ import annotations

import base64


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")
