"""The unit of work a handler receives: one session in one transaction, plus what it emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import Role
from shared.messages import Actor


@dataclass
class UnitOfWork:
    session: AsyncSession
    actor: Actor
    tz: ZoneInfo
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue an outbox event; it is written in this transaction, published after commit."""
        self.events.append((event_type, data))

    def now(self) -> datetime:
        return datetime.now(self.tz)

    @property
    def is_planner(self) -> bool:
        return self.actor.role in (Role.ADMIN, Role.PLANIFICADOR)
