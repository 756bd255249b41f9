"""Meters and their readings over HTTP, through the gateway and a real worker: saving and reading
meters, counters with resets and readings out of order, repeats, refusals, and alarms that open
one notice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api import Api, Plant
from tests.e2e.catalog_helpers import MISSING, error_locs

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


async def read(api: Api, meter_id: int, value: Any, hours: float, **extra: Any) -> Any:
    return await api.post(
        f"/medidores/{meter_id}/lecturas/", {"value": value, "taken_at": at(hours), **extra}
    )


async def usages(api: Api, meter_id: int) -> list[tuple[float, float | None, bool]]:
    """(value, usage, reset) of the meter's readings, oldest first."""
    rows = await api.pages(f"/medidores/{meter_id}/lecturas/", limit=2)
    return [(r["value"], r["usage"], r["reset"]) for r in reversed(rows)]


def meter_body(plant: Plant, **fields: Any) -> dict[str, Any]:
    return {
        "code": f"HORAS-{uuid.uuid4().hex[:8]}",
        "name": "Horas de marcha",
        "asset_id": plant.assets[1],
        "unit": "h",
        "kind": "CONTADOR",
    } | fields


async def test_planners_save_meters_and_readers_read_them(
    plant: Plant, planner: Api, tech: Api, requester: Api
) -> None:
    body = meter_body(plant)
    saved = await planner.post("/medidores/guardar/", body)
    assert saved.status == 200, saved.body
    assert saved.body["version"] == 1
    meter_id = saved.body["meter_id"]
    detail = await tech.get(f"/medidores/{meter_id}/")
    assert detail.body == {
        "id": meter_id,
        "code": body["code"],
        "name": "Horas de marcha",
        "asset": {"id": plant.assets[1], "code": "BOMBA-02", "name": "Bomba centrífuga 02"},
        "unit": "h",
        "kind": "CONTADOR",
        "alarm_low": None,
        "alarm_high": None,
        "alarm_priority": "ALTA",
        "active": True,
        "version": 1,
        "last_reading": None,
    }
    cached = await tech.request(
        "GET", f"/medidores/{meter_id}/", headers={"If-None-Match": detail.headers["ETag"]}
    )
    assert cached.status == 304
    listed = await tech.pages("/medidores/", asset_id=plant.assets[1], kind="CONTADOR")
    assert meter_id in [m["id"] for m in listed]
    assert all(m["kind"] == "CONTADOR" for m in listed)
    assert meter_id not in [m["id"] for m in await tech.pages("/medidores/", kind="INDICADOR")]

    # Updates carry the version; a stale one, a taken code, an unknown asset are refused.
    update = body | {"id": meter_id, "name": "Horómetro", "version": 1}
    assert (await planner.post("/medidores/guardar/", update)).body["version"] == 2
    assert (await planner.post("/medidores/guardar/", update)).status == 409
    other = await planner.post("/medidores/guardar/", meter_body(plant, code=body["code"]))
    assert other.status == 409 and error_locs(other.body) == [["body", "code"]]
    unknown = await planner.post("/medidores/guardar/", meter_body(plant, asset_id=MISSING))
    assert unknown.status == 422 and error_locs(unknown.body) == [["body", "asset_id"]]
    missing = await planner.post("/medidores/guardar/", update | {"id": MISSING})
    assert missing.status == 404

    # Alarm limits belong to indicators, low below high.
    counter_alarm = await planner.post("/medidores/guardar/", meter_body(plant, alarm_high=5))
    assert counter_alarm.status == 422
    assert error_locs(counter_alarm.body) == [["body", "alarm_high"]]
    crossed = meter_body(plant, kind="INDICADOR", unit="°C", alarm_low=90, alarm_high=60)
    refused = await planner.post("/medidores/guardar/", crossed)
    assert refused.status == 422 and error_locs(refused.body) == [["body", "alarm_high"]]

    # A meter with readings keeps its kind.
    assert (await read(tech, meter_id, 10, 0)).status == 200
    kind = body | {"id": meter_id, "kind": "INDICADOR"}
    changed = await planner.post("/medidores/guardar/", kind)
    assert changed.status == 409 and error_locs(changed.body) == [["body", "kind"]]

    # Who may do what: requesters read nothing here, technicians read and record.
    assert (await requester.get("/medidores/")).status == 403
    assert (await requester.get(f"/medidores/{meter_id}/")).status == 403
    assert (await requester.get(f"/medidores/{meter_id}/lecturas/")).status == 403
    assert (await read(requester, meter_id, 11, 1)).status == 403
    assert (await tech.post("/medidores/guardar/", meter_body(plant))).status == 403
    assert (await tech.get(f"/medidores/{MISSING}/")).status == 404
    assert (await tech.get(f"/medidores/{MISSING}/lecturas/")).status == 404
    assert (await read(tech, MISSING, 1, 0)).status == 404


