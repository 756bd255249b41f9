"""Split (`/ot/{id}/dividir/`), merge (`/ot/fusionar/`) and delete (`/ot/eliminar/`)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from tests.api import Api, Plant

UTC = timezone.utc


async def _program(plant: Plant) -> tuple[int, int]:
    """A routine and a program over the plant's assets; returns (routine_id, program_id)."""
    routine = await plant.routine()
    return routine, await plant.program(routine, assets=plant.assets)


async def _order_row(plant: Plant, order: int) -> dict[str, Any]:
    return dict(
        await plant.scalar(
            "SELECT json_build_object('type', type, 'status', status, 'title', title,"
            " 'scheduled_start', scheduled_start, 'scheduled_end', scheduled_end,"
            " 'technician_id', technician_id, 'notes', notes, 'routine_id', routine_id,"
            " 'program_id', program_id, 'due_date', due_date) FROM work_orders WHERE id = :id",
            id=order,
        )
    )


async def test_split_gives_each_other_asset_its_own_order(
    plant: Plant, planner: Api, tech: Api
) -> None:
    routine, program = await _program(plant)
    low, mid, high = sorted(plant.assets)
    order = await plant.work_order(
        technician_id=tech.id, assets=[high, low, mid], notes="Con andamio", steps=3
    )
    await plant.scalar(
        "UPDATE work_orders SET routine_id = :r, program_id = :p, due_date = '2031-02-01'"
        " WHERE id = :id RETURNING id",
        r=routine,
        p=program,
        id=order,
    )
    await plant.scalar(
        "INSERT INTO program_generations (program_id, asset_id, due_date, work_order_id)"
        " SELECT :p, unnest(CAST(:assets AS integer[])), '2031-02-01', :id RETURNING 1",
        p=program,
        assets=[low, mid, high],
        id=order,
    )
    await plant.scalar(
        "UPDATE work_order_steps SET done = true, comment = 'hecho' WHERE work_order_id = :id"
        " RETURNING 1",
        id=order,
    )
    original = await _order_row(plant, order)

    response = await planner.post(f"/ot/{order}/dividir/")
    assert response.status == 200, response.body
    ids = response.body["work_order_ids"]
    assert ids[0] == order and len(ids) == 3
    for new_id, asset in zip(ids, [low, mid, high], strict=True):
        detail = (await planner.get(f"/ot/{new_id}/")).body
        assert [a["id"] for a in detail["assets"]] == [asset]
        assert [s["description"] for s in detail["steps"]] == ["Paso 1", "Paso 2", "Paso 3"]
        assert await _order_row(plant, new_id) == original
        if new_id != order:
            assert [s["done"] for s in detail["steps"]] == [False] * 3  # a fresh copy
            assert all(s["comment"] is None for s in detail["steps"])
            history = (await planner.get(f"/ot/{new_id}/historial/")).body
            assert [line["event"] for line in history] == ["creacion"]
            assert history[0]["data"]["split_from"]["id"] == order
    generations = await plant.scalar(
        "SELECT json_object_agg(asset_id, work_order_id) FROM program_generations"
        " WHERE program_id = :p",
        p=program,
    )
    assert generations == {str(low): ids[0], str(mid): ids[1], str(high): ids[2]}
    history = (await planner.get(f"/ot/{order}/historial/")).body
    division = history[-1]
    assert division["event"] == "division" and division["user"]["id"] == planner.id
    assert [o["id"] for o in division["data"]["new_work_orders"]] == ids[1:]
    assigned = await plant.scalar(
        "SELECT json_agg((data->>'work_order_id')::int ORDER BY id) FROM outbox"
        " WHERE type = 'ot.asignada' AND (data->>'work_order_id')::int = ANY(CAST(:ids AS int[]))",
        ids=ids,
    )
    assert assigned == ids[1:]


async def test_split_refusals_and_dry_run(plant: Plant, planner: Api, tech: Api) -> None:
    single = await plant.work_order()
    assert (await planner.post(f"/ot/{single}/dividir/")).status == 409
    started = await plant.work_order(status="EN_PROGRESO", assets=plant.assets[:2])
    assert (await planner.post(f"/ot/{started}/dividir/")).status == 409
    assert (await planner.post("/ot/987654/dividir/")).status == 404
    order = await plant.work_order(assets=plant.assets[:2])
    assert (await tech.post(f"/ot/{order}/dividir/")).status == 403
    stale = await planner.post(f"/ot/{order}/dividir/", headers={"If-Match": '"5"'})
    assert stale.status == 409
    before = await plant.scalar("SELECT count(*) FROM work_orders")
    dry = await planner.post(f"/ot/{order}/dividir/", {"dry_run": True})
    assert dry.status == 200 and dry.body["dry_run"] is True
    assert len(dry.body["work_order_ids"]) == 2
    assert await plant.scalar("SELECT count(*) FROM work_orders") == before
    assert (
        await plant.scalar(
            "SELECT count(*) FROM work_order_assets WHERE work_order_id = :id", id=order
        )
        == 2
    )


