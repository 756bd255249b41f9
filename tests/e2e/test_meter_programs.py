"""Programs by use (basis MEDIDOR) over HTTP: an order made the moment a reading makes it due,
the next cycle counted from the completion, "whichever comes first" both ways, the lead with the
predicted day, and the forecast agreeing with what a generation makes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.api import Api, Plant
from tests.e2e.catalog_helpers import error_locs
from tests.e2e.program_helpers import routine, save_program, today


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


async def by_use(plant: Plant, planner: Api, tech: Api, *, assets: list[int], **fields: Any) -> int:
    """A program by use over `assets` (each with one `h` counter), for `tech`, started a week
    ago (so that the readings of the last days count from 0)."""
    body = {
        "routine_id": await routine(plant, unit="DIA", interval=7),
        "asset_ids": assets,
        "start_date": days(-7),
        "technician_id": tech.id,
        "basis": "MEDIDOR",
        "meter_unit": "h",
    } | fields
    return await save_program(planner, **body)


async def read(api: Api, meter_id: int, value: float, when: datetime | None = None) -> Any:
    body: dict[str, Any] = {"value": value}
    if when is not None:
        body["taken_at"] = when.isoformat()
    response = await api.post(f"/medidores/{meter_id}/lecturas/", body)
    assert response.status == 200, response.body
    return response.body


async def order_made(api: Api, meter_id: int, value: float, when: datetime | None = None) -> Any:
    """The one order a reading made (it must make exactly one)."""
    [order_id] = (await read(api, meter_id, value, when))["work_order_ids"]
    return (await api.get(f"/ot/{order_id}/")).body


def due(order: Any) -> tuple[str, float, str]:
    """Why an order by use was made, at which use, and for when."""
    return order["trigger"], order["due_usage"], order["scheduled_start"]


def ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def at_start_time(day: str) -> str:
    """A generated order's start: GENERATION_START_TIME (08:00) of the plant (UTC) day."""
    return datetime.combine(date.fromisoformat(day), time(8), UTC).isoformat()


async def forecast(api: Api, program_id: int, until: str) -> list[dict[str, Any]]:
    return await api.pages("/programas/pronostico/", until=until, program_ids=str(program_id))


async def test_a_program_by_use_needs_one_counter_of_its_unit_per_asset(
    plant: Plant, planner: Api, tech: Api
) -> None:
    bare, doubled, ready = await plant.asset(), await plant.asset(), await plant.asset()
    for _ in range(2):
        await plant.meter(asset_id=doubled)
    await plant.meter(asset_id=ready)
    await plant.meter(asset_id=bare, unit="km")  # another unit does not count
    body = {
        "routine_id": await routine(plant),
        "asset_ids": [ready, bare, doubled],
        "start_date": days(0),
        "basis": "MEDIDOR",
        "meter_interval": 500,
        "meter_unit": "h",
    }
    refused = await planner.post("/programas/guardar/", body)
    assert refused.status == 422
    assert error_locs(refused.body) == [["body", "asset_ids", 1], ["body", "asset_ids", 2]]
    no_interval = await planner.post("/programas/guardar/", body | {"meter_interval": None})
    assert no_interval.status == 422
    assert error_locs(no_interval.body) == [["body", "meter_interval"]]
    calendar = await planner.post("/programas/guardar/", body | {"basis": "FIJA"})
    assert calendar.status == 422
    assert error_locs(calendar.body) == [["body", "meter_interval"], ["body", "meter_unit"]]

    program_id = await save_program(planner, **body | {"asset_ids": [ready], "meter_lead": 50})
    shown = (await tech.get(f"/programas/{program_id}/")).body
    assert {k: shown[k] for k in ("basis", "frequency_id", "meter_interval", "meter_unit")} == {
        "basis": "MEDIDOR",
        "frequency_id": None,
        "meter_interval": 500,
        "meter_unit": "h",
    }
    assert shown["meter_lead"] == 50 and shown["next_due"] is None  # no use to predict from


