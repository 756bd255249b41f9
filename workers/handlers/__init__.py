"""Every command handler, by command class: one dict per area, merged here."""

from __future__ import annotations

from shared.messages import Command
from workers.dispatcher import Handler
from workers.handlers import catalogs, generation, programs, work_orders

COMMAND_HANDLERS: dict[type[Command], Handler] = {
    **catalogs.HANDLERS,
    **generation.HANDLERS,
    **programs.HANDLERS,
    **work_orders.HANDLERS,
}
