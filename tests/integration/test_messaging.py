"""The command path's reliability: redelivery, late replies (202), poison messages, and a
broker or database that goes away and comes back."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
from yarl import URL

from gateway import schemas
from shared.messages import Reply
from shared.messaging.topology import COMMANDS, Names, declare_topology
from shared.settings import Settings
from tests.api import Api, Plant, wait_ready
from tests.metrics import Scrape, scrape
from tests.proxy import TcpProxy
from workers.runner import Worker


def failures(metrics: Scrape, check: str) -> float:
    """Readiness probes the gateway has counted as failed on `check`."""
    return metrics.value("mantenimiento_readiness_failures_total", check=check)


async def order_state(plant: Plant, order: int) -> tuple[str, int, int]:
    notes = await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order)
    version = await plant.scalar("SELECT version FROM work_orders WHERE id = :id", id=order)
    lines = await plant.scalar(
        "SELECT count(*) FROM work_order_events WHERE work_order_id = :id", id=order
    )
    return notes, version, lines


async def test_a_command_delivered_twice_is_applied_once(
    settings: Settings, plant: Plant, planner: Api
) -> None:
    order = await plant.work_order()
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    replies = await channel.declare_queue(exclusive=True)
    exchange = await channel.get_exchange(Names(settings.amqp_namespace)(COMMANDS))
    message = aio_pika.Message(
        f'{{"work_order_id": {order}, "notes": "una sola vez"}}'.encode(),
        message_id=str(uuid.uuid4()),
        type="ot.actualizar",
        correlation_id="c",
        reply_to=replies.name,
        content_type="application/json",
        headers={"x-user-id": str(planner.id), "x-user-role": "PLANIFICADOR"},
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
    await exchange.publish(message, "ot.actualizar")
    await exchange.publish(message, "ot.actualizar")
    answers = []
    async with replies.iterator() as messages:
        async for incoming in messages:
            answers.append(Reply.model_validate_json(incoming.body))
            await incoming.ack()
            if len(answers) == 2:
                break
    await connection.close()
    assert answers[0] == answers[1] and answers[0].http_status == 200
    assert await order_state(plant, order) == ("una sola vez", 2, 1)


async def test_late_reply_answers_202_and_completes_when_the_worker_returns(
    own_namespace: Settings, plant: Plant, gateway_for, worker_for
) -> None:  # type: ignore[no-untyped-def]
    # No worker consumes the test's own namespace until the test starts one.
    api, _ = await gateway_for(own_namespace.model_copy(update={"command_timeout_s": 0.5}))
    order = await plant.work_order()
    response = await api.post(f"/ot/{order}/actualizar/", {"notes": "más tarde"})
    assert response.status == 202, response.body
    command_id = response.body["command_id"]
    assert response.body["status"] == "accepted"
    schemas.Accepted.model_validate(response.body)
    assert response.headers["Location"] == f"/mantenimiento/comandos/{command_id}/"
    pending = await api.get(f"/comandos/{command_id}/")
    assert pending.body == {"status": "pending", "http_status": 202, "result": None}
    schemas.CommandOutcome.model_validate(pending.body)
    assert (await order_state(plant, order))[0] == ""

    await worker_for(own_namespace)
    for _ in range(100):
        done = await api.get(f"/comandos/{command_id}/")
        if done.body["status"] != "pending":
            break
        await asyncio.sleep(0.1)
    assert done.body["status"] == "success" and done.body["http_status"] == 200
    schemas.CommandOutcome.model_validate(done.body)
    assert done.body["result"]["message"] == "Orden actualizada"
    assert (await order_state(plant, order))[0] == "más tarde"
    # Someone else may not see it.
    other = plant.api["TECNICO"]
    assert (await other.get(f"/comandos/{command_id}/")).status == 404


async def test_unknown_command_id_is_404(planner: Api) -> None:
    assert (await planner.get(f"/comandos/{uuid.uuid4()}/")).status == 404
    assert (await planner.get("/comandos/not-a-uuid/")).status == 404


async def test_a_message_without_sender_is_dead_lettered(
    settings: Settings, worker: Worker
) -> None:
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    topology = await declare_topology(channel, settings)
    message_id = str(uuid.uuid4())
    await topology.exchanges[COMMANDS].publish(
        aio_pika.Message(b'{"work_order_id": 1}', message_id=message_id, type="ot.actualizar"),
        "ot.actualizar",
    )
    dead = await channel.get_queue(Names(settings.amqp_namespace)("ordenes.invalidos"))
    found = None
    for _ in range(50):
        found = await dead.get(no_ack=True, fail=False)
        if found is not None and found.message_id == message_id:
            break
        await asyncio.sleep(0.1)
    await connection.close()
    assert found is not None and found.message_id == message_id


async def test_broker_down_is_503_quickly_and_the_gateway_recovers(
    settings: Settings, plant: Plant, gateway_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(settings.amqp_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5672)
    await proxy.start()
    proxied = settings.model_copy(update={"amqp_url": str(url.with_port(proxy.port))})
    api, _ = await gateway_for(proxied)
    await wait_ready(api)
    order = await plant.work_order()
    assert (await api.post(f"/ot/{order}/actualizar/", {"notes": "antes"})).status == 200

    before = await scrape(api.http)
    await proxy.cut()
    await wait_ready(api, expected=503)
    # Each probe that found the broker gone is counted, under its check only.
    after = await scrape(api.http)
    assert failures(after, "broker") > failures(before, "broker")
    assert failures(after, "database") == failures(before, "database")
    started = time.perf_counter()
    down = await api.post(f"/ot/{order}/actualizar/", {"notes": "durante"})
    assert down.status == 503 and down.headers["Retry-After"]
    assert time.perf_counter() - started < 1.0
    assert (await api.get(f"/ot/{order}/")).status == 200  # reads go on

    await proxy.restore()
    await wait_ready(api)
    back = await api.post(f"/ot/{order}/actualizar/", {"notes": "después"})
    assert back.status == 200, back.body
    assert (await order_state(plant, order))[0] == "después"
    await proxy.cut()


async def test_database_down_is_503_and_the_gateway_recovers(
    settings: Settings, plant: Plant, gateway_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = settings.model_copy(
        update={"database_url": str(url.with_port(proxy.port)), "db_connect_timeout_s": 1.0}
    )
    api, _ = await gateway_for(proxied)
    order = await plant.work_order()
    assert (await api.get(f"/ot/{order}/")).status == 200

    await proxy.cut()
    started = time.perf_counter()
    for _ in range(2):  # the first request may find a dead pooled connection
        down = await api.get(f"/ot/{order}/")
        assert down.status == 503, down.body
        assert down.body["status"] == "error" and down.headers["Retry-After"]
    assert time.perf_counter() - started < 5.0
    before = await scrape(api.http)
    assert (await api.get("/health/ready/")).status == 503
    after = await scrape(api.http)
    assert failures(after, "database") == failures(before, "database") + 1

    await proxy.restore()
    for _ in range(20):
        response = await api.get(f"/ot/{order}/")
        if response.status == 200:
            break
        await asyncio.sleep(0.1)
    assert response.status == 200
    await proxy.cut()


async def test_nul_characters_are_refused_before_the_database(plant: Plant, planner: Api) -> None:
    order = await plant.work_order()
    response = await planner.post(f"/ot/{order}/actualizar/", {"notes": "a\u0000b"})
    assert response.status == 422
    assert (await planner.get("/ot/", q="a\x00b")).status == 422
