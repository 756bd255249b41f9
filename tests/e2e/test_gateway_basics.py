"""What every request gets: request ids, JSON errors for unknown routes, metrics, and consistent
versions under concurrent commands."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession

from tests.api import Api, Plant


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


async def test_gateway_metrics_count_requests(http: ClientSession, planner: Api) -> None:
    await planner.get("/ot/")
    async with http.get("/metrics") as response:
        assert response.status == 200
        text = await response.text()
    assert 'route="/mantenimiento/ot/",status="200"' in text


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