async def test_a_counters_usage_counts_resets_and_readings_out_of_order(
    plant: Plant, tech: Api
) -> None:
    meter_id = await plant.meter()
    first = await read(tech, meter_id, 100, 0)
    assert first.status == 200, first.body
    assert first.body | {"reading_id": 0} == {
        "status": "success",
        "message": "Lectura registrada",
        "reading_id": 0,
        "usage": 100,
        "work_order_ids": [],
        "aviso_id": None,
    }
    assert (await read(tech, meter_id, 150, 10)).body["usage"] == 150
    # The counter was replaced: the new one's whole value is use.
    assert (await read(tech, meter_id, 20, 20, reset=True)).body["usage"] == 170
    assert (await read(tech, meter_id, 50, 30)).body["usage"] == 200

    # Late readings fit between the stored ones: later usage is unchanged …
    assert (await read(tech, meter_id, 120, 5)).body["usage"] == 120
    # … unless one lands before a reset: the reset counts from it.
    assert (await read(tech, meter_id, 160, 15)).body["usage"] == 160
    assert await usages(tech, meter_id) == [
        (100, 100, False),
        (120, 120, False),
        (150, 150, False),
        (160, 160, False),
        (20, 180, True),
        (50, 210, False),
    ]
    meter = (await tech.get(f"/medidores/{meter_id}/")).body
    assert meter["last_reading"] == {"value": 50, "taken_at": at(30), "usage": 210}

    # Going back without a reset, before or after, is refused with the field named.
    for value, hours in ((40, 40), (130, 12), (149, 14)):
        back = await read(tech, meter_id, value, hours)
        assert back.status == 422 and error_locs(back.body) == [["body", "value"]], back.body
    assert (await read(tech, meter_id, -1, 50, reset=True)).status == 422
    assert len(await usages(tech, meter_id)) == 6


async def test_a_repeat_is_answered_as_the_first_and_bad_readings_are_refused(
    plant: Plant, planner: Api, tech: Api
) -> None:
    meter_id = await plant.meter()
    first = await read(tech, meter_id, 7.5, 1)
    again = await read(tech, meter_id, 7.5, 1)
    assert again.body == first.body
    other_value = await read(tech, meter_id, 8, 1)  # the same time is the same reading
    assert other_value.body == first.body
    assert await usages(tech, meter_id) == [(7.5, 7.5, False)]

    ahead = datetime.now(UTC) + timedelta(minutes=10)
    future = await tech.post(
        f"/medidores/{meter_id}/lecturas/", {"value": 9, "taken_at": ahead.isoformat()}
    )
    assert future.status == 422 and error_locs(future.body) == [["body", "taken_at"]]
    old = await read(tech, meter_id, 9, -24 * 800)
    assert old.status == 422 and error_locs(old.body) == [["body", "taken_at"]]
    for value in ("NaN", True, None, "9"):
        bad = await tech.post(f"/medidores/{meter_id}/lecturas/", {"value": value})
        assert bad.status == 422 and error_locs(bad.body) == [["body", "value"]], value
    unknown_field = await tech.post(f"/medidores/{meter_id}/lecturas/", {"value": 9, "x": 1})
    assert unknown_field.status == 422

    # Without `taken_at` the reading is taken now.
    now = await tech.post(f"/medidores/{meter_id}/lecturas/", {"value": 9})
    assert now.status == 200 and now.body["usage"] == 9

    # An inactive meter takes no readings.
    detail = (await planner.get(f"/medidores/{meter_id}/")).body
    body = {
        k: detail[k]
        for k in ("code", "name", "unit", "kind", "alarm_low", "alarm_high", "alarm_priority")
    }
    body |= {"id": meter_id, "asset_id": detail["asset"]["id"], "active": False}
    assert (await planner.post("/medidores/guardar/", body)).status == 200
    inactive = await read(tech, meter_id, 10, 5)
    assert inactive.status == 409, inactive.body


async def _notices_of(plant: Plant, meter_id: int) -> list[Any]:
    return await plant.rows(
        "SELECT id, status, source, priority, title, asset_id, author_id FROM avisos"
        " WHERE meter_id = :m ORDER BY id",
        m=meter_id,
    )


