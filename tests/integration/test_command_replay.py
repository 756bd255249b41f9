"""Commands that cannot run twice, and a role header that lets nobody in.

Every command type is delivered a second time, with the same command id, after it succeeded: the
worker answers the stored result without running the handler, and nothing in the database
changes (every table's rows, versions, history, outbox). A sender whose role the command does
not allow is refused with 403 by the worker itself, whatever the gateway checked."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from shared.messages import COMMANDS
from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.notification_helpers import aviso
from tests.e2e.program_helpers import new_program, routine, today
from tests.integration.command_bus import command_bus, fingerprint, watermarks
from workers.runner import Worker

Case = Callable[[Plant], Awaitable[tuple[dict[str, Any], str]]]
CASES: dict[str, Case] = {}


def case(routing_key: str) -> Callable[[Case], Case]:
    """A valid command of `routing_key` for the plant, and who sends it (a key of `plant.api`)."""

    def register(make: Case) -> Case:
        CASES[routing_key] = make
        return make

    return register


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@case("aviso.crear")
async def _create_aviso(plant: Plant) -> tuple[dict[str, Any], str]:
    return {"asset_id": plant.assets[0], "title": "Ruido en rodamiento"}, "SOLICITANTE"


@case("aviso.generar_ot")
async def _order_from_aviso(plant: Plant) -> tuple[dict[str, Any], str]:
    aviso_id, _ = await aviso(plant, plant.api["SOLICITANTE"])
    return {"aviso_id": aviso_id, "date": "2031-05-05"}, "PLANIFICADOR"


@case("catalogo.ubicacion.guardar")
async def _location(plant: Plant) -> tuple[dict[str, Any], str]:
    return {"code": unique("LOC"), "name": "Sala", "parent_id": plant.locations["plant"]}, "ADMIN"


@case("catalogo.categoria.guardar")
async def _category(plant: Plant) -> tuple[dict[str, Any], str]:
    body = {"name": unique("Cat"), "maintenance_type_ids": [plant.maintenance_type_id]}
    return body, "ADMIN"


@case("catalogo.tipo.guardar")
async def _maintenance_type(plant: Plant) -> tuple[dict[str, Any], str]:
    return {"name": unique("Tipo")}, "ADMIN"


@case("catalogo.frecuencia.guardar")
async def _frequency(plant: Plant) -> tuple[dict[str, Any], str]:
    return {"name": unique("Frec"), "interval": 3, "unit": "DIA"}, "ADMIN"


@case("catalogo.activo.guardar")
async def _asset(plant: Plant) -> tuple[dict[str, Any], str]:
    body = {
        "code": unique("ACT"),
        "name": "Compresor",
        "location_id": plant.locations["line"],
        "category_id": plant.category_id,
    }
    return body, "ADMIN"


@case("usuario.guardar")
async def _user(plant: Plant) -> tuple[dict[str, Any], str]:
    body = {"username": unique("u"), "full_name": "Nuevo", "role": "TECNICO", "password": "x" * 12}
    return body, "ADMIN"


@case("notificacion.leer")
async def _read_one(plant: Plant) -> tuple[dict[str, Any], str]:
    notification_id = await plant.scalar(
        "INSERT INTO notifications (user_id, kind, title, message)"
        " VALUES (:user, 'OT_ASIGNADA', 'Aviso', 'Mensaje') RETURNING id",
        user=plant.api["TECNICO"].id,
    )
    return {"notification_id": notification_id}, "TECNICO"


@case("notificacion.leer_todas")
async def _read_all(plant: Plant) -> tuple[dict[str, Any], str]:
    await _read_one(plant)
    return {}, "TECNICO"


@case("ot.actualizar")
async def _update(plant: Plant) -> tuple[dict[str, Any], str]:
    order = await plant.work_order(technician_id=plant.api["TECNICO"].id)
    return {"work_order_id": order, "status": "EN_PROGRESO", "notes": "Iniciada"}, "TECNICO"


@case("ot.iniciar")
async def _start(plant: Plant) -> tuple[dict[str, Any], str]:
    order = await plant.work_order(technician_id=plant.api["TECNICO"].id)
    return {"work_order_id": order}, "TECNICO"


@case("ot.finalizar")
async def _finish(plant: Plant) -> tuple[dict[str, Any], str]:
    order = await plant.work_order(
        status="EN_PROGRESO",
        technician_id=plant.api["TECNICO"].id,
        actual_start=datetime.now(UTC) - timedelta(hours=1),
    )
    return {"work_order_id": order, "notes": "Hecho"}, "TECNICO"


@case("ot.fecha")
async def _reschedule(plant: Plant) -> tuple[dict[str, Any], str]:
    order = await plant.work_order(technician_id=plant.api["TECNICO"].id)
    return {"work_order_id": order, "date": "2032-02-02", "reason": "Parada"}, "PLANIFICADOR"


@case("ot.fechas")
async def _reschedule_many(plant: Plant) -> tuple[dict[str, Any], str]:
    orders = await plant.work_orders(3, technician_id=plant.api["TECNICO"].id)
    updates = [{"id": order, "date": "2032-03-03", "reason": "Parada"} for order in orders]
    return {"updates": updates}, "PLANIFICADOR"


@case("ot.dividir")
async def _split(plant: Plant) -> tuple[dict[str, Any], str]:
    order = await plant.work_order(assets=plant.assets[:2])
    return {"work_order_id": order}, "PLANIFICADOR"


@case("ot.fusionar")
async def _merge(plant: Plant) -> tuple[dict[str, Any], str]:
    orders = [await plant.work_order(), await plant.work_order(assets=plant.assets[1:2])]
    return {"ids": orders, "date": "2032-04-04"}, "PLANIFICADOR"


@case("ot.eliminar")
async def _delete(plant: Plant) -> tuple[dict[str, Any], str]:
    return {"ids": await plant.work_orders(2)}, "PLANIFICADOR"


@case("medidor.guardar")
async def _save_meter(plant: Plant) -> tuple[dict[str, Any], str]:
    body = {
        "code": unique("TEMP"),
        "name": "Temperatura de cojinete",
        "asset_id": plant.assets[0],
        "unit": "°C",
        "kind": "INDICADOR",
        "alarm_high": 80,
    }
    return body, "PLANIFICADOR"


@case("medidor.lectura")
async def _record_reading(plant: Plant) -> tuple[dict[str, Any], str]:
    # Out of range: the first delivery opens an alarm notice, a repeat must not.
    meter = await plant.meter(kind="INDICADOR", unit="°C", alarm_high=80)
    return {"meter_id": meter, "value": 95.5}, "TECNICO"


@case("programa.guardar")
async def _save_program(plant: Plant) -> tuple[dict[str, Any], str]:
    body = {
        "routine_id": await routine(plant),
        "asset_ids": plant.assets[:2],
        "start_date": today().isoformat(),
    }
    return body, "PLANIFICADOR"


@case("programa.generar_ot")
async def _generate_one(plant: Plant) -> tuple[dict[str, Any], str]:
    _, program = await new_program(plant, plant.api["PLANIFICADOR"], start=today())
    return {"program_id": program, "date": today().isoformat()}, "PLANIFICADOR"


@case("programa.generar")
async def _generate(plant: Plant) -> tuple[dict[str, Any], str]:
    _, program = await new_program(plant, plant.api["PLANIFICADOR"], start=today())
    until = (today() + timedelta(days=20)).isoformat()
    return {"until": until, "program_ids": [program]}, "PLANIFICADOR"


@case("rutina.guardar")
async def _save_routine(plant: Plant) -> tuple[dict[str, Any], str]:
    frequency = await plant.scalar("SELECT min(id) FROM frequencies")
    body = {
        "name": unique("Rutina"),
        "maintenance_type_id": plant.maintenance_type_id,
        "frequency_id": frequency,
    }
    return body, "PLANIFICADOR"


@case("rutina.pasos")
async def _replace_steps(plant: Plant) -> tuple[dict[str, Any], str]:
    body = {"routine_id": await routine(plant), "steps": [{"description": "Engrasar"}]}
    return body, "PLANIFICADOR"


@case("rutina.eliminar")
async def _delete_routine(plant: Plant) -> tuple[dict[str, Any], str]:
    return {"routine_id": await routine(plant)}, "PLANIFICADOR"


def test_every_command_type_has_a_case() -> None:
    assert set(CASES) == set(COMMANDS)


@contextmanager
def statements_of(worker: Worker) -> Iterator[list[str]]:
    """The statements a worker sends meanwhile, but for its outbox relay's."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "published_at" not in statement:
            seen.append(statement)

    event.listen(worker.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(worker.engine.sync_engine, "before_cursor_execute", count)


@pytest.mark.parametrize("routing_key", sorted(COMMANDS))
async def test_a_command_delivered_again_answers_its_result_and_changes_nothing(
    routing_key: str, own_namespace: Settings, worker_for: Any, plant: Plant
) -> None:
    # A worker of the test's own, without the notifications group: only the command runs on it.
    worker = await worker_for(own_namespace, ("ordenes", "generacion"))
    body, sender = await CASES[routing_key](plant)
    user: Api = plant.api[sender]
    command_id = uuid.uuid4()
    async with command_bus(own_namespace) as bus:
        first = await bus.send(
            routing_key, body, user_id=user.id, role=user.user["role"], command_id=command_id
        )
        assert first.http_status == 200, first.body
        marks = await watermarks(plant.db)
        before = await fingerprint(plant.db, marks)
        with statements_of(worker) as statements:
            again = await bus.send(
                routing_key, body, user_id=user.id, role=user.user["role"], command_id=command_id
            )
        after = await fingerprint(plant.db, marks)
    assert again == first
    # The stored answer was found first: the handler did not run at all.
    assert len(statements) == 1 and "JOIN command_log" in statements[0], statements
    assert {table: digest for table, digest in after.items() if before[table] != digest} == {}


# A role each command class refuses, and the command it is refused.
REFUSED = [
    ("ot.fechas", "TECNICO"),
    ("ot.eliminar", "SOLICITANTE"),
    ("catalogo.activo.guardar", "PLANIFICADOR"),
    ("usuario.guardar", "TECNICO"),
    ("programa.generar", "TECNICO"),
    ("rutina.eliminar", "TECNICO"),
    ("ot.actualizar", "SOLICITANTE"),
]


@pytest.mark.parametrize(("routing_key", "role"), REFUSED)
async def test_a_role_header_the_command_does_not_allow_is_refused_by_the_worker(
    routing_key: str, role: str, settings: Settings, worker: Worker, plant: Plant
) -> None:
    body, sender = await CASES[routing_key](plant)
    user = plant.api[sender]
    marks = await watermarks(plant.db)
    before = await fingerprint(plant.db, marks)
    command_id = uuid.uuid4()
    async with command_bus(settings) as bus:
        # Published straight to the broker: no gateway checked anything.
        reply = await bus.send(routing_key, body, user_id=user.id, role=role, command_id=command_id)
    assert reply.http_status == 403 and reply.body["status"] == "error", reply
    after = await fingerprint(plant.db, marks)
    # Only the refusal itself is recorded.
    changed = {table for table, digest in after.items() if before[table] != digest}
    assert changed == {"command_log"}
    stored = await plant.row(
        "SELECT status, http_status FROM command_log WHERE id = :id", id=command_id
    )
    assert tuple(stored) == ("error", 403)
