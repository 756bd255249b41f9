"""Every command, reply and event of the service, as frozen pydantic models."""

from shared.messages import (
    avisos,
    catalogs,
    events,
    meters,
    mobile,
    notifications,
    planning,
    programs,
    routines,
    work_orders,
)
from shared.messages.base import (
    COMMANDS,
    Actor,
    Command,
    PlanningCommand,
    PlantDateTime,
    Reply,
    success,
)

__all__ = [
    "COMMANDS",
    "Actor",
    "Command",
    "PlanningCommand",
    "PlantDateTime",
    "Reply",
    "avisos",
    "catalogs",
    "programs",
    "commands_by_queue",
    "events",
    "meters",
    "mobile",
    "notifications",
    "planning",
    "routines",
    "success",
    "work_orders",
]


def commands_by_queue() -> dict[str, tuple[str, ...]]:
    """Routing keys of every command, grouped by the queue that consumes them."""
    groups: dict[str, list[str]] = {"ordenes": [], "generacion": []}
    for key, command in COMMANDS.items():
        groups[command.queue].append(key)
    return {queue: tuple(sorted(keys)) for queue, keys in groups.items()}
