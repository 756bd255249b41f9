"""Programs over HTTP through the gateway and a real worker: save (create, update, refusals),
list, detail, and `next_due`."""

from __future__ import annotations

from datetime import timedelta

from tests.api import Api, Plant
from tests.e2e.catalog_helpers import MISSING, error_locs
from tests.e2e.program_helpers import (
    new_program,
    routine,
    save_program,
    today,
)


async def test_a_saved_program_reads_back_with_the_routines_frequency(
    plant: Plant, planner: Api, tech: Api
) -> None:
    routine_id = await routine(plant, unit="MES", interval=2)
    start = today() + timedelta(days=3)
    program_id = await save_program(
        planner,
        routine_id=routine_id,
        asset_ids=[plant.assets[1], plant.assets[0]],
        start_date=start.isoformat(),
        technician_id=tech.id,
    )
    detail = await tech.get(f"/programas/{program_id}/")
    assert detail.status == 200, detail.body
    frequency = await plant.scalar(
        "SELECT frequency_id FROM routines WHERE id = :id", id=routine_id
    )
    assert detail.body == {
        "id": program_id,
        "routine_id": routine_id,
        "asset_ids": sorted(plant.assets[:2]),
        "start_date": start.isoformat(),
        "frequency_id": frequency,
        "technician_id": tech.id,
        "one_order_per_asset": False,
        "basis": "FIJA",
        "meter_interval": None,
        "meter_unit": None,
        "meter_lead": None,
        "active": True,
        "next_due": start.isoformat(),
        "version": 1,
    }
    again = await tech.request(
        "GET", f"/programas/{program_id}/", headers={"If-None-Match": detail.headers["ETag"]}
    )
    assert again.status == 304


async def test_update_replaces_the_fields_and_the_assets_and_checks_the_version(
    plant: Plant, planner: Api, admin: Api
) -> None:
    routine_id, program_id = await new_program(plant, planner, start=today())
    other_routine = await routine(plant, unit="DIA", interval=3)
    body = {
        "id": program_id,
        "routine_id": other_routine,
        "asset_ids": [plant.assets[2]],
        "start_date": (today() + timedelta(days=1)).isoformat(),
        "one_order_per_asset": True,
        "basis": "ULTIMA_EJECUCION",
        "active": False,
    }
    updated = await admin.post("/programas/guardar/", body, headers={"If-Match": '"1"'})
    assert updated.status == 200, updated.body
    assert updated.body["program_id"] == program_id and updated.body["version"] == 2
    read = (await planner.get(f"/programas/{program_id}/")).body
    assert read["asset_ids"] == [plant.assets[2]]
    assert (read["routine_id"], read["basis"], read["active"], read["version"]) == (
        other_routine,
        "ULTIMA_EJECUCION",
        False,
        2,
    )
    assert read["one_order_per_asset"] is True and read["next_due"] is None

    stale = await planner.post("/programas/guardar/", {**body, "active": True, "version": 1})
    assert stale.status == 409, stale.body
    stale_header = await planner.post(
        "/programas/guardar/", {**body, "active": True}, headers={"If-Match": '"1"'}
    )
    assert stale_header.status == 409, stale_header.body
    assert (await planner.get(f"/programas/{program_id}/")).body["active"] is False

    unknown = await planner.post("/programas/guardar/", {**body, "id": MISSING})
    assert unknown.status == 404, unknown.body


