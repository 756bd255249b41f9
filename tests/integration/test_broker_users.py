"""An external system's broker user publishes notices and readings and can do nothing else: the
commands exchange and every queue refuse it with ACCESS_REFUSED. Made with the real `rabbitmqctl`
through `mantenimiento broker-user`, against the broker the tests use."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import aiormq
import pytest

from shared.messaging.topology import AVISOS, COMMANDS, LECTURAS, Names
from shared.settings import Settings

pytestmark = pytest.mark.skipif(
    shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl beside the broker"
)


@pytest.fixture(scope="module")
async def publisher_url(settings: Settings) -> AsyncIterator[str]:
    username, password = f"ext-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    made = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "shared.cli",
            "broker-user",
            "--username",
            username,
            "--password",
            password,
        ],
        env={
            "AMQP_URL": settings.amqp_url,
            "AMQP_NAMESPACE": settings.amqp_namespace,
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        },
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    url = urlsplit(settings.amqp_url)
    host = url.netloc.rpartition("@")[2]
    yield urlunsplit(url._replace(netloc=f"{username}:{password}@{host}"))
    await asyncio.to_thread(
        subprocess.run, ["rabbitmqctl", "delete_user", username], capture_output=True
    )


@pytest.mark.parametrize(
    ("inbound", "routing_key"), [(AVISOS, "aviso.externo"), (LECTURAS, "lectura.externa")]
)
async def test_an_external_publisher_may_publish_notices_and_readings(
    settings: Settings, publisher_url: str, worker: object, inbound: str, routing_key: str
) -> None:
    connection = await aio_pika.connect(publisher_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(Names(settings.amqp_namespace)(inbound))
        confirmed = await exchange.publish(
            aio_pika.Message(b"{}", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key,
            timeout=10,
        )
        assert isinstance(confirmed, aiormq.spec.Basic.Ack)
    finally:
        await connection.close()


async def _refusal(publisher_url: str, settings: Settings, action: str) -> Exception:
    """What closes the channel when the publisher tries `action`."""
    names = Names(settings.amqp_namespace)
    connection = await aio_pika.connect(publisher_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        try:
            if action == "publish a command":
                exchange = await channel.get_exchange(names(COMMANDS))
                await exchange.publish(aio_pika.Message(b"{}"), "ot.eliminar", timeout=10)
            elif action == "declare the commands exchange":
                await channel.declare_exchange(
                    names(COMMANDS), aio_pika.ExchangeType.DIRECT, durable=True
                )
            else:
                queue = await channel.get_queue(names(action))
                await queue.get(fail=False)
        except aiormq.exceptions.ChannelClosed as closed:
            return closed
        raise AssertionError(f"the publisher could {action}")
    finally:
        await connection.close()


@pytest.mark.parametrize(
    "action",
    [
        "publish a command",
        "declare the commands exchange",
        "ordenes",
        "generacion",
        "notificaciones",
        "avisos.externos",
        "avisos.invalidos",
        "lecturas.externas",
        "lecturas.invalidos",
    ],
)
async def test_an_external_publisher_is_refused_everything_else(
    settings: Settings, publisher_url: str, worker: object, action: str
) -> None:
    refusal = await _refusal(publisher_url, settings, action)
    assert isinstance(refusal, aiormq.exceptions.ChannelAccessRefused), refusal
    assert "ACCESS_REFUSED" in str(refusal)
