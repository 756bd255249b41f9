"""Notices from external systems over AMQP, through a real worker of the `avisos` group: one
notice per (source, external_id), invalid messages dead-lettered with their reason, and a
database outage retried rather than dead-lettered."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aio_pika
import orjson
from prometheus_client import REGISTRY
from yarl import URL

from shared.messaging.topology import Names
from shared.settings import Settings
from shared.tools.publish_aviso import publish
from tests.api import Plant
from tests.inbound import take_set_aside
from tests.proxy import TcpProxy


def _message(**fields: Any) -> dict[str, Any]:
    return {
        "source": "scada-1",
        "external_id": f"A-{uuid.uuid4().hex[:8]}",
        "asset_code": "BOMBA-02",
        "title": "Vibración alta",
        "description": "RMS 9,1 mm/s",
        "priority": "ALTA",
        "reported_at": "2031-02-03T04:05:06+00:00",
    } | fields


def _handled(outcome: str) -> float:
    """The worker's count of external notices by outcome (it runs in this process)."""
    value = REGISTRY.get_sample_value("mantenimiento_external_notices_total", {"outcome": outcome})
    return value or 0.0


async def _notices(plant: Plant, external_id: str) -> int:
    return int(
        await plant.scalar("SELECT count(*) FROM avisos WHERE external_id = :e", e=external_id)
    )


async def _eventually_one(plant: Plant, external_id: str) -> None:
    for _ in range(200):
        if await _notices(plant, external_id) == 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no notice for {external_id}")


async def _dead_letter_count(settings: Settings) -> int:
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            Names(settings.amqp_namespace)("avisos.invalidos"), passive=True
        )
        return int(queue.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def test_a_notice_delivered_twice_is_created_once(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    await worker_for(own_namespace, ("avisos",))
    message = _message()
    body = orjson.dumps(message)
    await publish(own_namespace, body)
    await _eventually_one(plant, message["external_id"])
    duplicates = _handled("duplicate")
    await publish(own_namespace, body)
    for _ in range(200):
        if _handled("duplicate") > duplicates:
            break
        await asyncio.sleep(0.05)
    assert _handled("duplicate") == duplicates + 1
    assert await _notices(plant, message["external_id"]) == 1
    notice = await plant.scalar(
        "SELECT json_build_object('source', n.source, 'asset', a.code, 'priority', n.priority,"
        " 'status', n.status, 'author', n.author_id, 'reported_at', n.reported_at,"
        " 'title', n.title, 'description', n.description, 'id', n.id)"
        " FROM avisos n JOIN assets a ON a.id = n.asset_id WHERE n.external_id = :e",
        e=message["external_id"],
    )
    assert {k: v for k, v in notice.items() if k not in ("id", "reported_at")} == {
        "source": "scada-1",
        "asset": "BOMBA-02",
        "priority": "ALTA",
        "status": "ABIERTO",
        "author": None,
        "title": "Vibración alta",
        "description": "RMS 9,1 mm/s",
    }
    assert notice["reported_at"].startswith("2031-02-03T04:05:06")
    created = await plant.scalar(
        "SELECT json_agg(data) FROM outbox WHERE type = 'aviso.creado'"
        " AND (data->>'aviso_id')::int = :id",
        id=notice["id"],
    )
    assert created == [
        {
            "aviso_id": notice["id"],
            "asset_id": plant.assets[1],
            "source": "scada-1",
            "author_id": None,
            "origin_work_order_id": None,
        }
    ]
    assert await _dead_letter_count(own_namespace) == 0


async def test_the_same_external_id_from_another_source_is_another_notice(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    await worker_for(own_namespace, ("avisos",))
    first = _message()
    await publish(own_namespace, orjson.dumps(first))
    await publish(own_namespace, orjson.dumps(first | {"source": "scada-2"}))
    for _ in range(200):
        if await _notices(plant, first["external_id"]) == 2:
            break
        await asyncio.sleep(0.05)
    assert await _notices(plant, first["external_id"]) == 2


async def test_invalid_messages_are_dead_lettered_with_their_reason(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    await worker_for(own_namespace, ("avisos",))
    unknown_asset = _message(asset_code="NO-EXISTE")
    wrong_schema = _message(priority="CRITICA")
    missing = {k: v for k, v in _message().items() if k != "title"}
    bodies = {
        b"{not json": "invalid message",
        orjson.dumps(wrong_schema): "priority",
        orjson.dumps(missing): "title",
        orjson.dumps(unknown_asset): "unknown asset code 'NO-EXISTE'",
        orjson.dumps([1, 2]): "invalid message",
        orjson.dumps(_message(title="nul \x00")): "NUL",
    }
    before = await plant.scalar("SELECT count(*) FROM avisos")
    events_before = await plant.scalar("SELECT count(*) FROM outbox WHERE type = 'aviso.creado'")
    for index, body in enumerate(bodies):
        await publish(own_namespace, body, message_id=f"bad-{index}")
    dead = await take_set_aside(own_namespace, "avisos.invalidos", len(bodies))
    by_body = {message.body: message for message in dead}
    assert by_body.keys() == bodies.keys()
    for index, (body, reason) in enumerate(bodies.items()):
        letter = by_body[body]
        assert reason in str(letter.headers["x-error"]), (body, letter.headers)
        # A copy of the original: same body and properties.
        assert letter.message_id == f"bad-{index}"
        assert letter.content_type == "application/json"
        assert letter.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert await plant.scalar("SELECT count(*) FROM avisos") == before
    assert (
        await plant.scalar("SELECT count(*) FROM outbox WHERE type = 'aviso.creado'")
        == events_before
    )
    # The originals were acked: nothing is left to redeliver.
    await asyncio.sleep(0.3)
    assert await _dead_letter_count(own_namespace) == 0


async def test_a_database_outage_is_retried_not_dead_lettered(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    url = URL(own_namespace.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    # A low delivery limit: a retry through redelivery would soon dead-letter the message.
    flaky = own_namespace.model_copy(
        update={
            "database_url": str(url.with_port(proxy.port)),
            "db_connect_timeout_s": 1.0,
            "delivery_limit": 2,
        }
    )
    await worker_for(flaky, ("avisos",))
    message = _message()
    await proxy.cut()
    try:
        await publish(own_namespace, orjson.dumps(message))
        await asyncio.sleep(3.0)  # several failed attempts
        assert await _notices(plant, message["external_id"]) == 0
        assert await _dead_letter_count(own_namespace) == 0
        await proxy.restore()
        await _eventually_one(plant, message["external_id"])
        assert await _dead_letter_count(own_namespace) == 0
    finally:
        await proxy.cut()