async def test_merge_folds_assets_steps_and_history_into_the_first(
    plant: Plant, planner: Api, tech: Api
) -> None:
    a1, a2, a3 = plant.assets
    survivor = await plant.work_order(
        assets=[a1], steps=2, start=datetime(2031, 4, 1, 10, 30, tzinfo=UTC), technician_id=tech.id
    )
    second = await plant.work_order(assets=[a2, a3], steps=2)
    third = await plant.work_order(assets=[a1], steps=1)
    await planner.post(f"/ot/{second}/fecha/", {"date": "2031-04-03", "reason": "Antes"})
    notice = await plant.scalar(
        "INSERT INTO avisos (asset_id, title, status, work_order_id)"
        " VALUES (:asset, 'Fuga', 'EN_PROCESO', :order) RETURNING id",
        asset=a2,
        order=second,
    )
    codes = await plant.scalar(
        "SELECT json_agg(code ORDER BY array_position(CAST(:ids AS int[]), id)) FROM work_orders"
        " WHERE id = ANY(CAST(:ids AS int[]))",
        ids=[second, third],
    )

    response = await planner.post(
        "/ot/fusionar/", {"ids": [survivor, second, third], "date": "2031-04-20"}
    )
    assert response.status == 200, response.body
    assert response.body["work_order_id"] == survivor
    detail = (await planner.get(f"/ot/{survivor}/")).body
    assert [a["id"] for a in detail["assets"]] == sorted([a1, a2, a3])
    assert [s["order"] for s in detail["steps"]] == [1, 2, 3, 4, 5]
    assert [s["description"] for s in detail["steps"]] == ["Paso 1", "Paso 2"] * 2 + ["Paso 1"]
    assert datetime.fromisoformat(detail["scheduled_start"]) == datetime(
        2031, 4, 20, 10, 30, tzinfo=UTC
    )
    for gone in (second, third):
        assert (await planner.get(f"/ot/{gone}/")).status == 404
        assert (await planner.get(f"/ot/{gone}/historial/")).status == 404
    history = (await planner.get(f"/ot/{survivor}/historial/")).body
    fusion = history[-1]
    assert fusion["event"] == "fusion"
    assert [m["code"] for m in fusion["data"]["merged"]] == codes
    moved = [line for line in history if line["data"].get("merged_from") == codes[0]]
    assert [line["event"] for line in moved] == ["fecha"]
    assert (
        await plant.scalar("SELECT work_order_id FROM avisos WHERE id = :id", id=notice) == survivor
    )


async def test_merge_refusals_change_nothing(plant: Plant, planner: Api, tech: Api) -> None:
    a = await plant.work_order()
    b = await plant.work_order()
    corrective = await plant.work_order(type="CORRECTIVA")
    started = await plant.work_order(status="EN_PROGRESO")
    cases = [
        ({"ids": [a, corrective], "date": "2031-05-01"}, 409),
        ({"ids": [a, started], "date": "2031-05-01"}, 409),
        ({"ids": [a, b], "date": "2031-05-01", "versions": [1, 4]}, 409),
        ({"ids": [a, b], "date": "2031-05-01", "versions": [1]}, 422),
        ({"ids": [a, 987654], "date": "2031-05-01"}, 422),
        ({"ids": [a, a], "date": "2031-05-01"}, 422),
        ({"ids": [a], "date": "2031-05-01"}, 422),
        ({"ids": [a, b]}, 422),
    ]
    for body, status in cases:
        response = await planner.post("/ot/fusionar/", body)
        assert response.status == status, (body, response.body)
    assert (await tech.post("/ot/fusionar/", {"ids": [a, b], "date": "2031-05-01"})).status == 403
    dry = await planner.post(
        "/ot/fusionar/", {"ids": [a, b], "date": "2031-05-01", "dry_run": True}
    )
    assert dry.status == 200 and dry.body["dry_run"] is True and dry.body["work_order_id"] == a
    for order in (a, b, corrective, started):
        assert (await planner.get(f"/ot/{order}/")).body["version"] == 1


