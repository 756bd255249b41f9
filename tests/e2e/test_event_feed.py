"""The event feed: every outbox event exactly once, resumable with X-Cursor, and never skipping an
event whose transaction took its id early and committed late."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.messages import events
from tests.api import Api, Plant
from tests.e2e.notification_helpers import WAIT_S, emit

# Events nobody is notified of: the feed tests write them without side effects.
_INSERT = text(
    "INSERT INTO outbox (type, data) VALUES ('ot.eliminadas', CAST(:data AS jsonb)) RETURNING id"
)


def _deleted(marker: int) -> events.OrdersDeleted:
    return events.OrdersDeleted(work_order_ids=[marker], deleted_by=None)


async def _insert(conn: AsyncConnection, marker: int) -> int:
    row = await conn.execute(_INSERT, {"data": _deleted(marker).model_dump_json()})
    return int(row.scalar_one())


async def _page(api: Api, cursor: str | None, limit: int = 500) -> tuple[list[Any], str]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    response = await api.get("/eventos/", **params)
    assert response.status == 200, response.body
    return response.body, response.headers["X-Cursor"]


async def _end(api: Api) -> str:
    """The cursor after every event served so far."""
    cursor = None
    while True:
        page, cursor = await _page(api, cursor)
        if not page:
            return cursor


async def _collect(api: Api, cursor: str, ids: set[int]) -> tuple[list[int], str]:
    """Follow the feed from `cursor` until every id of `ids` was served; every id served."""
    served: list[int] = []
    for _ in range(int(WAIT_S / 0.05)):
        page, cursor = await _page(api, cursor)
        served += [event["id"] for event in page]
        if ids <= set(served):
            return served, cursor
        if not page:
            await asyncio.sleep(0.05)
    raise AssertionError(f"the feed never served {sorted(ids - set(served))}")


async def test_events_in_order_resumable_with_the_cursor(
    plant: Plant, planner: Api, admin: Api
) -> None:
    start = await _end(planner)
    ids = [await emit(plant, _deleted(marker)) for marker in range(5)]
    served, _ = await _collect(planner, start, set(ids))
    assert [i for i in served if i in ids] == ids  # one transaction after the other

    first, cursor = await _page(admin, start, limit=2)
    assert [event["id"] for event in first] == served[:2]
    assert first[0] == {
        "id": ids[0],
        "at": first[0]["at"],
        "type": "ot.eliminadas",
        "data": {"work_order_ids": [0], "deleted_by": None},
    }
    response = await admin.get("/eventos/", cursor=start, limit=2)
    assert 'rel="next"' in response.headers["Link"]
    rest, _ = await _collect(admin, cursor, set(ids[2:]))
    assert rest[: len(served) - 2] == served[2:]  # resumed exactly after the second

    # An empty page keeps the position: its X-Cursor resumes at the same place.
    end = await _end(planner)
    page, again = await _page(planner, end)
    assert page == [] and again == end
    late = await emit(plant, _deleted(99))
    served, _ = await _collect(planner, again, {late})
    assert late in served


async def test_a_late_commit_is_served_after_the_events_that_overtook_it(
    plant: Plant, planner: Api
) -> None:
    start = await _end(planner)
    async with plant.db.connect() as first, plant.db.connect() as second:
        early = await first.begin()
        early_id = await _insert(first, 1)  # takes its id first...
        async with second.begin():
            overtaking = await _insert(second, 2)  # ...this one commits first
        assert overtaking > early_id
        # Not served while the earlier transaction is open: it would sort before it.
        page, cursor = await _page(planner, start)
        assert overtaking not in {event["id"] for event in page}
        await early.commit()
    served, _ = await _collect(planner, cursor, {early_id, overtaking})
    assert [i for i in served if i in (early_id, overtaking)] == [early_id, overtaking]


async def test_an_older_transaction_with_a_newer_id_is_not_skipped(
    plant: Plant, planner: Api
) -> None:
    """The case that breaks a feed of "ids after the cursor": the transaction that started first
    takes the larger id and commits first; the one holding the smaller id commits later."""
    start = await _end(planner)
    async with plant.db.connect() as older, plant.db.connect() as younger:
        older_tx = await older.begin()
        await older.execute(text("SELECT pg_current_xact_id()"))  # starts writing first
        younger_tx = await younger.begin()
        small = await _insert(younger, 3)
        large = await _insert(older, 4)
        await older_tx.commit()
        assert small < large
        served, cursor = await _collect(planner, start, {large})
        assert small not in served
        await younger_tx.commit()
    after, _ = await _collect(planner, cursor, {small})
    assert served.count(large) + after.count(large) == 1
    assert after.count(small) == 1


async def test_the_feed_is_for_planners_and_admins(plant: Plant) -> None:
    for role, status in {
        "ADMIN": 200,
        "PLANIFICADOR": 200,
        "TECNICO": 403,
        "SOLICITANTE": 403,
    }.items():
        response = await plant.api[role].get("/eventos/", limit=1)
        assert response.status == status, role
        if status == 403:
            assert response.body["status"] == "error"


async def test_an_unreadable_cursor_or_limit_is_422(planner: Api) -> None:
    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJhIiwxXQ"},  # ["a", 1]: a key of another shape
        {"limit": 0},
        {"limit": 501},
    ):
        response = await planner.get("/eventos/", **params)
        assert response.status == 422, params
        assert response.body["errors"][0]["loc"][0] == "query"
