"""The stored readings around new readings that are not after their meter's last one: what a
late reading is judged against (and the stored reading a repeat repeats)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.meter_readings import Neighbours, Stored
from workers.readings import statements
from workers.readings.model import StoredReading

# By meter and time: the stored readings around it, and the one it repeats (if any).
Around = dict[int, dict[datetime, tuple[Neighbours, StoredReading | None]]]


async def stored_around(session: AsyncSession, keys: Iterable[tuple[int, datetime]]) -> Around:
    """One statement for every (meter id, taken_at) of `keys` (none without keys)."""
    ordered = sorted(set(keys))
    found: Around = defaultdict(dict)
    if not ordered:
        return found
    rows = await session.execute(
        statements.NEIGHBOURS,
        {"meter_ids": [k[0] for k in ordered], "taken_ats": [k[1] for k in ordered]},
    )
    for row in rows:
        before = (
            None
            if row.before_at is None
            else Stored(row.before_at, row.before_value, row.before_usage, row.before_reset)
        )
        after = (
            None
            if row.after_at is None
            else Stored(row.after_at, row.after_value, row.after_usage, row.after_reset)
        )
        repeated = None
        if row.before_at is not None and row.before_at == row.taken_at:
            repeated = StoredReading(
                row.before_id,
                row.meter_id,
                row.before_at,
                row.before_usage,
                row.before_aviso_id,
                tuple(row.before_work_order_ids or ()),
            )
        found[row.meter_id][row.taken_at] = (Neighbours(before, after), repeated)
    return found
