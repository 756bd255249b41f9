"""Routines (task lists with steps) and programs (a routine attached to assets on a frequency)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at_column, enum_check, updated_at_column
from shared.enums import ProgramBasis, StepKind


class Routine(Base):
    __tablename__ = "routines"
    __table_args__ = (CheckConstraint("estimated_duration_min >= 0", name="duration_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    maintenance_type_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_types.id", ondelete="RESTRICT"), index=True
    )
    frequency_id: Mapped[int] = mapped_column(
        ForeignKey("frequencies.id", ondelete="RESTRICT"), index=True
    )
    estimated_duration_min: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class RoutineStep(Base):
    __tablename__ = "routine_steps"
    __table_args__ = (UniqueConstraint("routine_id", "position"), enum_check("kind", StepKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    routine_id: Mapped[int] = mapped_column(ForeignKey("routines.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default=StepKind.CHECK.value)
    unit: Mapped[str | None] = mapped_column(Text)
    min_value: Mapped[Decimal | None] = mapped_column(Numeric)
    max_value: Mapped[Decimal | None] = mapped_column(Numeric)


class Program(Base):
    __tablename__ = "programs"
    __table_args__ = (
        enum_check("basis", ProgramBasis),
        # By use: an interval of the meter's unit, counted from the last completion, and
        # optionally a frequency too ("500 h or yearly, whichever first"); by date: a frequency.
        CheckConstraint(
            f"CASE WHEN basis = '{ProgramBasis.MEDIDOR}'"
            " THEN meter_interval > 0 AND meter_unit IS NOT NULL AND meter_lead >= 0"
            " ELSE frequency_id IS NOT NULL AND meter_interval IS NULL AND meter_unit IS NULL"
            " AND meter_lead IS NULL END",
            name="basis_fields",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    routine_id: Mapped[int] = mapped_column(
        ForeignKey("routines.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    # Null only on a program by use alone.
    frequency_id: Mapped[int | None] = mapped_column(
        ForeignKey("frequencies.id", ondelete="RESTRICT"), index=True
    )
    technician_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    meter_interval: Mapped[Decimal | None] = mapped_column(Numeric)
    meter_unit: Mapped[str | None] = mapped_column(Text)
    meter_lead: Mapped[Decimal | None] = mapped_column(Numeric)
    one_order_per_asset: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    basis: Mapped[str] = mapped_column(Text, server_default=ProgramBasis.FIJA.value)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


program_assets = Table(
    "program_assets",
    Base.metadata,
    Column("program_id", ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True),
    Column("asset_id", ForeignKey("assets.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class ProgramGeneration(Base):
    """The generation dedup key: one row per program, asset and due date (by date) or cycle
    (by use: the n-th order of that asset), ever.

    It outlives the order (a deleted order is not generated again by the scheduler).
    """

    __tablename__ = "program_generations"
    __table_args__ = (
        CheckConstraint("(due_date IS NULL) <> (cycle IS NULL)", name="date_or_cycle"),
        # The key: the unset one of (due_date, cycle) is NULL in every row of its kind, so
        # NULLs must compare equal for it to be unique.
        Index(
            "uq_program_generations_key",
            "program_id",
            "asset_id",
            "due_date",
            "cycle",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    due_date: Mapped[date | None] = mapped_column(Date)
    cycle: Mapped[int | None] = mapped_column(Integer)
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id", ondelete="SET NULL"), index=True
    )
