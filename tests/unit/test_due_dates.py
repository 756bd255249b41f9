"""The due-date rule, checked against its definition over generated programs and windows."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shared.domain.due_dates import due_date, due_dates_between, due_dates_from
from shared.enums import FrequencyUnit

starts = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
# Bounded so that the dates stay within Python's years (ANIO × 12 × 60 steps < 800 years).
intervals = st.integers(min_value=1, max_value=12)
units = st.sampled_from(list(FrequencyUnit))
spans = st.integers(min_value=0, max_value=800)


def _all_until(start: date, interval: int, unit: FrequencyUnit, last: date) -> list[date]:
    """Every due date up to `last`, straight from the definition (k = 0, 1, …)."""
    dates, k = [], 0
    while (due := due_date(start, interval, unit, k)) <= last:
        dates.append(due)
        k += 1
    return dates


@given(starts, intervals, units, st.integers(-400, 800), spans)
def test_a_window_holds_exactly_the_due_dates_in_it(
    start: date, interval: int, unit: FrequencyUnit, offset: int, span: int
) -> None:
    first = start + timedelta(days=offset)
    last = first + timedelta(days=span)
    expected = [d for d in _all_until(start, interval, unit, last) if d >= first]
    assert due_dates_between(start, interval, unit, first, last) == expected


@given(starts, intervals, units, st.integers(0, 60))
def test_due_dates_ascend_strictly_and_start_at_the_start(
    start: date, interval: int, unit: FrequencyUnit, count: int
) -> None:
    dates = [due_date(start, interval, unit, k) for k in range(count + 2)]
    assert dates[0] == start
    assert all(a < b for a, b in zip(dates, dates[1:], strict=False))


@given(starts, intervals, units, st.integers(-400, 4000))
def test_the_first_due_date_from_a_day_is_not_before_it_and_misses_none(
    start: date, interval: int, unit: FrequencyUnit, offset: int
) -> None:
    day = start + timedelta(days=offset)
    first = next(due_dates_from(start, interval, unit, day))
    assert first >= day and first >= start
    earlier = _all_until(start, interval, unit, first - timedelta(days=1))
    assert all(d < day for d in earlier)


@given(
    starts, intervals, st.sampled_from([FrequencyUnit.MES, FrequencyUnit.ANIO]), st.integers(0, 60)
)
def test_month_steps_keep_the_day_or_clamp_to_the_months_end(
    start: date, interval: int, unit: FrequencyUnit, k: int
) -> None:
    due = due_date(start, interval, unit, k)
    months = k * interval * (12 if unit == FrequencyUnit.ANIO else 1)
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == months
    last_day = calendar.monthrange(due.year, due.month)[1]
    assert due.day == min(start.day, last_day)


@given(
    starts,
    intervals,
    st.sampled_from([FrequencyUnit.DIA, FrequencyUnit.SEMANA]),
    st.integers(0, 500),
)
def test_day_steps_are_exact(start: date, interval: int, unit: FrequencyUnit, k: int) -> None:
    step = interval * (7 if unit == FrequencyUnit.SEMANA else 1)
    assert due_date(start, interval, unit, k) == start + timedelta(days=k * step)


def test_clamping_examples() -> None:
    jan31 = date(2027, 1, 31)
    assert [due_date(jan31, 1, FrequencyUnit.MES, k) for k in range(4)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),  # counted from the start: no drift after February
        date(2027, 4, 30),
    ]
    assert due_date(date(2028, 1, 31), 1, FrequencyUnit.MES, 1) == date(2028, 2, 29)
    leap = date(2028, 2, 29)
    assert [due_date(leap, 1, FrequencyUnit.ANIO, k) for k in range(5)] == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]
