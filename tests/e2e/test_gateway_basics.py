"""What every request gets: request ids, JSON errors for unknown routes, metrics, and consistent
versions under concurrent commands."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession

from tests.api import Api, Plant
from tests.metrics import scrape


async def test_request_id_is_echoed_or_made(planner: Api) -> None:
    given = await planner.request("GET", "/auth/me/", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    made = await planner.get("/auth/me/")
    assert len(made.headers["X-Request-Id"]) == 32


async def test_unknown_paths_and_methods_answer_the_error_body(planner: Api) -> None:
    missing = await planner.get("/no-such-thing/")
    assert missing.status == 404
    assert missing.body == {"status": "error", "message": "not found", "errors": []}
    wrong = await planner.request("DELETE", "/ot/")
    assert wrong.status == 405 and wrong.body["status"] == "error"
    assert "GET" in wrong.headers["Allow"]


async def test_gateway_metrics_parse_and_carry_their_labels(
    http: ClientSession, planner: Api
) -> None:
    await planner.get("/ot/")  # the series exists from here on
    before = await scrape(http)
    await planner.get("/ot/")
    metrics = await scrape(http)
    served = {"method": "GET", "route": "/mantenimiento/ot/", "status": "200"}
    count = "mantenimiento_http_request_seconds_count"
    assert metrics.value(count, **served) == before.value(count, **served) + 1
    assert metrics.type_of("mantenimiento_http_request_seconds") == "histogram"
    assert metrics.label_names("mantenimiento_http_request_seconds_bucket") == {*served, "le"}
    assert metrics.type_of("mantenimiento_push_sockets") == "gauge"
    assert metrics.value("mantenimiento_push_sockets") >= 0
    pool_size = metrics.value("mantenimiento_db_pool_size")
    assert 0 <= metrics.value("mantenimiento_db_pool_in_use") <= pool_size
    # Both readiness checks have their series before any failure (the alert needs a 0 first).
    assert metrics.type_of("mantenimiento_readiness_failures") == "counter"
    assert metrics.label_names("mantenimiento_readiness_failures_total") == {"check"}
    for check in ("database", "broker"):
        assert metrics.value("mantenimiento_readiness_failures_total", check=check) >= 0


async def test_concurrent_updates_of_one_order_are_serialised(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    answers = await asyncio.gather(
        *(planner.post(f"/ot/{order}/actualizar/", {"notes": f"nota {i}"}) for i in range(12))
    )
    assert all(answer.status == 200 for answer in answers)
    # Each update saw the one before it: twelve distinct versions, none lost.
    assert sorted(answer.body["version"] for answer in answers) == list(range(2, 14))
    assert await plant.scalar("SELECT version FROM work_orders WHERE id = :id", id=order) == 13
    assert (
        await plant.scalar(
            "SELECT count(*) FROM work_order_events WHERE work_order_id = :id AND event = 'notas'",
            id=order,
        )
        == 12
    )
