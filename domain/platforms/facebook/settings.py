"""Configuration of the Meta app behind Facebook Login, shared by Facebook and Instagram."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FacebookSettings(BaseSettings):
    """`KELOLA_FACEBOOK_*`: one Meta app serves both Facebook Pages and Instagram accounts,
    because Instagram business accounts are reached through the Page they are linked to."""

    model_config = SettingsConfigDict(env_prefix="KELOLA_FACEBOOK_", extra="ignore")

    api_base: str = "https://graph.facebook.com"
    auth_base: str = "https://www.facebook.com"
    api_version: str = "v25.0"
    client_id: str = ""
    client_secret: str = ""
    # Meta throttles once any usage figure reaches 100%; stop at this share to keep headroom.
    usage_threshold_percent: float = Field(default=90.0, gt=0, le=100)
    # How long to stay away when Meta says we are throttled but not for how long.
    default_backoff_s: int = Field(default=600, ge=1)

    @property
    def graph_url(self) -> str:
        return f"{self.api_base.rstrip('/')}/{self.api_version}"
