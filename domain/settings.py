"""Configuration read from `KELOLA_*` environment variables."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. With nothing set, Kelola runs embedded under `./.kelola/`."""

    model_config = SettingsConfigDict(env_prefix="KELOLA_", extra="ignore")

    env: Literal["dev", "production", "test"] = "dev"
    data_dir: Path = Path(".kelola")
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    jwt_secret: str | None = None
    encryption_key: str | None = None
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    invitation_ttl_s: int = 7 * 24 * 3600
    rate_limit_per_minute: int = Field(default=600, ge=1)
    rate_limit_burst: int = Field(default=120, ge=1)
    max_query_depth: int = 12
    max_query_tokens: int = 2000
    max_query_aliases: int = 30
    max_body_bytes: int = 1_000_000
    allowed_origins: list[str] = Field(default_factory=list)
    worker_heartbeat_s: float = 5.0
    public_url: str = "http://127.0.0.1:8000"
    # Where the OAuth callback sends the member's browser after connecting a channel, with
    # `?status=connected|select|error`; without it the callback answers with JSON.
    connect_return_url: str | None = None
    # Other origins a `returnUrl` given to channelConnectStart may point to.
    connect_return_origins: list[str] = Field(default_factory=list)
    connect_attempt_ttl_s: int = Field(default=600, ge=60)
    connect_selection_ttl_s: int = Field(default=1800, ge=60)
    worker_max_jobs: int = 500
    worker_poll_delay_s: float = 0.1
    database_pool_size: int = 20
    publish_job_timeout_s: int = 240
    publish_stuck_after_s: int = 300
    reconcile_every_s: float = 5.0
    log_json: bool | None = None
    # Media: the largest file accepted (a GraphQL Int, so below 2 GiB), how long signed upload
    # and download URLs live, and the largest file `POST /uploads` (multipart) takes.
    media_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1, le=2**31 - 1)
    media_upload_url_ttl_s: int = Field(default=3600, ge=60)
    media_download_url_ttl_s: int = Field(default=3600, ge=60)
    media_multipart_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    # Metric polling by a published post's age: "<age limit>:<interval>" steps, in order;
    # past the last limit a post is no longer polled. Units: m, h, d.
    metrics_cadence: str = "1d:15m,7d:1h,30d:1d"
    # Targets read per network call batch and per write transaction in one channel's poll.
    metrics_poll_batch: int = Field(default=500, ge=1, le=5000)
    # How long a report's signed download URLs stay valid.
    report_url_ttl_s: int = Field(default=24 * 3600, ge=60)
    # Public posts the sandbox network's search finds per term and minute, spread evenly
    # over the minute (listening benchmarks raise it).
    sandbox_mentions_per_minute: int = Field(default=2, ge=1, le=60_000)

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite://{(self.data_dir / 'kelola.sqlite3').resolve()}"

    @property
    def uses_json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else not self.is_dev


def _local_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets `kelola dev` generates once and keeps in the data directory."""
    path = data_dir / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = {
        "jwt_secret": secrets.token_urlsafe(48),
        "encryption_key": Fernet.generate_key().decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


class MissingSecret(RuntimeError):
    """A secret is required outside dev and was not configured."""


@lru_cache
def get_settings() -> Settings:
    """Settings; in dev and test, missing secrets are generated once and kept locally."""
    settings = Settings()
    if (settings.jwt_secret and settings.encryption_key) or settings.env == "production":
        return settings
    local = _local_secrets(settings.data_dir)
    return settings.model_copy(
        update={
            "jwt_secret": settings.jwt_secret or local["jwt_secret"],
            "encryption_key": settings.encryption_key or local["encryption_key"],
        }
    )


def require_secrets() -> None:
    """Called by every server and worker at start: production never runs on made-up keys."""
    settings = get_settings()
    if not settings.jwt_secret or not settings.encryption_key:
        raise MissingSecret("KELOLA_JWT_SECRET and KELOLA_ENCRYPTION_KEY must be set in production")
    if len(settings.jwt_secret) < 32:
        raise MissingSecret("KELOLA_JWT_SECRET must be at least 32 characters")
