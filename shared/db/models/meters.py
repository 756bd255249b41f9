"""Meters on assets and their readings: counters (running hours, kilometres) and indicators
(temperature, vibration).

Readings are the one table that grows without bound, so it is partitioned by month of `taken_at`
(partitions made ahead and dropped past retention by `meter_readings_partitions` and
`drop_meter_readings_before`, migration 0006) and carries one index, its primary key
(meter, taken_at): it serves both "the last reading of a meter at or before t" and "a meter's
readings in a window". A meter's last reading and current usage live on the meter row, so no
request scans readings to show them; the meters leave half of each page free (migration 0008) so
that keeping them there is an update in place.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    Sequence,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at_column, enum_check, updated_at_column
from shared.enums import AvisoPriority, MeterKind

READING_ID_SEQUENCE = Sequence("meter_readings_id_seq")


class Meter(Base):
    __tablename__ = "meters"
    __table_args__ = (
        enum_check("kind", MeterKind),
        enum_check("alarm_priority", AvisoPriority),
        CheckConstraint(
            f"kind = '{MeterKind.INDICADOR}' OR (alarm_low IS NULL AND alarm_high IS NULL)",
            name="alarms_on_indicators",
        ),
        CheckConstraint("alarm_low <= alarm_high", name="alarm_limits_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    alarm_low: Mapped[Decimal | None] = mapped_column(Numeric)
    alarm_high: Mapped[Decimal | None] = mapped_column(Numeric)
    alarm_priority: Mapped[str] = mapped_column(Text, server_default=AvisoPriority.ALTA.value)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # The reading latest in `taken_at` order, and the usage then (counters only).
    last_value: Mapped[Decimal | None] = mapped_column(Numeric)
    last_taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_usage: Mapped[Decimal | None] = mapped_column(Numeric)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class MeterReading(Base):
    __tablename__ = "meter_readings"
    __table_args__ = {"postgresql_partition_by": "RANGE (taken_at)"}

    # Unique by the sequence; the key is (meter, taken_at): a repeat is the same reading.
    id: Mapped[int] = mapped_column(
        BigInteger, READING_ID_SEQUENCE, server_default=READING_ID_SEQUENCE.next_value()
    )
    meter_id: Mapped[int] = mapped_column(
        ForeignKey("meters.id", ondelete="RESTRICT"), primary_key=True
    )
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric)
    # A counter's lifetime use at this reading; null on indicators.
    usage: Mapped[Decimal | None] = mapped_column(Numeric)
    reset: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    source: Mapped[str] = mapped_column(Text, server_default="APP")
    # What this reading caused, so that a repeat is answered as the first one was.
    aviso_id: Mapped[int | None] = mapped_column(Integer)
    work_order_ids: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
