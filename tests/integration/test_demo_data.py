"""The demo data loads into a freshly migrated database, set-wise, consistently, reproducibly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from shared.demo import DemoLogin, database_is_empty, load_demo_data
from shared.enums import OrderTrigger, Role
from shared.generation import Horizon, forecast
from tests.statements import statements_sent, writes

SERVER = "postgresql://postgres@127.0.0.1:5432"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
TODAY = date(2026, 3, 16)


@asynccontextmanager
async def fresh_database() -> AsyncIterator[AsyncEngine]:
    """A new, migrated database, dropped on exit."""
    name = f"demo_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    engine: AsyncEngine | None = None
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        cfg = Config(str(ALEMBIC_INI))
        cfg.set_main_option("sqlalchemy.url", url)
        await asyncio.to_thread(command.upgrade, cfg, "head")  # env.py calls asyncio.run
        engine = create_async_engine(url)
        yield engine
    finally:
        if engine is not None:
            await engine.dispose()
        admin = await asyncpg.connect(f"{SERVER}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def load(engine: AsyncEngine, seed: int = 7) -> tuple[list[DemoLogin], list[str]]:
    """Load in one transaction; returns the logins and every write statement sent."""
    with statements_sent(engine, writes) as sent:
        async with AsyncSession(engine) as session, session.begin():
            assert await database_is_empty(session)
            logins = await load_demo_data(session, seed=seed, today=TODAY)
            assert not await database_is_empty(session)
            # Nothing was committed behind the caller's back.
            async with engine.connect() as other:
                assert await other.scalar(text("SELECT count(*) FROM assets")) == 0
    return logins, sent


async def scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql))


async def test_demo_data_is_complete_and_consistent() -> None:
    async with fresh_database() as engine:
        logins, writes = await load(engine)
        async with AsyncSession(engine) as session:
            assert not await database_is_empty(session)

        # A constant number of write statements, not one per row.
        assert len(writes) <= 30, len(writes)

        # Every role can log in with its documented password.
        assert {login.role for login in logins} == set(Role)
        async with engine.connect() as conn:
            stored = dict(
                (
                    await conn.execute(
                        text("SELECT username, password_hash FROM users WHERE active")
                    )
                ).all()
            )
        for login in logins:
            assert PasswordHasher().verify(stored[login.username], login.password)
        assert {"admin", "planificador", "solicitante", "tecnico1", "tecnico4"} <= set(stored)

        # A plant -> areas -> lines tree; assets hang from lines only.
        assert await scalar(engine, "SELECT count(*) FROM locations WHERE parent_id IS NULL") == 1
        areas = await scalar(
            engine,
            """SELECT count(*) FROM locations l JOIN locations p
                                        ON p.id = l.parent_id WHERE p.parent_id IS NULL""",
        )
        assert 4 <= areas <= 6
        assert await scalar(
            engine,
            """SELECT bool_and(n BETWEEN 2 AND 4) FROM (SELECT count(c.id)
            AS n FROM locations p JOIN locations a ON a.parent_id = p.id AND p.parent_id IS NULL
            LEFT JOIN locations c ON c.parent_id = a.id GROUP BY a.id) t""",
        )
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM assets a
            JOIN locations l ON l.id = a.location_id WHERE l.code !~ '^PLT-01-[A-Z]+-L[0-9]$'""",
            )
            == 0
        )

        # Hundreds of assets with plant-style codes.
        assert 250 <= await scalar(engine, "SELECT count(*) FROM assets") <= 350
        assert (
            await scalar(engine, "SELECT count(*) FROM assets WHERE code !~ '^[A-Z]+-\\d{2,3}$'")
            == 0
        )

        # Routines of 4-10 steps; measurements carry a unit and a range.
        routines = await scalar(engine, "SELECT count(*) FROM routines")
        assert 20 <= routines <= 30
        assert await scalar(
            engine,
            """SELECT bool_and(n BETWEEN 4 AND 10) FROM (SELECT count(*)
            AS n FROM routine_steps GROUP BY routine_id) t""",
        )
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM routine_steps WHERE kind = 'MEDICION'
            AND (unit IS NULL OR min_value IS NULL OR max_value <= min_value)""",
            )
            == 0
        )
        assert (
            await scalar(engine, "SELECT count(DISTINCT routine_id) FROM routine_steps") == routines
        )

        # Programs: 1-5 assets, each of a category that admits the routine's maintenance type.
        assert 25 <= await scalar(engine, "SELECT count(*) FROM programs") <= 35
        assert await scalar(
            engine,
            """SELECT bool_and(n BETWEEN 1 AND 5) FROM (SELECT count(*)
            AS n FROM program_assets GROUP BY program_id) t""",
        )
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM program_assets pa
            JOIN programs p ON p.id = pa.program_id JOIN routines r ON r.id = p.routine_id
            JOIN assets a ON a.id = pa.asset_id
            LEFT JOIN category_maintenance_types cmt ON cmt.category_id = a.category_id
                AND cmt.maintenance_type_id = r.maintenance_type_id
            WHERE cmt.category_id IS NULL OR NOT a.active""",
            )
            == 0
        )

        # Work orders: database codes, a realistic status mix, consistent dates.
        orders = await scalar(engine, "SELECT count(*) FROM work_orders")
        assert 120 <= orders <= 180
        assert (
            await scalar(
                engine, "SELECT count(*) FROM work_orders WHERE code !~ '^OT-\\d{4}-\\d{6}$'"
            )
            == 0
        )
        assert await scalar(engine, "SELECT count(DISTINCT status) FROM work_orders") == 4
        assert (
            await scalar(engine, "SELECT count(*) FROM work_orders WHERE type = 'CORRECTIVA'") >= 3
        )
        assert (
            await scalar(
                engine,
                f"""SELECT count(*) FROM work_orders WHERE
            (status = 'COMPLETADA' AND (actual_start IS NULL OR actual_end IS NULL))
            OR (status IN ('PENDIENTE', 'CANCELADA') AND actual_start IS NOT NULL)
            OR (status = 'COMPLETADA' AND due_date > '{TODAY}')""",
            )
            == 0
        )

        # Generated orders: assets, the program's technician and routine, its steps copied,
        # the routine's duration, and one generation row per (program, asset, due date).
        assert (
            await scalar(
                engine,
                f"""SELECT count(*) FROM work_orders wo
            JOIN programs p ON p.id = wo.program_id JOIN routines r ON r.id = wo.routine_id
            WHERE wo.type <> 'PREVENTIVA' OR wo.routine_id <> p.routine_id OR wo.due_date IS NULL
               OR wo.technician_id IS DISTINCT FROM p.technician_id
               OR wo.due_date < DATE '{TODAY}' - 30 OR wo.due_date > DATE '{TODAY}' + 30
               OR wo.scheduled_end - wo.scheduled_start
                  <> make_interval(mins => r.estimated_duration_min)
               OR NOT EXISTS (SELECT 1 FROM work_order_assets x WHERE x.work_order_id = wo.id)
               OR (SELECT array_agg(s.kind || s.description ORDER BY s.position)
                   FROM work_order_steps s WHERE s.work_order_id = wo.id)
                  IS DISTINCT FROM (SELECT array_agg(s.kind || s.description ORDER BY s.position)
                   FROM routine_steps s WHERE s.routine_id = wo.routine_id)""",
            )
            == 0
        )
        assert (
            await scalar(engine, "SELECT count(*) FROM work_orders WHERE program_id IS NOT NULL")
            >= 100
        )
        assert await scalar(
            engine,
            """SELECT count(*) FROM work_orders wo
            JOIN work_order_assets x ON x.work_order_id = wo.id WHERE wo.program_id IS NOT NULL""",
        ) == await scalar(
            engine,
            """SELECT count(*) FROM program_generations g
            JOIN work_orders wo ON wo.id = g.work_order_id AND wo.program_id = g.program_id
                AND wo.due_date = g.due_date
            JOIN work_order_assets x ON x.work_order_id = wo.id AND x.asset_id = g.asset_id""",
        )
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM work_orders wo WHERE 1 <> (SELECT count(*)
            FROM work_order_events e WHERE e.work_order_id = wo.id AND e.event = 'creacion')""",
            )
            == 0
        )

        # Notices from people and one from an external system, which keeps its own id.
        assert (
            await scalar(
                engine, "SELECT count(*) FROM avisos WHERE source = 'APP' AND author_id IS NOT NULL"
            )
            >= 3
        )
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM avisos
            WHERE source = 'scada-1' AND external_id IS NOT NULL""",
            )
            == 1
        )
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM avisos a JOIN work_orders wo
            ON wo.id = a.work_order_id AND wo.aviso_id = a.id""",
            )
            >= 1
        )


async def test_demo_meters_readings_program_and_alarm() -> None:
    async with fresh_database() as engine:
        await load(engine)

        # Hour counters and indicators with alarm limits, each with weeks of readings up to
        # the story's morning.
        assert await scalar(
            engine, "SELECT count(*) FROM meters WHERE kind = 'CONTADOR' AND unit = 'h'"
        ) in range(4, 11)
        assert await scalar(
            engine,
            """SELECT count(*) FROM meters WHERE kind = 'INDICADOR'
            AND (alarm_low IS NOT NULL OR alarm_high IS NOT NULL)""",
        ) in range(4, 11)
        assert await scalar(
            engine,
            f"""SELECT bool_and(n >= 100 AND last - first >= interval '21 days'
                               AND last <= TIMESTAMPTZ '{TODAY} 07:00+00')
            FROM (SELECT count(*) AS n, min(taken_at) AS first, max(taken_at) AS last
                  FROM meters m JOIN meter_readings r ON r.meter_id = m.id GROUP BY m.id) t""",
        )

        # Each meter's last reading is its latest one, as the service keeps it.
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM meters m
            JOIN LATERAL (SELECT taken_at, value, usage FROM meter_readings r
                          WHERE r.meter_id = m.id ORDER BY taken_at DESC LIMIT 1) l ON TRUE
            WHERE (m.last_taken_at, m.last_value) IS DISTINCT FROM (l.taken_at, l.value)
               OR m.last_usage IS DISTINCT FROM l.usage""",
            )
            == 0
        )

        # A counter's usage is its first value plus each increment, a reset counting its whole
        # value; it never goes back otherwise. Indicators have no usage.
        usage_rule = """SELECT count(*) FILTER (WHERE usage IS DISTINCT FROM expected
                                                    OR value < previous AND NOT reset),
                               count(*) FILTER (WHERE reset)
            FROM (SELECT *, sum(CASE WHEN previous IS NULL OR reset THEN value
                                     ELSE value - previous END)
                                OVER (PARTITION BY meter_id ORDER BY taken_at) AS expected
                  FROM (SELECT r.meter_id, r.taken_at, r.usage, r.value, r.reset,
                               lag(r.value) OVER (PARTITION BY r.meter_id ORDER BY r.taken_at)
                                   AS previous
                        FROM meter_readings r JOIN meters m ON m.id = r.meter_id
                        WHERE m.kind = 'CONTADOR') steps) t"""
        async with engine.connect() as conn:
            wrong, resets = (await conn.execute(text(usage_rule))).one()
        assert (wrong, resets) == (0, 1)
        assert (
            await scalar(
                engine,
                """SELECT count(*) FROM meter_readings r JOIN meters m ON m.id = r.meter_id
            WHERE m.kind = 'INDICADOR' AND r.usage IS NOT NULL""",
            )
            == 0
        )

        # One program by use, over assets that each have exactly one active hour counter; none
        # has reached its due point yet (the service would have made its order), and the
        # forecast predicts each one's order by use.
        async with engine.connect() as conn:
            program, interval, lead, unit = (
                await conn.execute(
                    text(
                        """SELECT id, meter_interval, meter_lead, meter_unit FROM programs
                        WHERE basis = 'MEDIDOR'"""
                    )
                )
            ).one()
            assets = (
                await conn.scalars(
                    text("SELECT asset_id FROM program_assets WHERE program_id = :p"),
                    {"p": program},
                )
            ).all()
            counters = (
                await conn.execute(
                    text(
                        """SELECT asset_id, count(*) FROM meters WHERE active
                        AND kind = 'CONTADOR' AND unit = :unit GROUP BY asset_id"""
                    ),
                    {"unit": unit},
                )
            ).all()
            page = await forecast(
                conn, Horizon(TODAY, TODAY + timedelta(days=90), program_ids=[program]), "UTC"
            )
        assert (interval, lead, unit) == (500, 50, "h")
        assert len(assets) >= 2
        assert {a: n for a, n in counters if a in assets} == dict.fromkeys(assets, 1)
        assert page.generable == 0
        assert sorted(a for item in page.items for a in item.asset_ids) == sorted(assets)
        assert all(
            item.trigger == OrderTrigger.MEDIDOR and item.date > TODAY for item in page.items
        )
        assert (
            await scalar(engine, f"SELECT count(*) FROM work_orders WHERE program_id = {program}")
            == 0
        )

        # One alarm: the indicator whose last reading is past a limit has the open notice its
        # first such reading opened, on its asset; no other reading was ever past a limit.
        out_of_range = """SELECT r.meter_id, r.taken_at FROM meter_readings r
            JOIN meters m ON m.id = r.meter_id
            WHERE m.kind = 'INDICADOR' AND (r.value > m.alarm_high OR r.value < m.alarm_low)"""
        async with engine.connect() as conn:
            past_limit = (await conn.execute(text(out_of_range))).all()
            notices = (
                await conn.execute(
                    text(
                        """SELECT a.meter_id, a.reported_at, a.status, a.priority,
                               a.asset_id = m.asset_id, a.title LIKE '%' || m.code || '%',
                               m.last_value > m.alarm_high OR m.last_value < m.alarm_low
                        FROM avisos a JOIN meters m ON m.id = a.meter_id
                        WHERE a.source = 'MEDIDOR'"""
                    )
                )
            ).all()
        assert len(past_limit) >= 1
        first = min(past_limit, key=lambda row: row[1])
        assert {meter for meter, _ in past_limit} == {first[0]}
        assert [tuple(n) for n in notices] == [
            (first[0], first[1], "ABIERTO", "ALTA", True, True, True)
        ]
        assert await scalar(engine, "SELECT count(*) FROM avisos WHERE meter_id IS NOT NULL") == 1


async def test_same_seed_gives_the_same_plant() -> None:
    snapshot = """SELECT json_build_object(
        'assets', (SELECT json_agg(json_build_array(code, name) ORDER BY id) FROM assets),
        'locations', (SELECT json_agg(code ORDER BY id) FROM locations),
        'steps', (SELECT json_agg(description ORDER BY id) FROM routine_steps),
        'orders', (SELECT json_agg(json_build_array(title, status, scheduled_start) ORDER BY id)
                   FROM work_orders),
        'readings', (SELECT json_agg(json_build_array(m.code, r.taken_at, r.value, r.usage)
                                     ORDER BY m.code, r.taken_at)
                     FROM meter_readings r JOIN meters m ON m.id = r.meter_id))::text"""
    async with fresh_database() as first, fresh_database() as second:
        await load(first, seed=11)
        await load(second, seed=11)
        assert await scalar(first, snapshot) == await scalar(second, snapshot)
        async with first.connect() as conn:
            codes = (await conn.scalars(text("SELECT code FROM assets ORDER BY code"))).all()
        async with second.connect() as conn:
            assert (
                codes == (await conn.scalars(text("SELECT code FROM assets ORDER BY code"))).all()
            )
