"""The technicians' app through HTTP: schedule (JSON and iCalendar), visibility of their orders,
start/finish with step results, and the notices a failed inspection opens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import icalendar
from sqlalchemy import text

from shared.settings import Settings
from tests.api import Api, Plant

UTC = timezone.utc


async def _steps(
    plant: Plant, order: int, *specs: tuple[str, float | None, float | None]
) -> list[int]:
    """Give the order's steps (positions 1…) these kinds and limits; their ids in order."""
    ids = []
    for position, (kind, low, high) in enumerate(specs, start=1):
        ids.append(
            await plant.scalar(
                "UPDATE work_order_steps SET kind = :kind, min_value = :low, max_value = :high"
                " WHERE work_order_id = :id AND position = :position RETURNING id",
                kind=kind,
                low=low,
                high=high,
                id=order,
                position=position,
            )
        )
    return ids


async def _history(plant: Plant, order: int) -> list[Any]:
    return list(
        await plant.scalar(
            "SELECT coalesce(json_agg(json_build_object('event', event, 'data', data)"
            " ORDER BY id), '[]') FROM work_order_events WHERE work_order_id = :id",
            id=order,
        )
    )


# --- schedule ----------------------------------------------------------------------------------


async def test_schedule_lists_only_the_callers_orders_by_day(
    plant: Plant, tech: Api, other_tech: Api
) -> None:
    day = datetime(2031, 3, 10, 7, tzinfo=UTC)
    first = await plant.work_order(technician_id=tech.id, start=day, title="Primera")
    second = await plant.work_order(
        technician_id=tech.id, start=day + timedelta(hours=3), assets=plant.assets[:2]
    )
    started = await plant.work_order(
        technician_id=tech.id, start=day + timedelta(days=2), status="EN_PROGRESO"
    )
    await plant.work_order(technician_id=tech.id, start=day + timedelta(days=1), status="CANCELADA")
    theirs_only = await plant.work_order(technician_id=other_tech.id, start=day)
    await plant.work_order(start=day)  # nobody's
    # Outside the window: the day after end_date starts at midnight.
    await plant.work_order(technician_id=tech.id, start=datetime(2031, 3, 13, 0, tzinfo=UTC))

    response = await tech.get("/app/cronograma/", start_date="2031-03-10", end_date="2031-03-12")
    assert response.status == 200, response.body
    assert [d["date"] for d in response.body] == ["2031-03-10", "2031-03-12"]
    assert [o["id"] for o in response.body[0]["work_orders"]] == [first, second]
    assert [o["id"] for o in response.body[1]["work_orders"]] == [started]
    compact = response.body[0]["work_orders"][1]
    assert set(compact) == {
        "id",
        "code",
        "type",
        "status",
        "title",
        "scheduled_start",
        "scheduled_end",
        "assets",
    }
    assert compact["scheduled_start"] == "2031-03-10T10:00:00+00:00"
    assert compact["assets"] == [
        {"id": a, "code": code, "name": name}
        for a, code, name in zip(
            plant.assets[:2],
            ("BOMBA-01", "BOMBA-02"),
            ("Bomba centrífuga 01", "Bomba centrífuga 02"),
            strict=True,
        )
    ]
    theirs = await other_tech.get(
        "/app/cronograma/", start_date="2031-03-10", end_date="2031-03-10"
    )
    assert [o["id"] for d in theirs.body for o in d["work_orders"]] == [theirs_only]


async def test_schedule_days_are_plant_local(
    settings: Settings, plant: Plant, tech: Api, gateway_for: Any
) -> None:
    # Built anew: a copy would keep the cached zone of the original.
    mexico = Settings(
        _env_file=None, **(settings.model_dump() | {"plant_tz": "America/Mexico_City"})
    )
    api, _ = await gateway_for(mexico)
    mine = Api(api.http, tech.token, tech.user)
    # 03:00 UTC on the 21st is 21:00 on the 20th (a day no other test uses) in Mexico City (UTC-6).
    late = await plant.work_order(technician_id=tech.id, start=datetime(2037, 4, 21, 3, tzinfo=UTC))
    response = await mine.get("/app/cronograma/", start_date="2037-04-20", end_date="2037-04-20")
    assert response.status == 200, response.body
    assert response.body == [
        {
            "date": "2037-04-20",
            "work_orders": [
                {
                    **response.body[0]["work_orders"][0],
                    "id": late,
                    "scheduled_start": "2037-04-20T21:00:00-06:00",
                }
            ],
        }
    ]
    assert (
        await tech.get("/app/cronograma/", start_date="2037-04-20", end_date="2037-04-20")
    ).body == []


