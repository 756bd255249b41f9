"""Retention as a client sees it: an Idempotency-Key is honoured for COMMAND_LOG_RETENTION_DAYS,
and the event feed says how far back it reaches and when a cursor has missed deleted events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from gateway.commands import IDEMPOTENCY_NAMESPACE
from gateway.pagination import encode_cursor
from shared.messages import events
from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.notification_helpers import emit
from workers.retention import purge


async def _run(plant: Plant, sql: str, **params: Any) -> None:
    async with plant.db.begin() as conn:
        await conn.execute(text(sql), params)


async def test_an_idempotency_key_is_honoured_until_its_command_is_purged(
    plant: Plant, planner: Api, settings: Settings
) -> None:
    order = await plant.work_order()
    key = uuid.uuid4().hex
    command_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{planner.id}\0{key}")

    async def once() -> None:
        answer = await planner.post(
            f"/ot/{order}/actualizar/", {"notes": "una vez"}, headers={"Idempotency-Key": key}
        )
        assert answer.status == 200, answer.body

    async def notes() -> str:
        return str(await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order))

    await once()
    retention = settings.command_log_retention_days
    for days, replayed in ((retention - 1, True), (retention + 1, False)):
        # Someone else changes the notes; then the key's request comes again.
        other = await planner.post(f"/ot/{order}/actualizar/", {"notes": "otra"})
        assert other.status == 200, other.body
        await _run(
            plant,
            "UPDATE command_log SET finished_at = now() - make_interval(days => :days)"
            " WHERE id = :id",
            days=days,
            id=command_id,
        )
        await purge(plant.db, settings, datetime.now(UTC))
        await once()
        # A replay answers the stored result and changes nothing; once purged, it runs anew.
        assert await notes() == ("otra" if replayed else "una vez"), days


def _deleted(marker: int) -> events.OrdersDeleted:
    return events.OrdersDeleted(work_order_ids=[marker], deleted_by=None)


async def _feed(api: Api, position: tuple[int, int]) -> Any:
    response = await api.get("/eventos/", cursor=encode_cursor(position), limit=1)
    assert response.status == 200, response.body
    return response.headers


async def test_the_feed_says_how_far_back_it_reaches_and_what_a_cursor_missed(
    plant: Plant, planner: Api, settings: Settings
) -> None:
    ids = [await emit(plant, _deleted(marker)) for marker in range(3)]
    positions = {
        row.id: (row.xact_id, row.id)
        for row in await plant.rows("SELECT xact_id, id FROM outbox WHERE id = ANY(:ids)", ids=ids)
    }
    first, second, kept = (positions[i] for i in ids)
    before_first = (first[0], first[1] - 1)
    assert (await _feed(planner, before_first))["X-Feed-Missed"] == "false"

    # The first two were relayed long ago, and are purged; the third stays.
    await _run(
        plant,
        "UPDATE outbox SET published_at = now() - interval '8 days' WHERE id = ANY(:ids)",
        ids=ids[:2],
    )
    await purge(plant.db, settings, datetime.now(UTC))
    assert len(await plant.rows("SELECT id FROM outbox WHERE id = ANY(:ids)", ids=ids)) == 1

    for cursor, missed in ((before_first, "true"), (first, "true"), (second, "false")):
        headers = await _feed(planner, cursor)
        assert headers["X-Feed-Missed"] == missed, cursor
    assert (await _feed(planner, kept))["X-Feed-Missed"] == "false"

    headers = await _feed(planner, second)
    assert headers["X-Feed-Retention-Days"] == str(settings.outbox_retention_days) == "7"
    (oldest,) = await plant.rows("SELECT id, created_at FROM outbox ORDER BY xact_id, id LIMIT 1")
    event_id, at = (part.split("=", 1)[1] for part in headers["X-Feed-Oldest"].split("; "))
    assert int(event_id) == oldest.id and int(event_id) not in ids[:2]
    assert datetime.fromisoformat(at) == oldest.created_at


async def test_the_feed_headers_are_documented(planner: Api) -> None:
    document = (await planner.get("/openapi.json")).body
    feed = document["paths"]["/mantenimiento/eventos/"]["get"]
    names = {"X-Cursor", "X-Feed-Retention-Days", "X-Feed-Oldest", "X-Feed-Missed"}
    assert names <= set(feed["responses"]["200"]["headers"])
    assert all(f"`{name}`" in feed["description"] for name in names)
