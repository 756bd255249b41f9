"""Login limits: failures per username and per client address throttle further attempts (429,
`Retry-After`) before any password is checked; success clears the username's count; the client
address is the peer's unless a trusted proxy names it.

Each test logs in through a gateway that trusts 127.0.0.1 as a proxy and sends an
`X-Forwarded-For` address of its own, with usernames of its own: its failures never throttle
the other tests' logins (which all come from 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from ipaddress import ip_network

import pytest
from aiohttp import ClientSession
from argon2 import PasswordHasher
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, text

from shared.db.models import User
from shared.settings import Settings
from tests.api import PASSWORD, Api, Plant, Response

_addresses = itertools.count(1)


@dataclass
class Logins:
    """Logs in through one gateway, as coming from `address` (unless told otherwise)."""

    http: ClientSession
    address: str

    async def attempt(
        self, username: str, password: str, *, address: str | None = None
    ) -> Response:
        return await Api(self.http, None).post(
            "/auth/token/",
            {"username": username, "password": password},
            headers={"X-Forwarded-For": address or self.address},
        )

    async def fail(self, username: str, times: int) -> None:
        for _ in range(times):
            assert (await self.attempt(username, "wrong-password")).status == 401

    async def metric(self, name: str, **labels: str) -> float:
        async with self.http.get("/metrics") as response:
            text = await response.text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return sample.value
        return 0.0


def fresh_address() -> str:
    """A benchmarking-range address (198.18.0.0/15) no other test of the run uses."""
    n = next(_addresses)
    return f"198.18.{n // 256}.{n % 256}"


async def forget(plant: Plant, where: str, **params: object) -> None:
    """Remove the failures a test recorded (they would count against later logins)."""
    async with plant.db.begin() as conn:
        await conn.execute(text(f"DELETE FROM login_failures WHERE {where}"), params)


Gateway = Callable[..., Awaitable[Logins]]


@pytest.fixture
async def behind_proxy(settings: Settings, plant: Plant, gateway_for) -> AsyncIterator[Gateway]:  # type: ignore[no-untyped-def]
    """A gateway trusting 127.0.0.1's `X-Forwarded-For` (more settings as keywords); the
    failures the test left behind are removed afterwards."""
    addresses: list[str] = []
    sessions: list[ClientSession] = []

    async def start(**overrides: object) -> Logins:
        update = {"trusted_proxies": (ip_network("127.0.0.1"),), **overrides}
        _, server = await gateway_for(settings.model_copy(update=update))
        session = ClientSession(base_url=str(server.make_url("/")))
        sessions.append(session)
        addresses.append(fresh_address())
        return Logins(session, addresses[-1])

    yield start
    for session in sessions:
        await session.close()
    await forget(plant, "host(address) = ANY(:addresses)", addresses=addresses)


async def new_user(plant: Plant) -> str:
    """A user of the test's own (so that throttling it touches nobody else's logins)."""
    username = f"login-{uuid.uuid4().hex[:10]}"
    async with plant.db.begin() as conn:
        await conn.execute(
            insert(User).values(
                username=username,
                full_name="Usuario de prueba",
                role="TECNICO",
                password_hash=PasswordHasher().hash(PASSWORD),
            )
        )
    return username


def assert_throttled(response: Response, window_s: int) -> int:
    assert response.status == 429
    assert response.body == {
        "status": "error",
        "message": "too many failed logins; try again later",
        "errors": [],
    }
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window_s
    return retry_after


async def test_five_wrong_passwords_refuse_the_sixth_attempt_even_with_the_right_one(
    plant: Plant, behind_proxy: Gateway
) -> None:
    logins = await behind_proxy()
    username = await new_user(plant)
    await logins.fail(username, 5)
    assert_throttled(await logins.attempt(username, PASSWORD), 900)
    # The username is throttled from any address.
    assert_throttled(await logins.attempt(username, PASSWORD, address=fresh_address()), 900)


async def test_the_right_password_works_once_the_window_has_passed(
    plant: Plant, behind_proxy: Gateway
) -> None:
    logins = await behind_proxy(login_window_s=2)
    username = await new_user(plant)
    await logins.fail(username, 5)
    retry_after = assert_throttled(await logins.attempt(username, PASSWORD), 2)
    await asyncio.sleep(retry_after + 0.2)
    assert (await logins.attempt(username, PASSWORD)).status == 200


async def test_a_successful_login_resets_the_count(plant: Plant, behind_proxy: Gateway) -> None:
    logins = await behind_proxy()
    username = await new_user(plant)
    await logins.fail(username, 4)
    assert (await logins.attempt(username, PASSWORD)).status == 200
    assert (
        await plant.scalar("SELECT count(*) FROM login_failures WHERE username = :u", u=username)
        == 0
    )
    # Four more failures are four, not eight: the right password still works.
    await logins.fail(username, 4)
    assert (await logins.attempt(username, PASSWORD)).status == 200


async def test_an_unknown_username_counts_like_a_wrong_password(
    plant: Plant, behind_proxy: Gateway
) -> None:
    logins = await behind_proxy()
    ghost = f"ghost-{uuid.uuid4().hex[:10]}"
    runs = await logins.metric("mantenimiento_password_jobs_total", outcome="run")
    await logins.fail(ghost, 5)
    # Each unknown-user attempt verified one hash, as a wrong password does.
    assert await logins.metric("mantenimiento_password_jobs_total", outcome="run") == runs + 5
    assert_throttled(await logins.attempt(ghost, PASSWORD), 900)


async def test_a_throttled_attempt_checks_no_password(plant: Plant, behind_proxy: Gateway) -> None:
    logins = await behind_proxy()
    username = await new_user(plant)
    await logins.fail(username, 5)
    runs = await logins.metric("mantenimiento_password_jobs_total", outcome="run")
    refusals = await logins.metric("mantenimiento_login_refusals_total", reason="user")
    assert_throttled(await logins.attempt(username, PASSWORD), 900)
    assert await logins.metric("mantenimiento_password_jobs_total", outcome="run") == runs
    assert await logins.metric("mantenimiento_login_refusals_total", reason="user") == (
        refusals + 1
    )
    # Nor is the refused attempt counted as a failure.
    assert (
        await plant.scalar("SELECT count(*) FROM login_failures WHERE username = :u", u=username)
        == 5
    )


async def test_twenty_failures_from_one_address_throttle_that_address_only(
    plant: Plant, behind_proxy: Gateway
) -> None:
    logins = await behind_proxy()
    for n in range(20):
        await logins.fail(f"guess-{uuid.uuid4().hex[:8]}-{n}", 1)
    username = await new_user(plant)
    refusals = await logins.metric("mantenimiento_login_refusals_total", reason="address")
    assert_throttled(await logins.attempt(username, PASSWORD), 900)
    assert await logins.metric("mantenimiento_login_refusals_total", reason="address") == (
        refusals + 1
    )
    assert (await logins.attempt(username, PASSWORD, address=fresh_address())).status == 200


async def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(
    http: ClientSession, plant: Plant, behind_proxy: Gateway
) -> None:
    proxied = await behind_proxy()
    username = await new_user(plant)
    await proxied.fail(username, 1)
    # The session's gateway trusts no proxy: the same header is ignored, the peer counts.
    direct = Logins(http, proxied.address)
    await direct.fail(username, 1)
    addresses = await plant.scalar(
        "SELECT string_agg(host(address), ',' ORDER BY id) FROM login_failures WHERE username = :u",
        u=username,
    )
    await forget(plant, "username = :username", username=username)
    assert addresses == f"{proxied.address},127.0.0.1"


async def test_retry_after_is_when_the_attempt_would_pass(
    plant: Plant, behind_proxy: Gateway
) -> None:
    """With more failures than the limit (attempts that raced past the check), the wait is until
    enough of them have left the window, not just the oldest."""
    logins = await behind_proxy()
    username = await new_user(plant)
    async with plant.db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO login_failures (username, address, failed_at)"
                " SELECT :username, CAST(:address AS inet), now() - age * interval '1 second'"
                " FROM unnest(CAST(:ages AS int[])) age"
            ),
            {
                "username": username,
                "address": logins.address,
                "ages": [500, 400, 300, 200, 100, 50],
            },
        )
    # Six failures, limit five: the attempt passes once the one 400 s old has left the window.
    retry_after = assert_throttled(await logins.attempt(username, PASSWORD), 900)
    assert 499 <= retry_after <= 500
