"""Real answers match the response models the OpenAPI document publishes (no field missing, none
undocumented), so the document cannot drift from what is served."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from pydantic import TypeAdapter, ValidationError

from gateway import schemas
from gateway.openapi import Operation
from shared.messages import events
from tests.api import PASSWORD, Api, Plant
from tests.e2e.notification_helpers import emit
from tests.e2e.program_helpers import new_program, today

# Not JSON: the WebSocket's frames are checked in test_push.py, the calendar in test_mobile.py.
NOT_JSON = {"/mantenimiento/notificaciones/ws/", "/mantenimiento/app/cronograma.ics"}


def _documented(gateway: TestServer, method: str, path: str) -> Operation:
    for route in gateway.app.router.routes():
        if route.method == method and route.resource and route.resource.canonical == path:
            operation: Operation = route.handler.openapi  # type: ignore[attr-defined]
            return operation
    raise AssertionError(f"{method} {path} is not served")


def _check(operation: Operation, body: Any) -> None:
    assert operation.response is not None, f"{operation.summary}: no response model"
    shape: Any = (
        list[operation.response[0]]  # type: ignore[index]
        if isinstance(operation.response, list)
        else operation.response
    )
    TypeAdapter(shape).validate_python(body)


async def test_every_list_without_path_parameters_matches_its_model(
    gateway: TestServer, plant: Plant, admin: Api
) -> None:
    await plant.scalar(
        "INSERT INTO frequencies (name, interval, unit) VALUES (:n, 1, 'MES') RETURNING id",
        n=f"Mensual {uuid.uuid4().hex[:6]}",
    )
    await plant.work_order(steps=1)
    await plant.routine(steps=1)
    # An open order assigned within the workload's default window (today … +7 days).
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    await plant.work_order(technician_id=plant.api["TECNICO"].id, start=tomorrow)
    await plant.scalar(
        "INSERT INTO notifications (user_id, kind, title, message)"
        " VALUES (:user, 'OT_ASIGNADA', 'Orden asignada', 'forma') RETURNING id",
        user=admin.id,
    )
    await emit(plant, events.OrdersDeleted(work_order_ids=[0], deleted_by=None))
    for _ in range(600):  # the feed serves it once older transactions of the server ended
        if (await admin.get("/eventos/")).body:
            break
        await asyncio.sleep(0.05)
    # The admin's own schedule and notices, so that the app's lists are not empty.
    await plant.work_order(technician_id=admin.id, start=tomorrow)
    notice = {"asset_id": plant.assets[0], "title": "Fuga", "priority": "ALTA"}
    assert (await admin.post("/app/aviso/crear/", notice)).status == 200
    # A program due within the scheduler's horizon, so that the forecast is not empty.
    await new_program(plant, admin, start=today())
    # A meter with a reading, so that the meters' list shows a last reading.
    meter_id = await plant.meter()
    assert (await admin.post(f"/medidores/{meter_id}/lecturas/", {"value": 12.5})).status == 200
    checked = 0
    for route in gateway.app.router.routes():
        operation = getattr(route.handler, "openapi", None)
        path = route.resource.canonical if route.resource else ""
        if route.method != "GET" or operation is None or "{" in path or path in NOT_JSON:
            continue
        response = await admin.request("GET", path)
        assert response.status == 200, (path, response.body)
        if isinstance(operation.response, list):
            assert response.body, f"{path}: an empty list proves nothing"
        _check(operation, response.body)
        checked += 1
    assert checked >= 12


async def test_objects_and_commands_match_their_models(
    gateway: TestServer, plant: Plant, admin: Api, planner: Api
) -> None:
    order = await plant.work_order(steps=2)
    await plant.scalar(
        "UPDATE work_order_steps SET kind = 'MEDICION', unit = 'mm/s', min_value = 0,"
        " max_value = 4.5, numeric_value = 2.25, done = true, ok = true"
        " WHERE work_order_id = :id AND position = 1 RETURNING id",
        id=order,
    )
    detail = await planner.get(f"/ot/{order}/")
    _check(_documented(gateway, "GET", "/mantenimiento/ot/{id}/"), detail.body)
    assert detail.body["steps"][0]["value"] == 2.25

    mobile = await planner.get(f"/app/ot/{order}/")
    _check(_documented(gateway, "GET", "/mantenimiento/app/ot/{pk}/"), mobile.body)

    asset = await admin.get(f"/activos/{plant.assets[0]}/")
    _check(_documented(gateway, "GET", "/mantenimiento/activos/{id}/"), asset.body)

    update = await planner.post(f"/ot/{order}/actualizar/", {"notes": "forma"})
    _check(_documented(gateway, "POST", "/mantenimiento/ot/{id}/actualizar/"), update.body)
    history = await planner.get(f"/ot/{order}/historial/")
    assert [line["event"] for line in history.body] == ["creacion", "notas"]
    _check(_documented(gateway, "GET", "/mantenimiento/ot/{id}/historial/"), history.body)

    routine = await plant.routine(steps=1)
    steps = await planner.post(
        f"/rutinas/{routine}/pasos/",
        {"steps": [{"description": "Medir", "kind": "MEDICION", "unit": "bar", "max_value": 6}]},
    )
    _check(_documented(gateway, "POST", "/mantenimiento/rutinas/{id}/pasos/"), steps.body)
    shown = await planner.get(f"/rutinas/{routine}/")
    _check(_documented(gateway, "GET", "/mantenimiento/rutinas/{id}/"), shown.body)
    saved = await planner.post(
        "/rutinas/guardar/",
        {k: shown.body[k] for k in ("id", "name", "description", "estimated_duration_min")}
        | {
            "maintenance_type_id": shown.body["maintenance_type"]["id"],
            "frequency_id": shown.body["frequency"]["id"],
        },
    )
    _check(_documented(gateway, "POST", "/mantenimiento/rutinas/guardar/"), saved.body)
    deleted = await planner.post(f"/rutinas/{routine}/eliminar/")
    _check(_documented(gateway, "POST", "/mantenimiento/rutinas/{id}/eliminar/"), deleted.body)

    routine_id, program_id = await new_program(plant, planner, start=today())
    program = await planner.get(f"/programas/{program_id}/")
    _check(_documented(gateway, "GET", "/mantenimiento/programas/{id}/"), program.body)
    saved = await planner.post(
        "/programas/guardar/",
        {**program.body, "id": program_id, "next_due": None} | {"routine_id": routine_id},
    )
    assert saved.status == 422  # `next_due` is read-only: the body refuses it
    body = {k: v for k, v in program.body.items() if k != "next_due"}
    saved = await planner.post("/programas/guardar/", body)
    _check(_documented(gateway, "POST", "/mantenimiento/programas/guardar/"), saved.body)
    one = await planner.post(f"/programas/{program_id}/generar-ot/", {"date": today().isoformat()})
    _check(_documented(gateway, "POST", "/mantenimiento/programas/{id}/generar-ot/"), one.body)
    batch = await planner.post(
        "/programas/generar/", {"until": today().isoformat(), "program_ids": [program_id]}
    )
    _check(_documented(gateway, "POST", "/mantenimiento/programas/generar/"), batch.body)

    login = await Api(planner.http, None).post(
        "/auth/token/", {"username": "planner", "password": PASSWORD}
    )
    _check(_documented(gateway, "POST", "/mantenimiento/auth/token/"), login.body)
    session = Api(planner.http, login.body["token"])
    logout = await session.post("/auth/logout/")
    _check(_documented(gateway, "POST", "/mantenimiento/auth/logout/"), logout.body)


def test_answer_models_refuse_undocumented_fields() -> None:
    with pytest.raises(ValidationError):
        schemas.LocationRef.model_validate({"id": 1, "code": "X", "name": "Y", "surprise": True})
