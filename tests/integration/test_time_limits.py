"""No statement waits forever: a command that cannot get its locks in time answers 503 with
`Retry-After`, is not applied and not dead-lettered, and runs when retried; a read held up by a
lock answers 503 too."""

from __future__ import annotations

import uuid
from typing import Any

import aio_pika
from sqlalchemy import text

from gateway.commands import IDEMPOTENCY_NAMESPACE
from shared.messaging.topology import Names
from shared.settings import Settings
from tests.api import Plant


async def test_a_command_on_a_locked_row_answers_503_and_runs_when_retried(
    own_namespace: Settings, plant: Plant, worker_for: Any, gateway_for: Any
) -> None:
    quick = own_namespace.model_copy(update={"db_lock_timeout_s": 0.5})
    await worker_for(quick)
    planner, _ = await gateway_for(quick)
    order = await plant.work_order(notes="antes")
    key = {"Idempotency-Key": f"locked-{order}"}
    async with plant.db.connect() as holder:
        # Someone in psql (or a long report) holds the order's row.
        await holder.begin()
        await holder.execute(
            text("SELECT 1 FROM work_orders WHERE id = :id FOR UPDATE"), {"id": order}
        )
        refused = await planner.post(f"/ot/{order}/actualizar/", {"notes": "después"}, headers=key)
        await holder.rollback()
    assert refused.status == 503 and int(refused.headers["Retry-After"]) > 0, refused.body
    assert refused.body["status"] == "error" and refused.body["errors"] == []
    assert await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order) == "antes"
    command_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{planner.id}\0{key['Idempotency-Key']}")
    stored = await plant.row(
        "SELECT status, http_status FROM command_log WHERE id = :id", id=command_id
    )
    assert tuple(stored) == ("error", 503)
    connection = await aio_pika.connect(quick.amqp_url)
    try:
        channel = await connection.channel()
        dead = await channel.get_queue(Names(quick.amqp_namespace)("ordenes.invalidos"))
        assert await dead.get(no_ack=True, fail=False) is None
    finally:
        await connection.close()

    # The lock is gone: the same key runs the command (a 503 is not a final answer), once.
    retried = await planner.post(f"/ot/{order}/actualizar/", {"notes": "después"}, headers=key)
    assert retried.status == 200, retried.body
    again = await planner.post(f"/ot/{order}/actualizar/", {"notes": "después"}, headers=key)
    assert again.status == 200 and again.body == retried.body
    assert await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order) == "después"
    lines = await plant.scalar(
        "SELECT count(*) FROM work_order_events WHERE work_order_id = :id AND event = 'notas'",
        id=order,
    )
    assert lines == 1


async def test_a_read_held_up_by_a_lock_answers_503(
    settings: Settings, plant: Plant, gateway_for: Any
) -> None:
    quick = settings.model_copy(update={"db_lock_timeout_s": 0.5})
    planner, _ = await gateway_for(quick)
    order = await plant.work_order()
    async with plant.db.connect() as holder:
        await holder.begin()
        await holder.execute(text("LOCK TABLE work_orders IN ACCESS EXCLUSIVE MODE"))
        held = await planner.get(f"/ot/{order}/")
        await holder.rollback()
    assert held.status == 503 and int(held.headers["Retry-After"]) > 0, held.body
    assert held.body["status"] == "error"
    assert (await planner.get(f"/ot/{order}/")).status == 200
