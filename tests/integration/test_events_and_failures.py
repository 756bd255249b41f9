"""Events leave through the outbox after commit; a command that keeps failing is retried a bounded
number of times, then dead-lettered, and its caller is told (the command log keeps its 500)."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import orjson

from shared.messages import Reply
from shared.messaging.topology import COMMANDS, EVENTS, Names, declare_topology
from shared.settings import Settings
from tests.api import Api, Plant
from workers.runner import Worker


async def test_status_change_event_is_relayed_from_the_outbox(
    settings: Settings, worker: Worker, plant: Plant, planner: Api, tech: Api
) -> None:
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    events = await channel.declare_queue(exclusive=True)
    await events.bind(Names(settings.amqp_namespace)(EVENTS), routing_key="ot.estado")
    order = await plant.work_order(technician_id=tech.id)
    response = await planner.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})
    assert response.status == 200
    received = None
    async with events.iterator() as messages:
        async for message in messages:
            await message.ack()
            body = orjson.loads(message.body)
            if body["data"]["work_order_id"] == order:
                received = message, body
                break
    await connection.close()
    assert received is not None
    message, body = received
    assert message.routing_key == "ot.estado" and message.message_id == str(body["id"])
    assert body["type"] == "ot.estado"
    assert body["data"] == {
        "work_order_id": order,
        "old_status": "PENDIENTE",
        "new_status": "EN_PROGRESO",
        "technician_id": tech.id,
        "changed_by": planner.id,
        "aviso_id": None,
    }
    for _ in range(50):  # marked after the publish is confirmed
        if await plant.scalar(
            "SELECT published_at IS NOT NULL FROM outbox WHERE id = :id", id=body["id"]
        ):
            break
        await asyncio.sleep(0.05)
    assert await plant.scalar(
        "SELECT published_at IS NOT NULL FROM outbox WHERE id = :id", id=body["id"]
    )


async def test_a_failing_command_is_dead_lettered_after_the_delivery_limit(
    own_namespace: Settings, plant: Plant, worker_for
) -> None:  # type: ignore[no-untyped-def]
    # A low delivery limit (the test's own queues) keeps the test short.
    strict = own_namespace.model_copy(update={"delivery_limit": 2})
    await worker_for(strict)
    connection = await aio_pika.connect(strict.amqp_url)
    try:
        channel = await connection.channel()
        topology = await declare_topology(channel, strict)
        replies = await channel.declare_queue(exclusive=True)
        order = await plant.work_order()
        message_id = str(uuid.uuid4())
        # A sender that does not exist breaks the command log's foreign key: not a domain error.
        await topology.exchanges[COMMANDS].publish(
            aio_pika.Message(
                f'{{"work_order_id": {order}, "notes": "nunca"}}'.encode(),
                message_id=message_id,
                type="ot.actualizar",
                correlation_id=message_id,
                reply_to=replies.name,
                headers={"x-user-id": "987654321", "x-user-role": "ADMIN"},
            ),
            "ot.actualizar",
        )
        async with replies.iterator(timeout=20) as messages:
            async for incoming in messages:
                reply = Reply.model_validate_json(incoming.body)
                break
        assert reply.http_status == 500 and reply.body["status"] == "error"
        dead = await channel.get_queue(Names(strict.amqp_namespace)("ordenes.invalidos"))
        found = None
        for _ in range(50):
            found = await dead.get(no_ack=True, fail=False)
            if found is not None:
                break
            await asyncio.sleep(0.1)
        assert found is not None and found.message_id == message_id
        assert await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order) == ""
        # Its outcome is stored, so a caller polling after a 202 (or retrying its key) learns it;
        # the forged sender does not exist, so the row names no user.
        stored = await plant.row(
            "SELECT status, http_status, user_id, result FROM command_log WHERE id = :id",
            id=uuid.UUID(message_id),
        )
        assert stored is not None
        assert (stored.status, stored.http_status, stored.user_id) == ("error", 500, None)
        assert stored.result == reply.body
    finally:
        await connection.close()
