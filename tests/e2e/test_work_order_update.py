"""POST /ot/{id}/actualizar/: the whole transition table through HTTP, dates, versions, roles,
history and outbox, idempotency keys, and bad bodies."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.api import Api, Plant

STATUSES = ["PENDIENTE", "EN_PROGRESO", "COMPLETADA", "CANCELADA"]
LEGAL = {
    ("PENDIENTE", "EN_PROGRESO"),
    ("PENDIENTE", "COMPLETADA"),
    ("PENDIENTE", "CANCELADA"),
    ("EN_PROGRESO", "COMPLETADA"),
    ("EN_PROGRESO", "CANCELADA"),
}
STARTED = datetime(2025, 6, 1, 8, tzinfo=timezone.utc)


async def order_row(plant: Plant, order: int) -> dict:  # type: ignore[type-arg]
    async with plant.db.connect() as conn:
        from sqlalchemy import text

        row = (
            (await conn.execute(text("SELECT * FROM work_orders WHERE id = :id"), {"id": order}))
            .mappings()
            .one()
        )
        return dict(row)


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
async def test_transition_table(plant: Plant, planner: Api, current: str, target: str) -> None:
    started = STARTED if current in ("EN_PROGRESO", "COMPLETADA") else None
    order = await plant.work_order(status=current, actual_start=started)
    response = await planner.post(f"/ot/{order}/actualizar/", {"status": target})
    after = await order_row(plant, order)
    if current == target:
        assert response.status == 200, response.body
        assert after["version"] == 1  # a no-op
    elif (current, target) in LEGAL:
        assert response.status == 200, response.body
        assert after["status"] == target and after["version"] == 2
    else:
        assert response.status == 409, response.body
        assert response.body["status"] == "error"
        assert after["status"] == current and after["version"] == 1


async def test_start_then_complete_records_actual_dates(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    start = "2030-07-01T08:15:00+02:00"
    assert (
        await planner.post(
            f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO", "actual_start": start}
        )
    ).status == 200
    done = await planner.post(
        f"/ot/{order}/actualizar/", {"status": "COMPLETADA", "actual_end": "2030-07-01T10:00:00"}
    )
    assert done.status == 200, done.body
    detail = (await planner.get(f"/ot/{order}/")).body
    # Inputs without an offset are plant time (UTC here); outputs carry the offset.
    assert detail["actual_start"] == "2030-07-01T06:15:00+00:00"
    assert detail["actual_end"] == "2030-07-01T10:00:00+00:00"
    assert detail["allowed_transitions"] == []


async def test_pending_to_completed_takes_actual_end_as_start(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    end = "2030-07-02T09:00:00+00:00"
    assert (
        await planner.post(f"/ot/{order}/actualizar/", {"status": "COMPLETADA", "actual_end": end})
    ).status == 200
    row = await order_row(plant, order)
    assert row["actual_start"] == row["actual_end"] == datetime.fromisoformat(end)


async def test_starting_without_a_date_uses_now(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    before = datetime.now(timezone.utc)
    assert (await planner.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})).status == 200
    row = await order_row(plant, order)
    assert before - timedelta(seconds=1) <= row["actual_start"] <= datetime.now(timezone.utc)


async def test_end_before_start_is_422_and_changes_nothing(plant: Plant, planner: Api) -> None:
    order = await plant.work_order(status="EN_PROGRESO", actual_start=STARTED)
    response = await planner.post(
        f"/ot/{order}/actualizar/",
        {
            "status": "COMPLETADA",
            "actual_end": (STARTED - timedelta(hours=1)).isoformat(),
            "notes": "should not stick",
        },
    )
    assert response.status == 422
    assert response.body["errors"][0]["loc"] == ["body", "actual_start"]
    row = await order_row(plant, order)
    assert row["status"] == "EN_PROGRESO" and row["notes"] == "" and row["version"] == 1


async def test_final_orders_accept_notes_only(plant: Plant, planner: Api) -> None:
    order = await plant.work_order(status="COMPLETADA", actual_start=STARTED)
    ok = await planner.post(
        f"/ot/{order}/actualizar/", {"status": "COMPLETADA", "notes": "informe adjunto"}
    )
    assert ok.status == 200
    assert (await order_row(plant, order))["notes"] == "informe adjunto"
    refused = await planner.post(
        f"/ot/{order}/actualizar/", {"actual_end": "2030-01-01T00:00:00+00:00"}
    )
    assert refused.status == 409


async def test_stale_version_is_409(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    first = await planner.post(f"/ot/{order}/actualizar/", {"notes": "uno", "version": 1})
    assert first.status == 200 and first.body["version"] == 2
    stale = await planner.post(f"/ot/{order}/actualizar/", {"notes": "dos", "version": 1})
    assert stale.status == 409
    stale_header = await planner.post(
        f"/ot/{order}/actualizar/", {"notes": "tres"}, headers={"If-Match": '"1"'}
    )
    assert stale_header.status == 409
    fresh_header = await planner.post(
        f"/ot/{order}/actualizar/", {"notes": "cuatro"}, headers={"If-Match": '"2"'}
    )
    assert fresh_header.status == 200
    row = await order_row(plant, order)
    assert row["notes"] == "cuatro" and row["version"] == 3


async def test_roles(plant: Plant, tech: Api, other_tech: Api, requester: Api) -> None:
    order = await plant.work_order(technician_id=tech.id)
    assert (await other_tech.post(f"/ot/{order}/actualizar/", {"notes": "x"})).status == 403
    assert (await requester.post(f"/ot/{order}/actualizar/", {"notes": "x"})).status == 403
    mine = await tech.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})
    assert mine.status == 200
    assert (await order_row(plant, order))["notes"] == ""


async def test_unknown_order_is_404(planner: Api) -> None:
    assert (await planner.post("/ot/99999999/actualizar/", {"notes": "x"})).status == 404


async def test_history_and_outbox_are_written_with_the_change(
    plant: Plant, planner: Api, tech: Api
) -> None:
    order = await plant.work_order(technician_id=tech.id)
    await planner.post(f"/ot/{order}/actualizar/", {"status": "CANCELADA", "notes": "duplicada"})
    events = await plant.scalar(
        "SELECT json_agg(json_build_object('event', event, 'data', data, 'user', user_id)"
        " ORDER BY id) FROM work_order_events WHERE work_order_id = :id",
        id=order,
    )
    assert events == [
        {"event": "estado", "data": {"from": "PENDIENTE", "to": "CANCELADA"}, "user": planner.id},
        {"event": "notas", "data": {}, "user": planner.id},
    ]
    outbox = await plant.scalar(
        "SELECT json_agg(data) FROM outbox WHERE type = 'ot.estado'"
        " AND (data->>'work_order_id')::int = :id",
        id=order,
    )
    assert outbox == [
        {
            "work_order_id": order,
            "old_status": "PENDIENTE",
            "new_status": "CANCELADA",
            "technician_id": tech.id,
            "changed_by": planner.id,
            "aviso_id": None,
        }
    ]


async def test_idempotency_key_replays_and_refuses_other_bodies(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await planner.post(f"/ot/{order}/actualizar/", {"notes": "una vez"}, headers=key)
    again = await planner.post(f"/ot/{order}/actualizar/", {"notes": "una vez"}, headers=key)
    assert first.status == again.status == 200
    assert first.body == again.body
    assert (await order_row(plant, order))["version"] == 2
    other = await planner.post(f"/ot/{order}/actualizar/", {"notes": "otra"}, headers=key)
    assert other.status == 409
    assert (await order_row(plant, order))["notes"] == "una vez"


async def test_concurrent_requests_with_one_idempotency_key_apply_once(
    plant: Plant, planner: Api
) -> None:
    order = await plant.work_order()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    answers = await asyncio.gather(
        *(
            planner.post(f"/ot/{order}/actualizar/", {"notes": "a la vez"}, headers=key)
            for _ in range(4)
        )
    )
    assert [answer.status for answer in answers] == [200] * 4
    assert all(answer.body == answers[0].body for answer in answers)
    assert (await order_row(plant, order))["version"] == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 422),
        (b'{"status": "TERMINADA"}', 422),
        (b'{"unknown": 1}', 422),
        (b'{"version": 0}', 422),
        (b'{"actual_start": "ayer"}', 422),
    ],
)
async def test_bad_bodies(plant: Plant, planner: Api, body: bytes, status: int) -> None:
    order = await plant.work_order()
    response = await planner.request(
        "POST", f"/ot/{order}/actualizar/", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == status
    assert response.body["status"] == "error"
    assert (await order_row(plant, order))["version"] == 1


async def test_body_over_the_limit_is_413(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    response = await planner.request(
        "POST",
        f"/ot/{order}/actualizar/",
        data=io.BytesIO(b'{"notes": "' + b"x" * (9 * 1024 * 1024) + b'"}'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert response.body["status"] == "error"