async def test_schedule_defaults_to_the_next_seven_days(plant: Plant, tech: Api) -> None:
    now = datetime.now(UTC)
    soon = await plant.work_order(technician_id=tech.id, start=now + timedelta(days=1))
    later = await plant.work_order(technician_id=tech.id, start=now + timedelta(days=9))
    listed = [o["id"] for d in (await tech.get("/app/cronograma/")).body for o in d["work_orders"]]
    assert soon in listed and later not in listed


async def test_schedule_window_is_validated(tech: Api) -> None:
    backwards = await tech.get("/app/cronograma/", start_date="2031-01-02", end_date="2031-01-01")
    assert backwards.status == 422
    too_long = await tech.get("/app/cronograma/", start_date="2031-01-01", end_date="2033-01-01")
    assert too_long.status == 422
    # At most 366 days, both included.
    longest = await tech.get("/app/cronograma/", start_date="2031-01-01", end_date="2032-01-01")
    assert longest.status == 200
    one_more = await tech.get("/app/cronograma/", start_date="2031-01-01", end_date="2032-01-02")
    assert one_more.status == 422
    feed = await tech.get("/app/cronograma.ics", start_date="2031-01-01", end_date="2032-01-02")
    assert feed.status == 422
    assert (await tech.get("/app/cronograma/", start_date="mañana")).status == 422


# --- iCalendar feed ----------------------------------------------------------------------------


async def test_ics_feed_has_one_stable_event_per_order(plant: Plant, tech: Api) -> None:
    day = datetime(2031, 5, 5, 9, tzinfo=UTC)
    orders = [
        await plant.work_order(technician_id=tech.id, start=day, title="Engrase"),
        await plant.work_order(technician_id=tech.id, start=day + timedelta(days=1)),
    ]
    await plant.work_order(technician_id=tech.id, start=day, status="CANCELADA")
    window = {"start_date": "2031-05-05", "end_date": "2031-05-06"}
    first = await tech.request("GET", "/app/cronograma.ics", params=window, allow_redirects=False)
    assert first.status == 200, first.body
    assert first.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(first.body)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    codes = [
        await plant.scalar("SELECT code FROM work_orders WHERE id = :id", id=o) for o in orders
    ]
    assert [str(e["SUMMARY"]) for e in events][0] == f"{codes[0]} Engrase"
    assert events[0].decoded("DTSTART") == day
    assert events[0].decoded("DTEND") == day + timedelta(hours=2)
    assert events[0].decoded("DTSTART").tzinfo is not None

    second = await tech.request("GET", "/app/cronograma.ics", params=window)
    again = icalendar.Calendar.from_ical(second.body).walk("VEVENT")
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in events]
    assert len({str(e["UID"]) for e in events}) == 2
    assert all(codes[i] in str(events[i]["UID"]) for i in range(2))


async def test_ics_feed_takes_the_token_in_the_query(plant: Plant, tech: Api) -> None:
    await plant.work_order(technician_id=tech.id, start=datetime(2031, 6, 1, 9, tzinfo=UTC))
    window = {"start_date": "2031-06-01", "end_date": "2031-06-01"}
    anonymous = Api(tech.http, None)
    subscribed = await anonymous.request(
        "GET", "/app/cronograma.ics", params={**window, "token": tech.token}, allow_redirects=False
    )
    assert subscribed.status == 200
    assert len(icalendar.Calendar.from_ical(subscribed.body).walk("VEVENT")) == 1
    bad = await anonymous.get("/app/cronograma.ics", token="not-a-token", **window)
    assert bad.status == 401
    assert (await anonymous.get("/app/cronograma.ics", **window)).status == 401
    # The JSON schedule does not take a token in the query.
    assert (await anonymous.get("/app/cronograma/", token=tech.token)).status == 401


# --- one order ---------------------------------------------------------------------------------


async def test_an_order_is_visible_to_its_technician_and_planners_only(
    plant: Plant, tech: Api, other_tech: Api, planner: Api, requester: Api
) -> None:
    order = await plant.work_order(technician_id=tech.id)
    mine = await tech.get(f"/app/ot/{order}/")
    assert mine.status == 200
    assert mine.body["id"] == order and len(mine.body["steps"]) == 2
    assert (await planner.get(f"/app/ot/{order}/")).status == 200
    assert (await other_tech.get(f"/app/ot/{order}/")).status == 404
    assert (await requester.get(f"/app/ot/{order}/")).status == 404
    assert (await tech.get("/app/ot/99999999/")).status == 404
    for action in ("iniciar", "finalizar"):
        assert (await other_tech.post(f"/app/ot/{order}/{action}/", {})).status == 404
        assert (await requester.post(f"/app/ot/{order}/{action}/", {})).status == 404
    assert (await plant.scalar("SELECT status FROM work_orders WHERE id = :id", id=order)) == (
        "PENDIENTE"
    )


