"""ADMIN saves of locations, categories, maintenance types, frequencies and assets, over HTTP
through the gateway and a real worker: what a save stores, and what it refuses without touching
the rows.

Rows made here carry TAG (see catalog_helpers), and assertions only count rows made here.
"""

from __future__ import annotations

from tests.api import Api, Plant
from tests.e2e.catalog_helpers import LINKS, MISSING, TAG, by_id, code, error_locs, save

# --- locations -------------------------------------------------------------------------------


async def test_location_refusals(plant: Plant, admin: Api) -> None:
    top = await save(admin, "ubicaciones", {"code": code("TOP"), "name": "Arriba"})
    below = await save(
        admin, "ubicaciones", {"code": code("BELOW"), "name": "Abajo", "parent_id": top}
    )
    for ancestor in (top, below):
        refused = await admin.post(
            "/ubicaciones/guardar/",
            {"id": top, "code": code("TOP"), "name": "x", "parent_id": ancestor},
        )
        assert refused.status == 422, refused.body
        assert error_locs(refused.body) == [["body", "parent_id"]]
    assert await plant.scalar("SELECT parent_id FROM locations WHERE id = :id", id=top) is None
    assert await plant.scalar("SELECT name FROM locations WHERE id = :id", id=top) == "Arriba"

    unknown_parent = await admin.post(
        "/ubicaciones/guardar/", {"code": code("ORPHAN"), "name": "x", "parent_id": MISSING}
    )
    assert unknown_parent.status == 422, unknown_parent.body
    assert error_locs(unknown_parent.body) == [["body", "parent_id"]]

    duplicate = await admin.post("/ubicaciones/guardar/", {"code": code("TOP"), "name": "Otra"})
    assert duplicate.status == 409, duplicate.body
    renamed_onto = await admin.post(
        "/ubicaciones/guardar/", {"id": below, "code": code("TOP"), "name": "x"}
    )
    assert renamed_onto.status == 409, renamed_onto.body
    below_code = "SELECT code FROM locations WHERE id = :id"
    assert await plant.scalar(below_code, id=below) == code("BELOW")

    unknown = await admin.post(
        "/ubicaciones/guardar/", {"id": MISSING, "code": code("GHOST"), "name": "x"}
    )
    assert unknown.status == 404, unknown.body

    malformed = await admin.post("/ubicaciones/guardar/", {"code": "with space"})
    assert malformed.status == 422, malformed.body
    assert sorted(error_locs(malformed.body)) == [["body", "code"], ["body", "name"]]
    not_json = await admin.post(
        "/ubicaciones/guardar/", data=b"{code", headers={"Content-Type": "application/json"}
    )
    assert not_json.status == 400, not_json.body
    made = await plant.scalar(
        "SELECT count(*) FROM locations WHERE code IN (:a, :b)", a=code("ORPHAN"), b=code("GHOST")
    )
    assert made == 0


# --- categories and maintenance types --------------------------------------------------------


async def test_categories_and_their_maintenance_types(plant: Plant, admin: Api, tech: Api) -> None:
    electric = await save(admin, "tipos-mantenimiento", {"name": f"Eléctrico {TAG}"})
    greasing = await save(admin, "tipos-mantenimiento", {"name": f"Engrase {TAG}"})
    await save(admin, "tipos-mantenimiento", {"id": greasing, "name": f"Lubricación {TAG}"})
    types = by_id((await tech.get("/tipos-mantenimiento/")).body)
    assert types[greasing] == {"id": greasing, "name": f"Lubricación {TAG}"}
    assert types[plant.maintenance_type_id]["name"] == "Mecánico"

    body = {
        "name": f"Motores {TAG}",
        "maintenance_type_ids": [greasing, plant.maintenance_type_id, electric, electric],
    }
    category = await save(admin, "categorias", body)
    listed = await tech.get("/categorias/")
    assert listed.status == 200, listed.body
    assert by_id(listed.body)[category] == {
        "id": category,
        "name": f"Motores {TAG}",
        "maintenance_type_ids": sorted({greasing, plant.maintenance_type_id, electric}),
    }
    assert by_id(listed.body)[plant.category_id]["maintenance_type_ids"] == [
        plant.maintenance_type_id
    ]

    await save(
        admin,
        "categorias",
        {"id": category, "name": f"Motores eléctricos {TAG}", "maintenance_type_ids": [electric]},
    )
    assert await plant.scalar(LINKS, id=category) == [electric]
    await save(
        admin,
        "categorias",
        {"id": category, "name": f"Motores eléctricos {TAG}", "maintenance_type_ids": []},
    )
    assert await plant.scalar(LINKS, id=category) is None
    row = by_id((await tech.get("/categorias/")).body)[category]
    assert row == {"id": category, "name": f"Motores eléctricos {TAG}", "maintenance_type_ids": []}


