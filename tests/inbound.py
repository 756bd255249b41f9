"""What the inbound consumers (notices, readings) set aside: the copies in a group's queue of
invalid messages, as a test takes them."""

from __future__ import annotations

import asyncio

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.messaging.topology import Names
from shared.settings import Settings

POLL_S = 0.05
POLLS = 300


async def take_set_aside(
    settings: Settings, queue: str, expected: int
) -> list[AbstractIncomingMessage]:
    """Take `expected` messages from `<ns>.<queue>` (waiting for them), and check that no more
    follow."""
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.get_queue(Names(settings.amqp_namespace)(queue))
        taken: list[AbstractIncomingMessage] = []
        for _ in range(POLLS):
            got = await declared.get(no_ack=True, fail=False)
            if got is not None:
                taken.append(got)
                if len(taken) == expected:
                    await asyncio.sleep(0.2)
                    assert await declared.get(no_ack=True, fail=False) is None, "more than expected"
                    return taken
            else:
                await asyncio.sleep(POLL_S)
        raise AssertionError(f"only {len(taken)} of {expected} set-aside messages in {queue}")
    finally:
        await connection.close()
