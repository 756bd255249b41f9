"""The unit of work a handler receives: one session in one transaction, plus what it emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import Role
from shared.messages import Actor
from shared.messages.events import DomainEvent
from shared.settings import Settings
from workers.command_log import Event, HistoryLine, Write


@dataclass
class UnitOfWork:
    session: AsyncSession
    actor: Actor
    settings: Settings
    history: list[HistoryLine] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)

    def record(self, work_order_id: int, event: str, data: dict[str, Any] | None = None) -> None:
        """Add a line to an order's history; written with the command's result, in its
        transaction."""
        self.history.append(HistoryLine(work_order_id, event, data or {}))

    def emit(self, event: DomainEvent) -> None:
        """Queue an outbox event; written in this transaction, published after commit."""
        self.events.append(Event(event.type, event.model_dump(mode="json")))

    @property
    def tz(self) -> ZoneInfo:
        """The plant's time zone."""
        return self.settings.tz

    def write_at_end(self, sql: str, **params: Any) -> None:
        """Run `sql` (an INSERT, UPDATE or DELETE, `:name` parameters) in the command's last
        statement, with its result: for a write whose outcome the handler need not read, after
        the reads that decided it (rows locked with FOR UPDATE stay locked until then)."""
        self.writes.append(Write(sql, params))

    def now(self) -> datetime:
        return datetime.now(self.tz)

    @property
    def is_planner(self) -> bool:
        return self.actor.role in (Role.ADMIN, Role.PLANIFICADOR)
