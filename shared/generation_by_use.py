"""The candidates of programs by use (`basis` MEDIDOR), as CTEs of the generation statement
(`shared.generation`, whose `since_last` they read), which claims their keys and writes their
orders like any other.

Per asset of an active MEDIDOR program, with its active CONTADOR meter of the program's unit
(the lowest id, should there be several), and no open order of the program:
- the cycle counts from the program's last completed order with that asset: the usage then is
  the meter's last reading at or before the order's `actual_end` (a reading sent at completion
  is taken at `actual_end`); before any, its last reading at or before `start_date`; 0 without
  readings. The cycle is due by use at that usage + `meter_interval` (`due_usage`), early by
  `meter_lead`.
- with a frequency, it is also due by date one interval after that completion's plant date (or
  on `start_date`): whichever comes first.
- its key is (program, asset, cycle number), the cycle number being one more than the keys the
  asset already has in the program: never twice for the same cycle.
- the day: one reached (usage ≥ `due_usage`) is due today (never before `start_date`); one
  early by the lead, or only forecast, on the day the meter's average daily use over its last 30
  days of readings reaches `due_usage` (today without such a rate when early by the lead; no
  day by use when only forecast).

The order is for the earlier of the two days (whichever comes first), and says which one it is
(`trigger`). A generation up to `until` makes it when it is due by use now, or by date on or
before `until` (`generable`); the forecast also lists the next cycle of the others whose day
(a prediction) is on or before `until`.
"""

from __future__ import annotations

from shared.enums import MeterKind, OrderTrigger, ProgramBasis

# Days a prediction may reach: beyond, a rate that small predicts nothing.
PREDICTION_MAX_DAYS = 36_600

BY_USE = f"""
, by_use AS (
    SELECT s.id AS program_id, s.asset_id, s.lower, s.meter_lead, m.id AS meter_id,
           m.last_usage, m.last_taken_at, base.usage_then + s.meter_interval AS due_usage,
           cycles.taken + 1 AS cycle,
           CASE WHEN s.step IS NULL THEN NULL
                WHEN s.finished IS NULL THEN s.lower
                ELSE greatest(s.lower,
                              CAST(CAST(s.finished AT TIME ZONE :tz AS date) + s.step AS date))
           END AS by_date
      FROM since_last s
      JOIN LATERAL (
           SELECT id, last_usage, last_taken_at FROM meters
            WHERE asset_id = s.asset_id AND active AND kind = '{MeterKind.CONTADOR}'
              AND unit = s.meter_unit
            ORDER BY id LIMIT 1) m ON TRUE
     CROSS JOIN LATERAL (
           SELECT coalesce((
               SELECT r.usage FROM meter_readings r
                WHERE r.meter_id = m.id
                  AND r.taken_at <= coalesce(s.finished,
                                             CAST(s.start_date AS timestamp) AT TIME ZONE :tz)
                ORDER BY r.taken_at DESC LIMIT 1), 0) AS usage_then) base
     CROSS JOIN LATERAL (
           SELECT count(*) AS taken FROM program_generations g
            WHERE g.program_id = s.id AND g.asset_id = s.asset_id) cycles
     WHERE s.basis = '{ProgramBasis.MEDIDOR}'
), use_days AS (
    SELECT u.*, coalesce(u.last_usage >= u.due_usage - u.meter_lead, FALSE) AS use_due,
           CASE WHEN u.last_usage >= u.due_usage THEN u.lower
                WHEN rate.days IS NOT NULL
                     THEN greatest(u.lower, CAST(:today AS date) + CAST(rate.days AS integer))
                WHEN u.last_usage >= u.due_usage - u.meter_lead THEN u.lower
           END AS by_use
      FROM by_use u
      LEFT JOIN LATERAL (
           -- Days until `due_usage` at the average daily use since the earliest reading of
           -- the 30 days before the last one.
           SELECT ceil((u.due_usage - u.last_usage)
                       / ((u.last_usage - r.usage)
                          / (extract(epoch FROM u.last_taken_at - r.taken_at) / 86400))) AS days
             FROM meter_readings r
            WHERE r.meter_id = u.meter_id AND r.usage < u.last_usage
              AND r.taken_at >= u.last_taken_at - interval '30 days'
              AND r.taken_at < u.last_taken_at
            ORDER BY r.taken_at LIMIT 1) rate
           ON rate.days <= {PREDICTION_MAX_DAYS}
), use_candidates AS (
    SELECT program_id, asset_id, CAST(NULL AS date) AS due_date, cycle,
           least(by_use, by_date) AS day,
           CASE WHEN by_use IS NOT NULL AND by_use <= coalesce(by_date, by_use)
                THEN '{OrderTrigger.MEDIDOR}' ELSE '{OrderTrigger.FECHA}' END AS trigger,
           due_usage, TRUE AS one_order_per_asset,
           use_due OR coalesce(by_date <= CAST(:until AS date), FALSE) AS generable
      FROM use_days
     WHERE use_due OR least(by_use, by_date) <= CAST(:until AS date)
)
"""
