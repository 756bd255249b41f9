"""Where the tests find PostgreSQL and RabbitMQ: the configured URLs (or the stock loopback
ports) when they answer, otherwise containers started with testcontainers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import asyncpg
from aiohttp.test_utils import TestServer

from gateway.keys import PUSH, RPC
from shared.messaging.topology import delete_topology
from shared.migrate import upgrade
from shared.settings import Settings

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str  # SQLAlchemy form, pointing at a maintenance database (e.g. `postgres`)
    amqp_url: str


def plain_url(database_url: str) -> str:
    """The asyncpg form of a SQLAlchemy URL."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(database_url: str, name: str) -> str:
    base, _, _ = database_url.rpartition("/")
    return f"{base}/{name}"


async def _postgres_answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(plain_url(url), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _rabbitmq_answers(url: str) -> bool:
    try:
        connection = await aio_pika.connect(url, timeout=3)
    except (TimeoutError, OSError, aio_pika.exceptions.AMQPError):
        return False
    await connection.close()
    return True


@contextlib.contextmanager
def service_urls() -> Iterator[ServiceUrls]:
    database_url = (
        os.environ.get("TEST_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    amqp_url = os.environ.get("TEST_AMQP_URL") or os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL
    with contextlib.ExitStack() as stack:
        if not asyncio.run(_postgres_answers(database_url)):
            from testcontainers.postgres import PostgresContainer

            pg = stack.enter_context(PostgresContainer("postgres:16-alpine", driver="asyncpg"))
            database_url = pg.get_connection_url()
        if not asyncio.run(_rabbitmq_answers(amqp_url)):
            from testcontainers.rabbitmq import RabbitMqContainer

            mq = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management"))
            params = mq.get_connection_params()
            amqp_url = f"amqp://guest:guest@{params.host}:{params.port}/"
        yield ServiceUrls(database_url, amqp_url)


@contextlib.asynccontextmanager
async def own_run(urls: ServiceUrls, prefix: str, **overrides: Any) -> AsyncIterator[Settings]:
    """Settings of a run of its own: a new migrated database and a broker namespace, both
    removed at the end whatever happens."""
    run = uuid.uuid4().hex[:10]
    name = f"mant_{prefix}_{run}"
    admin = await asyncpg.connect(plain_url(urls.database_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(
        database_url=with_database(urls.database_url, name),
        amqp_url=urls.amqp_url,
        amqp_namespace=f"{prefix}_{run}",
        _env_file=None,
        **overrides,
    )
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        yield settings
    finally:
        connection = await aio_pika.connect(settings.amqp_url)
        await delete_topology(await connection.channel(), settings)
        await connection.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def connected(server: TestServer) -> None:
    """Wait until the gateway's broker connections (commands, and the push feed) are up."""
    for broker in (server.app[RPC].broker, server.app[PUSH].broker):
        await asyncio.wait_for(broker.started.wait(), 20)
