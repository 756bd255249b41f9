"""Domain events: written to the outbox with the change, published to `mantenimiento.eventos`
under their type as routing key."""

from __future__ import annotations

OT_ASSIGNED = "ot.asignada"
OT_DATE_CHANGED = "ot.fecha_cambiada"
OT_STATUS = "ot.estado"
OT_GENERATED = "ot.generadas"
