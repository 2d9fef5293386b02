"""Which adapter serves which network."""

from __future__ import annotations

from functools import cache

from domain.platforms.base import Platform, Provider


class PlatformNotAvailable(Exception):
    """The network has no adapter in this build."""


@cache
def provider_for(platform: Platform) -> Provider:
    match platform:
        case Platform.SANDBOX:
            from domain.platforms.sandbox.provider import SandboxProvider

            return SandboxProvider()
    raise PlatformNotAvailable(platform.value)
