"""DATABASE_READ_URL against a real streaming replica: lists and searches read the replica,
single objects and every write the primary, and a replica that goes away leaves lists on the
primary without a restart.

A primary and its replica of their own (PostgreSQL 15's binaries, as the `postgres` user, in a
temporary directory, on ports of their own): the stock server's `pg_hba.conf` admits no
replication and stays as it is. `initdb -A trust` writes the `host replication` line for
127.0.0.1 that `pg_basebackup -R` needs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher
from sqlalchemy import insert

from gateway.app import create_app
from shared.db.engine import create_engine
from shared.db.models import User
from shared.migrate import upgrade
from shared.settings import Settings
from tests.api import Api
from tests.faults.servers import PG_BIN, PrivatePostgres, _as_user, _run
from tests.services import plain_url

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="runs PostgreSQL as the postgres user: root"),
]

PASSWORD = "replica-pass"
# What the gateway's own connections call themselves (shared/db/engine.py).
APPLICATION = "mantenimiento"


@pytest.fixture
def servers() -> Iterator[tuple[PrivatePostgres, PrivatePostgres]]:
    # Not pytest's tmp_path: its parents are closed to the postgres user.
    tmp_path = Path(tempfile.mkdtemp(prefix="replica-"))
    os.chmod(tmp_path, 0o755)
    primary = PrivatePostgres(tmp_path / "primary")
    replica = PrivatePostgres(tmp_path / "replica")
    for server in (primary, replica):
        server.root.mkdir()
        shutil.chown(server.root, "postgres")
    started: list[PrivatePostgres] = []
    try:
        primary.init()
        started.append(primary)
        _run(
            _as_user(
                "postgres",
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(replica.data),
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",  # else it waits for the next spread checkpoint
                ],
            )
        )
        replica.start()
        started.append(replica)
        yield primary, replica
    finally:
        for server in reversed(started):
            if server.running():
                server.stop()
        shutil.rmtree(tmp_path, ignore_errors=True)


async def _sessions(url: str) -> int:
    """The gateway's connections on one server."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
                " AND pid <> pg_backend_pid()",
                APPLICATION,
            )
        )
    finally:
        await conn.close()


async def _replayed(replica_url: str, username: str) -> None:
    """Until the replica has replayed the primary's user."""
    conn = await asyncpg.connect(plain_url(replica_url))
    try:
        for _ in range(100):
            if await conn.fetchval("SELECT 1 FROM users WHERE username = $1", username):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the replica never replayed the primary's writes")
    finally:
        await conn.close()


@pytest.fixture
async def planner(
    servers: tuple[PrivatePostgres, PrivatePostgres], settings: Settings
) -> AsyncIterator[tuple[Api, PrivatePostgres, PrivatePostgres]]:
    primary, replica = servers
    await asyncio.to_thread(upgrade, primary.url)
    engine = create_engine(Settings(database_url=primary.url, _env_file=None))  # type: ignore[call-arg]
    async with engine.begin() as conn:
        await conn.execute(
            insert(User),
            [
                {
                    "username": "planner",
                    "full_name": "Planner",
                    "role": "PLANIFICADOR",
                    "password_hash": PasswordHasher().hash(PASSWORD),
                }
            ],
        )
    await engine.dispose()
    await _replayed(replica.url, "planner")
    # The run's broker namespace (its workers are not needed: only reads are asked for).
    both = settings.model_copy(
        update={"database_url": primary.url, "database_read_url": replica.url}
    )
    server = TestServer(create_app(both), host="127.0.0.1")
    await server.start_server()
    async with ClientSession(base_url=str(server.make_url("/"))) as http:
        api = Api(http, None)
        login = await api.post("/auth/token/", {"username": "planner", "password": PASSWORD})
        assert login.status == 200, login.body
        api.token, api.user = login.body["token"], login.body["user"]
        yield api, primary, replica
    await server.close()


async def test_lists_read_the_replica_and_the_rest_the_primary(
    planner: tuple[Api, PrivatePostgres, PrivatePostgres],
) -> None:
    api, primary, replica = planner
    assert await _sessions(replica.url) == 0  # the login read the primary
    for path in ("/ot/", "/rutinas/", "/programas/", "/activos/", "/tecnicos/carga/"):
        response = await api.get(path)
        assert response.status == 200, (path, response.body)
    assert await _sessions(replica.url) >= 1
    # A single object reads the primary: the replica gains no connection for it.
    before = await _sessions(replica.url)
    assert (await api.get("/ot/1/")).status == 404
    assert (await api.get("/auth/me/")).status == 200
    assert await _sessions(replica.url) == before
    # The login wrote its token: on the primary, as the replica takes no writes.
    conn = await asyncpg.connect(plain_url(primary.url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM api_tokens") == 1
    finally:
        await conn.close()


async def test_without_the_replica_lists_read_the_primary(
    planner: tuple[Api, PrivatePostgres, PrivatePostgres],
) -> None:
    api, primary, replica = planner
    assert (await api.get("/ot/")).status == 200
    replica.stop()
    # The first list after the loss may meet a pooled connection the replica dropped (503);
    # then the replica is skipped and lists are answered by the primary.
    answers = [(await api.get("/ot/")).status for _ in range(3)]
    assert answers[-1] == 200 and set(answers) <= {200, 503}, answers
    for path in ("/rutinas/", "/programas/"):
        assert (await api.get(path)).status == 200, path
