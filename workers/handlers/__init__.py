"""Every command handler, by command class: one dict per area, merged here."""

from __future__ import annotations

from shared.messages import Command
from workers.dispatcher import Handler
from workers.handlers import (
    avisos,
    catalogs,
    generation,
    meters,
    mobile,
    notifications,
    programs,
    rescheduling,
    restructuring,
    routines,
    work_orders,
)

COMMAND_HANDLERS: dict[type[Command], Handler] = {
    **avisos.HANDLERS,
    **catalogs.HANDLERS,
    **generation.HANDLERS,
    **meters.HANDLERS,
    **notifications.HANDLERS,
    **programs.HANDLERS,
    **routines.HANDLERS,
    **mobile.HANDLERS,
    **work_orders.HANDLERS,
    **rescheduling.HANDLERS,
    **restructuring.HANDLERS,
}