async def test_the_reading_that_makes_it_due_makes_the_order_and_completion_starts_the_next(
    plant: Plant, planner: Api, tech: Api
) -> None:
    asset = await plant.asset()
    meter = await plant.meter(asset_id=asset)
    program_id = await by_use(plant, planner, tech, assets=[asset], meter_interval=100)
    assert (await read(tech, meter, 50, ago(5)))["work_order_ids"] == []
    due_at = ago(4)
    made = await read(tech, meter, 100, due_at)
    [order_id] = made["work_order_ids"]
    order = (await tech.get(f"/ot/{order_id}/")).body
    assert {
        k: order[k]
        for k in (
            "status",
            "trigger",
            "due_usage",
            "program_id",
            "technician_id",
            "scheduled_start",
        )
    } == {
        "status": "PENDIENTE",
        "trigger": "MEDIDOR",
        "due_usage": 100,
        "program_id": program_id,
        "technician_id": tech.id,
        "scheduled_start": at_start_time(days(0)),
    }
    assert [a["id"] for a in order["assets"]] == [asset]
    # A repeat tells what the reading made; while the order is open, nothing more is made.
    assert (await read(tech, meter, 100, due_at))["work_order_ids"] == [order_id]
    assert (await read(tech, meter, 150, ago(3)))["work_order_ids"] == []

    # Completed with a reading of 160: the next cycle is due at 260.
    assert (await tech.post(f"/app/ot/{order_id}/iniciar/", {})).status == 200
    finished = await tech.post(
        f"/app/ot/{order_id}/finalizar/",
        {
            "at": datetime.now(UTC).isoformat(),
            "meter_readings": [{"meter_id": meter, "value": 160}],
        },
    )
    assert finished.status == 200, finished.body
    assert (await read(tech, meter, 259))["work_order_ids"] == []
    following = await order_made(tech, meter, 261)
    next_id = following["id"]
    assert due(following)[:2] == ("MEDIDOR", 260)
    cycles = await plant.scalar(
        "SELECT array_agg(ARRAY[cycle, work_order_id] ORDER BY cycle) FROM program_generations"
        " WHERE program_id = :p AND asset_id = :a AND due_date IS NULL",
        p=program_id,
        a=asset,
    )
    assert cycles == [[1, order_id], [2, next_id]]


async def test_an_order_completed_without_a_reading_counts_from_the_last_one_before_its_end(
    plant: Plant, planner: Api, tech: Api
) -> None:
    asset = await plant.asset()
    meter = await plant.meter(asset_id=asset)
    await by_use(plant, planner, tech, assets=[asset], meter_interval=100)
    [order_id] = (await read(tech, meter, 120, ago(3)))["work_order_ids"]
    await read(tech, meter, 130, ago(2))
    done = await planner.post(
        f"/ot/{order_id}/actualizar/", {"status": "COMPLETADA", "actual_end": ago(1).isoformat()}
    )
    assert done.status == 200, done.body
    # A reading after the end does not move the cycle's start: 130 + 100.
    assert (await read(tech, meter, 229, ago(0.5)))["work_order_ids"] == []
    assert (await order_made(tech, meter, 230))["due_usage"] == 230


async def test_whichever_comes_first_the_date_or_the_use(
    plant: Plant, planner: Api, tech: Api
) -> None:
    asset = await plant.asset()
    meter = await plant.meter(asset_id=asset)
    weekly = await plant.scalar(
        "SELECT frequency_id FROM routines WHERE id = :r",
        r=await routine(plant, unit="DIA", interval=7),
    )
    # Readings from before the start (and the program): the first cycle counts from 30 h.
    await read(tech, meter, 10, ago(72))
    await read(tech, meter, 30, ago(50))
    program_id = await by_use(
        plant,
        planner,
        tech,
        assets=[asset],
        meter_interval=1000,
        frequency_id=weekly,
        start_date=days(0),
    )
    # By date, the first order is due at the start; by use, at 1,030 h, far away.
    planned = await forecast(tech, program_id, days(30))
    assert planned == [
        {
            "program_id": program_id,
            "date": days(0),
            "asset_ids": [asset],
            "trigger": "FECHA",
            "due_usage": 1030,
        }
    ]
    dry = await planner.post(
        "/programas/generar/", {"until": days(30), "program_ids": [program_id], "dry_run": True}
    )
    assert dry.body["generated"] == 1
    made = await planner.post(
        "/programas/generar/", {"until": days(30), "program_ids": [program_id]}
    )
    assert made.body["generated"] == 1
    [order] = await tech.pages("/ot/", asset_id=asset)
    assert due(order) == (
        "FECHA",
        1030,
        at_start_time(days(0)),
    )
    assert await forecast(tech, program_id, days(30)) == []

    # Done today at 40 h: the next is due a week later, or at 1,040 h.
    done = await planner.post(
        f"/ot/{order['id']}/actualizar/", {"status": "COMPLETADA", "actual_end": ago(1).isoformat()}
    )
    assert done.status == 200, done.body
    await read(tech, meter, 40, ago(2))
    assert [
        (p["date"], p["trigger"], p["due_usage"])
        for p in await forecast(tech, program_id, days(30))
    ] == [(days(7), "FECHA", 1040)]
    # A heavy week of use reaches 1,040 h first: the order is made now, by use.
    assert due(await order_made(tech, meter, 1045)) == (
        "MEDIDOR",
        1040,
        at_start_time(days(0)),
    )


