"""R1 (one order by id) and R2 (a search by status and date window), at 64 connections."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

import asyncpg

from bench.dataset import YEAR
from bench.load import Request, Stats
from bench.registry import Goal, Row, Run, scenario, throughput

CONCURRENCY = 64
PAGE = 50
STATUSES = ("PENDIENTE", "COMPLETADA", "PENDIENTE,EN_PROGRESO")
WINDOWS = 200


# The target of both: at least half the ceiling's requests per second.
READ_GOAL = Goal(">=", 0.5)


@scenario("R1", "GET /ot/{id}/ with auth, random ids, 64 connections")
async def one_order(run: Run) -> list[Row]:
    rng = random.Random(1)
    ids = [rng.randint(run.data.first_order_id, run.data.last_order_id) for _ in range(10_000)]
    requests = [Request("GET", f"/mantenimiento/ot/{i}/", key="steps") for i in ids]
    async with run.ceiling("read") as url:
        ceiling = await run.http(url, requests, CONCURRENCY)
    service = await run.http(run.base_url, requests, CONCURRENCY)
    return [throughput("R1", "order by id", "req/s", service, ceiling, READ_GOAL)]


async def search_requests(run: Run) -> list[Request]:
    """Random status and 7-day windows, with the total each must answer (counted directly)."""
    rng = random.Random(2)
    connection = await asyncpg.connect(run.site.dsn)
    try:
        requests = []
        for _ in range(WINDOWS):
            status = rng.choice(STATUSES)
            start = date(YEAR, 1, 1) + timedelta(days=rng.randrange(358))
            end = start + timedelta(days=6)
            total = await connection.fetchval(
                "SELECT count(*) FROM work_orders WHERE status = ANY($1)"
                " AND scheduled_end >= $2 AND scheduled_start < $3",
                status.split(","),
                datetime.combine(start, time(), timezone.utc),
                datetime.combine(end + timedelta(days=1), time(), timezone.utc),
            )
            path = (
                f"/mantenimiento/ot/?status={status}&start_date={start}&end_date={end}&limit={PAGE}"
            )
            requests.append(Request("GET", path, total=total, items=min(PAGE, total)))
        return requests
    finally:
        await connection.close()


async def search_service(run: Run) -> Stats:
    return await run.http(run.base_url, await search_requests(run), CONCURRENCY)


@scenario("R2", "GET /ot/?status=&start_date=&end_date=&limit=50, random windows")
async def search(run: Run) -> list[Row]:
    requests = await search_requests(run)
    async with run.ceiling("search") as url:
        ceiling = await run.http(url, requests, CONCURRENCY)
    service = await run.http(run.base_url, requests, CONCURRENCY)
    run.figures["R2_p50_ms"] = service.percentile(0.5)
    return [throughput("R2", "search page", "req/s", service, ceiling, READ_GOAL)]
