"""Judging a counter's readings: whatever order they arrive in, and however they are split into
batches, the stored readings never go back within a reset and every stored usage is what the
contract's definition gives over the whole sequence (first value, plus increments, a reset
counting its whole value)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.meter_readings import Incoming, Neighbours, Stored, judge
from shared.enums import MeterKind

T0 = datetime(2031, 1, 1, tzinfo=UTC)


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def _usages(sequence: list[Stored]) -> list[Decimal]:
    """The contract's usage of each reading of a whole sequence in time order."""
    usages: list[Decimal] = []
    for i, reading in enumerate(sequence):
        if i == 0:
            usages.append(reading.value)
        elif reading.reset:
            usages.append(usages[-1] + reading.value)
        else:
            usages.append(usages[-1] + reading.value - sequence[i - 1].value)
    return usages


class Store:
    """A meter's stored readings, as the database keeps them."""

    def __init__(self) -> None:
        self.readings: dict[datetime, Stored] = {}

    def ordered(self) -> list[Stored]:
        return [self.readings[at] for at in sorted(self.readings)]

    def take(self, batch: list[Incoming]) -> None:
        ordered = self.ordered()
        last = ordered[-1] if ordered else None
        neighbours = {}
        for reading in batch:
            before = [s for s in ordered if s.taken_at <= reading.taken_at]
            after = [s for s in ordered if s.taken_at > reading.taken_at]
            neighbours[reading.taken_at] = Neighbours(
                before[-1] if before else None, after[0] if after else None
            )
        result = judge(MeterKind.CONTADOR, last, neighbours, batch)
        for at, stored in list(self.readings.items()):
            shift = result.shift_of(at)
            if shift:
                assert stored.usage is not None
                self.readings[at] = Stored(at, stored.value, stored.usage + shift, stored.reset)
        for accepted in result.accepted:
            assert accepted.taken_at not in self.readings
            self.readings[accepted.taken_at] = Stored(
                accepted.taken_at, accepted.value, accepted.usage, accepted.reset
            )
        final = self.ordered()
        assert result.last == (final[-1] if final else None)


readings = st.lists(
    st.tuples(
        st.integers(0, 60),  # hour
        st.integers(0, 1000),  # value
        st.booleans() | st.just(False),  # reset, now and then
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(readings, st.integers(1, 6))
def test_stored_usage_is_the_contracts_over_the_whole_sequence(
    raw: list[tuple[int, int, bool]], batches: int
) -> None:
    incoming = [
        Incoming(i, _at(hour), Decimal(value), reset) for i, (hour, value, reset) in enumerate(raw)
    ]
    store = Store()
    size = max(1, len(incoming) // batches)
    for start in range(0, len(incoming), size):
        store.take(incoming[start : start + size])
    sequence = store.ordered()
    assert [s.usage for s in sequence] == _usages(sequence)
    for previous, reading in zip(sequence, sequence[1:], strict=False):
        assert reading.reset or reading.value >= previous.value


def test_a_counter_going_back_without_reset_is_refused_and_a_reset_is_not() -> None:
    store = Store()
    store.take([Incoming(0, _at(0), Decimal(100)), Incoming(1, _at(1), Decimal(150))])
    last = store.ordered()[-1]
    result = judge(
        MeterKind.CONTADOR,
        last,
        {},
        [Incoming(0, _at(2), Decimal(40)), Incoming(1, _at(3), Decimal(30), reset=True)],
    )
    assert list(result.refused) == [0] and "below 150" in result.refused[0]
    [reset] = result.accepted
    assert reset.usage == Decimal(180)  # 150 so far, and a new counter at 30


def test_a_reading_between_stored_ones_must_fit_between_them() -> None:
    before = Stored(_at(0), Decimal(100), Decimal(100))
    after = Stored(_at(2), Decimal(150), Decimal(150))
    late = judge(
        MeterKind.CONTADOR,
        after,
        {_at(1): Neighbours(before, after)},
        [Incoming(0, _at(1), Decimal(160))],
    )
    assert "above 150" in late.refused[0]
    fits = judge(
        MeterKind.CONTADOR,
        after,
        {_at(1): Neighbours(before, after)},
        [Incoming(0, _at(1), Decimal(120))],
    )
    assert [a.usage for a in fits.accepted] == [Decimal(120)] and fits.shifts == []


def test_a_repeat_is_ignored_and_indicators_take_any_value() -> None:
    stored = Stored(_at(1), Decimal(20), None)
    result = judge(
        MeterKind.INDICADOR,
        stored,
        {_at(1): Neighbours(stored, None)},
        [Incoming(0, _at(1), Decimal(25)), Incoming(1, _at(2), Decimal(-5))],
    )
    assert result.repeats == [0]
    assert [(a.value, a.usage) for a in result.accepted] == [(Decimal(-5), None)]
