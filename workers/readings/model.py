"""What a batch of readings is made of, and what storing it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.domain.meter_readings import Accepted, Incoming, Stored
from shared.enums import MeterKind
from shared.generation import Generated
from shared.messages.events import DomainEvent


@dataclass(slots=True)
class NewReading(Incoming):
    """One reading to store (`position`: its place in the request or message), its meter named
    by id (HTTP) or by code (AMQP)."""

    meter_id: int | None = None
    meter_code: str | None = None
    # Who sent it, when a batch gathers several senders' readings (None: the batch's source).
    source: str | None = None


@dataclass(frozen=True)
class Source:
    """Who sends the batch: the readings' `source` (unless a reading names its own), the user
    (None: a machine), and when it is judged (readings older than the retention are refused:
    their partition is gone)."""

    name: str
    user_id: int | None
    now: datetime


@dataclass(slots=True)
class LockedMeter:
    """A meter of the batch, locked until its transaction ends (a thousand of them are read per
    message: not frozen, which would cost each one more to make)."""

    id: int
    code: str
    name: str
    asset_id: int
    unit: str
    kind: MeterKind
    active: bool
    alarm_low: Decimal | None
    alarm_high: Decimal | None
    last: Stored | None
    # A counter under an active program by use of its unit: its readings may make orders due.
    by_use: bool

    @classmethod
    def of(cls, row: Any) -> LockedMeter:
        last = (
            None
            if row.last_taken_at is None
            else Stored(row.last_taken_at, row.last_value, row.last_usage)
        )
        return cls(
            row.id,
            row.code,
            row.name,
            row.asset_id,
            row.unit,
            MeterKind(row.kind),
            row.active,
            row.alarm_low,
            row.alarm_high,
            last,
            row.by_use,
        )


class Refusal(StrEnum):
    """Why a reading was not stored: the HTTP answer's status follows from it."""

    UNKNOWN = "unknown"  # no such meter (404 in a path)
    INACTIVE = "inactive"  # the meter is inactive (409)
    INVALID = "invalid"  # the value or the time cannot be (422)


@dataclass(frozen=True)
class Refused:
    position: int
    refusal: Refusal
    # The field at fault, named as the request names it.
    field: str
    reason: str


@dataclass(frozen=True)
class StoredReading:
    reading_id: int
    meter_id: int
    taken_at: datetime
    usage: Decimal | None
    aviso_id: int | None = None
    work_order_ids: tuple[int, ...] = ()


@dataclass
class Ingested:
    # The readings accepted, by position (with their meter), and the ids of those stored, by
    # position: one accepted but not stored met a repeat racing in.
    accepted: dict[int, tuple[int, Accepted]] = field(default_factory=dict)
    reading_ids: dict[int, int] = field(default_factory=dict)
    # By position: the repeats (as first stored).
    repeats: dict[int, StoredReading] = field(default_factory=dict)
    refused: list[Refused] = field(default_factory=list)
    # Alarm notices opened, by meter id.
    alarms: dict[int, int] = field(default_factory=dict)
    generated: Generated | None = None
    events: list[DomainEvent] = field(default_factory=list)

    def stored_at(self, position: int) -> StoredReading | None:
        """The reading of `position`, if it was stored now."""
        reading_id = self.reading_ids.get(position)
        if reading_id is None:
            return None
        meter_id, reading = self.accepted[position]
        return StoredReading(reading_id, meter_id, reading.taken_at, reading.usage)
