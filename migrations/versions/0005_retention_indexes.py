"""Retention: indexes that make the daily purges index scans, and the event feed's horizon

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whatever deletes outbox rows (the purge, or an operator by hand), the horizon moves to the
# largest feed position deleted, never back: the feed compares a client's cursor with it.
_MOVE_HORIZON = """
CREATE FUNCTION outbox_move_horizon() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox_horizon h
       SET xact_id = last.xact_id, outbox_id = last.id
      FROM (SELECT xact_id, id FROM deleted ORDER BY xact_id DESC, id DESC LIMIT 1) AS last
     WHERE (h.xact_id, h.outbox_id) < (last.xact_id, last.id);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_index("ix_outbox_published", "outbox", ["published_at"], unique=False)
    op.create_index("ix_command_log_finished", "command_log", ["finished_at"], unique=False)
    op.create_index(
        "ix_notifications_read_created",
        "notifications",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("read"),
    )
    op.create_table(
        "outbox_horizon",
        sa.Column("single", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("xact_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("single", name=op.f("ck_outbox_horizon_single")),
        sa.PrimaryKeyConstraint("single", name=op.f("pk_outbox_horizon")),
    )
    op.execute("INSERT INTO outbox_horizon DEFAULT VALUES")
    op.execute(_MOVE_HORIZON)
    op.execute(
        "CREATE TRIGGER outbox_deleted AFTER DELETE ON outbox REFERENCING OLD TABLE AS deleted"
        " FOR EACH STATEMENT EXECUTE FUNCTION outbox_move_horizon()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outbox_deleted ON outbox")
    op.execute("DROP FUNCTION outbox_move_horizon()")
    op.drop_table("outbox_horizon")
    op.drop_index("ix_notifications_read_created", table_name="notifications")
    op.drop_index("ix_command_log_finished", table_name="command_log")
    op.drop_index("ix_outbox_published", table_name="outbox")
