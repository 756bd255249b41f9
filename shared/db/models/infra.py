"""Messaging infrastructure tables: the command log (idempotency, results) and the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at_column, enum_check
from shared.enums import CommandStatus


class CommandLog(Base):
    """One row per command id: its stored result makes a redelivered or repeated command a no-op.

    The gateway inserts a `pending` row when a reply is late; the worker writes the result in the
    same transaction as the work.
    """

    __tablename__ = "command_log"
    __table_args__ = (
        enum_check("status", CommandStatus),
        # The retention purge's scan, oldest finished first (`pending` rows have none).
        Index("ix_command_log_finished", "finished_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxEvent(Base):
    """A domain event written with the change that caused it, relayed to the broker after commit."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        Index("ix_outbox_feed", "xact_id", "id"),
        # The retention purge's scan, oldest relayed first (unsent rows have none).
        Index("ix_outbox_published", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The writing transaction's id (xid8 as a bigint): the event feed serves a row only once
    # every transaction with a smaller id has ended, ordered by (xact_id, id), so an event that
    # commits late can never land behind a reader's cursor.
    xact_id: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text)::bigint")
    )
    # The W3C trace context (`traceparent`, …) of the span that wrote the event, null while
    # tracing is off: the relay publishes the event as that span's child.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSONB)


class OutboxHorizon(Base):
    """One row: the feed position (xact_id, id) of the last outbox event ever deleted, moved by
    a trigger on every DELETE from the outbox (migration 0005). A feed cursor before it has
    missed events."""

    __tablename__ = "outbox_horizon"
    __table_args__ = (CheckConstraint("single", name="single"),)

    single: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    xact_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    outbox_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
