"""Who is notified of which domain event, and with what words: one INSERT … SELECT per event.

A rule names the notification kind, a one-row *subject* (title, message, work_order_id, aviso_id,
built once per event with the codes joined from their tables) and the *recipients* (a condition
on `users u`). Every rule runs as the same single statement: the notifications of all recipients
at once, `ON CONFLICT (event_id, user_id) DO NOTHING` so a redelivered event adds nothing, and,
when any row was new, the `notificacion.creadas` outbox event that tells the gateways to push.

Nobody is notified of their own action (`actor`), and inactive users are never notified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import CursorResult, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import NotificationKind, Role
from shared.messages import events
from workers import outbox

# How many order codes a message about several orders names before "…".
CODES_NAMED = 5

STATUS_WORDS = {
    "PENDIENTE": "pendiente",
    "EN_PROGRESO": "en progreso",
    "COMPLETADA": "completada",
    "CANCELADA": "cancelada",
    "ABIERTO": "abierto",
    "EN_PROCESO": "en proceso",
    "CERRADO": "cerrado",
}


@dataclass(frozen=True)
class Rule:
    kind: NotificationKind
    # SQL giving exactly one row (title, message, work_order_id, aviso_id), or none to skip.
    subject: str
    # SQL condition on `users u`: who receives it.
    recipients: str
    statement: TextClause = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "statement", _statement(self))


def _statement(rule: Rule) -> TextClause:
    return text(
        f"""
        WITH subject AS MATERIALIZED ({rule.subject}),
        new AS (
            INSERT INTO notifications
                   (event_id, user_id, kind, title, message, work_order_id, aviso_id)
            SELECT CAST(:event_id AS bigint), u.id, '{rule.kind.value}', s.title, s.message,
                   s.work_order_id, s.aviso_id
              FROM subject s CROSS JOIN users u
             WHERE u.active AND ({rule.recipients})
               AND u.id IS DISTINCT FROM CAST(:actor AS integer)
            ON CONFLICT (event_id, user_id) DO NOTHING
            RETURNING 1
        )
        INSERT INTO outbox (type, data, trace_context)
        SELECT :signal_type, CAST(:signal_data AS jsonb), CAST(:trace_context AS jsonb)
         WHERE EXISTS (SELECT 1 FROM new)
        """
    )


@dataclass(frozen=True)
class Fanout:
    rule: Rule
    params: dict[str, Any]
    actor: int | None = None

    async def run(self, session: AsyncSession, event_id: int) -> bool:
        """Write the notifications (one statement); True when any was new."""
        signal = events.NotificationsCreated(event_id=event_id)
        result = await session.execute(
            self.rule.statement,
            {
                **self.params,
                "event_id": event_id,
                "actor": self.actor,
                "signal_type": signal.type,
                "signal_data": orjson.dumps(signal.model_dump(mode="json")).decode(),
                "trace_context": outbox.trace_context(),
            },
        )
        return bool(cast(CursorResult[Any], result).rowcount)


_ORDER_SUBJECT = "FROM work_orders wo WHERE wo.id = CAST(:work_order_id AS integer)"
_TECHNICIAN = "u.id = CAST(:technician_id AS integer)"
_ORDER_IF_EXISTS = "(SELECT id FROM work_orders WHERE id = CAST(:work_order_id AS integer))"

ASSIGNED = Rule(
    NotificationKind.OT_ASIGNADA,
    "SELECT 'Orden asignada' AS title,"
    " format('Se te asignó la orden %s: %s', wo.code, wo.title) AS message,"
    f" wo.id AS work_order_id, wo.aviso_id {_ORDER_SUBJECT}",
    _TECHNICIAN,
)
RESCHEDULED = Rule(
    NotificationKind.OT_FECHA_CAMBIADA,
    f"SELECT CAST(:title AS text) AS title, CAST(:message AS text) AS message,"
    f" {_ORDER_IF_EXISTS} AS work_order_id, CAST(NULL AS integer) AS aviso_id",
    _TECHNICIAN,
)
STATUS_CHANGED = Rule(
    NotificationKind.OT_ESTADO,
    "SELECT 'Cambio de estado' AS title,"
    " format('La orden %s (%s) pasó de %s a %s', wo.code, wo.title,"
    " CAST(:old_status AS text), CAST(:new_status AS text)) AS message,"
    f" wo.id AS work_order_id, wo.aviso_id {_ORDER_SUBJECT}",
    # The assigned technician, and the author of the notice the order was made from.
    f"{_TECHNICIAN} OR u.id = (SELECT author_id FROM avisos WHERE id = CAST(:aviso_id AS integer))",
)
GENERATED = Rule(
    NotificationKind.OT_GENERADAS,
    f"SELECT 'Órdenes generadas' AS title, CAST(:message AS text) AS message,"
    f" {_ORDER_IF_EXISTS} AS work_order_id, CAST(NULL AS integer) AS aviso_id",
    _TECHNICIAN,
)
AVISO_CREATED = Rule(
    NotificationKind.AVISO_NUEVO,
    "SELECT 'Nuevo aviso' AS title,"
    " format('Aviso %s (prioridad %s) en %s: %s', av.code, av.priority, a.code, av.title)"
    " AS message, CAST(NULL AS integer) AS work_order_id, av.id AS aviso_id"
    " FROM avisos av JOIN assets a ON a.id = av.asset_id"
    " WHERE av.id = CAST(:aviso_id AS integer)",
    # Planners triage notices; administrators run the system and are not told of each one.
    f"u.role = '{Role.PLANIFICADOR.value}'",
)
AVISO_UPDATED = Rule(
    NotificationKind.AVISO_ACTUALIZADO,
    "SELECT 'Aviso actualizado' AS title,"
    " format('Tu aviso %s (%s) pasó a %s', av.code, av.title, CAST(:new_status AS text))"
    " || coalesce('; orden ' || wo.code, '') AS message,"
    " wo.id AS work_order_id, av.id AS aviso_id"
    " FROM avisos av LEFT JOIN work_orders wo ON wo.id = CAST(:work_order_id AS integer)"
    " WHERE av.id = CAST(:aviso_id AS integer)",
    "u.id = CAST(:author_id AS integer)",
)


def _named_codes(codes: list[str]) -> str:
    named = ", ".join(codes[:CODES_NAMED])
    return named + (", …" if len(codes) > CODES_NAMED else "")


def _assigned(event: events.OrderAssigned, tz: ZoneInfo) -> Fanout:
    params = {"work_order_id": event.work_order_id, "technician_id": event.technician_id}
    return Fanout(ASSIGNED, params, event.assigned_by)


def _rescheduled(event: events.OrdersRescheduled, tz: ZoneInfo) -> Fanout:
    orders = event.work_orders
    if len(orders) == 1:
        start = orders[0].new_start.astimezone(tz)
        title = "Orden reprogramada"
        message = (
            f"La orden {orders[0].code} pasa al {start:%d/%m/%Y %H:%M}. Motivo: {event.reason}"
        )
    else:
        title = "Órdenes reprogramadas"
        codes = _named_codes([order.code for order in orders])
        message = f"{len(orders)} órdenes cambiaron de fecha ({codes}). Motivo: {event.reason}"
    params = {
        "title": title,
        "message": message,
        "work_order_id": orders[0].id if len(orders) == 1 else None,
        "technician_id": event.technician_id,
    }
    return Fanout(RESCHEDULED, params, event.changed_by)


def _status_changed(event: events.OrderStatusChanged, tz: ZoneInfo) -> Fanout:
    params = {
        "work_order_id": event.work_order_id,
        "old_status": STATUS_WORDS[event.old_status],
        "new_status": STATUS_WORDS[event.new_status],
        "technician_id": event.technician_id,
        "aviso_id": event.aviso_id,
    }
    return Fanout(STATUS_CHANGED, params, event.changed_by)


def _generated(event: events.OrdersGenerated, tz: ZoneInfo) -> Fanout:
    if event.count == 1:
        message = "Se generó 1 orden nueva para ti"
    else:
        message = f"Se generaron {event.count} órdenes nuevas para ti"
    single = event.work_order_ids[0] if len(event.work_order_ids) == 1 else None
    params = {"message": message, "work_order_id": single, "technician_id": event.technician_id}
    return Fanout(GENERATED, params)


def _aviso_created(event: events.AvisoCreated, tz: ZoneInfo) -> Fanout:
    return Fanout(AVISO_CREATED, {"aviso_id": event.aviso_id}, event.author_id)


def _aviso_updated(event: events.AvisoUpdated, tz: ZoneInfo) -> Fanout:
    params = {
        "aviso_id": event.aviso_id,
        "author_id": event.author_id,
        "new_status": STATUS_WORDS[event.new_status],
        "work_order_id": event.work_order_id,
    }
    return Fanout(AVISO_UPDATED, params)


RULES: dict[type[events.DomainEvent], Callable[[Any, ZoneInfo], Fanout]] = {
    events.OrderAssigned: _assigned,
    events.OrdersRescheduled: _rescheduled,
    events.OrderStatusChanged: _status_changed,
    events.OrdersGenerated: _generated,
    events.AvisoCreated: _aviso_created,
    events.AvisoUpdated: _aviso_updated,
}


def fanout(event: events.DomainEvent, tz: ZoneInfo) -> Fanout | None:
    """The notifications an event produces; None for events nobody is notified of."""
    rule = RULES.get(type(event))
    return rule(event, tz) if rule else None
