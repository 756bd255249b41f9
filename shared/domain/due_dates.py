"""The due-date rule of a program: `start + k × interval` in the frequency's unit, k = 0, 1, …

Every due date is counted from the start (never from the previous due date), so a month step
that lands past the month's end clamps to its last day without drifting: from January 31 the
dates are February 28 (29), March 31, April 30, … PostgreSQL's `date + k * interval 'n months'`
clamps the same way; the generation SQL relies on it and a test holds the two together.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

from shared.enums import FrequencyUnit

_DAYS = {FrequencyUnit.DIA: 1, FrequencyUnit.SEMANA: 7}
_MONTHS = {FrequencyUnit.MES: 1, FrequencyUnit.ANIO: 12}


def due_date(start: date, interval: int, unit: FrequencyUnit, k: int) -> date:
    """The k-th due date (k = 0 is `start`)."""
    if unit in _DAYS:
        return start + timedelta(days=k * interval * _DAYS[unit])
    year, month = divmod(start.month - 1 + k * interval * _MONTHS[unit], 12)
    year += start.year
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def _first_k_at_or_after(start: date, interval: int, unit: FrequencyUnit, day: date) -> int:
    """A k whose due date is not after the first due date on or after `day` (a lower bound)."""
    if day <= start:
        return 0
    if unit in _DAYS:
        return (day - start).days // (interval * _DAYS[unit])
    months = (day.year - start.year) * 12 + day.month - start.month
    return max(0, months // (interval * _MONTHS[unit]) - 1)


def due_dates_from(start: date, interval: int, unit: FrequencyUnit, first: date) -> Iterator[date]:
    """The due dates on or after `first`, ascending, without end."""
    k = _first_k_at_or_after(start, interval, unit, first)
    while True:
        due = due_date(start, interval, unit, k)
        if due >= first:
            yield due
        k += 1


def due_dates_between(
    start: date, interval: int, unit: FrequencyUnit, first: date, last: date
) -> list[date]:
    """The due dates in `[first, last]`, ascending."""
    dates: list[date] = []
    for due in due_dates_from(start, interval, unit, first):
        if due > last:
            break
        dates.append(due)
    return dates
