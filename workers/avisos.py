"""Notice writes shared by the commands (app, inspection, corrective orders) and the consumer of
external notices: set-based inserts, and what a corrective order's fate does to its notice
(completed → CERRADO; cancelled or deleted → ABIERTO again)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import AvisoPriority, AvisoStatus
from shared.messages import events
from workers.uow import UnitOfWork

_INSERT = text(
    """
    INSERT INTO avisos (asset_id, title, description, priority, source, author_id,
                        origin_work_order_id)
    SELECT n.asset_id, n.title, n.description, n.priority, n.source, :author_id, :origin
      FROM unnest(CAST(:asset_ids AS integer[]), CAST(:titles AS text[]),
                  CAST(:descriptions AS text[]), CAST(:priorities AS text[]),
                  CAST(:sources AS text[]))
           WITH ORDINALITY AS n(asset_id, title, description, priority, source, position)
     ORDER BY n.position
    RETURNING id, asset_id, source
    """
)
# One notice per (source, external_id), however often the message is delivered.
_INSERT_EXTERNAL = text(
    """
    INSERT INTO avisos (asset_id, title, description, priority, source, external_id, reported_at)
    VALUES (:asset_id, :title, :description, :priority, :source, :external_id, :reported_at)
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING id
    """
)
_ASSET_BY_CODE = text("SELECT id FROM assets WHERE code = :code")
_CLOSE = text(
    """
    UPDATE avisos a SET status = 'CERRADO', updated_at = now()
      FROM (SELECT id, status FROM avisos
             WHERE work_order_id = :work_order_id AND status <> 'CERRADO' FOR UPDATE) old
     WHERE a.id = old.id
    RETURNING a.id, a.author_id, old.status AS old_status
    """
)

# A corrective order cancelled or deleted before it was done: the problem is still there, so
# its notice is open again (and may get another order).
_REOPEN = text(
    """
    UPDATE avisos SET status = 'ABIERTO', work_order_id = NULL, updated_at = now()
     WHERE work_order_id = ANY(CAST(:ids AS integer[])) AND status = 'EN_PROCESO'
    RETURNING id, author_id, 'EN_PROCESO' AS old_status
    """
)


@dataclass(frozen=True)
class NewNotice:
    asset_id: int
    title: str
    description: str
    priority: AvisoPriority
    source: str


async def open_notices(
    uow: UnitOfWork, notices: Sequence[NewNotice], origin_work_order_id: int | None = None
) -> list[int]:
    """Insert `notices` by the command's user (one statement), announce each; their ids in
    order."""
    if not notices:
        return []
    rows = (
        await uow.session.execute(
            _INSERT,
            {
                "author_id": uow.actor.user_id,
                "origin": origin_work_order_id,
                "asset_ids": [n.asset_id for n in notices],
                "titles": [n.title for n in notices],
                "descriptions": [n.description for n in notices],
                "priorities": [n.priority.value for n in notices],
                "sources": [n.source for n in notices],
            },
        )
    ).all()
    for row in rows:
        uow.emit(
            events.AvisoCreated(
                aviso_id=row.id,
                asset_id=row.asset_id,
                source=row.source,
                author_id=uow.actor.user_id,
                origin_work_order_id=origin_work_order_id,
            )
        )
    return [row.id for row in rows]


async def asset_id_by_code(session: AsyncSession, code: str) -> int | None:
    return (await session.execute(_ASSET_BY_CODE, {"code": code})).scalar()


async def insert_external(
    session: AsyncSession,
    *,
    asset_id: int,
    notice: NewNotice,
    external_id: str,
    reported_at: datetime,
) -> int | None:
    """The new notice's id, or None when `(source, external_id)` is already a notice."""
    return (
        await session.execute(
            _INSERT_EXTERNAL,
            {
                "asset_id": asset_id,
                "title": notice.title,
                "description": notice.description,
                "priority": notice.priority.value,
                "source": notice.source,
                "external_id": external_id,
                "reported_at": reported_at,
            },
        )
    ).scalar()


async def close_notice_of_completed(uow: UnitOfWork, work_order_id: int) -> None:
    """A corrective order was completed: the notice it was made from is closed, and its author
    told."""
    changed = await uow.session.execute(_CLOSE, {"work_order_id": work_order_id})
    _announce(uow, changed, AvisoStatus.CERRADO, work_order_id)


async def reopen_notices_of(uow: UnitOfWork, work_order_ids: Sequence[int]) -> None:
    """Orders that will not be done: their notices are open again, and their authors told."""
    changed = await uow.session.execute(_REOPEN, {"ids": list(work_order_ids)})
    _announce(uow, changed, AvisoStatus.ABIERTO, None)


def _announce(
    uow: UnitOfWork, changed: Iterable[Any], status: AvisoStatus, work_order_id: int | None
) -> None:
    for row in changed:
        uow.emit(
            events.AvisoUpdated(
                aviso_id=row.id,
                author_id=row.author_id,
                old_status=row.old_status,
                new_status=status,
                work_order_id=work_order_id,
            )
        )