async def test_an_out_of_range_indicator_opens_one_notice_while_it_is_open(
    plant: Plant, planner: Api, tech: Api
) -> None:
    asset = await plant.asset()
    meter_id = await plant.meter(
        asset_id=asset, kind="INDICADOR", unit="°C", alarm_low=5, alarm_high=80
    )
    assert (await read(tech, meter_id, 70, 0)).body["aviso_id"] is None
    high = await read(tech, meter_id, 91.5, 1)
    assert high.status == 200, high.body
    aviso_id = high.body["aviso_id"]
    assert aviso_id is not None and high.body["usage"] is None
    # Streaming out of range, or low, or back in range: still that one notice.
    for value, hours in ((95, 2), (2, 3), (60, 4), (99, 5)):
        assert (await read(tech, meter_id, value, hours)).body["aviso_id"] is None
    [notice] = await _notices_of(plant, meter_id)
    assert notice.id == aviso_id
    assert (notice.status, notice.source, notice.priority, notice.asset_id) == (
        "ABIERTO",
        "MEDIDOR",
        "ALTA",
        asset,
    )
    assert "91.5 °C > 80 °C" in notice.title and notice.author_id == tech.id
    shown = [n for n in (await planner.get("/avisos/", asset_id=asset)).body]
    assert [(n["id"], n["meter_id"], n["source"]) for n in shown] == [
        (aviso_id, meter_id, "MEDIDOR")
    ]
    # Planners are told as of any new notice; the alarm is an event.
    for _ in range(100):
        told = await planner.get("/notificaciones/", limit=50)
        if any(n["aviso_id"] == aviso_id for n in told.body):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("planners were not told of the alarm notice")
    # (Read from the outbox: the feed waits for every older transaction of the server.)
    [alarm] = await plant.scalar(
        "SELECT json_agg(data) FROM outbox WHERE type = 'medidor.alarma'"
        " AND (data->>'meter_id')::int = :m",
        m=meter_id,
    )
    assert alarm | {"taken_at": None} == {
        "meter_id": meter_id,
        "aviso_id": aviso_id,
        "asset_id": asset,
        "value": 91.5,
        "limit": 80.0,
        "taken_at": None,
    }

    # Once its corrective order is done, the notice is closed: a new alarm opens a new one.
    order = await planner.post(
        f"/avisos/{aviso_id}/generar-ot/", {"date": datetime.now(UTC).date().isoformat()}
    )
    work_order_id = order.body["work_order_id"]
    done = await planner.post(f"/ot/{work_order_id}/actualizar/", {"status": "COMPLETADA"})
    assert done.status == 200, done.body
    again = await read(tech, meter_id, 85, 6)
    assert again.body["aviso_id"] not in (None, aviso_id)
    assert [n.status for n in await _notices_of(plant, meter_id)] == ["CERRADO", "ABIERTO"]


async def test_the_app_shows_the_orders_meters_and_takes_readings_at_completion(
    plant: Plant, tech: Api
) -> None:
    asset = await plant.asset()
    counter = await plant.meter(asset_id=asset)
    gauge = await plant.meter(asset_id=asset, kind="INDICADOR", unit="bar", alarm_high=6)
    await plant.meter(asset_id=asset, active=False)
    elsewhere = await plant.meter()
    order = await plant.work_order(assets=[asset], technician_id=tech.id)
    shown = await tech.get(f"/app/ot/{order}/")
    # The active meters of its assets, by code.
    assert {m["id"] for m in shown.body["meters"]} == {counter, gauge}
    codes = [m["code"] for m in shown.body["meters"]]
    assert codes == sorted(codes)
    assert (await tech.post(f"/app/ot/{order}/iniciar/", {})).status == 200

    foreign = await tech.post(
        f"/app/ot/{order}/finalizar/", {"meter_readings": [{"meter_id": elsewhere, "value": 3}]}
    )
    assert foreign.status == 422
    assert error_locs(foreign.body) == [["body", "meter_readings", 0, "meter_id"]]
    end = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    finished = await tech.post(
        f"/app/ot/{order}/finalizar/",
        {
            "at": end.isoformat(),
            "meter_readings": [
                {"meter_id": counter, "value": 1234.5},
                {"meter_id": gauge, "value": 7.2},
            ],
        },
    )
    assert finished.status == 200, finished.body
    # The gauge read over its limit: its alarm notice is among the order's notices.
    [alarm] = finished.body["aviso_ids"]
    assert [n.id for n in await _notices_of(plant, gauge)] == [alarm]
    readings = await tech.pages(f"/medidores/{counter}/lecturas/")
    assert [(r["value"], r["usage"], r["source"]) for r in readings] == [(1234.5, 1234.5, "APP")]
    assert datetime.fromisoformat(readings[0]["taken_at"]) == end
