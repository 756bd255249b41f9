"""Work orders, their assets, their own copy of the steps (with results), and their history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at_column, enum_check, updated_at_column
from shared.enums import OrderTrigger, StepKind, WorkOrderStatus, WorkOrderType

# Codes come from the database: `OT-<creation year>-<6+ digit sequence>` (see the first migration).
WORK_ORDER_CODE_DEFAULT = text("next_code('OT', 'work_order_code_seq')")


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        enum_check("status", WorkOrderStatus),
        enum_check("type", WorkOrderType),
        enum_check("trigger", OrderTrigger),
        CheckConstraint("scheduled_end >= scheduled_start", name="schedule_ordered"),
        CheckConstraint(
            "actual_end IS NULL OR actual_start IS NULL OR actual_end >= actual_start",
            name="actuals_ordered",
        ),
        Index("ix_work_orders_schedule", "scheduled_start", "id"),
        Index("ix_work_orders_status_schedule", "status", "scheduled_start", "id"),
        Index("ix_work_orders_technician_schedule", "technician_id", "scheduled_start"),
        # Date-window searches: orders whose scheduled range overlaps the window (see
        # gateway/queries/work_orders.py, which writes the same expression).
        Index(
            "ix_work_orders_status_window",
            "status",
            text("tstzrange(scheduled_start, scheduled_end, '[]')"),
            postgresql_using="gist",
        ),
        Index(
            "ix_work_orders_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True, server_default=WORK_ORDER_CODE_DEFAULT)
    type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=WorkOrderStatus.PENDIENTE.value)
    title: Mapped[str] = mapped_column(Text)
    scheduled_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scheduled_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actual_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actual_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, server_default="")
    routine_id: Mapped[int | None] = mapped_column(
        ForeignKey("routines.id", ondelete="SET NULL"), index=True
    )
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    # The notice this corrective order was made from.
    aviso_id: Mapped[int | None] = mapped_column(
        ForeignKey("avisos.id", ondelete="SET NULL", use_alter=True), index=True
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    # A program's order: due by its date or by its meter's usage (and at which usage).
    trigger: Mapped[str | None] = mapped_column(Text)
    due_usage: Mapped[Decimal | None] = mapped_column(Numeric)
    # What `q` searches with trigram ILIKE; kept by PostgreSQL.
    search_text: Mapped[str] = mapped_column(
        Text, Computed("code || ' ' || title || ' ' || notes", persisted=True)
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


work_order_assets = Table(
    "work_order_assets",
    Base.metadata,
    Column("work_order_id", ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True),
    Column("asset_id", ForeignKey("assets.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class WorkOrderStep(Base):
    """A snapshot of a routine step taken when the order was made, plus the technician's result."""

    __tablename__ = "work_order_steps"
    __table_args__ = (UniqueConstraint("work_order_id", "position"), enum_check("kind", StepKind))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default=StepKind.CHECK.value)
    unit: Mapped[str | None] = mapped_column(Text)
    min_value: Mapped[Decimal | None] = mapped_column(Numeric)
    max_value: Mapped[Decimal | None] = mapped_column(Numeric)
    done: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    ok: Mapped[bool | None] = mapped_column(Boolean)
    numeric_value: Mapped[Decimal | None] = mapped_column(Numeric)
    text_value: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)


class WorkOrderEvent(Base):
    """One line of an order's history, written in the same transaction as the change."""

    __tablename__ = "work_order_events"
    __table_args__ = (Index("ix_work_order_events_order", "work_order_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    at: Mapped[datetime] = created_at_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
