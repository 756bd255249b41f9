"""`python -m shared.preflight`: are PostgreSQL and RabbitMQ reachable at the configured URLs?

Prints one clear line per unreachable service and exits 1; with `--create-database`, also
creates the configured database when the server answers but the database does not exist.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import aio_pika
import asyncpg

from shared.settings import Settings

TIMEOUT_S = 3


def _dsn(database_url: str, database: str | None = None) -> tuple[str, str]:
    plain = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    base, _, name = plain.rpartition("/")
    name = name.split("?", 1)[0]
    return (f"{base}/{database}" if database else plain), name


async def _check_postgres(settings: Settings, create: bool) -> str | None:
    maintenance_dsn, name = _dsn(settings.database_url, "postgres")
    try:
        conn = await asyncpg.connect(maintenance_dsn, timeout=TIMEOUT_S)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL is not reachable at {settings.database_url}: {exc}"
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists and create:
            await conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    finally:
        await conn.close()
    return None


async def _check_rabbitmq(settings: Settings) -> str | None:
    try:
        connection = await aio_pika.connect(settings.amqp_url, timeout=TIMEOUT_S)
    except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
        return f"RabbitMQ is not reachable at {settings.amqp_url}: {exc}"
    await connection.close()
    return None


async def check(settings: Settings, create_database: bool) -> list[str]:
    problems = await asyncio.gather(
        _check_postgres(settings, create_database), _check_rabbitmq(settings)
    )
    return [problem for problem in problems if problem]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--create-database", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="only the exit status")
    args = parser.parse_args()
    # aiormq logs its own failed connect; the one line below says it for both services.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    problems = asyncio.run(check(Settings(), args.create_database))
    if not args.quiet:
        for problem in problems:
            print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
