"""Work-order generation from programs, as set-based SQL shared by the forecast (gateway) and the
generation commands (workers): the forecast is exactly the groups a generation would create.

Rules (README, "Programs and generation"):
- FIJA: the due dates `start_date + k × interval` (see `shared.domain.due_dates`) from
  max(start_date, today) to `until`. Due dates already past are not generated (a program started
  years ago does not flood the plan); a planner can still generate one with `generar-ot`.
- ULTIMA_EJECUCION: per asset, one interval after the `actual_end` (plant date) of the program's
  last completed order with that asset, or `start_date` without one, and never before today; no
  order while the asset has an open (PENDIENTE/EN_PROGRESO) order of the program.
- MEDIDOR (by use, and by date too with a frequency): see `shared.generation_by_use`.
- Dedup key (program, asset, due date), or (program, asset, cycle) by use, in
  `program_generations`: a key with a row is never generated again by a batch. Its unique
  index, not a Python check, settles concurrent runs.
- One order per asset and due date with `one_order_per_asset`, else one per due date.

Every run is one statement whatever the number of programs and orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.enums import OrderTrigger, ProgramBasis, WorkOrderStatus, WorkOrderType
from shared.generation_by_use import BY_USE


def _month_index(column: str) -> str:
    return f"(extract(year FROM {column}) * 12 + extract(month FROM {column}))::integer"


# The programs of a run with their step in days or months (one of the two is 0; no step on a
# program by use alone), the first date they may generate, and the span of k to try, in the
# step's unit (a superset, filtered below). `:meter_ids` (or NULL) narrows them to the programs
# by use over those meters' assets (a batch of readings generates only what it made due).
_PROGRAMS = f"""
run_programs AS (
    SELECT p.id, p.start_date, p.one_order_per_asset, p.basis, s.step_days, s.step_months,
           CASE WHEN f.id IS NOT NULL
                THEN make_interval(months => s.step_months, days => s.step_days) END AS step,
           greatest(p.start_date, CAST(:today AS date)) AS lower,
           p.meter_interval, p.meter_unit, p.meter_lead
      FROM programs p
      LEFT JOIN frequencies f ON f.id = p.frequency_id
     CROSS JOIN LATERAL (
           SELECT CASE f.unit WHEN 'DIA' THEN f.interval WHEN 'SEMANA' THEN 7 * f.interval
                  ELSE 0 END AS step_days,
                  CASE f.unit WHEN 'MES' THEN f.interval WHEN 'ANIO' THEN 12 * f.interval
                  ELSE 0 END AS step_months) s
     WHERE p.active
       AND (CAST(:program_ids AS integer[]) IS NULL
            OR p.id = ANY(CAST(:program_ids AS integer[])))
       AND (CAST(:meter_ids AS integer[]) IS NULL
            OR p.basis = '{ProgramBasis.MEDIDOR}'
               AND p.id IN (SELECT pa.program_id FROM meters m
                              JOIN program_assets pa ON pa.asset_id = m.asset_id
                             WHERE m.id = ANY(CAST(:meter_ids AS integer[]))))
), spans AS (
    SELECT rp.*,
           CASE WHEN step_days > 0 THEN (lower - start_date) / step_days
                ELSE ({_month_index("lower")} - {_month_index("start_date")}) / step_months
           END AS k_low,
           CASE WHEN step_days > 0 THEN (CAST(:until AS date) - start_date) / step_days
                ELSE ({_month_index("CAST(:until AS date)")} - {_month_index("start_date")})
                     / step_months
           END AS k_high
      FROM run_programs rp
     WHERE rp.basis = '{ProgramBasis.FIJA}'
), fixed_dates AS (
    SELECT s.id AS program_id, s.one_order_per_asset, d.due_date
      FROM spans s
     CROSS JOIN LATERAL generate_series(greatest(s.k_low, 0), s.k_high) AS k
     CROSS JOIN LATERAL (SELECT CAST(s.start_date + k * s.step AS date) AS due_date) d
     WHERE d.due_date >= s.lower AND d.due_date <= CAST(:until AS date)
), since_last AS (
    -- The assets of the programs that count from their last completion (on the last-execution
    -- basis, and by use) without an open order of the program: when that completion was.
    SELECT rp.*, pa.asset_id, last.finished
      FROM run_programs rp
      JOIN program_assets pa ON pa.program_id = rp.id
      LEFT JOIN LATERAL (
           SELECT max(w.actual_end) AS finished
             FROM work_orders w
             JOIN work_order_assets wa ON wa.work_order_id = w.id AND wa.asset_id = pa.asset_id
            WHERE w.program_id = rp.id AND w.status = '{WorkOrderStatus.COMPLETADA}') last ON TRUE
     WHERE rp.basis IN ('{ProgramBasis.ULTIMA_EJECUCION}', '{ProgramBasis.MEDIDOR}')
       AND NOT EXISTS (
           SELECT 1 FROM work_orders w
             JOIN work_order_assets wa ON wa.work_order_id = w.id AND wa.asset_id = pa.asset_id
            WHERE w.program_id = rp.id
              AND w.status IN ('{WorkOrderStatus.PENDIENTE}', '{WorkOrderStatus.EN_PROGRESO}'))
), after_last AS (
    SELECT id AS program_id, asset_id, one_order_per_asset,
           greatest(lower, CAST(CAST(finished AT TIME ZONE :tz AS date) + step AS date))
               AS due_date
      FROM since_last
     WHERE basis = '{ProgramBasis.ULTIMA_EJECUCION}'
){BY_USE}, candidates AS (
    -- Per asset: its key (a due date, or a cycle by use), the day its order is for, why, and
    -- whether a generation up to `until` makes it now (the forecast also shows predictions).
    SELECT f.program_id, pa.asset_id, f.due_date, CAST(NULL AS integer) AS cycle,
           f.due_date AS day, '{OrderTrigger.FECHA}' AS trigger,
           CAST(NULL AS numeric) AS due_usage, f.one_order_per_asset, TRUE AS generable
      FROM fixed_dates f JOIN program_assets pa ON pa.program_id = f.program_id
    UNION ALL
    SELECT program_id, asset_id, due_date, NULL, due_date, '{OrderTrigger.FECHA}', NULL,
           one_order_per_asset, TRUE
      FROM after_last WHERE due_date <= CAST(:until AS date)
    UNION ALL
    SELECT program_id, asset_id, due_date, cycle, day, trigger, due_usage, one_order_per_asset,
           generable
      FROM use_candidates
), due AS (
    -- group_asset: the asset of a one-order-per-asset group, else 0 (one group per day).
    SELECT c.*, CASE WHEN c.one_order_per_asset THEN c.asset_id ELSE 0 END AS group_asset
      FROM candidates c
     WHERE NOT EXISTS (SELECT 1 FROM program_generations g
                        WHERE g.program_id = c.program_id AND g.asset_id = c.asset_id
                          AND g.due_date IS NOT DISTINCT FROM c.due_date
                          AND g.cycle IS NOT DISTINCT FROM c.cycle)
)
"""

# One program's order for a date and assets, ignoring `one_order_per_asset` (`generar-ot`).
_ONE_ORDER = f"""
due AS (
    SELECT CAST(:program_id AS integer) AS program_id, a.asset_id,
           CAST(:due_date AS date) AS due_date, CAST(NULL AS integer) AS cycle,
           CAST(:due_date AS date) AS day, '{OrderTrigger.FECHA}' AS trigger,
           CAST(NULL AS numeric) AS due_usage, 0 AS group_asset, TRUE AS generable
      FROM unnest(CAST(:asset_ids AS integer[])) AS a(asset_id)
)
"""

# One page of the groups the forecast lists, in generation's order, after the cursor key
# (day, program, first asset: unique, as one group per key holds its first asset), how many
# there are in all and how many a generation would make now (a row even for an empty page).
_FORECAST = text(
    f"WITH {_PROGRAMS}"
    ", grouped AS ("
    " SELECT program_id, day, trigger, due_usage, bool_and(generable) AS generable,"
    " array_agg(asset_id ORDER BY asset_id) AS asset_ids, min(asset_id) AS first_asset"
    " FROM due GROUP BY program_id, day, group_asset, trigger, due_usage)"
    " SELECT total.n AS total, total.generable AS generable_total, page.*"
    " FROM (SELECT count(*) AS n, count(*) FILTER (WHERE generable) AS generable"
    " FROM grouped) total"
    " LEFT JOIN LATERAL (SELECT program_id, day, asset_ids, trigger, due_usage FROM grouped"
    " WHERE CAST(:after_date AS date) IS NULL OR (day, program_id, first_asset)"
    " > (CAST(:after_date AS date), CAST(:after_program AS integer),"
    " CAST(:after_asset AS integer))"
    " ORDER BY day, program_id, first_asset LIMIT :limit) page ON TRUE"
)

# Claims the keys first (their primary key decides between concurrent runs; rows are claimed in
# key order, so two runs wait for each other instead of deadlocking) with the order id drawn for
# each group, then writes the orders of the claimed keys, their assets, a copy of the routine's
# steps, and a history line. A key whose order was deleted (work_order_id NULL) is claimed again:
# a batch never sees such keys (`due` excludes every existing key), `generar-ot` may reuse them.
_WRITE = """
, groups AS (
    SELECT program_id, day, group_asset, min(trigger) AS trigger, min(due_usage) AS due_usage,
           nextval('work_orders_id_seq') AS work_order_id
      FROM due WHERE generable GROUP BY program_id, day, group_asset
), claimed AS (
    INSERT INTO program_generations (program_id, asset_id, due_date, cycle, work_order_id)
    SELECT d.program_id, d.asset_id, d.due_date, d.cycle, g.work_order_id
      FROM due d
      JOIN groups g ON g.program_id = d.program_id AND g.day = d.day
                   AND g.group_asset = d.group_asset
     WHERE d.generable
     ORDER BY d.program_id, d.asset_id, d.due_date, d.cycle
    ON CONFLICT (program_id, asset_id, due_date, cycle) DO UPDATE
       SET work_order_id = EXCLUDED.work_order_id
       WHERE program_generations.work_order_id IS NULL
    RETURNING program_id, asset_id, work_order_id
), claimed_orders AS (
    SELECT c.work_order_id, c.program_id, g.day, g.trigger, g.due_usage, count(*) AS assets,
           min(c.asset_id) AS first_asset,
           (g.day + CAST(:start_time AS time)) AT TIME ZONE :tz AS starts
      FROM claimed c JOIN groups g ON g.work_order_id = c.work_order_id
     GROUP BY c.work_order_id, c.program_id, g.day, g.trigger, g.due_usage
), orders AS (
    INSERT INTO work_orders (id, type, status, title, scheduled_start, scheduled_end,
                             technician_id, routine_id, program_id, due_date, trigger, due_usage)
    SELECT c.work_order_id, :type, :status,
           r.name || ' - ' || CASE WHEN c.assets = 1 THEN a.code ELSE c.assets || ' equipos' END,
           c.starts, c.starts + r.estimated_duration_min * interval '1 minute',
           p.technician_id, p.routine_id, p.id, c.day, c.trigger, c.due_usage
      FROM claimed_orders c
      JOIN programs p ON p.id = c.program_id
      JOIN routines r ON r.id = p.routine_id
      JOIN assets a ON a.id = c.first_asset
     ORDER BY c.day, c.program_id, c.work_order_id
    RETURNING id, technician_id, routine_id
), order_assets AS (
    INSERT INTO work_order_assets (work_order_id, asset_id)
    SELECT work_order_id, asset_id FROM claimed
), steps AS (
    INSERT INTO work_order_steps (work_order_id, position, description, kind, unit, min_value,
                                  max_value)
    SELECT o.id, s.position, s.description, s.kind, s.unit, s.min_value, s.max_value
      FROM orders o JOIN routine_steps s ON s.routine_id = o.routine_id
), history AS (
    INSERT INTO work_order_events (work_order_id, user_id, event, data)
    SELECT id, CAST(:user_id AS integer), 'creacion', CAST(:created AS jsonb) FROM orders
)
SELECT technician_id, array_agg(id ORDER BY id) AS work_order_ids,
       (SELECT count(*) FROM claimed) AS claimed
  FROM orders GROUP BY technician_id
