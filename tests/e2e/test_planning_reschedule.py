"""Rescheduling: one order (`/ot/{id}/fecha/`) and up to 10,000 at once (`/ot/fechas/`)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from shared.settings import Settings
from tests.api import Api, Plant
from tests.statements import not_the_relays, statements_sent

UTC = timezone.utc


async def _schedule(plant: Plant, order: int) -> tuple[datetime, datetime]:
    row = await plant.scalar(
        "SELECT json_build_array(scheduled_start, scheduled_end) FROM work_orders WHERE id = :id",
        id=order,
    )
    return datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])


async def test_moves_the_day_keeping_time_of_day_and_duration(
    plant: Plant, planner: Api, tech: Api
) -> None:
    start = datetime(2031, 5, 10, 14, 45, tzinfo=UTC)
    order = await plant.work_order(
        technician_id=tech.id, start=start, duration=timedelta(hours=3, minutes=15)
    )
    response = await planner.post(
        f"/ot/{order}/fecha/", {"date": "2031-06-02", "reason": "Parada de línea"}
    )
    assert response.status == 200, response.body
    assert response.body["status"] == "success" and response.body["version"] == 2
    new_start = datetime(2031, 6, 2, 14, 45, tzinfo=UTC)
    assert await _schedule(plant, order) == (new_start, new_start + timedelta(hours=3, minutes=15))

    detail = (await planner.get(f"/ot/{order}/")).body
    assert datetime.fromisoformat(detail["scheduled_start"]) == new_start
    history = (await planner.get(f"/ot/{order}/historial/")).body
    assert [line["event"] for line in history] == ["creacion", "fecha"]
    line = history[-1]
    assert line["user"]["id"] == planner.id
    assert line["data"]["reason"] == "Parada de línea"
    assert datetime.fromisoformat(line["data"]["old_start"]) == start
    assert datetime.fromisoformat(line["data"]["new_start"]) == new_start

    events = await plant.scalar(
        "SELECT json_agg(data) FROM outbox WHERE type = 'ot.fecha_cambiada'"
        " AND data->'work_orders' @> CAST(:match AS jsonb)",
        match=f'[{{"id": {order}}}]',
    )
    assert len(events) == 1
    assert events[0]["technician_id"] == tech.id and events[0]["changed_by"] == planner.id
    assert events[0]["reason"] == "Parada de línea"


async def test_keeps_the_local_time_of_day_across_a_daylight_saving_change(
    own_namespace: Settings, worker_for: Any, gateway_for: Any, plant: Plant
) -> None:
    madrid = Settings(**{**own_namespace.model_dump(), "plant_tz": "Europe/Madrid"})
    await worker_for(madrid)
    api, _ = await gateway_for(madrid)
    tz = ZoneInfo("Europe/Madrid")
    start = datetime(2031, 1, 15, 8, 0, tzinfo=tz)  # UTC+1 in winter
    order = await plant.work_order(start=start, duration=timedelta(hours=2))
    response = await api.post(f"/ot/{order}/fecha/", {"date": "2031-07-15", "reason": "Verano"})
    assert response.status == 200, response.body
    new_start, new_end = await _schedule(plant, order)
    assert new_start == datetime(2031, 7, 15, 8, 0, tzinfo=tz)  # 08:00 local, UTC+2 now
    assert new_start.astimezone(UTC).hour == 6
    assert new_end - new_start == timedelta(hours=2)
    assert response.body["scheduled_start"] == "2031-07-15T08:00:00+02:00"


async def test_single_reschedule_refusals(
    plant: Plant, planner: Api, tech: Api, requester: Api
) -> None:
    order = await plant.work_order(technician_id=tech.id)
    ok = {"date": "2031-01-01", "reason": "Motivo válido"}
    cases = [
        (planner, order, {"date": "2031-01-01"}, 422),
        (planner, order, {"date": "2031-01-01", "reason": "  a "}, 422),
        (planner, order, {"date": "2031-01-01", "reason": "x" * 501}, 422),
        (planner, order, {"date": "01/02/2031", "reason": "Motivo"}, 422),
        (planner, order, {**ok, "version": 7}, 409),
        (planner, 987654, ok, 404),
        (tech, order, ok, 403),
        (requester, order, ok, 403),
    ]
    for api, order_id, body, status in cases:
        response = await api.post(f"/ot/{order_id}/fecha/", body)
        assert response.status == status, (body, response.body)
        assert response.body["status"] == "error"
    stale = await planner.post(f"/ot/{order}/fecha/", ok, headers={"If-Match": '"3"'})
    assert stale.status == 409
    for status in ("EN_PROGRESO", "COMPLETADA", "CANCELADA"):
        started = await plant.work_order(status=status)
        response = await planner.post(f"/ot/{started}/fecha/", ok)
        assert response.status == 409, status
        assert status in response.body["message"]
    assert await plant.scalar("SELECT version FROM work_orders WHERE id = :id", id=order) == 1


async def test_dry_run_answers_the_same_and_changes_nothing(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    before = await _schedule(plant, order)
    body = {"date": "2032-02-29", "reason": "Prueba", "dry_run": True}
    dry = await planner.post(f"/ot/{order}/fecha/", body)
    assert dry.status == 200 and dry.body["dry_run"] is True
    assert await _schedule(plant, order) == before
    assert (
        await plant.scalar(
            "SELECT count(*) FROM work_order_events WHERE work_order_id = :id", id=order
        )
        == 0
    )
    real = await planner.post(f"/ot/{order}/fecha/", {**body, "dry_run": False})
    assert real.status == 200
    assert {**real.body, "dry_run": True} == dry.body


async def test_bulk_moves_every_order_and_tells_each_technician_once(
    plant: Plant, planner: Api, tech: Api, other_tech: Api
) -> None:
    mine = await plant.work_orders(1200, technician_id=tech.id)
    theirs = await plant.work_orders(800, technician_id=other_tech.id)
    nobody = await plant.work_orders(5)
    ids = mine + theirs + nobody
    day = date(2032, 1, 1)
    updates = [
        {"id": order, "date": (day + timedelta(days=i % 30)).isoformat(), "reason": "Plan anual"}
        for i, order in enumerate(ids)
    ]
    response = await planner.post("/ot/fechas/", {"updates": updates})
    assert response.status == 200, response.body
    assert response.body["updated"] == len(ids)
    wrong = await plant.scalar(
        "SELECT count(*) FROM work_orders wo"
        " JOIN unnest(CAST(:ids AS integer[]), CAST(:days AS date[])) AS u(id, day)"
        "   ON u.id = wo.id"
        " WHERE CAST(wo.scheduled_start AS date) <> u.day OR wo.version <> 2"
        "    OR wo.scheduled_end - wo.scheduled_start <> interval '90 minutes'",
        ids=ids,
        days=[date.fromisoformat(u["date"]) for u in updates],
    )
    assert wrong == 0
    assert await plant.scalar(
        "SELECT count(*) FROM work_order_events WHERE event = 'fecha'"
        " AND work_order_id = ANY(CAST(:ids AS integer[]))",
        ids=ids,
    ) == len(ids)
    events = await plant.scalar(
        "SELECT json_object_agg(data->>'technician_id', jsonb_array_length(data->'work_orders'))"
        " FROM outbox WHERE type = 'ot.fecha_cambiada'"
        " AND (data->'work_orders'->0->>'id')::int = ANY(CAST(:ids AS integer[]))",
        ids=ids,
    )
    assert events == {str(tech.id): 1200, str(other_tech.id): 800}


async def test_one_bad_item_among_thousands_changes_nothing(plant: Plant, planner: Api) -> None:
    ids = await plant.work_orders(3000)
    started = await plant.work_order(status="EN_PROGRESO")
    cancelled = await plant.work_order(status="CANCELADA")
    before = await plant.scalar(
        "SELECT sum(extract(epoch FROM scheduled_start)) FROM work_orders"
        " WHERE id = ANY(CAST(:ids AS integer[]))",
        ids=ids,
    )
    updates = [{"id": order, "date": "2032-05-05", "reason": "Plan"} for order in ids]
    updates.insert(100, {"id": 99_999_999, "date": "2032-05-05", "reason": "Plan"})
    updates.insert(2000, {"id": started, "date": "2032-05-05", "reason": "Plan"})
    updates.append({"id": cancelled, "date": "2032-05-05", "reason": "Plan"})
    response = await planner.post("/ot/fechas/", {"updates": updates})
    assert response.status == 409, response.body
    errors = response.body["errors"]
    assert [(e["loc"], e["id"]) for e in errors] == [
        (["updates", 100, "id"], 99_999_999),
        (["updates", 2000, "id"], started),
        (["updates", len(updates) - 1, "id"], cancelled),
    ]
    assert "not found" in errors[0]["msg"] and "EN_PROGRESO" in errors[1]["msg"]
    after = await plant.scalar(
        "SELECT sum(extract(epoch FROM scheduled_start)) FROM work_orders"
        " WHERE id = ANY(CAST(:ids AS integer[]))",
        ids=ids,
    )
    assert after == before
    assert (
        await plant.scalar(
            "SELECT count(*) FROM work_order_events"
            " WHERE work_order_id = ANY(CAST(:ids AS integer[]))",
            ids=ids,
        )
        == 0
    )


async def test_malformed_bulk_bodies_are_422(plant: Plant, planner: Api, tech: Api) -> None:
    order = await plant.work_order()
    item = {"id": order, "date": "2032-01-01", "reason": "Plan"}
    for body in (
        {"updates": []},
        {"updates": [item, item]},
        {"updates": [item, {**item, "id": order + 1, "date": "2032-13-01"}]},
        {"updates": [{"id": order, "date": "2032-01-01"}]},
        {"updates": [{**item, "id": -1}]},
        {"updates": [item] * 10_001},
        {"updates": "todas"},
    ):
        response = await planner.post("/ot/fechas/", body)
        assert response.status == 422, (str(body)[:80], response.body)
    duplicate = await planner.post("/ot/fechas/", {"updates": [item, item]})
    assert str(order) in duplicate.body["errors"][0]["msg"]
    assert (await tech.post("/ot/fechas/", {"updates": [item]})).status == 403


async def test_bulk_statement_count_does_not_grow_with_the_items(
    plant: Plant, tech: Api, own_namespace: Settings, worker_for: Any, gateway_for: Any
) -> None:
    # A worker of the command groups only: no notifications of the first bulk's events fan
    # out on its engine while the second is counted.
    worker = await worker_for(own_namespace, ("ordenes",))
    planner, _ = await gateway_for(own_namespace)
    counts = []
    for size in (10, 5000):
        ids = await plant.work_orders(size, technician_id=tech.id)
        updates = [{"id": order, "date": "2033-03-03", "reason": "Plan"} for order in ids]
        with statements_sent(worker.engine, not_the_relays) as seen:
            response = await planner.post("/ot/fechas/", {"updates": updates})
        assert response.status == 200 and response.body["updated"] == size
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
    # The command-log look-up, the lock, the update, the record.
    assert counts[0] <= 4, counts


async def test_two_reschedules_of_one_order_at_once_are_both_recorded(
    plant: Plant, planner: Api, admin: Api
) -> None:
    order = await plant.work_order(start=datetime(2031, 9, 1, 7, 0, tzinfo=UTC))
    first, second = await asyncio.gather(
        planner.post(f"/ot/{order}/fecha/", {"date": "2031-09-10", "reason": "Primera"}),
        admin.post(f"/ot/{order}/fecha/", {"date": "2031-09-20", "reason": "Segunda"}),
    )
    assert first.status == second.status == 200
    assert {first.body["version"], second.body["version"]} == {2, 3}
    history = (await planner.get(f"/ot/{order}/historial/")).body
    moves = [line for line in history if line["event"] == "fecha"]
    assert len(moves) == 2
    # In commit order: the second move starts where the first one left the order.
    assert moves[1]["data"]["old_start"] == moves[0]["data"]["new_start"]
    final, _ = await _schedule(plant, order)
    assert final == datetime.fromisoformat(moves[1]["data"]["new_start"])
