"""Catalog reads over HTTP through the gateway and a real worker: locations listed parents before
children, the asset detail and its ETag, the asset list's filters and pages, the technicians.

Rows made here carry TAG (see catalog_helpers), and assertions only count rows made here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gateway.pagination import encode_cursor
from tests.api import Api, Plant
from tests.e2e.catalog_helpers import MISSING, TAG, by_id, code, error_locs, save

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


# --- technicians -----------------------------------------------------------------------------


async def test_technicians_list(plant: Plant, tech: Api, other_tech: Api, planner: Api) -> None:
    listed = await tech.get("/tecnicos/")
    assert listed.status == 200, listed.body
    rows = by_id(listed.body)
    assert rows[tech.id] == {"id": tech.id, "username": "tech", "full_name": "Tomás Técnico"}
    assert other_tech.id in rows and planner.id not in rows
    roles = "SELECT array_agg(DISTINCT role) FROM users WHERE id = ANY(:ids)"
    assert await plant.scalar(roles, ids=list(rows)) == ["TECNICO"]