"""

_GENERATE = text(f"WITH {_PROGRAMS}{_WRITE}")
_GENERATE_ONE = text(f"WITH {_ONE_ORDER}{_WRITE}")
_CREATED = orjson.dumps(
    {"type": WorkOrderType.PREVENTIVA, "status": WorkOrderStatus.PENDIENTE}
).decode()


@dataclass(frozen=True)
class Horizon:
    """Which programs (None: all active ones; `meter_ids`: only the programs by use of those
    meters) generate up to when, seen from which day."""

    today: date
    until: date
    program_ids: list[int] | None = None
    meter_ids: list[int] | None = None


@dataclass(frozen=True)
class Forecast:
    program_id: int
    date: date
    asset_ids: list[int]
    trigger: OrderTrigger
    # The usage at which the cycle is due (programs by use), else None.
    due_usage: Decimal | None


@dataclass(frozen=True)
class ForecastPage:
    items: list[Forecast]
    # How many the forecast lists in all, and how many a generation would make now (the rest
    # are predictions of programs by use).
    total: int
    generable: int


@dataclass(frozen=True)
class Generated:
    """The orders made, by technician (None: orders without one), and how many keys claimed."""

    by_technician: dict[int | None, list[int]]
    claimed: int

    @property
    def work_order_ids(self) -> list[int]:
        return sorted(i for ids in self.by_technician.values() for i in ids)


@dataclass(frozen=True)
class Placement:
    """Where generated orders go in time: the plant's zone and local start time."""

    tz: str
    start_time: time


