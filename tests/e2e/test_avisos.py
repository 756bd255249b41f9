"""Notices through HTTP: filed in the app by any role, listed (own / all for planners), turned
into a corrective order, and closed when that order is completed."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from tests.api import Api, Plant


async def _file(api: Api, asset_id: int, **fields: Any) -> int:
    body = {"asset_id": asset_id, "title": f"Ruido {uuid.uuid4().hex[:6]}", "priority": "MEDIA"}
    response = await api.post("/app/aviso/crear/", body | fields)
    assert response.status == 200, response.body
    return int(response.body["aviso_id"])


async def _notice(plant: Plant, aviso_id: int) -> dict[str, Any]:
    return dict(
        await plant.scalar(
            "SELECT json_build_object('status', status, 'work_order_id', work_order_id)"
            " FROM avisos WHERE id = :id",
            id=aviso_id,
        )
    )


async def _events(plant: Plant, kind: str, key: str, value: int) -> list[Any]:
    return list(
        await plant.scalar(
            "SELECT coalesce(json_agg(data ORDER BY id), '[]') FROM outbox"
            f" WHERE type = :kind AND (data->>'{key}')::int = :value",
            kind=kind,
            value=value,
        )
    )


async def test_any_role_files_a_notice_and_sees_only_their_own(
    plant: Plant, requester: Api, tech: Api
) -> None:
    aviso_id = await _file(
        requester, plant.assets[1], title="Fuga de aceite", description="Bajo el motor"
    )
    theirs = await _file(tech, plant.assets[0])
    mine = await requester.get("/app/avisos/")
    assert mine.status == 200
    assert theirs not in [n["id"] for n in mine.body]
    notice = next(n for n in mine.body if n["id"] == aviso_id)
    assert notice == {
        "id": aviso_id,
        "code": notice["code"],
        "asset": {"id": plant.assets[1], "code": "BOMBA-02", "name": "Bomba centrífuga 02"},
        "title": "Fuga de aceite",
        "description": "Bajo el motor",
        "priority": "MEDIA",
        "status": "ABIERTO",
        "source": "APP",
        "external_id": None,
        "work_order_id": None,
        "origin_work_order_id": None,
        "meter_id": None,
        "author_id": requester.id,
        "reported_at": None,
        "created_at": notice["created_at"],
    }
    assert notice["code"].startswith("AV-")
    assert theirs in [n["id"] for n in (await tech.get("/app/avisos/")).body]
    # Planners are told by the notifications worker, from this event.
    assert await _events(plant, "aviso.creado", "aviso_id", aviso_id) == [
        {
            "aviso_id": aviso_id,
            "asset_id": plant.assets[1],
            "source": "APP",
            "author_id": requester.id,
            "origin_work_order_id": None,
        }
    ]


async def test_bad_notices_are_refused(requester: Api) -> None:
    cases = [
        ({"asset_id": 99999999, "title": "x", "priority": "ALTA"}, ["body", "asset_id"]),
        ({"asset_id": 1, "title": "", "priority": "ALTA"}, ["body", "title"]),
        ({"asset_id": 1, "title": "x", "priority": "CRITICA"}, ["body", "priority"]),
        ({"title": "x", "priority": "ALTA"}, ["body", "asset_id"]),
    ]
    for body, loc in cases:
        response = await requester.post("/app/aviso/crear/", body)
        assert response.status == 422, (body, response.body)
        assert loc in [e["loc"] for e in response.body["errors"]], response.body


async def test_roles_around_notices(plant: Plant, requester: Api, tech: Api) -> None:
    aviso_id = await _file(requester, plant.assets[0])
    assert (await requester.get("/activos/")).status == 200
    assert (await requester.get("/avisos/")).status == 403
    assert (await tech.get("/avisos/")).status == 403
    date = {"date": "2031-09-01"}
    assert (await requester.post(f"/avisos/{aviso_id}/generar-ot/", date)).status == 403
    assert (await tech.post(f"/avisos/{aviso_id}/generar-ot/", date)).status == 403
    assert (await _notice(plant, aviso_id))["status"] == "ABIERTO"


async def test_planners_list_and_filter_every_notice(
    plant: Plant, planner: Api, requester: Api, tech: Api
) -> None:
    urgent = await _file(requester, plant.assets[2], priority="URGENTE")
    low = await _file(tech, plant.assets[2], priority="BAJA")
    other_asset = await _file(tech, plant.assets[0], priority="URGENTE")
    await plant.scalar("UPDATE avisos SET status = 'CERRADO' WHERE id = :id RETURNING id", id=low)

    on_asset = await planner.get("/avisos/", asset_id=plant.assets[2])
    assert on_asset.status == 200
    ids = [n["id"] for n in on_asset.body]
    assert urgent in ids and low in ids and other_asset not in ids
    assert ids == sorted(ids, reverse=True)  # newest first
    assert int(on_asset.headers["X-Total-Count"]) == len(ids)

    urgent_ids = [n["id"] for n in (await planner.get("/avisos/", priority="URGENTE")).body]
    assert urgent in urgent_ids and other_asset in urgent_ids and low not in urgent_ids
    closed = await planner.get("/avisos/", status="CERRADO", asset_id=plant.assets[2])
    assert [n["id"] for n in closed.body] == [low]
    both = await planner.get("/avisos/", priority="BAJA,URGENTE", asset_id=plant.assets[2])
    assert {urgent, low} <= {n["id"] for n in both.body}
    assert (await planner.get("/avisos/", status="PERDIDO")).status == 422


async def test_planners_list_pages(plant: Plant, planner: Api, requester: Api) -> None:
    for _ in range(3):
        await _file(requester, plant.assets[0])
    first = await planner.get("/avisos/", limit=2)
    assert len(first.body) == 2 and 'rel="next"' in first.headers["Link"]
    link = first.headers["Link"].split(">")[0].lstrip("<")
    second = await planner.request("GET", link)
    assert second.status == 200
    assert second.body[0]["id"] < first.body[1]["id"]
    assert (await planner.get("/avisos/", cursor="%%%")).status == 422


async def test_generate_an_order_from_a_notice_then_close_it(
    plant: Plant, planner: Api, requester: Api, tech: Api
) -> None:
    aviso_id = await _file(
        requester, plant.assets[2], title="Vibración anómala", description="Desde ayer"
    )
    made = await planner.post(
        f"/avisos/{aviso_id}/generar-ot/", {"date": "2031-09-15", "technician_id": tech.id}
    )
    assert made.status == 200, made.body
    order_id = made.body["work_order_id"]
    order = (await planner.get(f"/ot/{order_id}/")).body
    assert order["type"] == "CORRECTIVA" and order["status"] == "PENDIENTE"
    assert order["title"] == "Vibración anómala" and order["notes"] == "Desde ayer"
    assert order["aviso_id"] == aviso_id and order["technician_id"] == tech.id
    assert [a["id"] for a in order["assets"]] == [plant.assets[2]]
    assert order["scheduled_start"] == "2031-09-15T08:00:00+00:00"
    history = await plant.scalar(
        "SELECT json_agg(json_build_object('event', event, 'data', data, 'user', user_id))"
        " FROM work_order_events WHERE work_order_id = :id",
        id=order_id,
    )
    assert history == [{"event": "creacion", "data": {"aviso_id": aviso_id}, "user": planner.id}]
    assert await _notice(plant, aviso_id) == {"status": "EN_PROCESO", "work_order_id": order_id}
    mine = next(n for n in (await requester.get("/app/avisos/")).body if n["id"] == aviso_id)
    assert (mine["status"], mine["work_order_id"]) == ("EN_PROCESO", order_id)
    assert await _events(plant, "ot.asignada", "work_order_id", order_id) == [
        {"work_order_id": order_id, "technician_id": tech.id, "assigned_by": planner.id}
    ]

    again = await planner.post(f"/avisos/{aviso_id}/generar-ot/", {"date": "2031-09-16"})
    assert again.status == 409, again.body

    done = await tech.post(f"/ot/{order_id}/actualizar/", {"status": "COMPLETADA"})
    assert done.status == 200, done.body
    assert await _notice(plant, aviso_id) == {"status": "CERRADO", "work_order_id": order_id}
    updates = await _events(plant, "aviso.actualizado", "aviso_id", aviso_id)
    assert [(u["old_status"], u["new_status"], u["author_id"]) for u in updates] == [
        ("ABIERTO", "EN_PROCESO", requester.id),
        ("EN_PROCESO", "CERRADO", requester.id),
    ]
    changes = await _events(plant, "ot.estado", "work_order_id", order_id)
    assert [(c["new_status"], c["aviso_id"]) for c in changes] == [("COMPLETADA", aviso_id)]


async def test_finishing_the_order_in_the_app_closes_the_notice(
    plant: Plant, planner: Api, tech: Api
) -> None:
    aviso_id = await _file(tech, plant.assets[0])
    made = await planner.post(
        f"/avisos/{aviso_id}/generar-ot/", {"date": "2031-10-01", "technician_id": tech.id}
    )
    order_id = made.body["work_order_id"]
    assert (await tech.post(f"/app/ot/{order_id}/iniciar/", {})).status == 200
    assert await _notice(plant, aviso_id) == {"status": "EN_PROCESO", "work_order_id": order_id}
    assert (await tech.post(f"/app/ot/{order_id}/finalizar/", {})).status == 200
    assert await _notice(plant, aviso_id) == {"status": "CERRADO", "work_order_id": order_id}
    changes = await _events(plant, "ot.estado", "work_order_id", order_id)
    assert [(c["new_status"], c["aviso_id"]) for c in changes] == [
        ("EN_PROGRESO", aviso_id),
        ("COMPLETADA", aviso_id),
    ]


async def test_generation_refusals_change_nothing(
    plant: Plant, planner: Api, requester: Api, other_tech: Api
) -> None:
    aviso_id = await _file(requester, plant.assets[0])
    assert (
        await planner.post("/avisos/99999999/generar-ot/", {"date": "2031-11-01"})
    ).status == 404
    for technician in (requester.id, planner.id, 99999999):
        refused = await planner.post(
            f"/avisos/{aviso_id}/generar-ot/", {"date": "2031-11-01", "technician_id": technician}
        )
        assert refused.status == 422, refused.body
        assert refused.body["errors"][0]["loc"] == ["body", "technician_id"]
    assert (await planner.post(f"/avisos/{aviso_id}/generar-ot/", {})).status == 422
    await plant.scalar(
        "UPDATE users SET active = false WHERE id = :id RETURNING id", id=other_tech.id
    )
    try:
        inactive = await planner.post(
            f"/avisos/{aviso_id}/generar-ot/",
            {"date": "2031-11-01", "technician_id": other_tech.id},
        )
        assert inactive.status == 422
    finally:
        await plant.scalar(
            "UPDATE users SET active = true WHERE id = :id RETURNING id", id=other_tech.id
        )
    closed = await _file(requester, plant.assets[0])
    await plant.scalar(
        "UPDATE avisos SET status = 'CERRADO' WHERE id = :id RETURNING id", id=closed
    )
    assert (
        await planner.post(f"/avisos/{closed}/generar-ot/", {"date": "2031-11-01"})
    ).status == 409
    assert await _notice(plant, aviso_id) == {"status": "ABIERTO", "work_order_id": None}
    made = await plant.scalar("SELECT count(*) FROM work_orders WHERE aviso_id = :id", id=aviso_id)
    assert made == 0


async def test_generation_is_idempotent_under_an_idempotency_key(
    plant: Plant, planner: Api, requester: Api
) -> None:
    aviso_id = await _file(requester, plant.assets[0])
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"date": datetime(2031, 12, 1, tzinfo=timezone.utc).date().isoformat()}
    first = await planner.post(f"/avisos/{aviso_id}/generar-ot/", body, headers=key)
    again = await planner.post(f"/avisos/{aviso_id}/generar-ot/", body, headers=key)
    assert first.status == again.status == 200
    assert first.body == again.body
    made = await plant.scalar("SELECT count(*) FROM work_orders WHERE aviso_id = :id", id=aviso_id)
    assert made == 1


async def test_cancelling_the_order_reopens_the_notice_for_another_order(
    plant: Plant, planner: Api, requester: Api
) -> None:
    aviso_id = await _file(requester, plant.assets[1])
    first = (await planner.post(f"/avisos/{aviso_id}/generar-ot/", {"date": "2031-11-03"})).body
    cancelled = await planner.post(
        f"/ot/{first['work_order_id']}/actualizar/", {"status": "CANCELADA"}
    )
    assert cancelled.status == 200, cancelled.body
    assert await _notice(plant, aviso_id) == {"status": "ABIERTO", "work_order_id": None}
    updates = await _events(plant, "aviso.actualizado", "aviso_id", aviso_id)
    assert [(u["new_status"], u["author_id"]) for u in updates] == [
        ("EN_PROCESO", requester.id),
        ("ABIERTO", requester.id),
    ]
    second = await planner.post(f"/avisos/{aviso_id}/generar-ot/", {"date": "2031-11-10"})
    assert second.status == 200, second.body
    assert await _notice(plant, aviso_id) == {
        "status": "EN_PROCESO",
        "work_order_id": second.body["work_order_id"],
    }
