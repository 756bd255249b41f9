"""Workers reconnect and resume: a broker or database outage delays commands, loses none; and a
worker told to stop finishes the command in hand."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from yarl import URL

from shared.settings import Settings
from tests.api import Plant
from tests.proxy import TcpProxy


async def _notes(plant: Plant, order: int) -> str:
    return str(await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order))


async def _eventually(plant: Plant, order: int, expected: str) -> None:
    for _ in range(150):
        if await _notes(plant, order) == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order} never got notes {expected!r}")


async def _accepted_then_done_after_outage(
    own_namespace: Settings, plant: Plant, gateway_for, proxy: TcpProxy, pause: float
) -> None:  # type: ignore[no-untyped-def]
    """A command sent while the proxy is cut is accepted (202) and done once it is restored."""
    api, _ = await gateway_for(own_namespace.model_copy(update={"command_timeout_s": 0.5}))
    order = await plant.work_order()
    await proxy.cut()
    try:
        response = await api.post(f"/ot/{order}/actualizar/", {"notes": "tras el corte"})
        assert response.status == 202, response.body
        await asyncio.sleep(pause)
        assert await _notes(plant, order) == ""
        await proxy.restore()
        await _eventually(plant, order, "tras el corte")
        done = await api.get(response.headers["Location"])
        assert done.body["status"] == "success"
    finally:
        await proxy.cut()


async def test_worker_resumes_after_the_broker_returns(
    own_namespace: Settings, plant: Plant, gateway_for, worker_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(own_namespace.amqp_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5672)
    await proxy.start()
    await worker_for(own_namespace.model_copy(update={"amqp_url": str(url.with_port(proxy.port))}))
    await _accepted_then_done_after_outage(own_namespace, plant, gateway_for, proxy, pause=0.5)


async def test_worker_retries_through_a_database_outage(
    own_namespace: Settings, plant: Plant, gateway_for, worker_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(own_namespace.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    await worker_for(
        own_namespace.model_copy(
            update={"database_url": str(url.with_port(proxy.port)), "db_connect_timeout_s": 1.0}
        )
    )
    # Long enough for at least one failed attempt, short of the delivery limit.
    await _accepted_then_done_after_outage(own_namespace, plant, gateway_for, proxy, pause=1.0)


async def test_stopping_finishes_the_command_in_hand(
    own_namespace: Settings, plant: Plant, gateway_for, worker_for
) -> None:  # type: ignore[no-untyped-def]
    worker = await worker_for(own_namespace)
    api, _ = await gateway_for(own_namespace)
    order = await plant.work_order()
    async with plant.db.connect() as conn:
        # Hold the order's row: the worker's handler waits on it, mid-command.
        await conn.execute(
            text("SELECT 1 FROM work_orders WHERE id = :id FOR UPDATE"), {"id": order}
        )
        request = asyncio.create_task(api.post(f"/ot/{order}/actualizar/", {"notes": "en mano"}))
        for _ in range(100):
            if worker.busy:
                break
            await asyncio.sleep(0.02)
        assert worker.busy
        stopping = asyncio.create_task(worker.stop())
        await asyncio.sleep(0.3)
        assert not stopping.done()  # it waits for the message in hand
        await conn.rollback()
    await asyncio.wait_for(stopping, 10)
    response = await request
    assert response.status == 200, response.body
    assert await _notes(plant, order) == "en mano"
