"""Handlers of the caller's notification commands: reading one, reading all."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update

from shared.db.base import table
from shared.db.models import Notification
from shared.errors import NotFound
from shared.messages import Command, success
from shared.messages.notifications import MarkAllNotificationsRead, MarkNotificationRead
from workers.dispatcher import Handler
from workers.uow import UnitOfWork

notifications = table(Notification)


async def mark_read(cmd: MarkNotificationRead, uow: UnitOfWork) -> dict[str, Any]:
    # Reading one twice is still a success; someone else's is unknown to the caller.
    found = (
        await uow.session.execute(
            update(notifications)
            .where(
                notifications.c.id == cmd.notification_id,
                notifications.c.user_id == uow.actor.user_id,
            )
            .values(read=True)
            .returning(notifications.c.id)
        )
    ).first()
    if found is None:
        raise NotFound(f"notification {cmd.notification_id} not found")
    return success("Notificación leída")


async def mark_all_read(cmd: MarkAllNotificationsRead, uow: UnitOfWork) -> dict[str, Any]:
    result = await uow.session.execute(
        update(notifications)
        .where(notifications.c.user_id == uow.actor.user_id, notifications.c.read.is_(False))
        .values(read=True)
    )
    return success("Notificaciones leídas", updated=cast(CursorResult[Any], result).rowcount)


HANDLERS: dict[type[Command], Handler] = {
    MarkNotificationRead: mark_read,
    MarkAllNotificationsRead: mark_all_read,
}
