"""Routines over HTTP: search, detail, save, step replacement and delete, with their refusals.

The plant is shared with other test files: routines made here carry TAG in their name and
searches filter by it.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.api import Api, Plant

TAG = uuid.uuid4().hex[:8]
MISSING = 10**9


async def _frequency(plant: Plant) -> int:
    return int(
        await plant.scalar(
            "INSERT INTO frequencies (name, interval, unit) VALUES (:n, 2, 'SEMANA') RETURNING id",
            n=f"Quincenal {uuid.uuid4().hex[:8]}",
        )
    )


async def _save(api: Api, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = await api.post("/rutinas/guardar/", body, **kwargs)
    assert response.status == 200, response.body
    assert response.body["status"] == "success"
    return dict(response.body)


def _locs(body: dict[str, Any]) -> list[list[Any]]:
    assert body["status"] == "error"
    return [error["loc"] for error in body["errors"]]


async def test_create_read_and_update_a_routine(plant: Plant, planner: Api, tech: Api) -> None:
    frequency = await _frequency(plant)
    body = {
        "name": f"Engrase {TAG}",
        "description": "Engrase de rodamientos",
        "maintenance_type_id": plant.maintenance_type_id,
        "frequency_id": frequency,
        "estimated_duration_min": 45,
    }
    created = await _save(planner, body)
    routine_id = created["routine_id"]
    assert created["version"] == 1

    detail = await tech.get(f"/rutinas/{routine_id}/")
    assert detail.status == 200, detail.body
    assert detail.body == {
        "id": routine_id,
        "name": f"Engrase {TAG}",
        "description": "Engrase de rodamientos",
        "maintenance_type": {"id": plant.maintenance_type_id, "name": "Mecánico"},
        "frequency": {
            "id": frequency,
            "name": detail.body["frequency"]["name"],
            "interval": 2,
            "unit": "SEMANA",
        },
        "estimated_duration_min": 45,
        "steps": [],
        "version": 1,
    }

    updated = await _save(
        planner, {**body, "id": routine_id, "estimated_duration_min": 60, "version": 1}
    )
    assert updated == {
        "status": "success",
        "message": updated["message"],
        "routine_id": routine_id,
        "version": 2,
    }
    again = await tech.get(f"/rutinas/{routine_id}/")
    assert again.body["estimated_duration_min"] == 60 and again.body["version"] == 2

    listed = await tech.get("/rutinas/", q=f"engrase {TAG}")
    assert listed.status == 200, listed.body
    assert [r["id"] for r in listed.body] == [routine_id]
    assert "steps" not in listed.body[0]
    assert listed.body[0]["version"] == 2


async def test_stale_version_unknown_id_and_bad_references(plant: Plant, planner: Api) -> None:
    frequency = await _frequency(plant)
    body = {
        "name": f"Inspección {TAG}",
        "description": "",
        "maintenance_type_id": plant.maintenance_type_id,
        "frequency_id": frequency,
        "estimated_duration_min": 10,
    }
    routine_id = (await _save(planner, body))["routine_id"]
    await _save(planner, {**body, "id": routine_id, "name": f"Inspección visual {TAG}"})

    stale = await planner.post("/rutinas/guardar/", {**body, "id": routine_id, "version": 1})
    assert stale.status == 409, stale.body
    stale_header = await planner.post(
        "/rutinas/guardar/", {**body, "id": routine_id}, headers={"If-Match": '"1"'}
    )
    assert stale_header.status == 409, stale_header.body
    fresh_header = await planner.post(
        "/rutinas/guardar/", {**body, "id": routine_id}, headers={"If-Match": '"2"'}
    )
    assert fresh_header.status == 200 and fresh_header.body["version"] == 3
    assert await plant.scalar("SELECT name FROM routines WHERE id = :id", id=routine_id) == (
        f"Inspección {TAG}"
    )

    unknown = await planner.post("/rutinas/guardar/", {**body, "id": MISSING})
    assert unknown.status == 404, unknown.body

    bad = await planner.post(
        "/rutinas/guardar/", {**body, "maintenance_type_id": MISSING, "frequency_id": MISSING}
    )
    assert bad.status == 422, bad.body
    assert sorted(_locs(bad.body)) == [["body", "frequency_id"], ["body", "maintenance_type_id"]]
    bad_update = await planner.post(
        "/rutinas/guardar/", {**body, "id": routine_id, "frequency_id": MISSING}
    )
    assert bad_update.status == 422, bad_update.body
    assert await plant.scalar("SELECT version FROM routines WHERE id = :id", id=routine_id) == 3

    malformed = await planner.post(
        "/rutinas/guardar/", {**body, "name": "", "estimated_duration_min": -1}
    )
    assert malformed.status == 422
    assert sorted(_locs(malformed.body)) == [["body", "estimated_duration_min"], ["body", "name"]]
    made = await plant.scalar(
        "SELECT count(*) FROM routines WHERE name LIKE :n", n=f"Inspección%{TAG}"
    )
    assert made == 1


async def test_roles(plant: Plant, admin: Api, tech: Api, requester: Api) -> None:
    routine_id = await plant.routine(name=f"Roles {TAG}", steps=1)
    for path in ("/rutinas/", f"/rutinas/{routine_id}/"):
        assert (await requester.get(path)).status == 403
        assert (await tech.get(path)).status == 200
    frequency = await plant.scalar(
        "SELECT frequency_id FROM routines WHERE id = :id", id=routine_id
    )
    body = {
        "name": "x",
        "maintenance_type_id": plant.maintenance_type_id,
        "frequency_id": frequency,
    }
    for path, payload in (
        ("/rutinas/guardar/", body),
        ("/rutinas/guardar/", {**body, "id": routine_id}),
        (f"/rutinas/{routine_id}/pasos/", {"steps": []}),
        (f"/rutinas/{routine_id}/eliminar/", None),
    ):
        for api in (tech, requester):
            response = await api.post(path, payload)
            assert response.status == 403, (path, response.body)
    assert (
        await plant.scalar(
            "SELECT count(*) FROM routine_steps WHERE routine_id = :id", id=routine_id
        )
        == 1
    )
    created = await _save(admin, body)
    assert created["version"] == 1


async def test_detail_404_and_etag(plant: Plant, tech: Api, planner: Api) -> None:
    assert (await tech.get(f"/rutinas/{MISSING}/")).status == 404
    routine_id = await plant.routine(steps=2)
    first = await tech.get(f"/rutinas/{routine_id}/")
    etag = first.headers["ETag"]
    cached = await tech.request("GET", f"/rutinas/{routine_id}/", headers={"If-None-Match": etag})
    assert cached.status == 304
    response = await planner.post(
        f"/rutinas/{routine_id}/pasos/", {"steps": [{"description": "Uno"}]}
    )
    assert response.status == 200, response.body
    changed = await tech.request("GET", f"/rutinas/{routine_id}/", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_search_pages_and_filters(plant: Plant, tech: Api) -> None:
    other_type = int(
        await plant.scalar(
            "INSERT INTO maintenance_types (name) VALUES (:n) RETURNING id", n=f"Eléctrico {TAG}"
        )
    )
    names = [f"Página {TAG} {n}" for n in range(5)]
    ids = [await plant.routine(name=name) for name in names]
    electric = await plant.routine(name=f"Página {TAG} eléctrica", maintenance_type_id=other_type)
    seen: list[dict[str, Any]] = []
    response = await tech.get("/rutinas/", q=f"Página {TAG}", limit=2)
    pages = 0
    while True:
        assert response.status == 200, response.body
        assert response.headers["X-Total-Count"] == "6"
        seen += response.body
        pages += 1
        if "Link" not in response.headers:
            break
        link = response.headers["Link"]
        response = await tech.request("GET", link[1 : link.index(">")])
    assert pages == 3
    assert [r["name"] for r in seen] == sorted([*names, f"Página {TAG} eléctrica"])
    by_type = await tech.get("/rutinas/", q=TAG, maintenance_type_id=other_type)
    assert [r["id"] for r in by_type.body] == [electric]
    mechanical = await tech.get(
        "/rutinas/", q=f"Página {TAG}", maintenance_type_id=plant.maintenance_type_id
    )
    assert sorted(r["id"] for r in mechanical.body) == sorted(ids)
    for bad in ({"limit": "0"}, {"cursor": "???"}, {"maintenance_type_id": "abc"}):
        assert (await tech.get("/rutinas/", **bad)).status == 422, bad


async def test_replace_steps(plant: Plant, planner: Api, tech: Api) -> None:
    routine_id = await plant.routine(steps=3)
    steps = [
        {"description": "Revisar ruido"},
        {
            "description": "Medir vibración",
            "kind": "MEDICION",
            "unit": "mm/s",
            "min_value": 0,
            "max_value": 4.5,
        },
        {"description": "Observaciones", "kind": "TEXTO"},
        {"description": "Temperatura", "kind": "MEDICION", "unit": "°C", "max_value": 80},
    ]
    response = await planner.post(f"/rutinas/{routine_id}/pasos/", {"steps": steps, "version": 1})
    assert response.status == 200, response.body
    assert response.body["version"] == 2 and response.body["steps"] == 4
    detail = (await tech.get(f"/rutinas/{routine_id}/")).body
    assert detail["version"] == 2
    assert [
        (s["order"], s["description"], s["kind"], s["unit"], s["min_value"], s["max_value"])
        for s in detail["steps"]
    ] == [
        (1, "Revisar ruido", "CHECK", None, None, None),
        (2, "Medir vibración", "MEDICION", "mm/s", 0, 4.5),
        (3, "Observaciones", "TEXTO", None, None, None),
        (4, "Temperatura", "MEDICION", "°C", None, 80),
    ]

    stale = await planner.post(
        f"/rutinas/{routine_id}/pasos/", {"steps": []}, headers={"If-Match": '"1"'}
    )
    assert stale.status == 409, stale.body
    unknown = await planner.post(f"/rutinas/{MISSING}/pasos/", {"steps": []})
    assert unknown.status == 404, unknown.body

    bad_steps = [
        (
            {"description": "x", "kind": "MEDICION", "min_value": 5, "max_value": 1},
            ["body", "steps", 0],
        ),
        ({"description": "x", "min_value": 1}, ["body", "steps", 0]),
        ({"description": "x", "kind": "TEXTO", "unit": "mm"}, ["body", "steps", 0]),
        ({"description": "x", "kind": "FOTO"}, ["body", "steps", 0, "kind"]),
        ({"description": ""}, ["body", "steps", 0, "description"]),
        (
            {"description": "x", "kind": "MEDICION", "max_value": "NaN"},
            ["body", "steps", 0, "max_value"],
        ),
    ]
    for step, loc in bad_steps:
        response = await planner.post(f"/rutinas/{routine_id}/pasos/", {"steps": [step]})
        assert response.status == 422, (step, response.body)
        assert loc in _locs(response.body), (step, response.body)
    missing = await planner.post(f"/rutinas/{routine_id}/pasos/", {})
    assert missing.status == 422
    assert (
        await plant.scalar(
            "SELECT count(*) FROM routine_steps WHERE routine_id = :id", id=routine_id
        )
        == 4
    )

    cleared = await planner.post(f"/rutinas/{routine_id}/pasos/", {"steps": []})
    assert cleared.status == 200 and cleared.body["version"] == 3
    assert (await tech.get(f"/rutinas/{routine_id}/")).body["steps"] == []


async def test_existing_orders_keep_their_steps(plant: Plant, planner: Api) -> None:
    routine_id = await plant.routine(steps=2)
    order = await plant.work_order(steps=2)
    await plant.scalar(
        "UPDATE work_orders SET routine_id = :r WHERE id = :id RETURNING id", r=routine_id, id=order
    )
    before = (await planner.get(f"/ot/{order}/")).body["steps"]
    response = await planner.post(
        f"/rutinas/{routine_id}/pasos/", {"steps": [{"description": "Paso nuevo"}]}
    )
    assert response.status == 200, response.body
    assert (await planner.get(f"/ot/{order}/")).body["steps"] == before
    assert [s["description"] for s in before] == ["Paso 1", "Paso 2"]


async def test_delete(plant: Plant, planner: Api, tech: Api) -> None:
    assert (await planner.post(f"/rutinas/{MISSING}/eliminar/")).status == 404

    routine_id = await plant.routine(steps=2)
    active = await plant.program(routine_id)
    inactive = await plant.program(routine_id, active=False)
    order = await plant.work_order(steps=2)
    await plant.scalar(
        "UPDATE work_orders SET routine_id = :r, program_id = :p WHERE id = :id RETURNING id",
        r=routine_id,
        p=inactive,
        id=order,
    )

    refused = await planner.post(f"/rutinas/{routine_id}/eliminar/")
    assert refused.status == 409, refused.body
    assert refused.body["errors"][0]["program_ids"] == [active]
    assert (await tech.get(f"/rutinas/{routine_id}/")).status == 200

    await plant.scalar("UPDATE programs SET active = false WHERE id = :id RETURNING id", id=active)
    stale = await planner.post(f"/rutinas/{routine_id}/eliminar/", {"version": 7})
    assert stale.status == 409, stale.body
    deleted = await planner.post(f"/rutinas/{routine_id}/eliminar/", headers={"If-Match": '"1"'})
    assert deleted.status == 200, deleted.body
    assert deleted.body["deleted_program_ids"] == [active, inactive]

    assert (await tech.get(f"/rutinas/{routine_id}/")).status == 404
    assert (await planner.post(f"/rutinas/{routine_id}/eliminar/")).status == 404
    assert (
        await plant.scalar(
            "SELECT count(*) FROM programs WHERE id IN (:a, :b)", a=active, b=inactive
        )
        == 0
    )
    kept = (await planner.get(f"/ot/{order}/")).body
    assert kept["routine_id"] is None and kept["program_id"] is None
    assert [s["description"] for s in kept["steps"]] == ["Paso 1", "Paso 2"]
