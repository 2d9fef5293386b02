"""Which adapter serves which network.

Each adapter lives in `domain/platforms/<network>/provider.py` and exposes
`provider(client: httpx.AsyncClient | None = None) -> Provider`; a network whose module is
absent is simply not available in this build.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache

from domain.platforms.base import Platform, Provider


class PlatformNotAvailable(Exception):
    """The network has no adapter in this build."""


def adapter_module(platform: Platform) -> str:
    return f"domain.platforms.{platform.value.lower()}.provider"


def is_available(platform: Platform) -> bool:
    try:
        return importlib.util.find_spec(adapter_module(platform)) is not None
    except ModuleNotFoundError:
        return False


@cache
def provider_for(platform: Platform) -> Provider:
    try:
        module = importlib.import_module(adapter_module(platform))
    except ModuleNotFoundError as missing:
        raise PlatformNotAvailable(platform.value) from missing
    return module.provider()