async def test_the_lead_makes_the_order_early_for_the_predicted_day(
    plant: Plant, planner: Api, tech: Api
) -> None:
    asset = await plant.asset()
    meter = await plant.meter(asset_id=asset)
    program_id = await by_use(
        plant, planner, tech, assets=[asset], meter_interval=100, meter_lead=20
    )
    # 10 h a day for five days.
    last = ago(0.1)
    for day in range(5, -1, -1):
        made = await read(tech, meter, 50 - 10 * day, last - timedelta(days=day))
        assert made["work_order_ids"] == []
    # Due at 100 h, 50 h away: in five days.
    predicted = {
        "program_id": program_id,
        "date": days(5),
        "asset_ids": [asset],
        "trigger": "MEDIDOR",
        "due_usage": 100,
    }
    assert await forecast(tech, program_id, days(30)) == [predicted]
    assert (await tech.get(f"/programas/{program_id}/")).body["next_due"] == days(5)
    # Only a prediction: a generation does not make it yet.
    nothing = await planner.post(
        "/programas/generar/", {"until": days(30), "program_ids": [program_id]}
    )
    assert nothing.body["generated"] == 0
    # 80 h is within the lead of 20: the order is made now, for the day 100 h is expected
    # (80 h over five days is 16 a day: 20 h more in two days).
    assert due(await order_made(tech, meter, 80)) == (
        "MEDIDOR",
        100,
        at_start_time(days(2)),
    )


async def test_the_forecast_is_what_a_generation_makes(
    plant: Plant, planner: Api, tech: Api
) -> None:
    # Readings first, the program after: three assets already past their due use, one not.
    assets = [await plant.asset() for _ in range(4)]
    meters = [await plant.meter(asset_id=asset) for asset in assets]
    for meter, value in zip(meters, (150, 300, 99, 20), strict=True):
        await read(tech, meter, value, ago(26))
    program_id = await by_use(
        plant, planner, tech, assets=assets, meter_interval=100, start_date=days(0)
    )
    # Counting from the use at the start (the readings before it): none is due yet …
    assert await forecast(tech, program_id, days(30)) == []
    # (Unchanged use predicts nothing: only what is due is listed.)
    for meter, value in zip(meters, (260, 300, 200, 20), strict=True):
        await plant.scalar(
            "UPDATE meters SET last_value = :v, last_usage = :v, last_taken_at = now()"
            " WHERE id = :m RETURNING 1",
            v=value,
            m=meter,
        )
    # … and with the use moved on behind its back, the forecast says what to make.
    planned = await forecast(tech, program_id, days(30))
    assert [(p["asset_ids"], p["trigger"], p["due_usage"], p["date"]) for p in planned] == [
        ([assets[0]], "MEDIDOR", 250, days(0)),
        ([assets[2]], "MEDIDOR", 199, days(0)),
    ]
    made = await planner.post(
        "/programas/generar/", {"until": days(30), "program_ids": [program_id]}
    )
    assert made.body["generated"] == 2
    orders = [o for a in assets for o in await tech.pages("/ot/", asset_id=a)]
    assert sorted((o["assets"][0]["id"], *due(o)) for o in orders) == sorted(
        (p["asset_ids"][0], p["trigger"], p["due_usage"], at_start_time(p["date"])) for p in planned
    )
    assert await forecast(tech, program_id, days(30)) == []


async def test_a_cancelled_order_by_use_comes_back_with_the_next_reading(
    plant: Plant, planner: Api, tech: Api
) -> None:
    asset = await plant.asset()
    meter = await plant.meter(asset_id=asset)
    program_id = await by_use(plant, planner, tech, assets=[asset], meter_interval=100)
    [first] = (await read(tech, meter, 120, ago(2)))["work_order_ids"]
    cancelled = await planner.post(f"/ot/{first}/actualizar/", {"status": "CANCELADA"})
    assert cancelled.status == 200, cancelled.body
    # The use is still due: the next cycle's order, at the same due use.
    order = await order_made(tech, meter, 125, ago(1))
    second = order["id"]
    assert (order["status"], *due(order)[:2]) == ("PENDIENTE", "MEDIDOR", 100)
    cycles = await plant.scalar(
        "SELECT array_agg(ARRAY[cycle, work_order_id] ORDER BY cycle) FROM program_generations"
        " WHERE program_id = :p",
        p=program_id,
    )
    assert cycles == [[1, first], [2, second]]
