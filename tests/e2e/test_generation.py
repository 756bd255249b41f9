"""Order generation over HTTP through the gateway and a real worker: one order on demand, the
batch up to a date, the forecast, and what every generated order carries.

Batches always name their programs: the plant is shared with other test files."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.catalog_helpers import MISSING, error_locs
from tests.e2e.program_helpers import new_program, save_program, today

ORDERS = "SELECT count(*) FROM work_orders WHERE program_id = :id"
KEYS = "SELECT count(*) FROM program_generations WHERE program_id = :id"
ORDER_ID = "SELECT id FROM work_orders WHERE program_id = :id"


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


async def forecast(api: Api, until: str, *program_ids: int) -> list[dict[str, Any]]:
    """The forecast of calendar programs: due by date, at no usage (those fields checked and
    left out)."""
    items = await api.pages(
        "/programas/pronostico/", until=until, program_ids=",".join(map(str, program_ids))
    )
    for item in items:
        assert (item.pop("trigger"), item.pop("due_usage")) == ("FECHA", None), item
    return items


async def generate(api: Api, until: str, *program_ids: int, **extra: Any) -> dict[str, Any]:
    response = await api.post(
        "/programas/generar/", {"until": until, "program_ids": list(program_ids), **extra}
    )
    assert response.status == 200, response.body
    return dict(response.body)


async def order_keys(plant: Plant, program_id: int) -> list[tuple[str, list[int]]]:
    """(due date, asset ids) of the program's orders, as the forecast spells them."""
    rows = await plant.rows(
        "SELECT w.due_date, array_agg(wa.asset_id ORDER BY wa.asset_id) AS assets"
        " FROM work_orders w JOIN work_order_assets wa ON wa.work_order_id = w.id"
        " WHERE w.program_id = :id GROUP BY w.id ORDER BY w.due_date, min(wa.asset_id)",
        id=program_id,
    )
    return [(row.due_date.isoformat(), list(row.assets)) for row in rows]


async def test_one_order_on_demand_carries_the_program_and_a_copy_of_the_steps(
    plant: Plant, planner: Api, tech: Api
) -> None:
    routine_id, program_id = await new_program(plant, planner, start=today(), technician_id=tech.id)
    made = await planner.post(f"/programas/{program_id}/generar-ot/", {"date": days(3)})
    assert made.status == 200, made.body
    order_id = made.body["work_order_id"]
    order = (await tech.get(f"/ot/{order_id}/")).body
    name = await plant.scalar("SELECT name FROM routines WHERE id = :id", id=routine_id)
    start = datetime.combine(today() + timedelta(days=3), time(8), UTC)
    assert (order["type"], order["status"], order["title"]) == (
        "PREVENTIVA",
        "PENDIENTE",
        f"{name} - 2 equipos",
    )
    assert datetime.fromisoformat(order["scheduled_start"]) == start
    assert datetime.fromisoformat(order["scheduled_end"]) == start + timedelta(minutes=90)
    assert (order["technician_id"], order["routine_id"], order["program_id"]) == (
        tech.id,
        routine_id,
        program_id,
    )
    assert [a["id"] for a in order["assets"]] == sorted(plant.assets[:2])
    assert [(s["order"], s["description"], s["done"]) for s in order["steps"]] == [
        (1, "Revisar", False),
        (2, "Medir", False),
    ]
    assert await plant.scalar(
        "SELECT due_date FROM work_orders WHERE id = :id", id=order_id
    ) == today() + timedelta(days=3)
    history = await plant.scalar(
        "SELECT array_agg(event) FROM work_order_events WHERE work_order_id = :id", id=order_id
    )
    assert history == ["creacion"]
    assigned = await plant.scalar(
        "SELECT count(*) FROM outbox WHERE type = 'ot.asignada'"
        " AND (data->>'work_order_id')::int = :id AND (data->>'technician_id')::int = :tech",
        id=order_id,
        tech=tech.id,
    )
    assert assigned == 1

    # Later changes of the routine's steps leave the order's copy alone.
    await plant.scalar(
        "UPDATE routine_steps SET description = 'Cambiado' WHERE routine_id = :id RETURNING 1",
        id=routine_id,
    )
    steps = (await tech.get(f"/ot/{order_id}/")).body["steps"]
    assert [s["description"] for s in steps] == ["Revisar", "Medir"]

    # The same date again, whole or in part: 409 naming the order, nothing written.
    for body in ({"date": days(3)}, {"date": days(3), "asset_ids": [plant.assets[1]]}):
        again = await planner.post(f"/programas/{program_id}/generar-ot/", body)
        assert again.status == 409, again.body
        assert again.body["work_order_id"] == order_id
    assert await plant.scalar(ORDERS, id=program_id) == 1
    assert await plant.scalar(KEYS, id=program_id) == 2


