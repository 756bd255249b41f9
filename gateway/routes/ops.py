"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from sqlalchemy import text

from gateway import schemas
from gateway.http import json_response
from gateway.keys import ENGINE, RPC
from gateway.openapi import operation

routes = web.RouteTableDef()

READY_TIMEOUT_S = 2.0
READY_CHECKS = ("database", "broker")
READINESS_FAILURES = Counter(
    "mantenimiento_readiness_failures_total",
    "Readiness probes that found a dependency unreachable, by check",
    ["check"],
)
# Every series exists from the start at 0, so the first failure is an increase an alert sees.
for _check in READY_CHECKS:
    READINESS_FAILURES.labels(_check)


@routes.get("/mantenimiento/health/")
@operation("Liveness", roles=None, response=schemas.Health)
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def _database_answers(request: web.Request) -> bool:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            async with request.app[ENGINE].connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not ready"; the detail is in the body
        return False


@routes.get("/mantenimiento/health/ready/")
@operation(
    "Readiness: database and broker reachable (503 otherwise)",
    roles=None,
    response=schemas.Health,
    statuses=(200, 503),
)
async def ready(request: web.Request) -> web.Response:
    checks = {"database": await _database_answers(request), "broker": request.app[RPC].broker.ready}
    for check, passed in checks.items():
        if not passed:
            READINESS_FAILURES.labels(check).inc()
    ok = all(checks.values())
    return json_response(
        {"status": "ok" if ok else "unavailable", "checks": checks},
        status=200 if ok else 503,
        headers=None if ok else {"Retry-After": "5"},
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
