"""Meters leave half of each page free, so that recording a reading updates them in place

Every batch of readings rewrites its meters' last reading. With full pages each new row version
goes to another page and into all three of the meters' indexes; with room on the page it is a
heap-only update that touches no index (and is pruned on the page).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows written from now on keep the room; existing pages get it as they are rewritten.
    op.execute("ALTER TABLE meters SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE meters RESET (fillfactor)")