async def test_category_and_type_refusals(plant: Plant, admin: Api) -> None:
    category = await save(
        admin,
        "categorias",
        {"name": f"Válvulas {TAG}", "maintenance_type_ids": [plant.maintenance_type_id]},
    )
    bad_type = await admin.post(
        "/categorias/guardar/",
        {
            "id": category,
            "name": f"Válvulas {TAG}",
            "maintenance_type_ids": [plant.maintenance_type_id, MISSING],
        },
    )
    assert bad_type.status == 422, bad_type.body
    assert error_locs(bad_type.body) == [["body", "maintenance_type_ids"]]
    assert await plant.scalar(LINKS, id=category) == [plant.maintenance_type_id]

    duplicate = await admin.post("/categorias/guardar/", {"name": f"Válvulas {TAG}"})
    assert duplicate.status == 409, duplicate.body
    assert error_locs(duplicate.body) == [["body", "name"]]
    unknown = await admin.post("/categorias/guardar/", {"id": MISSING, "name": f"Nada {TAG}"})
    assert unknown.status == 404, unknown.body

    kind = await save(admin, "tipos-mantenimiento", {"name": f"Neumático {TAG}"})
    taken = await admin.post("/tipos-mantenimiento/guardar/", {"id": kind, "name": "Mecánico"})
    assert taken.status == 409, taken.body
    assert await plant.scalar("SELECT name FROM maintenance_types WHERE id = :id", id=kind) == (
        f"Neumático {TAG}"
    )
    unknown_type = await admin.post(
        "/tipos-mantenimiento/guardar/", {"id": MISSING, "name": f"Nada {TAG}"}
    )
    assert unknown_type.status == 404, unknown_type.body
    empty = await admin.post("/tipos-mantenimiento/guardar/", {"name": ""})
    assert empty.status == 422, empty.body
    assert error_locs(empty.body) == [["body", "name"]]


# --- frequencies -----------------------------------------------------------------------------


async def test_frequencies(plant: Plant, admin: Api, planner: Api) -> None:
    frequency = await save(
        admin, "frecuencias", {"name": f"Quincenal {TAG}", "interval": 2, "unit": "SEMANA"}
    )
    listed = by_id((await planner.get("/frecuencias/")).body)
    assert listed[frequency] == {
        "id": frequency,
        "name": f"Quincenal {TAG}",
        "interval": 2,
        "unit": "SEMANA",
    }
    await save(
        admin,
        "frecuencias",
        {"id": frequency, "name": f"Trimestral {TAG}", "interval": 3, "unit": "MES"},
    )
    listed = by_id((await planner.get("/frecuencias/")).body)
    assert listed[frequency] == {
        "id": frequency,
        "name": f"Trimestral {TAG}",
        "interval": 3,
        "unit": "MES",
    }

    duplicate = await admin.post(
        "/frecuencias/guardar/", {"name": f"Trimestral {TAG}", "interval": 1, "unit": "DIA"}
    )
    assert duplicate.status == 409, duplicate.body
    unknown = await admin.post(
        "/frecuencias/guardar/",
        {"id": MISSING, "name": f"Nada {TAG}", "interval": 1, "unit": "DIA"},
    )
    assert unknown.status == 404, unknown.body
    malformed = await admin.post(
        "/frecuencias/guardar/", {"name": f"Mala {TAG}", "interval": 0, "unit": "HORA"}
    )
    assert malformed.status == 422, malformed.body
    assert sorted(error_locs(malformed.body)) == [["body", "interval"], ["body", "unit"]]
    count = "SELECT count(*) FROM frequencies WHERE name LIKE :pattern"
    assert await plant.scalar(count, pattern=f"%{TAG}") == 1


# --- assets ----------------------------------------------------------------------------------


async def test_asset_refusals(plant: Plant, admin: Api) -> None:
    body = {
        "code": code("VALVE"),
        "name": "Válvula",
        "location_id": plant.locations["line"],
        "category_id": plant.category_id,
    }
    asset = await save(admin, "activos", body)
    duplicate = await admin.post("/activos/guardar/", {**body, "name": "Otra"})
    assert duplicate.status == 409, duplicate.body
    assert error_locs(duplicate.body) == [["body", "code"]]
    taken = await admin.post("/activos/guardar/", {**body, "id": asset, "code": "BOMBA-01"})
    assert taken.status == 409, taken.body

    bad_refs = await admin.post(
        "/activos/guardar/",
        {**body, "id": asset, "name": "Cambiada", "location_id": MISSING, "category_id": MISSING},
    )
    assert bad_refs.status == 422, bad_refs.body
    assert sorted(error_locs(bad_refs.body)) == [["body", "category_id"], ["body", "location_id"]]
    row = "SELECT (code, name, location_id)::text FROM assets WHERE id = :id"
    assert await plant.scalar(row, id=asset) == (
        f"({code('VALVE')},Válvula,{plant.locations['line']})"
    )

    unknown = await admin.post("/activos/guardar/", {**body, "id": MISSING, "code": code("NONE")})
    assert unknown.status == 404, unknown.body
    malformed = await admin.post("/activos/guardar/", {**body, "location_id": "aquí"})
    assert malformed.status == 422, malformed.body
    assert error_locs(malformed.body) == [["body", "location_id"]]
    assert (
        await plant.scalar("SELECT count(*) FROM assets WHERE code LIKE :p", p=code("VALVE") + "%")
        == 1
    )