# --- start and finish --------------------------------------------------------------------------


async def test_start_then_finish_with_step_results(plant: Plant, tech: Api, planner: Api) -> None:
    order = await plant.work_order(technician_id=tech.id, steps=3)
    check, measure, note = await _steps(
        plant, order, ("CHECK", None, None), ("MEDICION", 0, 10), ("TEXTO", None, None)
    )
    assert (await tech.post(f"/app/ot/{order}/finalizar/", {})).status == 409
    started = await tech.post(f"/app/ot/{order}/iniciar/", {"at": "2031-07-01T08:00:00"})
    assert started.status == 200, started.body
    assert (await tech.post(f"/app/ot/{order}/iniciar/", {})).status == 409

    finished = await tech.post(
        f"/app/ot/{order}/finalizar/",
        {
            "at": "2031-07-01T09:30:00+00:00",
            "notes": "Todo en orden",
            "steps": [
                {"id": check, "done": True, "ok": True},
                {"id": measure, "done": True, "value": 4.25, "comment": "estable"},
                {"id": note, "done": True, "value": "sin holguras"},
            ],
        },
    )
    assert finished.status == 200, finished.body
    assert finished.body["aviso_ids"] == []
    detail = (await planner.get(f"/ot/{order}/")).body
    assert detail["status"] == "COMPLETADA"
    assert detail["actual_start"] == "2031-07-01T08:00:00+00:00"
    assert detail["actual_end"] == "2031-07-01T09:30:00+00:00"
    assert detail["notes"] == "Todo en orden"
    steps = {s["id"]: s for s in detail["steps"]}
    assert (steps[check]["done"], steps[check]["ok"], steps[check]["value"]) == (True, True, None)
    assert (steps[measure]["value"], steps[measure]["comment"]) == (4.25, "estable")
    assert steps[measure]["ok"] is True
    assert steps[note]["value"] == "sin holguras"
    assert (await tech.post(f"/app/ot/{order}/finalizar/", {})).status == 409
    assert await _history(plant, order) == [
        {"event": "estado", "data": {"from": "PENDIENTE", "to": "EN_PROGRESO"}},
        {"event": "estado", "data": {"from": "EN_PROGRESO", "to": "COMPLETADA"}},
    ]
    changes = await plant.scalar(
        "SELECT json_agg(data->>'new_status' ORDER BY id) FROM outbox"
        " WHERE type = 'ot.estado' AND (data->>'work_order_id')::int = :id",
        id=order,
    )
    assert changes == ["EN_PROGRESO", "COMPLETADA"]


async def test_final_and_cancelled_orders_cannot_start(plant: Plant, tech: Api) -> None:
    for status in ("EN_PROGRESO", "COMPLETADA", "CANCELADA"):
        order = await plant.work_order(technician_id=tech.id, status=status)
        assert (await tech.post(f"/app/ot/{order}/iniciar/", {})).status == 409, status
    for status in ("PENDIENTE", "COMPLETADA", "CANCELADA"):
        order = await plant.work_order(technician_id=tech.id, status=status)
        assert (await tech.post(f"/app/ot/{order}/finalizar/", {})).status == 409, status


async def test_finish_before_the_start_is_refused(plant: Plant, tech: Api) -> None:
    order = await plant.work_order(
        technician_id=tech.id,
        status="EN_PROGRESO",
        actual_start=datetime(2031, 8, 1, 10, tzinfo=UTC),
    )
    early = await tech.post(f"/app/ot/{order}/finalizar/", {"at": "2031-08-01T09:00:00+00:00"})
    assert early.status == 422, early.body
    assert early.body["errors"][0]["loc"] == ["body", "at"]


