"""The generation SQL computes due dates in PostgreSQL; they must be the Python rule's, over many
random programs, in one forecast query (far in the future, so no other test generates them)."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.domain.due_dates import due_dates_between
from shared.enums import FrequencyUnit
from shared.generation import Forecast, ForecastKey, Horizon, forecast
from tests.api import Plant
from tests.e2e.program_helpers import routine

TODAY = date(2100, 3, 15)
UNTIL = date(2101, 8, 31)
CASES = 400


async def _paged(db: AsyncEngine, horizon: Horizon) -> list[Forecast]:
    """The whole forecast read page by page from each page's last key."""
    items: list[Forecast] = []
    after: ForecastKey | None = None
    while True:
        async with db.connect() as conn:
            page = (await forecast(conn, horizon, "UTC", after=after, limit=997)).items
        items += page
        if len(page) < 997:
            return items
        after = (page[-1].date, page[-1].program_id, page[-1].asset_ids[0])


def _start(rng: random.Random) -> date:
    # Month ends are where the rules can differ: ask for them often.
    year, month = rng.randint(2096, 2101), rng.randint(1, 12)
    day = rng.choice([1, 15, 28, 29, 30, 31, rng.randint(1, 31)])
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


async def test_sql_due_dates_agree_with_the_python_rule(plant: Plant, db: AsyncEngine) -> None:
    rng = random.Random(20261127)
    cases = [
        (_start(rng), rng.choice([1, 1, 2, 3, 5, 7, 12]), rng.choice(list(FrequencyUnit)))
        for _ in range(CASES)
    ]
    routine_id = await routine(plant)
    program_ids = await plant.scalar(
        """
        WITH freqs AS (
            INSERT INTO frequencies (name, interval, unit)
            SELECT DISTINCT 'sql-check ' || i || ' ' || u, i, u
              FROM unnest(CAST(:intervals AS integer[]), CAST(:units AS text[])) AS c(i, u)
            ON CONFLICT (name) DO UPDATE SET interval = EXCLUDED.interval
            RETURNING id, interval, unit
        ), made AS (
            INSERT INTO programs (routine_id, start_date, frequency_id)
            SELECT :routine, c.s, f.id
              FROM unnest(CAST(:starts AS date[]), CAST(:intervals AS integer[]),
                          CAST(:units AS text[])) WITH ORDINALITY AS c(s, i, u, n)
              JOIN freqs f ON f.interval = c.i AND f.unit = c.u
             ORDER BY c.n
            RETURNING id
        ), assets AS (
            INSERT INTO program_assets (program_id, asset_id) SELECT id, :asset FROM made
        )
        SELECT array_agg(id ORDER BY id) FROM made
        """,
        routine=routine_id,
        asset=plant.assets[0],
        starts=[c[0] for c in cases],
        intervals=[c[1] for c in cases],
        units=[c[2].value for c in cases],
    )
    try:
        async with db.connect() as conn:
            whole = await forecast(conn, Horizon(TODAY, UNTIL, program_ids), "UTC")
        planned, total = whole.items, whole.total
        by_program: dict[int, list[date]] = {}
        for item in planned:
            by_program.setdefault(item.program_id, []).append(item.date)
        checked = 0
        for program_id, (start, interval, unit) in zip(program_ids, cases, strict=True):
            expected = due_dates_between(start, interval, unit, max(start, TODAY), UNTIL)
            assert by_program.get(program_id, []) == expected, (start, interval, unit)
            checked += len(expected)
        assert checked > 5_000  # many dates, month ends among them
        assert total == len(planned)
        assert await _paged(db, Horizon(TODAY, UNTIL, program_ids)) == planned
    finally:
        await plant.scalar("DELETE FROM programs WHERE id = ANY(:ids) RETURNING 1", ids=program_ids)
