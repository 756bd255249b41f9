"""Judging a meter's new readings against those it already has, and the usage each one gives.

A counter's usage is its lifetime use: the first reading's value, plus the increments between
consecutive readings in `taken_at` order, where a reading with `reset` (the meter was replaced or
rolled over) counts its whole value. New readings of one meter are judged in `taken_at` order,
each against the reading just before it (stored, or accepted earlier in the same batch) and the
stored reading just after it: a counter may not go back without a reset, and a reading may not
make the stored reading after it go back. A new reading between stored ones changes none of the
later usages, except a reset: it shifts every later usage by the same amount (`shifts`).

A counter never reads below 0. Indicators (temperature, vibration) take any value and have no
usage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple, Protocol

from shared.enums import MeterKind


@dataclass(frozen=True)
class Stored:
    """A reading already stored (its usage as stored)."""

    taken_at: datetime
    value: Decimal
    usage: Decimal | None
    reset: bool = False


# Incoming and accepted readings are made one per reading, thousands a message: slotted, not
# frozen (a frozen dataclass costs several times as much to make). Nothing changes them.
@dataclass(slots=True)
class Incoming:
    """A new reading; `position` is its place in the request or message."""

    position: int
    taken_at: datetime
    value: Decimal
    reset: bool = False


@dataclass(slots=True)
class Accepted:
    position: int
    taken_at: datetime
    value: Decimal
    reset: bool
    usage: Decimal | None


class Neighbours(NamedTuple):
    """The stored readings around a new reading's `taken_at`: at or before it, and after it."""

    before: Stored | None
    after: Stored | None


class Reading(Protocol):
    """A reading already judged, stored or accepted: what the next one is judged against."""

    @property
    def taken_at(self) -> datetime: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def usage(self) -> Decimal | None: ...
    @property
    def reset(self) -> bool: ...


# New readings are judged in time order (and in the order sent, for one time).
_in_time = attrgetter("taken_at", "position")


@dataclass
class Judgement:
    accepted: list[Accepted] = field(default_factory=list)
    # Position → why the reading was refused.
    refused: dict[int, str] = field(default_factory=dict)
    # Positions of readings whose (meter, taken_at) is already a reading: ignored.
    repeats: list[int] = field(default_factory=list)
    # Stored readings taken at or after each time get their usage raised by the amount.
    shifts: list[tuple[datetime, Decimal]] = field(default_factory=list)
    # The meter's reading latest in time once these are stored (None: it still has none).
    last: Stored | None = None

    def shift_of(self, taken_at: datetime) -> Decimal:
        return sum((delta for since, delta in self.shifts if since <= taken_at), Decimal(0))


def judge(
    kind: MeterKind,
    last: Stored | None,
    neighbours: Mapping[datetime, Neighbours],
    incoming: Iterable[Incoming],
) -> Judgement:
    """Judge one meter's new readings. `last` is its latest stored reading; `neighbours` holds,
    for every new reading not after `last`, the stored readings around it (a new reading after
    `last` has `last` before it and nothing after)."""
    result = Judgement()
    latest_accepted: Accepted | None = None
    for reading in sorted(incoming, key=_in_time):
        if last is not None and reading.taken_at <= last.taken_at:
            stored_before, stored_after = neighbours[reading.taken_at]
        else:
            stored_before, stored_after = last, None
        if (stored_before is not None and stored_before.taken_at == reading.taken_at) or (
            latest_accepted is not None and latest_accepted.taken_at == reading.taken_at
        ):
            result.repeats.append(reading.position)
            continue
        before: Reading | None = (
            _adjusted(result, stored_before) if result.shifts else stored_before
        )
        if latest_accepted is not None and (
            before is None or latest_accepted.taken_at > before.taken_at
        ):
            before = latest_accepted
        if kind == MeterKind.INDICADOR:
            accepted = Accepted(
                reading.position, reading.taken_at, reading.value, reading.reset, None
            )
        else:
            why = _counter_refusal(reading, before, stored_after)
            if why is not None:
                result.refused[reading.position] = why
                continue
            accepted = _counted(reading, before)
            if stored_after is not None:
                _shift_after(result, accepted, stored_after)
        result.accepted.append(accepted)
        latest_accepted = accepted
    result.last = _latest(result, last)
    return result


def _adjusted(result: Judgement, stored: Stored | None) -> Stored | None:
    if stored is None or stored.usage is None or not result.shifts:
        return stored
    shift = result.shift_of(stored.taken_at)
    return replace(stored, usage=stored.usage + shift) if shift else stored


def _counter_refusal(reading: Incoming, before: Reading | None, after: Stored | None) -> str | None:
    if reading.value < 0:
        return f"a counter cannot read below 0 ({reading.value})"
    if not reading.reset and before is not None and reading.value < before.value:
        return (
            f"a counter cannot go back without reset: {reading.value} is below"
            f" {before.value}, read at {before.taken_at.isoformat()}"
        )
    if after is not None and not after.reset and reading.value > after.value:
        return (
            f"a counter cannot go back without reset: {reading.value} is above"
            f" {after.value}, read later at {after.taken_at.isoformat()}"
        )
    return None


def _counted(reading: Incoming, before: Reading | None) -> Accepted:
    if before is None or before.usage is None:
        usage = reading.value
    elif reading.reset:
        usage = before.usage + reading.value
    else:
        usage = before.usage + reading.value - before.value
    return Accepted(reading.position, reading.taken_at, reading.value, reading.reset, usage)


def _shift_after(result: Judgement, accepted: Accepted, after: Stored) -> None:
    """A reading put before a stored one: the stored one's increment now counts from it."""
    adjusted = _adjusted(result, after)
    if adjusted is None or adjusted.usage is None or accepted.usage is None:
        return
    increment = adjusted.value if adjusted.reset else adjusted.value - accepted.value
    delta = accepted.usage + increment - adjusted.usage
    if delta:
        result.shifts.append((adjusted.taken_at, delta))


def _latest(result: Judgement, last: Stored | None) -> Stored | None:
    newest = max(result.accepted, key=lambda a: a.taken_at, default=None)
    if newest is not None and (last is None or newest.taken_at > last.taken_at):
        return Stored(newest.taken_at, newest.value, newest.usage, newest.reset)
    return _adjusted(result, last)
