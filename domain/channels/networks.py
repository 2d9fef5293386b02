"""The two ways connecting a channel reaches a network, in one place so tests can point
both at a fake of the network's HTTP API:

  provider(platform)   the network's adapter (account lookups, Mastodon app registration,
                       Bluesky sessions, Facebook Pages, ...)
  oauth_transport()    the httpx transport of the OAuth client that exchanges the code;
                       None means a real connection pool

Callers use them through this module (`networks.provider(...)`), never by importing the
names, so an override is seen everywhere.
"""

from __future__ import annotations

import httpx

from domain.platforms import registry
from domain.platforms.base import Platform, Provider


def provider(platform: Platform) -> Provider:
    return registry.provider_for(platform)


def oauth_transport() -> httpx.AsyncBaseTransport | None:
    return None