async def test_a_deleted_order_can_be_generated_again_on_demand(plant: Plant, planner: Api) -> None:
    _, program_id = await new_program(plant, planner, start=today())
    first = (await planner.post(f"/programas/{program_id}/generar-ot/", {"date": days(1)})).body
    await plant.scalar(
        "DELETE FROM work_orders WHERE id = :id RETURNING 1", id=first["work_order_id"]
    )
    # The batch does not bring a deleted order back …
    assert await forecast(planner, days(1), program_id) == [
        {"program_id": program_id, "date": days(0), "asset_ids": sorted(plant.assets[:2])}
    ]
    # … but a planner asking for it gets a new one.
    second = await planner.post(f"/programas/{program_id}/generar-ot/", {"date": days(1)})
    assert second.status == 200, second.body
    assert second.body["work_order_id"] != first["work_order_id"]


async def test_generating_one_order_refuses_what_does_not_fit(
    plant: Plant, planner: Api, tech: Api
) -> None:
    start = today() + timedelta(days=5)
    _, program_id = await new_program(plant, planner, start=start, assets=plant.assets[:2])
    path = f"/programas/{program_id}/generar-ot/"
    early = await planner.post(path, {"date": days(4)})
    assert early.status == 422 and error_locs(early.body) == [["body", "date"]]
    stranger = await planner.post(path, {"date": days(5), "asset_ids": [plant.assets[2]]})
    assert stranger.status == 422 and error_locs(stranger.body) == [["body", "asset_ids"]]
    malformed = await planner.post(path, {"date": "mañana", "asset_ids": []})
    assert malformed.status == 422
    assert sorted(error_locs(malformed.body)) == [["body", "asset_ids"], ["body", "date"]]
    assert (
        await planner.post(f"/programas/{MISSING}/generar-ot/", {"date": days(5)})
    ).status == 404
    assert (await tech.post(path, {"date": days(5)})).status == 403
    await plant.scalar(
        "UPDATE programs SET active = false WHERE id = :id RETURNING 1", id=program_id
    )
    inactive = await planner.post(path, {"date": days(5)})
    assert inactive.status == 409, inactive.body
    assert await plant.scalar(ORDERS, id=program_id) == 0
    assert await plant.scalar(KEYS, id=program_id) == 0


async def test_the_batch_makes_what_the_forecast_said_once(
    plant: Plant, planner: Api, tech: Api
) -> None:
    _, program_id = await new_program(plant, planner, start=today(), technician_id=tech.id)
    expected = [
        {"program_id": program_id, "date": days(n), "asset_ids": sorted(plant.assets[:2])}
        for n in (0, 7, 14)
    ]
    assert await forecast(planner, days(20), program_id) == expected

    dry = await generate(planner, days(20), program_id, dry_run=True)
    assert await plant.scalar(ORDERS, id=program_id) == 0
    assert await plant.scalar(KEYS, id=program_id) == 0

    real = await generate(planner, days(20), program_id)
    assert real["generated"] == 3 and dry == real | {"dry_run": True}
    assert await order_keys(plant, program_id) == [(o["date"], o["asset_ids"]) for o in expected]
    assert await plant.scalar(KEYS, id=program_id) == 6
    ids = await plant.scalar(
        "SELECT array_agg(id ORDER BY id) FROM work_orders WHERE program_id = :id", id=program_id
    )
    event = await plant.scalar(
        "SELECT data FROM outbox WHERE type = 'ot.generadas'"
        " AND data->'work_order_ids' @> to_jsonb(CAST(:ids AS integer[]))",
        ids=ids,
    )
    assert event["technician_id"] == tech.id and event["count"] >= 3

    # Twice adds nothing, and the forecast is then empty.
    assert (await generate(planner, days(20), program_id))["generated"] == 0
    assert await forecast(planner, days(20), program_id) == []
    assert await plant.scalar(ORDERS, id=program_id) == 3


