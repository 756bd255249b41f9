"""The retention purge on the real database: what is past its retention goes, in batches of one
statement each; what is younger, unsent, pending or unread stays; two purges at once delete each
row once; the scheduler purges when it starts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import create_engine
from shared.migrate import upgrade
from shared.settings import Settings
from tests.api import Plant
from workers.retention import keep_reading_partitions, purge
from workers.scheduler import Scheduler

WAIT_S = 10.0


async def _run(plant: Plant, sql: str, **params: Any) -> None:
    async with plant.db.begin() as conn:
        await conn.execute(text(sql), params)


async def _outbox(plant: Plant, count: int, *, relayed_days_ago: int | None) -> list[int]:
    """`count` events, relayed that many days ago (None: not relayed yet), created 40 days ago."""
    ids = await plant.scalar(
        "WITH made AS (INSERT INTO outbox (type, data) SELECT 'ot.eliminadas',"
        ' \'{"work_order_ids": [], "deleted_by": null}\' FROM generate_series(1, :count)'
        " RETURNING id) SELECT array_agg(id ORDER BY id) FROM made",
        count=count,
    )
    await _run(
        plant,
        "UPDATE outbox SET created_at = now() - interval '40 days',"
        " published_at = now() - make_interval(days => CAST(:days AS integer))"
        " WHERE id = ANY(:ids)",
        days=relayed_days_ago,
        ids=ids,
    )
    return list(ids)


async def _commands(plant: Plant, count: int, *, finished_days_ago: int | None) -> list[uuid.UUID]:
    """`count` command-log rows, finished that many days ago (None: still `pending`), created a
    year ago."""
    ids = [uuid.uuid4() for _ in range(count)]
    pending = finished_days_ago is None
    await _run(
        plant,
        "INSERT INTO command_log (id, kind, status, http_status, result)"
        " SELECT unnest(CAST(:ids AS uuid[])), 'ot.actualizar', :status, :http_status,"
        " CAST(:result AS jsonb)",
        ids=ids,
        status="pending" if pending else "success",
        http_status=None if pending else 200,
        result=None if pending else '{"status": "success"}',
    )
    await _run(
        plant,
        "UPDATE command_log SET created_at = now() - interval '365 days',"
        " finished_at = now() - make_interval(days => CAST(:days AS integer))"
        " WHERE id = ANY(CAST(:ids AS uuid[]))",
        days=finished_days_ago,
        ids=ids,
    )
    return ids


async def _notifications(plant: Plant, count: int, *, read: bool, days_ago: int) -> list[int]:
    user = plant.api["TECNICO"].id
    ids = await plant.scalar(
        "WITH made AS (INSERT INTO notifications (user_id, kind, title, message, read)"
        " SELECT :user, 'OT_ASIGNADA', 'Orden', 'asignada', :read FROM generate_series(1, :count)"
        " RETURNING id) SELECT array_agg(id ORDER BY id) FROM made",
        user=user,
        read=read,
        count=count,
    )
    await _run(
        plant,
        "UPDATE notifications SET created_at = now() - make_interval(days => :days)"
        " WHERE id = ANY(:ids)",
        days=days_ago,
        ids=ids,
    )
    return list(ids)


async def _left(plant: Plant, table: str, ids: list[Any]) -> int:
    cast = "uuid[]" if table == "command_log" else "bigint[]"
    return int(
        await plant.scalar(
            f"SELECT count(*) FROM {table} WHERE id = ANY(CAST(:ids AS {cast}))", ids=ids
        )
    )


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_what_is_past_its_retention_goes_and_nothing_else(
    plant: Plant, settings: Settings
) -> None:
    old_events = await _outbox(plant, 2, relayed_days_ago=8)
    young_events = await _outbox(plant, 2, relayed_days_ago=6)
    unsent = await _outbox(plant, 2, relayed_days_ago=None)
    old_commands = await _commands(plant, 2, finished_days_ago=31)
    young_commands = await _commands(plant, 2, finished_days_ago=29)
    pending = await _commands(plant, 2, finished_days_ago=None)
    old_read = await _notifications(plant, 2, read=True, days_ago=181)
    young_read = await _notifications(plant, 2, read=True, days_ago=179)
    old_unread = await _notifications(plant, 2, read=False, days_ago=1000)

    counts = await purge(plant.db, settings, datetime.now(UTC))

    assert counts == {"outbox": 2, "command_log": 2, "notifications": 2}
    assert await _left(plant, "outbox", old_events) == 0
    assert await _left(plant, "outbox", young_events + unsent) == 4
    assert await _left(plant, "command_log", old_commands) == 0
    assert await _left(plant, "command_log", young_commands + pending) == 4
    assert await _left(plant, "notifications", old_read) == 0
    assert await _left(plant, "notifications", young_read + old_unread) == 4
    # The retention is the setting's, not a constant.
    longer = settings.model_copy(
        update={"outbox_retention_days": 5, "notification_retention_days": 178}
    )
    again = await purge(plant.db, longer, datetime.now(UTC))
    assert again == {"outbox": 2, "command_log": 0, "notifications": 2}
    assert await _left(plant, "outbox", young_events) == 0


async def test_more_rows_than_a_batch_go_one_statement_per_batch(
    plant: Plant, settings: Settings
) -> None:
    small = settings.model_copy(update={"retention_batch": 4})
    engine = create_engine(small, pool_size=1)
    try:
        await purge(engine, small, datetime.now(UTC))  # whatever earlier tests left
        for rows in (3, 10):
            events = await _outbox(plant, rows, relayed_days_ago=8)
            commands = await _commands(plant, rows + 1, finished_days_ago=31)
            notes = await _notifications(plant, rows + 2, read=True, days_ago=200)
            with counting(engine) as statements:
                counts = await purge(engine, small, datetime.now(UTC))
            assert counts == {"outbox": rows, "command_log": rows + 1, "notifications": rows + 2}
            # A table of n rows takes n // batch full batches and one short one: one DELETE
            # each, however many rows.
            batches = sum(n // 4 + 1 for n in counts.values())
            assert len(statements) == batches, statements
            assert all(s.lstrip().startswith("DELETE") for s in statements)
            assert await _left(plant, "outbox", events) == 0
            assert await _left(plant, "command_log", commands) == 0
            assert await _left(plant, "notifications", notes) == 0
    finally:
        await engine.dispose()


async def test_two_purges_at_once_delete_every_row_once(plant: Plant, settings: Settings) -> None:
    small = settings.model_copy(update={"retention_batch": 3})
    await purge(plant.db, small, datetime.now(UTC))
    events = await _outbox(plant, 40, relayed_days_ago=10)
    engines = [create_engine(small, pool_size=1) for _ in range(2)]
    try:
        first, second = await asyncio.gather(
            *(purge(engine, small, datetime.now(UTC)) for engine in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert first["outbox"] + second["outbox"] == 40
    assert await _left(plant, "outbox", events) == 0


async def test_the_scheduler_purges_when_it_starts(plant: Plant, own_namespace: Settings) -> None:
    events = await _outbox(plant, 3, relayed_days_ago=8)
    scheduler = Scheduler(own_namespace, plant.db)
    scheduler.start()
    try:
        for _ in range(int(WAIT_S / 0.05)):
            if await _left(plant, "outbox", events) == 0:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the scheduler never purged the old events")
    finally:
        await scheduler.stop()


async def test_a_failed_purge_is_logged_and_leaves_the_scheduler_running(
    own_namespace: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = own_namespace.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    )
    engine = create_engine(unreachable, pool_size=1)
    scheduler = Scheduler(unreachable, engine)
    scheduler.start()
    try:
        for _ in range(int(WAIT_S / 0.05)):
            if any("retention purge" in record.getMessage() for record in caplog.records):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the failed purge was not logged")
        assert scheduler.running
    finally:
        await scheduler.stop()
        await engine.dispose()


async def test_readings_partitions_are_made_ahead_and_dropped_whole_past_the_retention(
    empty_database: str, settings: Settings
) -> None:
    await asyncio.to_thread(upgrade, empty_database)
    own = settings.model_copy(
        update={"database_url": empty_database, "readings_retention_days": 60}
    )
    engine = create_engine(own, pool_size=1)
    try:
        async with engine.begin() as conn:
            meter = (
                await conn.execute(
                    text(
                        "WITH l AS (INSERT INTO locations (code, name) VALUES ('P', 'P')"
                        " RETURNING id), c AS (INSERT INTO asset_categories (name)"
                        " VALUES ('C') RETURNING id), a AS (INSERT INTO assets (code, name,"
                        " location_id, category_id) SELECT 'A', 'A', l.id, c.id FROM l, c"
                        " RETURNING id) INSERT INTO meters (code, name, asset_id, unit, kind)"
                        " SELECT 'M', 'M', id, 'h', 'CONTADOR' FROM a RETURNING id"
                    )
                )
            ).scalar_one()
            old = datetime.now(UTC) - timedelta(days=200)
            await conn.execute(
                text("INSERT INTO meter_readings (meter_id, taken_at, value) VALUES (:m, :t, 1)"),
                {"m": meter, "t": old},
            )
        # A year on: the months ahead exist, those wholly older than 60 days are gone.
        later = datetime.now(UTC) + timedelta(days=365)
        made, dropped = await keep_reading_partitions(engine, own, later)
        months = await _partition_months(engine)
        assert made >= 4 and dropped > 0
        assert months[0] <= (later - timedelta(days=60)).replace(day=1).date()
        assert months[0] >= (later - timedelta(days=60 + 31)).date()
        assert months[-1] >= (later + timedelta(days=60)).replace(day=1).date()
        async with engine.connect() as conn:
            left = await conn.scalar(text("SELECT count(*) FROM meter_readings"))
        assert left == 0  # its partition went whole
        # Again: nothing to make or drop.
        assert await keep_reading_partitions(engine, own, later) == (0, 0)
    finally:
        await engine.dispose()


async def _partition_months(engine: AsyncEngine) -> list[date]:
    async with engine.connect() as conn:
        names = (
            await conn.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'meter_readings'::regclass ORDER BY 1"
                )
            )
        ).scalars()
        return [datetime.strptime(name[-7:], "%Y_%m").date() for name in names]
