"""An indicator's reading outside its alarm limits, worded as the notice it opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.domain.meter_readings import Accepted
from shared.messages.avisos import TITLE_MAX

# The `source` of the notices alarms open.
ALARM_SOURCE = "MEDIDOR"


@dataclass(frozen=True)
class Alarm:
    meter_id: int
    value: Decimal
    limit: Decimal
    taken_at: datetime
    title: str
    description: str


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def alarm_of(meter: Any, reading: Accepted) -> Alarm | None:
    """The alarm `reading` raises on `meter` (a row with code, name, unit and limits), if any."""
    if meter.alarm_high is not None and reading.value > meter.alarm_high:
        limit, side = meter.alarm_high, ">"
    elif meter.alarm_low is not None and reading.value < meter.alarm_low:
        limit, side = meter.alarm_low, "<"
    else:
        return None
    unit = f" {meter.unit}" if meter.unit else ""
    what = f"{_number(reading.value)}{unit} {side} {_number(limit)}{unit}"
    return Alarm(
        meter_id=meter.id,
        value=reading.value,
        limit=limit,
        taken_at=reading.taken_at,
        title=f"Alarma {meter.code}: {what}"[:TITLE_MAX],
        description=(
            f"El medidor {meter.code} «{meter.name}» leyó {_number(reading.value)}{unit}"
            f" el {reading.taken_at.isoformat()}, fuera de su límite"
            f" ({side} {_number(limit)}{unit})."
        ),
    )