async def test_one_order_per_asset_and_the_lower_bound(plant: Plant, planner: Api) -> None:
    # Started 20 days ago, every 10 days: due dates -20, -10, 0, 10, 20 …; the past ones are
    # not generated by the batch.
    _, program_id = await new_program(
        plant,
        planner,
        start=today() - timedelta(days=20),
        unit="DIA",
        interval=10,
        one_order_per_asset=True,
    )
    planned = await forecast(planner, days(15), program_id)
    assert planned == [
        {"program_id": program_id, "date": days(n), "asset_ids": [asset]}
        for n in (0, 10)
        for asset in sorted(plant.assets[:2])
    ]
    assert (await generate(planner, days(15), program_id))["generated"] == 4
    assert await order_keys(plant, program_id) == [(p["date"], p["asset_ids"]) for p in planned]
    code = await plant.scalar("SELECT code FROM assets WHERE id = :id", id=plant.assets[0])
    titles = await plant.scalar(
        "SELECT array_agg(DISTINCT title) FROM work_orders w"
        " JOIN work_order_assets wa ON wa.work_order_id = w.id"
        " WHERE w.program_id = :id AND wa.asset_id = :asset",
        id=program_id,
        asset=plant.assets[0],
    )
    assert len(titles) == 1 and titles[0].endswith(f" - {code}")


async def test_an_order_made_on_demand_counts_for_the_batch(plant: Plant, planner: Api) -> None:
    _, program_id = await new_program(plant, planner, start=today())
    one = await planner.post(
        f"/programas/{program_id}/generar-ot/",
        {"date": days(7), "asset_ids": [plant.assets[0]]},
    )
    assert one.status == 200, one.body
    planned = await forecast(planner, days(10), program_id)
    assert planned == [
        {"program_id": program_id, "date": days(0), "asset_ids": sorted(plant.assets[:2])},
        {"program_id": program_id, "date": days(7), "asset_ids": [plant.assets[1]]},
    ]
    assert (await generate(planner, days(10), program_id))["generated"] == 2
    assert await plant.scalar(KEYS, id=program_id) == 4
    assert await order_keys(plant, program_id) == [
        (days(0), sorted(plant.assets[:2])),
        (days(7), [plant.assets[0]]),
        (days(7), [plant.assets[1]]),
    ]


async def test_inactive_programs_count_zero_in_a_batch(plant: Plant, planner: Api) -> None:
    _, program_id = await new_program(plant, planner, start=today(), active=False)
    assert await forecast(planner, days(30), program_id) == []
    assert (await generate(planner, days(30), program_id))["generated"] == 0
    assert await plant.scalar(ORDERS, id=program_id) == 0


async def test_last_execution_basis_keeps_one_open_order_per_asset(
    plant: Plant, planner: Api
) -> None:
    _, program_id = await new_program(
        plant,
        planner,
        start=today() - timedelta(days=30),
        assets=[plant.assets[0]],
        basis="ULTIMA_EJECUCION",
    )
    # Never done: due today (its start is past), once, however far the batch looks.
    assert await forecast(planner, days(60), program_id) == [
        {"program_id": program_id, "date": days(0), "asset_ids": [plant.assets[0]]}
    ]
    assert (await generate(planner, days(60), program_id))["generated"] == 1
    assert (await generate(planner, days(60), program_id))["generated"] == 0
    assert (await planner.get(f"/programas/{program_id}/")).body["next_due"] is None

    order_id = await plant.scalar(
        "SELECT id FROM work_orders WHERE program_id = :id", id=program_id
    )
    finished = datetime.combine(today() - timedelta(days=2), time(15), UTC)
    done = await planner.post(
        f"/ot/{order_id}/actualizar/",
        {"status": "COMPLETADA", "actual_end": finished.isoformat()},
    )
    assert done.status == 200, done.body
    # Next: one week after the completion, not after the due date.
    assert await forecast(planner, days(60), program_id) == [
        {"program_id": program_id, "date": days(5), "asset_ids": [plant.assets[0]]}
    ]
    assert (await planner.get(f"/programas/{program_id}/")).body["next_due"] == days(5)
    assert (await generate(planner, days(60), program_id))["generated"] == 1
    assert await order_keys(plant, program_id) == [
        (days(0), [plant.assets[0]]),
        (days(5), [plant.assets[0]]),
    ]


