"""Shared set-up for the publishing benchmarks: an environment, sandbox channels, due
targets, worker processes, and the figures read back from the database and the ledger."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FINAL = {"PUBLISHED", "FAILED", "CANCELLED"}


@dataclass
class Environment:
    """Where the benchmark runs: a scratch database and Redis named by env variables."""

    env: dict[str, str]
    cleanup: list = field(default_factory=list)

    def close(self) -> None:
        for action in reversed(self.cleanup):
            try:
                action()
            except Exception as error:  # noqa: BLE001 - best-effort cleanup
                print(f"cleanup: {error}", file=sys.stderr)


def prepare_environment(**settings: str) -> Environment:
    """The embedded default in a temporary data dir, or a scratch PostgreSQL database on the
    server KELOLA_DATABASE_URL names (created here, dropped at the end)."""
    data_dir = Path(tempfile.mkdtemp(prefix="kelola-bench-"))
    env = {
        **os.environ,
        "KELOLA_ENV": "production",
        "KELOLA_DATA_DIR": str(data_dir),
        "KELOLA_JWT_SECRET": secrets.token_urlsafe(48),
        "KELOLA_ENCRYPTION_KEY": _fernet_key(),
        "KELOLA_LOG_JSON": "true",
        **settings,
    }
    environment = Environment(env)
    environment.cleanup.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    base = os.environ.get("KELOLA_DATABASE_URL")
    if base and base.startswith("postgres"):
        name = f"kelola_bench_{uuid.uuid4().hex[:8]}"
        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        asyncio.run(_pg(admin, f'CREATE DATABASE "{name}"'))
        env["KELOLA_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        environment.cleanup.append(
            lambda: asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        )
    else:
        env["KELOLA_DATABASE_URL"] = f"sqlite://{data_dir / 'bench.sqlite3'}"
    os.environ.update(env)
    return environment


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


async def _pg(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def seed(
    *, channels: int, targets: int, latency_ms: int, failure_rates: dict[str, float], lead_s: float
) -> datetime:
    """Channels and posts, all scheduled through the real scheduling path for one instant.
    Returns that instant."""
    from domain.channels.service import SandboxOptions, connect_sandbox
    from domain.content.drafts import PostDraft, TargetDraft
    from domain.content.posts import create_post
    from domain.content.scheduling import schedule_post
    from domain.identity import workspaces
    from domain.identity.models import User
    from domain.tenancy import Actor
    from domain.uow import unit_of_work

    user = await User.create(email="bench@example.com", name="bench", password_hash="x")
    actor = Actor(user_id=user.id)
    async with unit_of_work():
        workspace = await workspaces.create_workspace(actor, name="Bench")
    channel_ids = []
    for index in range(channels):
        async with unit_of_work():
            channel = await connect_sandbox(
                actor,
                workspace_id=workspace.id,
                options=SandboxOptions(
                    handle=f"bench{index}",
                    latency_ms=latency_ms,
                    failure_rates=failure_rates,
                    seed=index,
                ),
            )
        channel_ids.append(channel.id)
    post_ids = []
    for index in range(targets):
        async with unit_of_work():
            draft = PostDraft(
                body=f"Benchmark post {index} {uuid.uuid4().hex[:6]}",
                targets=(TargetDraft(channel_ids[index % channels]),),
            )
            post_ids.append((await create_post(actor, workspace_id=workspace.id, draft=draft)).id)
    # Scheduling runs the full validation per post: leave it time to finish before the instant.
    started = time.monotonic()
    due = (datetime.now(UTC) + timedelta(seconds=lead_s + 0.04 * targets)).replace(microsecond=0)
    for post_id in post_ids:
        async with unit_of_work():
            await schedule_post(actor, post_id=post_id, at=due, timezone="UTC")
    print(f"scheduled {targets} posts in {time.monotonic() - started:.1f} s", flush=True)
    return due


class Worker:
    """One `kelola worker` process."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log_path = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        command = [sys.executable, "-m", "api.cli", "worker"]
        profile = os.environ.get("KELOLA_BENCH_PROFILE")  # a py-spy output file, for digging
        if profile:
            command = ["py-spy", "record", "-o", profile, "-f", "speedscope", "--", *command]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


async def status_counts() -> dict[str, int]:
    from domain.content.models import PostTarget

    rows = await PostTarget.all().values_list("status", flat=True)
    counts: dict[str, int] = {}
    for status in rows:
        counts[str(status.value if hasattr(status, "value") else status)] = (
            counts.get(str(status.value if hasattr(status, "value") else status), 0) + 1
        )
    return counts


async def wait_until_final(total: int, deadline_s: float, poll_s: float = 0.25) -> dict[str, int]:
    started = time.monotonic()
    while True:
        counts = await status_counts()
        if sum(counts.get(status, 0) for status in FINAL) >= total:
            return counts
        if time.monotonic() - started > deadline_s:
            return counts
        await asyncio.sleep(poll_s)


async def lateness_and_duplicates() -> tuple[list[float], int, int]:
    """Seconds late of each published target, duplicate posts in the sandbox ledger, and
    published targets the ledger does not have (lost)."""
    from domain.content.models import PostTarget, TargetStatus
    from domain.platforms.sandbox.models import SandboxPost

    published = await PostTarget.filter(status=TargetStatus.PUBLISHED).values_list(
        "id", "scheduled_at", "published_at"
    )
    late = [(at - due).total_seconds() for _, due, at in published]
    references = await SandboxPost.all().values_list("reference", flat=True)
    seen: dict[str, int] = {}
    for reference in references:
        seen[reference] = seen.get(reference, 0) + 1
    duplicates = sum(count - 1 for count in seen.values() if count > 1)
    missing = sum(1 for target_id, _, _ in published if f"kelola-target-{target_id}" not in seen)
    return late, duplicates, missing


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
