"""Catalog reads and ADMIN writes, over HTTP through the gateway and a real worker.

The plant is shared with other test files: every row made here carries TAG in its code or name,
and assertions only count rows made here.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from gateway.keys import RPC
from gateway.pagination import encode_cursor
from shared.messages.catalogs import SaveMaintenanceType
from tests.api import Api, Plant

TAG = uuid.uuid4().hex[:8].upper()
MISSING = 10**9
LINKS = (
    "SELECT array_agg(maintenance_type_id ORDER BY maintenance_type_id)"
    " FROM category_maintenance_types WHERE category_id = :id"
)


def code(name: str) -> str:
    return f"{TAG}-{name}"


async def save(api: Api, what: str, body: dict[str, Any]) -> int:
    response = await api.post(f"/{what}/guardar/", body)
    assert response.status == 200, response.body
    assert response.body["status"] == "success"
    return int(response.body["id"])


def error_locs(body: dict[str, Any]) -> list[list[Any]]:
    assert body["status"] == "error"
    return [error["loc"] for error in body["errors"]]


def by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in rows}


# --- locations -------------------------------------------------------------------------------


async def test_locations_list_parents_before_children(
    plant: Plant, admin: Api, requester: Api
) -> None:
    # The child is older (lower id) and sorts first by code: only a tree walk lists it second.
    child = await save(admin, "ubicaciones", {"code": code("A-CHILD"), "name": "Línea"})
    parent = await save(admin, "ubicaciones", {"code": code("Z-PARENT"), "name": "Nave"})
    await save(
        admin,
        "ubicaciones",
        {"id": child, "code": code("A-CHILD"), "name": "Línea 9", "parent_id": parent},
    )

    listed = await requester.get("/ubicaciones/")
    assert listed.status == 200, listed.body
    position = {row["id"]: index for index, row in enumerate(listed.body)}
    assert len(position) == len(listed.body)
    for row in listed.body:
        if row["parent_id"] is not None:
            assert position[row["parent_id"]] < position[row["id"]], row
    rows = by_id(listed.body)
    assert rows[child] == {
        "id": child,
        "code": code("A-CHILD"),
        "name": "Línea 9",
        "parent_id": parent,
    }
    assert rows[parent] == {
        "id": parent,
        "code": code("Z-PARENT"),
        "name": "Nave",
        "parent_id": None,
    }
    assert rows[plant.locations["line"]]["parent_id"] == plant.locations["area"]
    assert await plant.scalar("SELECT parent_id FROM locations WHERE id = :id", id=child) == parent


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


async def test_asset_save_and_detail(plant: Plant, admin: Api, requester: Api) -> None:
    body = {
        "code": code("PUMP"),
        "name": "Bomba nueva",
        "location_id": plant.locations["line"],
        "category_id": plant.category_id,
    }
    asset = await save(admin, "activos", body)
    first = await requester.get(f"/activos/{asset}/")
    assert first.status == 200, first.body
    assert first.body == {
        "id": asset,
        "code": code("PUMP"),
        "name": "Bomba nueva",
        "location": {"id": plant.locations["line"], "code": "PLT-A-L1", "name": "Línea 1"},
        "category": {"id": plant.category_id, "name": "Bombas"},
        "active": True,
    }
    etag = first.headers["ETag"]
    cached = await requester.request("GET", f"/activos/{asset}/", headers={"If-None-Match": etag})
    assert cached.status == 304 and cached.body is None
    assert cached.headers["ETag"] == etag

    await save(
        admin,
        "activos",
        {
            **body,
            "id": asset,
            "name": "Bomba movida",
            "location_id": plant.locations["other"],
            "active": False,
        },
    )
    moved = await requester.request("GET", f"/activos/{asset}/", headers={"If-None-Match": etag})
    assert moved.status == 200, moved.body
    assert moved.headers["ETag"] != etag
    assert moved.body["location"] == {
        "id": plant.locations["other"],
        "code": "PLT-B",
        "name": "Área B",
    }
    assert (moved.body["name"], moved.body["active"]) == ("Bomba movida", False)
    assert (await requester.get(f"/activos/{MISSING}/")).status == 404


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


async def _many_assets(plant: Plant, admin: Api, count: int) -> tuple[dict[str, int], int]:
    """A location tree of three levels and `count` assets of a new category spread over it."""
    root = await save(admin, "ubicaciones", {"code": code("ROOT"), "name": "Raíz"})
    mid = await save(
        admin, "ubicaciones", {"code": code("MID"), "name": "Medio", "parent_id": root}
    )
    leaf = await save(
        admin, "ubicaciones", {"code": code("LEAF"), "name": "Hoja", "parent_id": mid}
    )
    category = await save(admin, "categorias", {"name": f"Motores serie {TAG}"})
    async with plant.db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO assets (code, name, location_id, category_id)"
                " SELECT :prefix || lpad(n::text, 3, '0'), 'Motor ' || n,"
                "        (CAST(ARRAY[:root, :mid, :leaf] AS integer[]))[n % 3 + 1],"
                "        CAST(:category AS integer)"
                " FROM generate_series(1, :count) AS n"
            ),
            {
                "prefix": code("M"),
                "root": root,
                "mid": mid,
                "leaf": leaf,
                "category": category,
                "count": count,
            },
        )
    return {"root": root, "mid": mid, "leaf": leaf}, category


async def test_asset_list_filters_and_pages(plant: Plant, admin: Api, tech: Api) -> None:
    where, category = await _many_assets(plant, admin, 23)
    seen: list[dict[str, Any]] = []
    response = await tech.get("/activos/", category_id=category, limit=5)
    pages = 0
    while True:
        assert response.status == 200, response.body
        assert response.headers["X-Total-Count"] == "23"
        seen += response.body
        pages += 1
        if "Link" not in response.headers:
            break
        link = response.headers["Link"]
        assert link.endswith('>; rel="next"')
        response = await tech.request("GET", link[1 : link.index(">")])
    assert pages == 5 and len(seen) == 23
    assert len({asset["id"] for asset in seen}) == 23
    assert [asset["code"] for asset in seen] == [code(f"M{n:03}") for n in range(1, 24)]
    assert seen[0]["category"] == {"id": category, "name": f"Motores serie {TAG}"}
    assert seen[0]["location"] == {"id": where["mid"], "code": code("MID"), "name": "Medio"}

    async def ids(**params: Any) -> set[int]:
        found = await tech.get("/activos/", limit=500, **params)
        assert found.status == 200, found.body
        assert int(found.headers["X-Total-Count"]) == len(found.body)
        return {asset["id"] for asset in found.body}

    in_category = "SELECT array_agg(id) FROM assets WHERE category_id = :c"
    assert await ids(location_id=where["root"]) == set(await plant.scalar(in_category, c=category))
    below_mid = (
        "SELECT array_agg(id) FROM assets WHERE category_id = :c AND location_id IN (:mid, :leaf)"
    )
    expected = set(await plant.scalar(below_mid, c=category, mid=where["mid"], leaf=where["leaf"]))
    assert len(expected) == 16
    assert await ids(location_id=where["mid"]) == expected
    assert len(await ids(location_id=where["leaf"])) == 8
    assert await ids(location_id=MISSING) == set()

    assert len(await ids(category_id=category, q=code("M01"))) == 10
    assert len(await ids(category_id=category, q="motor 7")) == 1
    # Wildcards are searched for literally.
    assert await ids(category_id=category, q="%") == set()
    assert await ids(category_id=category, q="_") == set()

    default = await tech.get("/activos/")
    assert len(default.body) == min(50, int(default.headers["X-Total-Count"]))
    for bad in (
        {"limit": 0},
        {"limit": 501},
        {"limit": "abc"},
        {"cursor": "!!"},
        {"cursor": encode_cursor([1, "x"])},
        {"location_id": "x"},
    ):
        refused = await tech.get("/activos/", **bad)
        assert refused.status == 422, (bad, refused.body)
        assert error_locs(refused.body) == [["query", next(iter(bad))]]


# --- users and technicians -------------------------------------------------------------------


async def _login(plant: Plant, username: str, password: str) -> Api | None:
    response = await Api(plant.http, None).post(
        "/auth/token/", {"username": username, "password": password}
    )
    if response.status == 401:
        return None
    assert response.status == 200, response.body
    return Api(plant.http, response.body["token"], response.body["user"])


async def test_technicians_list(plant: Plant, tech: Api, other_tech: Api, planner: Api) -> None:
    listed = await tech.get("/tecnicos/")
    assert listed.status == 200, listed.body
    rows = by_id(listed.body)
    assert rows[tech.id] == {"id": tech.id, "username": "tech", "full_name": "Tomás Técnico"}
    assert other_tech.id in rows and planner.id not in rows
    roles = "SELECT array_agg(DISTINCT role) FROM users WHERE id = ANY(:ids)"
    assert await plant.scalar(roles, ids=list(rows)) == ["TECNICO"]


async def test_user_lifecycle(plant: Plant, admin: Api) -> None:
    username = f"tec.{TAG.lower()}"
    body = {
        "username": username,
        "full_name": "Nuevo Técnico",
        "role": "TECNICO",
        "password": "first-pass-1",
    }
    user_id = await save(admin, "usuarios", body)
    stored = await plant.scalar("SELECT password_hash FROM users WHERE id = :id", id=user_id)
    assert stored.startswith("$argon2") and "first-pass-1" not in stored
    first = await _login(plant, username, "first-pass-1")
    assert first is not None
    assert first.user == {
        "id": user_id,
        "username": username,
        "full_name": "Nuevo Técnico",
        "role": "TECNICO",
    }
    assert (await first.get("/ubicaciones/")).status == 200
    assert user_id in by_id((await admin.get("/tecnicos/")).body)

    # No password: the old one stays.
    update = {k: v for k, v in body.items() if k != "password"}
    await save(admin, "usuarios", {**update, "id": user_id, "full_name": "Técnico Renombrado"})
    assert await _login(plant, username, "first-pass-1") is not None
    await save(admin, "usuarios", {**body, "id": user_id, "password": "second-pass-2"})
    assert await _login(plant, username, "first-pass-1") is None
    second = await _login(plant, username, "second-pass-2")
    assert second is not None

    await save(admin, "usuarios", {**update, "id": user_id, "active": False})
    assert (await first.get("/ubicaciones/")).status == 401
    assert await _login(plant, username, "second-pass-2") is None
    assert user_id not in by_id((await admin.get("/tecnicos/")).body)
    live = "SELECT count(*) FROM api_tokens WHERE user_id = :id AND revoked_at IS NULL"
    assert await plant.scalar(live, id=user_id) == 0
    # Reactivated, the user logs in again, but the tokens issued before stay revoked.
    await save(admin, "usuarios", {**update, "id": user_id, "active": True})
    assert (await second.get("/ubicaciones/")).status == 401
    assert await _login(plant, username, "second-pass-2") is not None


async def test_user_refusals(plant: Plant, admin: Api) -> None:
    body = {"username": f"sol.{TAG.lower()}", "full_name": "Sin Clave", "role": "SOLICITANTE"}
    no_password = await admin.post("/usuarios/guardar/", body)
    assert no_password.status == 422, no_password.body
    assert error_locs(no_password.body) == [["body", "password"]]
    exists = "SELECT count(*) FROM users WHERE username = :u"
    assert await plant.scalar(exists, u=body["username"]) == 0

    duplicate = await admin.post(
        "/usuarios/guardar/", {**body, "username": "tech", "password": "long-enough"}
    )
    assert duplicate.status == 409, duplicate.body
    assert error_locs(duplicate.body) == [["body", "username"]]
    unknown = await admin.post("/usuarios/guardar/", {**body, "id": MISSING})
    assert unknown.status == 404, unknown.body
    malformed = await admin.post(
        "/usuarios/guardar/", {**body, "role": "JEFE", "password": "short"}
    )
    assert malformed.status == 422, malformed.body
    assert sorted(error_locs(malformed.body)) == [["body", "password"], ["body", "role"]]
    assert await plant.scalar(exists, u=body["username"]) == 0


@pytest.mark.parametrize("change", [{"active": False}, {"role": "PLANIFICADOR"}])
async def test_admins_cannot_lock_themselves_out(
    plant: Plant, admin: Api, change: dict[str, object]
) -> None:
    body = {
        "id": admin.id,
        "username": "admin",
        "full_name": "Ana Admin",
        "role": "ADMIN",
        "active": True,
        **change,
    }
    response = await admin.post("/usuarios/guardar/", body)
    assert response.status == 409, response.body
    role = await plant.scalar("SELECT role || active::text FROM users WHERE id = :id", id=admin.id)
    assert role == "ADMINtrue"


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/categorias/", "/tipos-mantenimiento/", "/frecuencias/", "/tecnicos/"]
)
async def test_requester_reads_only_assets_and_locations(
    plant: Plant, requester: Api, tech: Api, path: str
) -> None:
    refused = await requester.get(path)
    assert refused.status == 403, refused.body
    assert refused.body["status"] == "error"
    assert (await tech.get(path)).status == 200
    for allowed in ("/activos/", "/ubicaciones/", f"/activos/{plant.assets[0]}/"):
        assert (await requester.get(allowed)).status == 200


FORBIDDEN = code("FORBIDDEN")
WRITES = {
    "ubicaciones": ("locations", "code", {"code": FORBIDDEN, "name": "x"}),
    "categorias": ("asset_categories", "name", {"name": FORBIDDEN}),
    "tipos-mantenimiento": ("maintenance_types", "name", {"name": FORBIDDEN}),
    "frecuencias": ("frequencies", "name", {"name": FORBIDDEN, "interval": 1, "unit": "DIA"}),
    "activos": (
        "assets",
        "code",
        {"code": FORBIDDEN, "name": "x", "location_id": 1, "category_id": 1},
    ),
    "usuarios": (
        "users",
        "username",
        {"username": FORBIDDEN, "full_name": "x", "role": "ADMIN", "password": "long-enough"},
    ),
}


@pytest.mark.parametrize("what", list(WRITES))
@pytest.mark.parametrize("role", ["PLANIFICADOR", "TECNICO", "SOLICITANTE"])
async def test_only_admin_writes(plant: Plant, role: str, what: str) -> None:
    table, column, body = WRITES[what]
    refused = await plant.api[role].post(f"/{what}/guardar/", body)
    assert refused.status == 403, refused.body
    made = await plant.scalar(f"SELECT count(*) FROM {table} WHERE {column} = :v", v=FORBIDDEN)
    assert made == 0


async def test_worker_checks_the_role_itself(
    plant: Plant, planner: Api, gateway: TestServer
) -> None:
    """A command that reaches the broker without the gateway's check is still refused."""
    command = SaveMaintenanceType(name=FORBIDDEN)
    reply = await gateway.app[RPC].call(
        command.routing_key,
        command.model_dump_json().encode(),
        command_id=str(uuid.uuid4()),
        headers={"x-user-id": str(planner.id), "x-user-role": "PLANIFICADOR"},
    )
    assert reply is not None
    assert (reply.http_status, reply.body["status"]) == (403, "error")
    made = "SELECT count(*) FROM maintenance_types WHERE name = :v"
    assert await plant.scalar(made, v=FORBIDDEN) == 0