async def test_two_batches_at_once_make_each_order_once(
    plant: Plant, planner: Api, settings: Settings, worker_for: Any
) -> None:
    # A second worker on the same queue: the batches may run in two processes' worth of sessions.
    await worker_for(settings, ("generacion",))
    programs = [
        (await new_program(plant, planner, start=today(), unit="DIA", interval=1, **extra))[1]
        for extra in ({}, {"one_order_per_asset": True}, {})
    ]
    planned = await forecast(planner, days(30), *programs)
    assert len(planned) == 31 + 62 + 31
    answers = await asyncio.gather(*(generate(planner, days(30), *programs) for _ in range(3)))
    assert sum(answer["generated"] for answer in answers) == len(planned)
    for program_id in programs:
        assert await plant.scalar(KEYS, id=program_id) == 62
    duplicates = await plant.scalar(
        "SELECT count(*) FROM (SELECT w.program_id, w.due_date, wa.asset_id"
        " FROM work_orders w JOIN work_order_assets wa ON wa.work_order_id = w.id"
        " WHERE w.program_id = ANY(:ids) GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        ids=programs,
    )
    assert duplicates == 0
    assert sum([len(await order_keys(plant, p)) for p in programs]) == len(planned)


async def test_the_forecast_comes_in_pages_of_generation_order(plant: Plant, planner: Api) -> None:
    programs = [
        (await new_program(plant, planner, start=today(), unit="DIA", interval=1, **extra))[1]
        for extra in ({"one_order_per_asset": True}, {})
    ]
    query = {"until": days(9), "program_ids": ",".join(map(str, programs))}
    whole = await planner.get("/programas/pronostico/", limit=500, **query)
    assert whole.status == 200 and "Link" not in whole.headers
    assert len(whole.body) == 20 + 10 and whole.headers["X-Total-Count"] == "30"
    first = await planner.get("/programas/pronostico/", limit=7, **query)
    assert len(first.body) == 7 and first.headers["X-Total-Count"] == "30"
    assert 'rel="next"' in first.headers["Link"]
    assert await planner.pages("/programas/pronostico/", limit=7, **query) == whole.body
    bad = await planner.get("/programas/pronostico/", cursor="bm90IGEga2V5", **query)
    assert bad.status == 422 and error_locs(bad.body) == [["query", "cursor"]]


async def test_generation_refusals(plant: Plant, planner: Api, tech: Api) -> None:
    assert (await tech.post("/programas/generar/", {"until": days(1)})).status == 403
    bad = await planner.post("/programas/generar/", {"until": "pronto", "program_ids": [1, 1]})
    assert bad.status == 422
    assert sorted(error_locs(bad.body)) == [["body", "program_ids"], ["body", "until"]]
    _, program_id = await new_program(plant, planner, start=today())
    unknown = await planner.post(
        "/programas/generar/", {"until": days(30), "program_ids": [program_id, MISSING]}
    )
    assert unknown.status == 422 and error_locs(unknown.body) == [["body", "program_ids"]]
    assert await plant.scalar(ORDERS, id=program_id) == 0
    assert (await planner.get("/programas/pronostico/", until="x")).status == 422
    assert (await planner.get("/programas/pronostico/", program_ids="a,b")).status == 422


async def test_saving_a_program_does_not_touch_its_orders(plant: Plant, planner: Api) -> None:
    routine_id, program_id = await new_program(plant, planner, start=today())
    assert (await generate(planner, days(0), program_id))["generated"] == 1
    await save_program(
        planner,
        id=program_id,
        routine_id=routine_id,
        asset_ids=[plant.assets[2]],
        start_date=date(2031, 1, 1).isoformat(),
    )
    assert await order_keys(plant, program_id) == [(days(0), sorted(plant.assets[:2]))]


async def test_orders_start_at_the_plant_local_time(
    plant: Plant, planner: Api, own_namespace: Settings, worker_for: Any, gateway_for: Any
) -> None:
    madrid = Settings(
        **own_namespace.model_dump()
        | {"plant_tz": "Europe/Madrid", "generation_start_time": time(7, 30)},
        _env_file=None,
    )
    await worker_for(madrid, ("generacion",))
    api, _ = await gateway_for(madrid)
    _, program_id = await new_program(plant, planner, start=date(2030, 7, 1))
    made = await api.post(f"/programas/{program_id}/generar-ot/", {"date": "2030-07-01"})
    assert made.status == 200, made.body
    order = (await api.get(f"/ot/{made.body['work_order_id']}/")).body
    assert order["scheduled_start"] == "2030-07-01T07:30:00+02:00"  # summer time
