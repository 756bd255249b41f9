"""Outbox rows remember their transaction: the event feed's commit-safe order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get the migration's own transaction id: they are all older than any event
    # written after it.
    op.add_column(
        "outbox",
        sa.Column(
            "xact_id",
            sa.BigInteger(),
            server_default=sa.text("(pg_current_xact_id()::text)::bigint"),
            nullable=False,
        ),
    )
    op.create_index("ix_outbox_feed", "outbox", ["xact_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_feed", table_name="outbox")
    op.drop_column("outbox", "xact_id")
