"""work-order search by date window: a GiST index on (status, scheduled range)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # btree_gist lets one GiST index hold the status (equality) beside the range (overlap).
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "CREATE INDEX ix_work_orders_status_window ON work_orders USING gist "
        "(status, tstzrange(scheduled_start, scheduled_end, '[]'))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_work_orders_status_window")
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
