"""Notices (avisos): problems reported by people, by inspections, and by external systems."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at_column, enum_check, updated_at_column
from shared.enums import AvisoPriority, AvisoStatus

AVISO_CODE_DEFAULT = text("next_code('AV', 'aviso_code_seq')")


class Aviso(Base):
    __tablename__ = "avisos"
    __table_args__ = (
        enum_check("priority", AvisoPriority),
        enum_check("status", AvisoStatus),
        # Exactly one notice per external message, however often it is delivered.
        UniqueConstraint("source", "external_id"),
        Index("ix_avisos_status_created", "status", "created_at"),
        # A meter has at most one alarm notice still open: a sensor streaming out-of-range
        # values opens one notice, however many workers take its readings at once.
        Index(
            "ux_avisos_open_alarm",
            "meter_id",
            unique=True,
            postgresql_where=text(f"meter_id IS NOT NULL AND status <> '{AvisoStatus.CERRADO}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True, server_default=AVISO_CODE_DEFAULT)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    priority: Mapped[str] = mapped_column(Text, server_default=AvisoPriority.MEDIA.value)
    status: Mapped[str] = mapped_column(Text, server_default=AvisoStatus.ABIERTO.value)
    source: Mapped[str] = mapped_column(Text, server_default="APP")
    external_id: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The corrective order made from this notice.
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id", ondelete="SET NULL"), index=True
    )
    # The inspection order whose failed step opened this notice.
    origin_work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id", ondelete="SET NULL"), index=True
    )
    # The meter whose alarm opened this notice.
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id", ondelete="RESTRICT"))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