async def test_merge_racing_a_split_one_wins_the_other_gets_409(
    plant: Plant, planner: Api, admin: Api
) -> None:
    for _ in range(3):
        a = await plant.work_order(assets=plant.assets[:2])
        b = await plant.work_order(assets=plant.assets[2:])
        split, merge = await asyncio.gather(
            planner.post(f"/ot/{a}/dividir/", headers={"If-Match": '"1"'}),
            admin.post("/ot/fusionar/", {"ids": [a, b], "date": "2031-06-01", "versions": [1, 1]}),
        )
        assert sorted([split.status, merge.status]) == [200, 409], (split.body, merge.body)
        assets = await plant.scalar(
            "SELECT count(*) FROM work_order_assets WHERE work_order_id = :id", id=a
        )
        if split.status == 200:
            assert assets == 1 and (await planner.get(f"/ot/{b}/")).status == 200
        else:
            assert assets == 3 and (await planner.get(f"/ot/{b}/")).status == 404


async def test_delete_is_all_or_nothing(plant: Plant, planner: Api, tech: Api) -> None:
    pending = await plant.work_orders(1500)
    cancelled = await plant.work_orders(500, status="CANCELADA")
    started = await plant.work_order(status="EN_PROGRESO")
    done = await plant.work_order(status="COMPLETADA")
    ids = pending + cancelled
    body = {"ids": [*ids[:10], started, *ids[10:], 99_999_999, done]}
    response = await planner.post("/ot/eliminar/", body)
    assert response.status == 409
    assert [(e["loc"], e["id"]) for e in response.body["errors"]] == [
        (["ids", 10], started),
        (["ids", len(ids) + 1], 99_999_999),
        (["ids", len(ids) + 2], done),
    ]
    count = "SELECT count(*) FROM work_orders WHERE id = ANY(CAST(:ids AS int[]))"
    assert await plant.scalar(count, ids=ids) == len(ids)
    assert (await tech.post("/ot/eliminar/", {"ids": ids[:1]})).status == 403
    for bad in ({"ids": []}, {"ids": [ids[0], ids[0]]}, {"ids": list(range(1, 10_002))}):
        assert (await planner.post("/ot/eliminar/", bad)).status == 422

    dry = await planner.post("/ot/eliminar/", {"ids": ids, "dry_run": True})
    assert dry.status == 200 and dry.body == {**dry.body, "deleted": len(ids), "dry_run": True}
    assert await plant.scalar(count, ids=ids) == len(ids)

    response = await planner.post("/ot/eliminar/", {"ids": ids})
    assert response.status == 200 and response.body["deleted"] == len(ids)
    assert await plant.scalar(count, ids=ids) == 0
    assert (await planner.get(f"/ot/{ids[0]}/")).status == 404


async def test_deleting_a_notice_order_reopens_the_notice_and_keeps_the_dedup_key(
    plant: Plant, planner: Api, requester: Api
) -> None:
    _, program = await _program(plant)
    order = await plant.work_order(type="CORRECTIVA")
    notice = await plant.scalar(
        "INSERT INTO avisos (asset_id, title, status, work_order_id, author_id)"
        " VALUES (:asset, 'Ruido', 'EN_PROCESO', :order, :author) RETURNING id",
        asset=plant.assets[0],
        order=order,
        author=requester.id,
    )
    await plant.scalar(
        "INSERT INTO program_generations (program_id, asset_id, due_date, work_order_id)"
        " VALUES (:p, :asset, '2031-07-01', :order) RETURNING 1",
        p=program,
        asset=plant.assets[0],
        order=order,
    )
    response = await planner.post("/ot/eliminar/", {"ids": [order]})
    assert response.status == 200, response.body
    assert await plant.scalar(
        "SELECT json_build_array(status, work_order_id) FROM avisos WHERE id = :id", id=notice
    ) == ["ABIERTO", None]
    assert (
        await plant.scalar(
            "SELECT count(*) FROM program_generations"
            " WHERE program_id = :p AND work_order_id IS NULL",
            p=program,
        )
        == 1
    )
    event = await plant.scalar(
        "SELECT data FROM outbox WHERE type = 'aviso.actualizado'"
        " AND (data->>'aviso_id')::int = :id",
        id=notice,
    )
    assert event["author_id"] == requester.id and event["new_status"] == "ABIERTO"
    deleted = await plant.scalar(
        "SELECT count(*) FROM outbox WHERE type = 'ot.eliminadas'"
        " AND data->'work_order_ids' @> to_jsonb(CAST(:id AS int))",
        id=order,
    )
    assert deleted == 1