def _horizon_params(horizon: Horizon, tz: str) -> dict[str, Any]:
    return {
        "today": horizon.today,
        "until": horizon.until,
        "program_ids": horizon.program_ids,
        "meter_ids": horizon.meter_ids,
        "tz": tz,
    }


# A forecast item's place in generation's order: (date, program id, first asset id).
ForecastKey = tuple[date, int, int]


async def forecast(
    conn: AsyncConnection | AsyncSession,
    horizon: Horizon,
    tz: str,
    *,
    after: ForecastKey | None = None,
    limit: int | None = None,
) -> ForecastPage:
    """The orders a generation over `horizon` would create now, and the next of each asset of
    a program by use predicted on or before `until`, by day: those after the key `after`, at
    most `limit` (None: all)."""
    first_date, program_id, asset_id = after or (None, None, None)
    params = _horizon_params(horizon, tz) | {
        "after_date": first_date,
        "after_program": program_id,
        "after_asset": asset_id,
        "limit": limit,
    }
    rows = (await conn.execute(_FORECAST, params)).all()
    items = [
        Forecast(
            row.program_id, row.day, list(row.asset_ids), OrderTrigger(row.trigger), row.due_usage
        )
        for row in rows
        if row.program_id is not None
    ]
    return ForecastPage(items, int(rows[0].total), int(rows[0].generable_total))


