"""Helpers of the notification tests: events written to the real outbox (the relay publishes
them, the notifications worker fans them out), and polling for what they produced."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientWebSocketResponse
from sqlalchemy import text

from shared.messages.events import DomainEvent
from tests.api import Api, Plant

WAIT_S = 30.0


async def emit(plant: Plant, event: DomainEvent) -> int:
    """Write `event` to the outbox, as a command would; its outbox id is the event id."""
    event_id = await plant.scalar(
        "INSERT INTO outbox (type, data) VALUES (:type, CAST(:data AS jsonb)) RETURNING id",
        type=event.type,
        data=event.model_dump_json(),
    )
    return int(event_id)


async def rows_of(plant: Plant, event_id: int) -> list[dict[str, Any]]:
    rows = await plant.rows(
        "SELECT user_id, kind, title, message, work_order_id, aviso_id FROM notifications"
        " WHERE event_id = :id ORDER BY user_id",
        id=event_id,
    )
    return [dict(row._mapping) for row in rows]


async def notified(plant: Plant, event_id: int) -> list[dict[str, Any]]:
    """The notifications of an event, once the worker has written them (all in one statement,
    so the first row seen means all are there)."""
    for _ in range(int(WAIT_S / 0.05)):
        rows = await rows_of(plant, event_id)
        if rows:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"event {event_id} produced no notification")


async def aviso(plant: Plant, author: Api, title: str = "Fuga de aceite") -> tuple[int, str]:
    """A notice filed by `author` on the plant's first asset: (id, code)."""
    async with plant.db.begin() as conn:
        row = (
            await conn.execute(
                text(
                    "INSERT INTO avisos (asset_id, title, priority, author_id)"
                    " VALUES (:asset, :title, 'ALTA', :author) RETURNING id, code"
                ),
                {"asset": plant.assets[0], "title": title, "author": author.id},
            )
        ).one()
    return row.id, row.code


async def next_frame(socket: ClientWebSocketResponse) -> dict[str, Any]:
    """The next JSON text frame a notification socket receives."""
    data: dict[str, Any] = await socket.receive_json(timeout=WAIT_S)
    return data
