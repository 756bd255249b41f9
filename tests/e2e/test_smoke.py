from tests.api import Api, Plant


async def test_update_round_trip(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    got = await planner.get(f"/ot/{order}/")
    assert got.status == 200, got.body
    assert got.body["allowed_transitions"] == ["EN_PROGRESO", "COMPLETADA", "CANCELADA"]
    done = await planner.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})
    assert done.status == 200, done.body
    after = await planner.get(f"/ot/{order}/")
    assert after.body["status"] == "EN_PROGRESO"
    assert after.body["actual_start"] is not None
