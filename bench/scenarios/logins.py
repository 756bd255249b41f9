"""L1: a correct login while 200 failing logins are in flight: its answer time, against an
absolute ceiling of one second (a person waiting to log in).

The failing logins use 200 different usernames (none of them throttled) from the bench's one
address, so the scenario runs its own gateway with the per-address limit lifted. Each turn sends
the 200 at once, waits until the gateway's metrics show every one of them at its password pool
(checked, refused after waiting, or still waiting), then times the bench planner's login with
the right password. Every failing login must be answered 401, or 503 with `Retry-After` (it
waited past `PASSWORD_WAIT_S`); the correct one 200 with a token. The figure is the worst turn.
The failures the turns recorded are removed afterwards: the service's own gateway counts them
for the same address.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.dataset import BENCH_PASSWORD, BENCH_USERNAME
from bench.environment import BIN, Process, free_port, running, wait_http
from bench.registry import Goal, Row, Run, WrongAnswer, scenario

FAILING = 200
TURNS = 5
QUICK_TURNS = 2
IN_FLIGHT_WAIT_S = 30.0
LOGIN = "/mantenimiento/auth/token/"


async def _reached_pool(session: aiohttp.ClientSession) -> float:
    """Password jobs that reached the gateway's pool so far: run, refused or waiting."""
    async with session.get("/metrics") as answer:
        text = await answer.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in ("mantenimiento_password_jobs_total", "mantenimiento_password_waiting")
    )


async def _fail(session: aiohttp.ClientSession, username: str) -> None:
    body = {"username": username, "password": "not-the-password"}
    async with session.post(LOGIN, json=body) as answer:
        if answer.status == 401 or (answer.status == 503 and "Retry-After" in answer.headers):
            return
        raise WrongAnswer(f"L1: a failing login answered {answer.status} {await answer.text()}")


async def _turn(session: aiohttp.ClientSession) -> float:
    """The correct login's answer time, in seconds, with the failing ones in flight."""
    prefix = uuid.uuid4().hex[:8]
    before = await _reached_pool(session)
    failing = [asyncio.create_task(_fail(session, f"l1-{prefix}-{n}")) for n in range(FAILING)]
    try:
        deadline = time.monotonic() + IN_FLIGHT_WAIT_S
        while await _reached_pool(session) - before < FAILING:
            if time.monotonic() > deadline:
                raise WrongAnswer(f"L1: the {FAILING} failing logins never all reached the pool")
            await asyncio.sleep(0.01)
        body = {"username": BENCH_USERNAME, "password": BENCH_PASSWORD}
        began = time.perf_counter()
        async with session.post(LOGIN, json=body) as answer:
            status, data = answer.status, await answer.json()
        seconds = time.perf_counter() - began
        if status != 200 or "token" not in data:
            raise WrongAnswer(f"L1: the correct login answered {status} {data}")
        await asyncio.gather(*failing)
        return seconds
    finally:
        for task in failing:
            task.cancel()
        await asyncio.gather(*failing, return_exceptions=True)


@scenario("L1", "a correct login while 200 failing logins are in flight: answer time (ms)")
async def login_under_flood(run: Run) -> list[Row]:
    port = free_port()
    env = run.site.env(HTTP_PORT=str(port), LOGIN_FAILURES_PER_ADDRESS="1000000")
    gateway = Process("login-gateway", [str(BIN / "mantenimiento"), "gateway"], env)
    base_url = f"http://127.0.0.1:{port}"
    times: list[float] = []
    try:
        async with running([gateway]):
            await wait_http(f"{base_url}/mantenimiento/health/ready/", [gateway])
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(base_url, connector=connector) as session:
                for _ in range(QUICK_TURNS if run.quick else TURNS):
                    times.append(await _turn(session))
    finally:
        async with run.database() as connection:
            await connection.execute("DELETE FROM login_failures")
    return [
        Row(
            "L1",
            f"login beside {FAILING} failing (worst turn)",
            "ms",
            max(times) * 1000,
            None,
            Goal("<=", 1000),
            detail={"login_ms": [round(s * 1000, 1) for s in times]},
        )
    ]
