"""Notifications: who is told of each domain event (events written to the real outbox, relayed
over RabbitMQ, fanned out by the real worker), and the caller's own notifications over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import aio_pika
import orjson
from argon2 import PasswordHasher
from sqlalchemy import text

from shared.messages import events
from shared.messaging.publishing import json_message
from shared.messaging.topology import EVENTS, Names, declare_topology
from shared.settings import Settings
from tests.api import PASSWORD, Api, Plant
from tests.e2e.notification_helpers import aviso, emit, notified, rows_of


async def _code(plant: Plant, order: int) -> str:
    return str(await plant.scalar("SELECT code FROM work_orders WHERE id = :id", id=order))


async def test_an_assigned_order_notifies_its_technician_only(
    plant: Plant, planner: Api, tech: Api
) -> None:
    order = await plant.work_order(technician_id=tech.id)
    event_id = await emit(
        plant,
        events.OrderAssigned(work_order_id=order, technician_id=tech.id, assigned_by=planner.id),
    )
    [row] = await notified(plant, event_id)
    assert row["user_id"] == tech.id and row["kind"] == "OT_ASIGNADA"
    assert row["work_order_id"] == order
    assert await _code(plant, order) in row["message"]


async def test_rescheduling_one_order_names_it_several_give_a_count(
    plant: Plant, planner: Api, tech: Api
) -> None:
    orders = [await plant.work_order(technician_id=tech.id) for _ in range(3)]
    codes = [await _code(plant, order) for order in orders]
    start = datetime(2031, 3, 4, 9, tzinfo=timezone.utc)

    def moved(order: int, code: str) -> events.RescheduledOrder:
        return events.RescheduledOrder(
            id=order, code=code, old_start=start, new_start=start + timedelta(days=2)
        )

    one = await emit(
        plant,
        events.OrdersRescheduled(
            technician_id=tech.id,
            changed_by=planner.id,
            reason="Parada de línea",
            work_orders=[moved(orders[0], codes[0])],
        ),
    )
    several = await emit(
        plant,
        events.OrdersRescheduled(
            technician_id=tech.id,
            changed_by=planner.id,
            reason="Vacaciones",
            work_orders=[moved(o, c) for o, c in zip(orders, codes, strict=True)],
        ),
    )
    [single] = await notified(plant, one)
    assert single["user_id"] == tech.id and single["kind"] == "OT_FECHA_CAMBIADA"
    assert single["work_order_id"] == orders[0]
    assert codes[0] in single["message"] and "06/03/2031" in single["message"]
    [bulk] = await notified(plant, several)
    assert bulk["user_id"] == tech.id and bulk["kind"] == "OT_FECHA_CAMBIADA"
    assert bulk["work_order_id"] is None
    assert bulk["message"].startswith("3 órdenes") and "Vacaciones" in bulk["message"]


async def test_a_status_change_tells_the_technician_and_the_notice_author(
    plant: Plant, planner: Api, tech: Api, requester: Api
) -> None:
    notice, _ = await aviso(plant, requester)
    order = await plant.work_order(technician_id=tech.id, type="CORRECTIVA")
    await plant.scalar(
        "UPDATE work_orders SET aviso_id = :a WHERE id = :id RETURNING id", a=notice, id=order
    )
    response = await planner.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})
    assert response.status == 200, response.body
    event_id = await plant.scalar(
        "SELECT max(id) FROM outbox WHERE type = 'ot.estado'"
        " AND (data->>'work_order_id')::int = :id",
        id=order,
    )
    rows = await notified(plant, event_id)
    assert [(row["user_id"], row["kind"]) for row in rows] == sorted(
        [(tech.id, "OT_ESTADO"), (requester.id, "OT_ESTADO")]
    )
    assert all(row["work_order_id"] == order for row in rows)
    assert "en progreso" in rows[0]["message"]


async def test_the_technician_is_not_told_of_their_own_status_change(
    plant: Plant, tech: Api, requester: Api
) -> None:
    notice, _ = await aviso(plant, requester)
    order = await plant.work_order(technician_id=tech.id, type="CORRECTIVA")
    await plant.scalar(
        "UPDATE work_orders SET aviso_id = :a WHERE id = :id RETURNING id", a=notice, id=order
    )
    response = await tech.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})
    assert response.status == 200, response.body
    event_id = await plant.scalar(
        "SELECT max(id) FROM outbox WHERE type = 'ot.estado'"
        " AND (data->>'work_order_id')::int = :id",
        id=order,
    )
    [row] = await notified(plant, event_id)
    assert (row["user_id"], row["kind"], row["aviso_id"]) == (requester.id, "OT_ESTADO", notice)


async def test_generated_orders_give_the_technician_a_count(plant: Plant, tech: Api) -> None:
    orders = [await plant.work_order(technician_id=tech.id) for _ in range(3)]
    event_id = await emit(
        plant, events.OrdersGenerated(technician_id=tech.id, count=3, work_order_ids=orders)
    )
    [row] = await notified(plant, event_id)
    assert row["user_id"] == tech.id and row["kind"] == "OT_GENERADAS"
    assert "3" in row["message"] and row["work_order_id"] is None


async def test_a_new_notice_tells_every_active_planner_but_not_admins(
    plant: Plant, planner: Api, requester: Api, admin: Api
) -> None:
    async with plant.db.begin() as conn:
        planners = (
            await conn.execute(
                text(
                    "INSERT INTO users (username, full_name, role, active) VALUES"
                    " ('plan-extra', 'Paula Planificadora', 'PLANIFICADOR', true),"
                    " ('plan-gone', 'Pablo Baja', 'PLANIFICADOR', false) RETURNING id"
                )
            )
        ).scalars()
        extra, inactive = list(planners)
    notice, code = await aviso(plant, requester)
    event_id = await emit(
        plant,
        events.AvisoCreated(
            aviso_id=notice, asset_id=plant.assets[0], source="APP", author_id=requester.id
        ),
    )
    rows = await notified(plant, event_id)
    assert {row["user_id"] for row in rows} == {planner.id, extra}
    assert inactive not in {row["user_id"] for row in rows}
    assert admin.id not in {row["user_id"] for row in rows}
    assert all(row["kind"] == "AVISO_NUEVO" and row["aviso_id"] == notice for row in rows)
    assert code in rows[0]["message"] and "BOMBA-01" in rows[0]["message"]


async def test_an_updated_notice_tells_its_author(plant: Plant, requester: Api, tech: Api) -> None:
    notice, code = await aviso(plant, requester)
    order = await plant.work_order(technician_id=tech.id, type="CORRECTIVA")
    event_id = await emit(
        plant,
        events.AvisoUpdated(
            aviso_id=notice,
            author_id=requester.id,
            old_status="ABIERTO",
            new_status="EN_PROCESO",
            work_order_id=order,
        ),
    )
    [row] = await notified(plant, event_id)
    assert (row["user_id"], row["kind"]) == (requester.id, "AVISO_ACTUALIZADO")
    assert (row["aviso_id"], row["work_order_id"]) == (notice, order)
    assert code in row["message"] and await _code(plant, order) in row["message"]


# --- the caller's notifications over HTTP --------------------------------------------------------


async def _fresh_user(plant: Plant, role: str = "TECNICO") -> Api:
    """A logged-in user of its own, so counts are not disturbed by the other tests."""
    username = f"user-{uuid.uuid4().hex[:8]}"
    await plant.scalar(
        "INSERT INTO users (username, full_name, role, password_hash)"
        " VALUES (:u, 'Nuevo Usuario', :r, :h) RETURNING id",
        u=username,
        r=role,
        h=PasswordHasher().hash(PASSWORD),
    )
    anonymous = Api(plant.http, None)
    login = await anonymous.post("/auth/token/", {"username": username, "password": PASSWORD})
    assert login.status == 200, login.body
    return Api(plant.http, login.body["token"], login.body["user"])


async def _give(plant: Plant, user: Api, count: int) -> None:
    await plant.scalar(
        "INSERT INTO notifications (user_id, kind, title, message)"
        " SELECT :user, 'OT_GENERADAS', 'Órdenes generadas', 'Aviso ' || g"
        " FROM generate_series(1, :n) g RETURNING id",
        user=user.id,
        n=count,
    )


async def test_list_newest_first_with_limit_bounds(plant: Plant) -> None:
    user = await _fresh_user(plant)
    await _give(plant, user, 25)
    default = await user.get("/notificaciones/")
    assert default.status == 200 and len(default.body) == 20
    ids = [item["id"] for item in default.body]
    assert ids == sorted(ids, reverse=True)
    assert default.body[0]["message"] == "Aviso 25"
    assert len((await user.get("/notificaciones/", limit=200)).body) == 25
    for bad in (0, 201, "abc"):
        response = await user.get("/notificaciones/", limit=bad)
        assert response.status == 422, bad
        assert response.body["errors"][0]["loc"] == ["query", "limit"]


async def test_read_one_unread_filter_and_read_all(plant: Plant) -> None:
    user = await _fresh_user(plant, role="SOLICITANTE")
    await _give(plant, user, 4)
    first = (await user.get("/notificaciones/")).body[0]
    assert first["read"] is False
    response = await user.post(f"/notificaciones/{first['id']}/leer/")
    assert response.status == 200 and response.body["status"] == "success"
    # Reading it again is still a success.
    assert (await user.post(f"/notificaciones/{first['id']}/leer/")).status == 200
    unread = (await user.get("/notificaciones/", unread="true")).body
    assert len(unread) == 3 and first["id"] not in {item["id"] for item in unread}
    assert len((await user.get("/notificaciones/", unread="false")).body) == 4
    assert (await user.get("/notificaciones/", unread="maybe")).status == 422

    response = await user.post("/notificaciones/leer-todas/")
    assert response.status == 200 and response.body["updated"] == 3
    assert (await user.get("/notificaciones/", unread="true")).body == []
    assert (await user.post("/notificaciones/leer-todas/")).body["updated"] == 0


async def test_someone_elses_or_an_unknown_notification_is_not_found(
    plant: Plant, admin: Api
) -> None:
    owner = await _fresh_user(plant)
    await _give(plant, owner, 1)
    [mine] = (await owner.get("/notificaciones/")).body
    # Not even an administrator reads someone else's notification.
    response = await admin.post(f"/notificaciones/{mine['id']}/leer/")
    assert response.status == 404 and response.body["status"] == "error"
    assert (await admin.post("/notificaciones/987654321/leer/")).status == 404
    assert (await owner.get("/notificaciones/")).body[0]["read"] is False
    assert mine["id"] not in {item["id"] for item in (await admin.get("/notificaciones/")).body}


async def test_every_role_reads_its_own_and_needs_a_token(plant: Plant) -> None:
    for api in plant.api.values():
        response = await api.get("/notificaciones/")
        assert response.status == 200
        ids = {item["id"] for item in response.body}
        owners = await plant.scalar(
            "SELECT array_agg(DISTINCT user_id) FROM notifications WHERE id = ANY(:ids)",
            ids=list(ids),
        )
        assert owners in (None, [api.id])
    anonymous = Api(plant.http, None)
    assert (await anonymous.get("/notificaciones/")).status == 401
    assert (await anonymous.post("/notificaciones/leer-todas/")).status == 401


# --- delivery: redelivered, unknown and invalid events -------------------------------------------


async def test_redelivered_unknown_and_invalid_events(
    own_namespace: Settings, plant: Plant, planner: Api, tech: Api, worker_for
) -> None:  # type: ignore[no-untyped-def]
    # One message at a time: once the last one is handled, so are all before it.
    ordered = own_namespace.model_copy(update={"worker_prefetch": 1})
    await worker_for(ordered, ("notificaciones",))
    connection = await aio_pika.connect(ordered.amqp_url)
    try:
        channel = await connection.channel()
        exchange = (await declare_topology(channel, ordered)).exchanges[EVENTS]
        # Ids of their own (far above the outbox's), so no relayed event shares them.
        base = 10**12 + uuid.uuid4().int % 10**9 * 10
        order = await plant.work_order(technician_id=tech.id)
        assigned = events.OrderAssigned(
            work_order_id=order, technician_id=tech.id, assigned_by=planner.id
        )
        split = events.OrderSplit(work_order_id=order, new_work_order_ids=[], split_by=None)
        messages = [
            (base, assigned.type, assigned.model_dump(mode="json")),
            (base, assigned.type, assigned.model_dump(mode="json")),  # redelivered
            (base + 1, split.type, split.model_dump(mode="json")),  # notifies nobody
            (base + 2, "ot.desconocida", {"work_order_id": order}),  # unknown type
            (base + 3, assigned.type, {"work_order_id": "x", "technician_id": tech.id}),
            (base + 4, assigned.type, assigned.model_dump(mode="json")),  # the last one
        ]
        for event_id, event_type, data in messages:
            body = orjson.dumps(
                {"id": event_id, "type": event_type, "at": "2030-01-01T00:00:00Z", "data": data}
            )
            await exchange.publish(
                json_message(body, message_id=str(event_id), type=event_type), event_type
            )
        await exchange.publish(json_message(b"{not json", message_id="junk"), "ot.asignada")
        await notified(plant, base + 4)  # wait: everything before it was handled

        assert [row["user_id"] for row in await rows_of(plant, base)] == [tech.id]
        signals = await plant.scalar(
            "SELECT count(*) FROM outbox WHERE type = 'notificacion.creadas'"
            " AND (data->>'event_id')::bigint = :id",
            id=base,
        )
        assert signals == 1
        for nothing in (base + 1, base + 2, base + 3):
            assert await rows_of(plant, nothing) == []
        dead = await channel.get_queue(Names(ordered.amqp_namespace)("notificaciones.invalidos"))
        found = set()
        for _ in range(100):
            message = await dead.get(no_ack=True, fail=False)
            if message is None and len(found) == 2:
                break
            if message is None:
                await asyncio.sleep(0.1)
                continue
            found.add(message.message_id)
        assert found == {str(base + 3), "junk"}
    finally:
        await connection.close()
