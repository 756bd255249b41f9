"""The asset wizard (`/wizard/activos/`) and the technicians' workload (`/tecnicos/carga/`).

The plant is shared with other test files: the wizard's assets live under a location tree and
categories of this file's own, and the workload's orders in a year no other test uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.settings import Settings
from tests.api import Api, Plant

TAG = uuid.uuid4().hex[:8]
MISSING = 10**9


async def _id(plant: Plant, sql: str, **params: Any) -> int:
    return int(await plant.scalar(sql + " RETURNING id", **params))


async def test_wizard_filters(plant: Plant, tech: Api, requester: Api) -> None:
    location = "INSERT INTO locations (code, name, parent_id) VALUES (:c, :c, :p)"
    root = await _id(plant, location, c=f"W{TAG}", p=None)
    child = await _id(plant, location, c=f"W{TAG}-1", p=root)
    grandchild = await _id(plant, location, c=f"W{TAG}-1-1", p=child)
    sibling = await _id(plant, location, c=f"X{TAG}", p=None)
    lubrication = await _id(
        plant, "INSERT INTO maintenance_types (name) VALUES (:n)", n=f"Lubricación {TAG}"
    )
    category = "INSERT INTO asset_categories (name) VALUES (:n)"
    motors = await _id(plant, category, n=f"Motores {TAG}")
    panels = await _id(plant, category, n=f"Tableros {TAG}")
    await plant.scalar(
        "INSERT INTO category_maintenance_types VALUES (:m, :l), (:m, :t), (:p, :t)"
        " RETURNING category_id",
        m=motors,
        p=panels,
        l=lubrication,
        t=plant.maintenance_type_id,
    )
    asset = (
        "INSERT INTO assets (code, name, location_id, category_id, active)"
        " VALUES (:c, :c, :loc, :cat, :active)"
    )
    made = {
        name: await _id(plant, asset, c=f"{TAG}-{name}", loc=loc, cat=cat, active=active)
        for name, loc, cat, active in (
            ("A", root, motors, True),
            ("B", child, panels, True),
            ("C", grandchild, motors, True),
            ("D", sibling, motors, True),
            ("E", grandchild, motors, False),
        )
    }

    async def codes(**params: Any) -> list[str]:
        response = await tech.get("/wizard/activos/", **params)
        assert response.status == 200, response.body
        return [a["code"].removeprefix(f"{TAG}-") for a in response.body if TAG in a["code"]]

    assert await codes(location_id=root) == ["A", "B", "C"]
    assert await codes(location_id=child) == ["B", "C"]
    assert await codes(category_id=motors) == ["A", "C", "D"]
    assert await codes(maintenance_type_id=lubrication) == ["A", "C", "D"]
    assert await codes(maintenance_type_id=plant.maintenance_type_id) == ["A", "B", "C", "D"]
    assert await codes(location_id=child, maintenance_type_id=lubrication) == ["C"]
    assert await codes(location_id=root, category_id=panels) == ["B"]
    assert await codes() == ["A", "B", "C", "D"]

    shown = (await tech.get("/wizard/activos/", location_id=grandchild)).body
    assert shown == [
        {
            "id": made["C"],
            "code": f"{TAG}-C",
            "name": f"{TAG}-C",
            "location": {"id": grandchild, "code": f"W{TAG}-1-1", "name": f"W{TAG}-1-1"},
            "category": {"id": motors, "name": f"Motores {TAG}"},
            "active": True,
        }
    ]
    for unknown in ({"location_id": MISSING}, {"maintenance_type_id": MISSING}):
        response = await tech.get("/wizard/activos/", **unknown)
        assert response.status == 200 and response.body == [], unknown
    for bad in ({"location_id": "abc"}, {"category_id": "1.5"}, {"maintenance_type_id": "x"}):
        response = await tech.get("/wizard/activos/", **bad)
        assert response.status == 422, bad
        assert response.body["errors"][0]["loc"] == ["query", next(iter(bad))]
    assert (await requester.get("/wizard/activos/")).status == 403


UTC = timezone.utc


def _at(day: int, hour: int = 8) -> datetime:
    return datetime(2047, 3, day, hour, tzinfo=UTC)


async def _workload_orders(plant: Plant, tech: Api, other_tech: Api) -> None:
    short = await plant.routine(estimated_duration_min=30)
    long = await plant.routine(estimated_duration_min=45)
    orders: list[tuple[int | None, int | None, str, datetime, list[int] | None]] = [
        (tech.id, short, "PENDIENTE", _at(10), None),
        (tech.id, long, "EN_PROGRESO", _at(10, 15), None),
        (tech.id, None, "PENDIENTE", _at(10, 23), None),
        (tech.id, long, "COMPLETADA", _at(10), None),
        (tech.id, long, "CANCELADA", _at(10), None),
        (tech.id, short, "PENDIENTE", _at(12), plant.assets[:2]),  # counts once
        (tech.id, short, "PENDIENTE", _at(20), None),  # outside the window
        (None, long, "PENDIENTE", _at(10), None),  # nobody's
        (other_tech.id, long, "PENDIENTE", _at(10), None),
        # 03:00 UTC on the 11th is 22:00 on the 10th in Bogotá (UTC-5).
        (other_tech.id, short, "PENDIENTE", _at(11, 3), None),
    ]
    for technician, routine, status, start, assets in orders:
        order = await plant.work_order(
            technician_id=technician, status=status, start=start, assets=assets
        )
        await plant.scalar(
            "UPDATE work_orders SET routine_id = :r WHERE id = :id RETURNING id",
            r=routine,
            id=order,
        )


def _rows(body: list[dict[str, Any]]) -> list[tuple[int, str, int, int]]:
    return [(r["technician_id"], r["date"], r["orders"], r["estimated_min"]) for r in body]


async def test_workload(
    plant: Plant,
    settings: Settings,
    planner: Api,
    tech: Api,
    other_tech: Api,
    requester: Api,
    gateway_for: Any,
) -> None:
    await _workload_orders(plant, tech, other_tech)
    window = {"start_date": "2047-03-09", "end_date": "2047-03-15"}
    everyone = await planner.get("/tecnicos/carga/", **window)
    assert everyone.status == 200, everyone.body
    assert _rows(everyone.body) == [
        (tech.id, "2047-03-10", 3, 75),
        (tech.id, "2047-03-12", 1, 30),
        (other_tech.id, "2047-03-10", 1, 45),
        (other_tech.id, "2047-03-11", 1, 30),
    ]
    own = await tech.get("/tecnicos/carga/", **window)
    assert _rows(own.body) == [
        (tech.id, "2047-03-10", 3, 75),
        (tech.id, "2047-03-12", 1, 30),
    ]
    assert _rows((await other_tech.get("/tecnicos/carga/", **window)).body) == [
        (other_tech.id, "2047-03-10", 1, 45),
        (other_tech.id, "2047-03-11", 1, 30),
    ]
    # With one date, the other is a week away.
    later = await planner.get("/tecnicos/carga/", start_date="2047-03-11")
    assert [row[1] for row in _rows(later.body)] == ["2047-03-12", "2047-03-11"]
    earlier = await planner.get("/tecnicos/carga/", end_date="2047-03-11")
    assert [row[1] for row in _rows(earlier.body)] == ["2047-03-10", "2047-03-10", "2047-03-11"]

    bogota = Settings(**(settings.model_dump() | {"plant_tz": "America/Bogota"}), _env_file=None)
    local, _ = await gateway_for(bogota)
    assert _rows((await local.get("/tecnicos/carga/", **window)).body) == [
        (tech.id, "2047-03-10", 3, 75),
        (tech.id, "2047-03-12", 1, 30),
        (other_tech.id, "2047-03-10", 2, 75),
    ]

    for bad in (
        {"start_date": "2047-03-15", "end_date": "2047-03-09"},
        {"start_date": "2047-13-01"},
        {"start_date": "2047-01-01", "end_date": "2048-12-31"},
        {"start_date": "2047-01-01", "end_date": "2048-01-02"},  # 367 days
    ):
        response = await planner.get("/tecnicos/carga/", **bad)
        assert response.status == 422, (bad, response.body)
    assert (await requester.get("/tecnicos/carga/", **window)).status == 403
    longest = {"start_date": "2047-01-01", "end_date": "2048-01-01"}  # 366 days
    assert (await planner.get("/tecnicos/carga/", **longest)).status == 200


async def test_workload_defaults_to_the_coming_week(plant: Plant, tech: Api) -> None:
    tomorrow = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    await plant.work_order(technician_id=tech.id, start=tomorrow)
    rows = _rows((await tech.get("/tecnicos/carga/")).body)
    assert tomorrow.date().isoformat() in [row[1] for row in rows]
    assert all(
        datetime.now(UTC).date().isoformat()
        <= row[1]
        <= (tomorrow + timedelta(days=6)).date().isoformat()
        for row in rows
    )