async def test_bad_step_results_change_nothing(plant: Plant, tech: Api) -> None:
    order = await plant.work_order(technician_id=tech.id, status="EN_PROGRESO", steps=3)
    check, measure, note = await _steps(
        plant, order, ("CHECK", None, None), ("MEDICION", 0, 10), ("TEXTO", None, None)
    )
    elsewhere = await plant.work_order(technician_id=tech.id)
    foreign = await plant.scalar(
        "SELECT min(id) FROM work_order_steps WHERE work_order_id = :id", id=elsewhere
    )
    cases = [
        ([{"id": foreign, "done": True}], ["body", "steps", 0, "id"]),
        (
            [{"id": check, "done": True}, {"id": measure, "done": True, "value": "alto"}],
            ["body", "steps", 1, "value"],
        ),
        ([{"id": note, "done": True, "value": 3}], ["body", "steps", 0, "value"]),
        ([{"id": check, "done": True, "value": 1}], ["body", "steps", 0, "value"]),
    ]
    for steps, loc in cases:
        response = await tech.post(f"/app/ot/{order}/finalizar/", {"steps": steps})
        assert response.status == 422, response.body
        assert loc in [e["loc"] for e in response.body["errors"]], response.body
    malformed = [
        [{"id": check, "done": True}, {"id": check, "done": False}],  # repeated id
        [{"id": measure, "done": True, "value": True}],  # a boolean is not a number
        [{"id": check}],  # done is required
    ]
    for steps in malformed:
        assert (await tech.post(f"/app/ot/{order}/finalizar/", {"steps": steps})).status == 422
    status = await plant.scalar("SELECT status FROM work_orders WHERE id = :id", id=order)
    assert status == "EN_PROGRESO"
    done = await plant.scalar(
        "SELECT count(*) FROM work_order_steps WHERE work_order_id = :id AND done", id=order
    )
    assert done == 0


# --- inspection notices ------------------------------------------------------------------------


async def test_failed_steps_open_one_notice_each(plant: Plant, tech: Api) -> None:
    order = await plant.work_order(
        technician_id=tech.id, status="EN_PROGRESO", steps=5, assets=plant.assets[1:3]
    )
    ids = await _steps(
        plant,
        order,
        ("CHECK", None, None),
        ("MEDICION", 2, 4.5),
        ("MEDICION", 2, 4.5),
        ("CHECK", None, None),
        ("MEDICION", None, 80),
    )
    results = [
        {"id": ids[0], "done": True, "ok": False, "comment": "correa agrietada"},
        {"id": ids[1], "done": True, "value": 7.1},
        {"id": ids[2], "done": True, "value": 4.5},  # on the limit: fine
        {"id": ids[3], "done": True, "ok": True},
        {"id": ids[4], "done": True, "value": 1},  # no lower limit
    ]
    response = await tech.post(f"/app/ot/{order}/finalizar/", {"steps": results})
    assert response.status == 200, response.body
    aviso_ids = response.body["aviso_ids"]
    assert len(aviso_ids) == 2
    async with plant.db.connect() as conn:
        notices = (
            (
                await conn.execute(
                    text("SELECT * FROM avisos WHERE id = ANY(:ids) ORDER BY id"),
                    {"ids": aviso_ids},
                )
            )
            .mappings()
            .all()
        )
    for notice in notices:
        assert notice["status"] == "ABIERTO"
        assert notice["source"] == "INSPECCION"
        assert notice["origin_work_order_id"] == order
        assert notice["work_order_id"] is None and notice["external_id"] is None
        assert notice["asset_id"] == min(plant.assets[1:3])
        assert notice["author_id"] == tech.id
    assert "correa agrietada" in notices[0]["description"]
    assert "7.1" in notices[1]["description"]
    measured = await plant.scalar("SELECT ok FROM work_order_steps WHERE id = :id", id=ids[1])
    assert measured is False

    mine = (await tech.get("/app/avisos/")).body
    listed = {n["id"]: n for n in mine}
    assert set(aviso_ids) <= listed.keys()
    assert listed[aviso_ids[0]]["origin_work_order_id"] == order
    created = await plant.scalar(
        "SELECT json_agg((data->>'aviso_id')::int ORDER BY id) FROM outbox"
        " WHERE type = 'aviso.creado' AND (data->>'origin_work_order_id')::int = :id",
        id=order,
    )
    assert created == aviso_ids


async def test_in_range_results_open_no_notice(plant: Plant, tech: Api) -> None:
    order = await plant.work_order(technician_id=tech.id, status="EN_PROGRESO", steps=2)
    check, measure = await _steps(plant, order, ("CHECK", None, None), ("MEDICION", 0, 1))
    response = await tech.post(
        f"/app/ot/{order}/finalizar/",
        {
            "steps": [
                {"id": check, "done": True, "ok": True},
                {"id": measure, "done": True, "value": 0},
            ]
        },
    )
    assert response.status == 200, response.body
    assert response.body["aviso_ids"] == []
    opened = await plant.scalar(
        "SELECT count(*) FROM avisos WHERE origin_work_order_id = :id", id=order
    )
    assert opened == 0


async def test_a_planner_may_finish_any_order(plant: Plant, planner: Api, tech: Api) -> None:
    order = await plant.work_order(technician_id=tech.id)
    assert (await planner.post(f"/app/ot/{order}/iniciar/", {})).status == 200
    assert (await planner.post(f"/app/ot/{order}/finalizar/", {})).status == 200
    actual = await plant.scalar(
        "SELECT actual_end IS NOT NULL FROM work_orders WHERE id = :id", id=order
    )
    assert actual is True
