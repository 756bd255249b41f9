"""Commands on the caller's own notifications."""

from __future__ import annotations

from shared.enums import EVERYONE
from shared.messages.base import Command
from shared.messages.fields import BigId


class MarkNotificationRead(Command):
    """`POST /notificaciones/{id}/leer/`: someone else's notification is as unknown as none."""

    routing_key = "notificacion.leer"
    roles = EVERYONE

    notification_id: BigId


class MarkAllNotificationsRead(Command):
    """`POST /notificaciones/leer-todas/`: every unread notification of the caller."""

    routing_key = "notificacion.leer_todas"
    roles = EVERYONE
