"""Meters and their readings: saved by planners, read by people (HTTP) and machines (AMQP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from shared.enums import PLANNERS, READERS, AvisoPriority, MeterKind
from shared.messages.base import Command, Message, PlantDateTime
from shared.messages.catalogs import Code, Name
from shared.messages.fields import Id, Version, refuse_nul

# A reading may be taken at most this far ahead of the receiver's clock (clocks drift).
FUTURE_TOLERANCE = timedelta(minutes=5)
# Readings one message from a machine may carry.
BATCH_MAX = 1_000

Measure = Annotated[float, Field(allow_inf_nan=False)]
Unit = Annotated[str, Field(min_length=1, max_length=20)]


def latest_reading_time() -> datetime:
    """The latest `taken_at` a reading received now may have. In UTC: aware datetimes compare
    whatever their zones, and no zone is looked up."""
    return datetime.now(UTC) + FUTURE_TOLERANCE


def _instant_not_ahead(value: datetime, info: ValidationInfo) -> datetime:
    """The reading's time, in UTC: its instant is what counts, and thousands of readings are
    compared with each other and with stored ones (UTC too), fastest within one zone."""
    in_utc = value.astimezone(UTC)
    # A message of many readings reads the clock once (context `latest`).
    latest = (info.context or {}).get("latest") or latest_reading_time()
    if in_utc > latest:
        raise ValueError(f"a reading may not be taken more than {FUTURE_TOLERANCE} from now")
    return in_utc


ReadingTime = Annotated[PlantDateTime, AfterValidator(_instant_not_ahead)]


class SaveMeter(Command):
    """Create (no `id`) or update (`id`) a meter (`POST /medidores/guardar/`)."""

    routing_key = "medidor.guardar"
    roles = PLANNERS

    id: Id | None = None
    code: str = Code
    name: str = Name
    asset_id: Id
    unit: Unit
    kind: MeterKind
    alarm_low: Measure | None = None
    alarm_high: Measure | None = None
    alarm_priority: AvisoPriority = AvisoPriority.ALTA
    active: bool = True
    version: Version | None = None

    @field_validator("alarm_low", "alarm_high")
    @classmethod
    def _alarm_limits(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:
            return value
        if info.data.get("kind") == MeterKind.CONTADOR:
            raise ValueError("alarm limits are for INDICADOR meters only")
        low = info.data.get("alarm_low")
        if info.field_name == "alarm_high" and low is not None and low > value:
            raise ValueError("alarm_high must not be below alarm_low")
        return value


class ReadingFields(Message):
    value: Measure
    # `reset`: the counter was replaced or rolled over; its whole value counts as use.
    reset: bool = False


class RecordReading(ReadingFields, Command):
    """One reading of a meter, taken now unless `taken_at` says when
    (`POST /medidores/{id}/lecturas/`)."""

    routing_key = "medidor.lectura"
    roles = READERS

    meter_id: Id
    taken_at: ReadingTime | None = None


class ExternalReading(ReadingFields):
    """One reading in a machine's message, by the meter's code."""

    meter_code: str = Field(min_length=1, max_length=64)
    taken_at: ReadingTime

    # A thousand readings a message: only their one text field is looked at for NUL.
    _no_nul = field_validator("meter_code")(refuse_nul)


class ReadingBatch(Message):
    """A machine's message to `mantenimiento.lecturas` (`lectura.externa`); each reading is
    judged on its own (`ExternalReading`), so they arrive here unvalidated."""

    source: str = Field(min_length=1, max_length=100)
    readings: list[Any] = Field(min_length=1, max_length=BATCH_MAX)


class ValidReadingBatch(ReadingBatch):
    """The same message when every reading in it is valid (the usual one): read in one pass."""

    readings: list[ExternalReading] = Field(min_length=1, max_length=BATCH_MAX)