def _write_params(placement: Placement, user_id: int | None) -> dict[str, Any]:
    return {
        "tz": placement.tz,
        "start_time": placement.start_time,
        "user_id": user_id,
        "type": WorkOrderType.PREVENTIVA.value,
        "status": WorkOrderStatus.PENDIENTE.value,
        "created": _CREATED,
    }


def _generated(rows: Any) -> Generated:
    by_technician: dict[int | None, list[int]] = {}
    claimed = 0
    for row in rows:
        by_technician[row.technician_id] = list(row.work_order_ids)
        claimed = int(row.claimed)
    return Generated(by_technician, claimed)


async def generate(
    session: AsyncSession, horizon: Horizon, placement: Placement, user_id: int | None
) -> Generated:
    """Create every due order of `horizon` that has not been generated yet."""
    params = _horizon_params(horizon, placement.tz) | _write_params(placement, user_id)
    return _generated(await session.execute(_GENERATE, params))


async def generate_one(
    session: AsyncSession,
    program_id: int,
    due_date: date,
    asset_ids: list[int],
    placement: Placement,
    user_id: int | None,
) -> Generated:
    """One order of a program for `due_date` and `asset_ids`; `claimed` tells how many of the
    keys were free (fewer than the assets: some already have an order)."""
    params = {
        "program_id": program_id,
        "due_date": due_date,
        "asset_ids": asset_ids,
    } | _write_params(placement, user_id)
    return _generated(await session.execute(_GENERATE_ONE, params))
