"""The statements of a batch of readings: each one is one round trip whatever the batch's size
(arrays or JSON rows in, `unnest` or `jsonb_to_recordset` inside)."""

from __future__ import annotations

from sqlalchemy import text

from shared.enums import ProgramBasis

# The batch's meters, by id (HTTP) or code (AMQP), locked in id order: two batches of one meter
# take turns (its usage and alarm are decided on the latest state), and overlapping batches
# queue instead of deadlocking. NO KEY UPDATE leaves the readings' foreign-key checks free.
# `by_use`: the meter is a counter under an active program by use of its unit (only then may its
# readings make orders due).
LOCK_METERS = text(
    f"""
    SELECT m.id, m.code, m.name, m.asset_id, m.unit, m.kind, m.active, m.alarm_low,
           m.alarm_high, m.last_value, m.last_taken_at, m.last_usage,
           (m.asset_id, m.unit) IN (
               SELECT pa.asset_id, p.meter_unit
                 FROM program_assets pa JOIN programs p ON p.id = pa.program_id
                WHERE p.active AND p.basis = '{ProgramBasis.MEDIDOR}') AS by_use
      FROM meters m
     WHERE m.id = ANY(CAST(:ids AS integer[])) OR m.code = ANY(CAST(:codes AS text[]))
     ORDER BY m.id
       FOR NO KEY UPDATE OF m
    """
)

# For each new reading not after its meter's last one: the stored readings at or before it (the
# same time: a repeat, with what the first one caused) and after it.
NEIGHBOURS = text(
    """
    SELECT q.meter_id, q.taken_at,
           b.id AS before_id, b.taken_at AS before_at, b.value AS before_value,
           b.usage AS before_usage, b.reset AS before_reset, b.aviso_id AS before_aviso_id,
           b.work_order_ids AS before_work_order_ids,
           a.taken_at AS after_at, a.value AS after_value, a.usage AS after_usage,
           a.reset AS after_reset
      FROM unnest(CAST(:meter_ids AS integer[]), CAST(:taken_ats AS timestamptz[]))
           AS q(meter_id, taken_at)
      LEFT JOIN LATERAL (
           SELECT id, taken_at, value, usage, reset, aviso_id, work_order_ids
             FROM meter_readings r
            WHERE r.meter_id = q.meter_id AND r.taken_at <= q.taken_at
            ORDER BY r.taken_at DESC LIMIT 1) b ON TRUE
      LEFT JOIN LATERAL (
           SELECT taken_at, value, usage, reset
             FROM meter_readings r
            WHERE r.meter_id = q.meter_id AND r.taken_at > q.taken_at
            ORDER BY r.taken_at LIMIT 1) a ON TRUE
    """
)

# A reset put before stored readings: each of them from `since` on gets `delta` more usage.
SHIFT_USAGE = text(
    """
    UPDATE meter_readings r SET usage = r.usage + s.delta
      FROM (SELECT later.meter_id, later.taken_at, sum(shift.delta) AS delta
              FROM unnest(CAST(:meter_ids AS integer[]), CAST(:sinces AS timestamptz[]),
                          CAST(:deltas AS numeric[])) AS shift(meter_id, since, delta)
              JOIN meter_readings later
                ON later.meter_id = shift.meter_id AND later.taken_at >= shift.since
             GROUP BY later.meter_id, later.taken_at) s
     WHERE r.meter_id = s.meter_id AND r.taken_at = s.taken_at
    """
)

# The rows come as JSON (`shared.db.json_rows`); the key settles a repeat racing in from
# elsewhere (the meter lock makes that rare). What was stored comes back as two arrays, the
# readings' positions in the batch and their ids: one row, however many readings.
INSERT_READINGS = text(
    """
    WITH new AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
           AS r(position integer, meter_id integer, taken_at timestamptz, value numeric,
                usage numeric, reset boolean, source text)
    ), stored AS (
    INSERT INTO meter_readings (meter_id, taken_at, value, usage, reset, source)
    SELECT meter_id, taken_at, value, usage, reset, source FROM new
    ON CONFLICT (meter_id, taken_at) DO NOTHING
    RETURNING id, meter_id, taken_at
    )
    SELECT coalesce(array_agg(new.position), '{}') AS positions,
           coalesce(array_agg(stored.id), '{}') AS ids
      FROM stored JOIN new USING (meter_id, taken_at)
    """
)

UPDATE_LAST = text(
    """
    UPDATE meters m
       SET last_value = l.value, last_taken_at = l.taken_at, last_usage = l.usage
      FROM jsonb_to_recordset(CAST(:rows AS jsonb))
           AS l(id integer, value numeric, taken_at timestamptz, usage numeric)
     WHERE m.id = l.id
    """
)

# One alarm notice per meter while one is open: the partial unique index on open alarm notices
# decides, whatever runs at the same time.
OPEN_ALARMS = text(
    """
    INSERT INTO avisos (asset_id, title, description, priority, source, meter_id, author_id,
                        reported_at)
    SELECT m.asset_id, a.title, a.description, m.alarm_priority, :source, m.id, :author_id,
           a.taken_at
      FROM unnest(CAST(:meter_ids AS integer[]), CAST(:titles AS text[]),
                  CAST(:descriptions AS text[]), CAST(:taken_ats AS timestamptz[]))
           AS a(meter_id, title, description, taken_at)
      JOIN meters m ON m.id = a.meter_id
     ORDER BY m.id
    ON CONFLICT (meter_id) WHERE meter_id IS NOT NULL AND status <> 'CERRADO' DO NOTHING
    RETURNING id, meter_id, asset_id
    """
)

# What a reading caused, kept on it so that a repeat is answered as it was.
CAUSED = """
    UPDATE meter_readings
       SET aviso_id = CAST(:aviso_id AS integer),
           work_order_ids = CAST(:work_order_ids AS integer[])
     WHERE meter_id = :meter_id AND taken_at = :taken_at
"""
