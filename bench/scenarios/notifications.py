"""N1: one `aviso.creado` event fanned out to 10,000 planners' notifications, beside COPY of
10,000 notification rows.

The planners (and a few inactive ones, who must get nothing) and a requester with a token are
COPYed into the plant first. Each turn, the requester files a notice through the real path
(`POST /app/aviso/crear/`): the command writes the event to the outbox, the relay publishes it,
the `notificaciones` worker inserts one row per active planner. The time runs from the command's
answer (the event is committed by then) until a poll of the event's notifications (every
`POLL_S`, on the `(event_id, user_id)` index) sees them all: they become visible at once, at the
notifier's commit. (Their `created_at` cannot close the interval: it is the notifier
transaction's start.) The ceiling COPYs the same rows for every active planner, in autocommit.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from bench.registry import Row, Run, WrongAnswer, median_times, scenario

PLANNERS = 10_000
QUICK_PLANNERS = 200
# One inactive planner per this many active ones.
INACTIVE_EVERY = 100
TURNS = 3
QUICK_TURNS = 2
POLL_S = 0.01
FANOUT_WAIT_S = 120.0
REQUESTER_TOKEN = "bench-requester-token-not-a-secret"
ASSET_ID = 1
COLUMNS = ("event_id", "user_id", "kind", "title", "message", "aviso_id")


async def _add_users(connection: asyncpg.Connection, planners: int) -> None:
    """Active planners up to `planners` in all, a few inactive ones, and a requester with a
    token, by COPY."""
    have = await connection.fetchval(
        "SELECT count(*) FROM users WHERE role = 'PLANIFICADOR' AND active"
    )
    first = await connection.fetchval("SELECT max(id) + 1 FROM users")
    active = max(0, planners - have)
    users: list[tuple[Any, ...]] = [
        (first + i, f"planificador{i:05d}", f"Planificador {i}", "PLANIFICADOR", True)
        for i in range(active)
    ]
    users += [
        (first + i, f"planificador{i:05d}", f"Planificador {i} (baja)", "PLANIFICADOR", False)
        for i in range(active, active + active // INACTIVE_EVERY)
    ]
    requester = first + len(users)
    users.append((requester, "solicitante_bench", "Solicitante de prueba", "SOLICITANTE", True))
    async with connection.transaction():
        await connection.copy_records_to_table(
            "users", records=users, columns=["id", "username", "full_name", "role", "active"]
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"
        )
        await connection.copy_records_to_table(
            "api_tokens",
            records=[
                (
                    hashlib.sha256(REQUESTER_TOKEN.encode()).hexdigest(),
                    requester,
                    datetime.now(timezone.utc) + timedelta(days=1),
                )
            ],
            columns=["token_hash", "user_id", "expires_at"],
        )
    await connection.execute("ANALYZE users")


async def _ceiling(connection: asyncpg.Connection, planners: list[int], turn: int) -> float:
    """Seconds to COPY one notification per planner (an event id of its own, below any real
    outbox id)."""
    records = [
        (-turn - 1, user, "AVISO_NUEVO", "Nuevo aviso", "Aviso de prueba del banco", None)
        for user in planners
    ]
    began = time.perf_counter()
    status = await connection.copy_records_to_table(
        "notifications", records=records, columns=list(COLUMNS)
    )
    seconds = time.perf_counter() - began
    if status != f"COPY {len(planners)}":
        raise WrongAnswer(f"N1 ceiling: {status}")
    return seconds


async def _fanout(run: Run, connection: asyncpg.Connection, planners: int, turn: int) -> float:
    """Seconds from a notice's answer until its `planners` notifications are all there."""
    answer = await run.command(
        "/mantenimiento/app/aviso/crear/",
        {"asset_id": ASSET_ID, "title": f"Banco N1 {turn}", "priority": "MEDIA"},
        token=REQUESTER_TOKEN,
    )
    began = time.perf_counter()
    if answer.status != 200 or "aviso_id" not in answer.body:
        raise WrongAnswer(f"N1: {answer.status} {str(answer.body)[:300]}")
    event_id = await connection.fetchval(
        "SELECT id FROM outbox WHERE type = 'aviso.creado' AND (data->>'aviso_id')::int = $1",
        answer.body["aviso_id"],
    )
    if event_id is None:
        raise WrongAnswer(f"N1: no aviso.creado event for notice {answer.body['aviso_id']}")
    while True:
        found = await connection.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = $1", event_id
        )
        if found:
            seconds = time.perf_counter() - began
            break
        if time.perf_counter() - began > FANOUT_WAIT_S:
            raise WrongAnswer(f"N1: no notification after {FANOUT_WAIT_S:g}s")
        await asyncio.sleep(POLL_S)
    if found != planners:
        raise WrongAnswer(f"N1: {found} notifications, {planners} active planners")
    return seconds


@scenario("N1", "one aviso.creado fanned out to 10,000 planners' notifications: time")
async def fan_out(run: Run) -> list[Row]:
    service: list[float] = []
    ceiling: list[float] = []
    async with run.database() as connection:
        await _add_users(connection, QUICK_PLANNERS if run.quick else PLANNERS)
        planners = [
            row[0]
            for row in await connection.fetch(
                "SELECT id FROM users WHERE role = 'PLANIFICADOR' AND active ORDER BY id"
            )
        ]
        for turn in range(QUICK_TURNS if run.quick else TURNS):
            await run.quiet()
            ceiling.append(await _ceiling(connection, planners, turn))
            await run.quiet()
            service.append(await _fanout(run, connection, len(planners), turn))
    return [
        median_times(
            "N1", f"fan-out to {len(planners):,} planners", service, ceiling, planners=len(planners)
        )
    ]
