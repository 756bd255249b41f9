"""Domain events: written to the outbox with the change, published to `mantenimiento.eventos`
under their type as routing key."""

from __future__ import annotations

# An order's status changed: {work_order_id, from, to, technician_id, changed_by}.
OT_STATUS = "ot.estado"
