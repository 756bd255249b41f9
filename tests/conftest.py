"""Service fixtures: a database and a broker namespace of the run's own, migrated with alembic,
and the real gateway (over real HTTP) and a real worker running beside the tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import aio_pika
import asyncpg
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from shared.db.engine import create_engine
from shared.messaging.topology import delete_topology
from shared.settings import Settings
from tests.api import Api, Plant
from tests.services import (
    ServiceUrls,
    connected,
    own_run,
    plain_url,
    service_urls,
    with_database,
)
from workers.runner import Worker


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceUrls]:
    with service_urls() as urls:
        yield urls


@pytest.fixture(scope="session")
async def settings(services: ServiceUrls) -> AsyncIterator[Settings]:
    async with own_run(services, "test", command_timeout_s=5, worker_metrics_port=0) as settings:
        yield settings


@pytest.fixture
async def empty_database(services: ServiceUrls) -> AsyncIterator[str]:
    name = f"mant_empty_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(plain_url(services.database_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(services.database_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """Direct access for test set-up and for checking what was (not) written."""
    engine = create_engine(settings, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def worker(settings: Settings) -> AsyncIterator[Worker]:
    worker = Worker(settings, ["ordenes", "generacion", "notificaciones"])
    await worker.start()
    await asyncio.wait_for(worker.broker.started.wait(), 20)
    yield worker
    await worker.stop()


@pytest.fixture(scope="session")
async def gateway(settings: Settings, worker: Worker) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    await connected(server)
    yield server
    await server.close()


@pytest.fixture(scope="session")
async def http(gateway: TestServer) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=str(gateway.make_url("/"))) as session:
        yield session


@pytest.fixture(scope="session")
async def plant(db: AsyncEngine, http: ClientSession) -> Plant:
    """Users of every role (logged in), and a small plant to hang orders on."""
    return await Plant.create(db, http)


@pytest.fixture(scope="session")
def admin(plant: Plant) -> Api:
    return plant.api["ADMIN"]


@pytest.fixture(scope="session")
def planner(plant: Plant) -> Api:
    return plant.api["PLANIFICADOR"]


@pytest.fixture(scope="session")
def tech(plant: Plant) -> Api:
    return plant.api["TECNICO"]


@pytest.fixture(scope="session")
def other_tech(plant: Plant) -> Api:
    return plant.api["TECNICO2"]


@pytest.fixture(scope="session")
def requester(plant: Plant) -> Api:
    return plant.api["SOLICITANTE"]


@pytest.fixture
async def gateway_for(planner: Api) -> AsyncIterator:  # type: ignore[type-arg]
    """Starts extra gateways with other settings; yields a factory of logged-in clients."""
    servers: list[TestServer] = []
    sessions: list[ClientSession] = []

    async def start(settings: Settings) -> tuple[Api, TestServer]:
        server = TestServer(create_app(settings), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        await connected(server)
        session = ClientSession(base_url=str(server.make_url("/")))
        sessions.append(session)
        return Api(session, planner.token, planner.user), server

    yield start
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()


@pytest.fixture
async def own_namespace(settings: Settings) -> AsyncIterator[Settings]:
    """The run's settings with a broker namespace of the test's own, removed afterwards: no
    worker consumes it unless the test starts one."""
    own = settings.model_copy(
        update={"amqp_namespace": f"{settings.amqp_namespace}_{uuid.uuid4().hex[:6]}"}
    )
    yield own
    connection = await aio_pika.connect(settings.amqp_url)
    await delete_topology(await connection.channel(), own)
    await connection.close()


@pytest.fixture
async def worker_for() -> AsyncIterator:  # type: ignore[type-arg]
    """Starts extra workers with other settings (connected when returned); stops them after."""
    workers: list[Worker] = []

    async def start(settings: Settings, groups: tuple[str, ...] = ("ordenes",)) -> Worker:
        worker = Worker(settings, list(groups))
        workers.append(worker)
        await worker.start()
        await asyncio.wait_for(worker.broker.started.wait(), 20)
        return worker

    yield start
    for worker in workers:
        await worker.stop()
