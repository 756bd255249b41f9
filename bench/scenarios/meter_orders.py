"""I2: a reading published over AMQP that makes an order of a program by use due: the time from
its publish until `GET /mantenimiento/ot/` shows the order, median of a few turns, against 1 s.

Setup through the real service: an hour counter on each of a few assets (the bench's
`OWN_ASSETS`, which no other counter is on), a first reading two days ago, and one program by
use (every `INTERVAL` h, no lead) over those assets, started yesterday: each asset's first cycle
is due at its first reading plus `INTERVAL`. Each turn publishes one reading past that on the
next asset's counter, confirmed by the broker, then polls the asset's orders of the day (every
`POLL_S`) until the program's order is there; it must be the only one, due by use at that usage.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import orjson

from bench.readings import OWN_ASSETS, publisher
from bench.registry import Answer, Goal, Row, Run, WrongAnswer, scenario

TURNS, QUICK_TURNS = 5, 3
INTERVAL = 500
FIRST = 1_000
POLL_S = 0.01
ORDER_WAIT_S = 30.0
SOURCE = "bench-i2"


def _ok(answer: Answer, key: str, what: str) -> Any:
    if answer.status != 200 or key not in answer.body:
        raise WrongAnswer(f"I2 {what}: {answer.status} {str(answer.body)[:300]}")
    return answer.body[key]


async def _program(run: Run, assets: list[int]) -> tuple[int, list[str]]:
    """The program by use over `assets`, and the code of each one's counter."""
    tag = uuid.uuid4().hex[:6]
    first_read = datetime.now(timezone.utc) - timedelta(days=2)
    codes = []
    for asset in assets:
        code = f"I2-{tag}-{asset}"
        meter = {"code": code, "name": f"Horómetro {code}", "asset_id": asset}
        saved = await run.command(
            "/mantenimiento/medidores/guardar/", meter | {"unit": "h", "kind": "CONTADOR"}
        )
        meter_id = _ok(saved, "meter_id", "meter")
        read = await run.command(
            f"/mantenimiento/medidores/{meter_id}/lecturas/",
            {"value": FIRST, "taken_at": first_read.isoformat()},
        )
        _ok(read, "reading_id", "first reading")
        codes.append(code)
    async with run.database() as connection:
        routine = await connection.fetchval("SELECT min(id) FROM routines")
        technician = await connection.fetchval("SELECT min(id) FROM users WHERE role = 'TECNICO'")
    program = {
        "routine_id": routine,
        "asset_ids": assets,
        "start_date": (first_read.date() + timedelta(days=1)).isoformat(),
        "technician_id": technician,
        "basis": "MEDIDOR",
        "meter_interval": INTERVAL,
        "meter_unit": "h",
        "meter_lead": 0,
        "one_order_per_asset": True,
    }
    saved = await run.command("/mantenimiento/programas/guardar/", program)
    return _ok(saved, "program_id", "program"), codes


async def _orders_of(
    session: aiohttp.ClientSession, asset: int, program: int, day: date
) -> list[Any]:
    query = {"asset_id": str(asset), "start_date": day.isoformat(), "end_date": day.isoformat()}
    async with session.get("/mantenimiento/ot/", params=query) as answer:
        if answer.status != 200:
            raise WrongAnswer(f"I2: GET /ot/ {answer.status} {await answer.text()}")
        return [o for o in await answer.json() if o["program_id"] == program]


async def _turn(
    run: Run, session: aiohttp.ClientSession, publish: Any, program: int, asset: int, code: str
) -> float:
    """Seconds from the reading's publish until its order is listed."""
    await run.quiet()
    now = datetime.now(timezone.utc)
    reading = {"meter_code": code, "value": FIRST + INTERVAL + 10, "taken_at": now.isoformat()}
    body = orjson.dumps({"source": SOURCE, "readings": [reading]})
    began = time.perf_counter()
    await publish([body])
    while not (orders := await _orders_of(session, asset, program, now.date())):
        if time.perf_counter() - began > ORDER_WAIT_S:
            raise WrongAnswer(f"I2: no order for asset {asset} after {ORDER_WAIT_S:g}s")
        await asyncio.sleep(POLL_S)
    seconds = time.perf_counter() - began
    due = [(o["trigger"], Decimal(str(o["due_usage"])), o["status"]) for o in orders]
    if due != [("MEDIDOR", Decimal(FIRST + INTERVAL), "PENDIENTE")]:
        raise WrongAnswer(f"I2: asset {asset}'s orders of the program: {orders}")
    return seconds


@scenario("I2", "a reading over AMQP that makes an order due: time until GET /ot/ shows it")
async def reading_to_order(run: Run) -> list[Row]:
    turns = QUICK_TURNS if run.quick else TURNS
    assets = list(range(1, min(turns, OWN_ASSETS) + 1))
    program, codes = await _program(run, assets)
    headers = {"Authorization": f"Bearer {run.data.token}"}
    times = []
    async with (
        aiohttp.ClientSession(run.base_url, headers=headers) as session,
        publisher(run.site) as publish,
    ):
        for asset, code in zip(assets, codes, strict=True):
            times.append(await _turn(run, session, publish, program, asset, code))
    return [
        Row(
            "I2",
            f"reading to order listed, p50 of {len(times)}",
            "ms",
            statistics.median(times) * 1000,
            None,
            Goal("<=", 1000),
            detail={"order_ms": [round(s * 1000, 1) for s in times]},
        )
    ]