async def test_references_and_malformed_bodies_are_refused(
    plant: Plant, planner: Api, tech: Api, requester: Api
) -> None:
    routine_id = await routine(plant)
    before = await plant.scalar("SELECT count(*) FROM programs")
    bad = await planner.post(
        "/programas/guardar/",
        {
            "routine_id": MISSING,
            "asset_ids": [plant.assets[0], MISSING],
            "start_date": today().isoformat(),
            "frequency_id": MISSING,
            "technician_id": MISSING,
        },
    )
    assert bad.status == 422, bad.body
    assert sorted(error_locs(bad.body)) == [
        ["body", "asset_ids"],
        ["body", "frequency_id"],
        ["body", "routine_id"],
        ["body", "technician_id"],
    ]
    # A user who exists but is not an active technician.
    not_tech = await planner.post(
        "/programas/guardar/",
        {
            "routine_id": routine_id,
            "asset_ids": [plant.assets[0]],
            "start_date": today().isoformat(),
            "technician_id": planner.id,
        },
    )
    assert not_tech.status == 422 and error_locs(not_tech.body) == [["body", "technician_id"]]
    malformed = await planner.post(
        "/programas/guardar/",
        {"routine_id": routine_id, "asset_ids": [], "start_date": "ayer", "basis": "OTRA"},
    )
    assert malformed.status == 422, malformed.body
    assert sorted(error_locs(malformed.body)) == [
        ["body", "asset_ids"],
        ["body", "basis"],
        ["body", "start_date"],
    ]
    duplicates = await planner.post(
        "/programas/guardar/",
        {
            "routine_id": routine_id,
            "asset_ids": [plant.assets[0], plant.assets[0]],
            "start_date": today().isoformat(),
        },
    )
    assert duplicates.status == 422, duplicates.body
    assert await plant.scalar("SELECT count(*) FROM programs") == before

    good = {"routine_id": routine_id, "asset_ids": [plant.assets[0]], "start_date": "2030-01-01"}
    assert (await tech.post("/programas/guardar/", good)).status == 403
    assert (await requester.post("/programas/guardar/", good)).status == 403
    assert (await requester.get("/programas/")).status == 403
    assert (await planner.get(f"/programas/{MISSING}/")).status == 404
    assert await plant.scalar("SELECT count(*) FROM programs") == before


async def test_the_list_filters_by_routine_and_pages(plant: Plant, planner: Api) -> None:
    routine_id = await routine(plant)
    made = [
        await save_program(
            planner,
            routine_id=routine_id,
            asset_ids=[asset],
            start_date=today().isoformat(),
        )
        for asset in plant.assets
    ]
    first = await planner.get("/programas/", routine_id=routine_id, limit=2)
    assert first.status == 200, first.body
    assert first.headers["X-Total-Count"] == "3"
    assert [p["id"] for p in first.body] == made[:2]
    assert 'rel="next"' in first.headers["Link"]
    cursor = first.headers["Link"].split("cursor=")[1].split(">")[0]
    rest = await planner.get("/programas/", routine_id=routine_id, limit=2, cursor=cursor)
    assert [p["id"] for p in rest.body] == made[2:] and "Link" not in rest.headers
    assert (await planner.get("/programas/", cursor="nope")).status == 422
    assert (await planner.get("/programas/", routine_id="x")).status == 422


async def test_next_due_skips_dates_that_already_have_their_order(
    plant: Plant, planner: Api
) -> None:
    start = today() - timedelta(days=10)
    _, program_id = await new_program(plant, planner, start=start, unit="DIA", interval=7)
    # Due dates: start + 7k; the first on or after today is start + 14 (today + 4).
    first_due = start + timedelta(days=14)
    assert (await planner.get(f"/programas/{program_id}/")).body["next_due"] == (
        first_due.isoformat()
    )
    # An order for only one of the two assets leaves the date pending.
    one = await planner.post(
        f"/programas/{program_id}/generar-ot/",
        {"date": first_due.isoformat(), "asset_ids": [plant.assets[0]]},
    )
    assert one.status == 200, one.body
    assert (await planner.get(f"/programas/{program_id}/")).body["next_due"] == (
        first_due.isoformat()
    )
    rest = await planner.post(
        f"/programas/{program_id}/generar-ot/",
        {"date": first_due.isoformat(), "asset_ids": [plant.assets[1]]},
    )
    assert rest.status == 200, rest.body
    assert (await planner.get(f"/programas/{program_id}/")).body["next_due"] == (
        (first_due + timedelta(days=7)).isoformat()
    )
