"""The `kelola` command: dev, serve, worker, migrate, makemigrations, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from domain.settings import get_settings

SCHEMA_PATH = Path("schema.graphql")


def _migrate() -> None:
    from domain.db import migrate

    asyncio.run(migrate())


def _serve(workers: int) -> None:
    import uvicorn

    from domain.logs import configure_logging
    from domain.settings import require_secrets

    settings = get_settings()
    require_secrets()
    configure_logging(json_lines=settings.uses_json_logs)
    uvicorn.run(
        "api.app:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


def _worker() -> None:
    from domain.settings import require_secrets
    from workers.settings import build_worker

    require_secrets()
    build_worker().run()


def _dev() -> None:
    """Migrate, then run the API and a worker on the embedded default."""
    from domain.redis import redis_url

    settings = get_settings()
    _migrate()
    # Child processes share the embedded Redis through its socket.
    env = {**os.environ, "KELOLA_REDIS_URL": redis_url()}
    os.environ["KELOLA_REDIS_URL"] = env["KELOLA_REDIS_URL"]
    get_settings.cache_clear()
    worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=env)  # noqa: S603
    print(
        f"Kelola is running: GraphQL at http://{settings.host}:{settings.port}/graphql", flush=True
    )
    try:
        _serve(workers=1)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


def _export_schema(path: str) -> None:
    from api.schema import schema

    text = schema.as_str() + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text)
        print(f"wrote {path}")


async def _pending_model_changes() -> list[str]:
    from tortoise.context import TortoiseContext
    from tortoise.migrations.autodetector import MigrationAutodetector

    from domain.db import tortoise_config

    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
        await context.close_connections()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]


def _makemigrations(name: str | None, check: bool) -> None:
    if check:
        pending = asyncio.run(_pending_model_changes())
        if pending:
            print(f"models changed without a migration: {', '.join(pending)}", file=sys.stderr)
            sys.exit(1)
        print("migrations match the models")
        return
    from tortoise.cli.cli import run_cli_async

    argv = ["-c", "domain.db.TORTOISE_ORM", "makemigrations"]
    if name:
        argv += ["--name", name]
    sys.exit(asyncio.run(run_cli_async(argv)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kelola", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="migrate and run API + worker on the embedded default")
    serve = commands.add_parser("serve", help="run the API (uvicorn)")
    serve.add_argument("--workers", type=int, default=1, help="API processes")
    commands.add_parser("worker", help="run an arq worker")
    commands.add_parser("migrate", help="apply pending database migrations")
    makemigrations = commands.add_parser(
        "makemigrations", help="write migrations for model changes"
    )
    makemigrations.add_argument("--name")
    makemigrations.add_argument(
        "--check", action="store_true", help="only fail when models changed without a migration"
    )
    export = commands.add_parser("export-schema", help="write the GraphQL schema")
    export.add_argument("path", nargs="?", default=str(SCHEMA_PATH))
    args = parser.parse_args(argv)
    match args.command:
        case "dev":
            _dev()
        case "serve":
            _serve(args.workers)
        case "worker":
            _worker()
        case "migrate":
            _migrate()
        case "makemigrations":
            _makemigrations(args.name, args.check)
        case "export-schema":
            _export_schema(args.path)


if __name__ == "__main__":
    main()
