"""Command, reply and actor models shared by the gateway (which validates and publishes) and the
workers (which validate again and handle)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)

from shared.enums import PLANNERS, CommandStatus, Role
from shared.messages.fields import iso, refuse_nul

# Routing key → command class; filled as command classes are defined.
COMMANDS: dict[str, type[Command]] = {}


def _assume_plant_tz(value: datetime, info: ValidationInfo) -> datetime:
    """A datetime without an offset is read in the plant's time zone (passed as context)."""
    if value.tzinfo is None:
        tz = (info.context or {}).get("tz")
        if tz is None:
            raise ValueError("datetime needs a UTC offset")
        value = value.replace(tzinfo=tz)
    return value


PlantDateTime = Annotated[
    datetime, BeforeValidator(iso(datetime)), AfterValidator(_assume_plant_tz)
]


class Message(BaseModel):
    """Base of every message: unknown fields and NUL in text are refused, whoever sends it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    _no_nul = field_validator("*")(refuse_nul)


class Command(Message):
    """A request to change state. Subclasses set `routing_key`, the roles that may send it
    (`roles`: checked by the gateway before publishing and by the dispatcher before handling),
    the consumer group (`queue`) and, for bulk work, a longer statement limit (`long_running`).
    Finer rules (the technician assigned to the order) stay with the handler."""

    routing_key: ClassVar[str]
    roles: ClassVar[tuple[Role, ...]]
    queue: ClassVar[str] = "ordenes"
    long_running: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "routing_key" in cls.__dict__:
            if cls.routing_key in COMMANDS:
                raise TypeError(f"two commands share routing key {cls.routing_key}")
            if not getattr(cls, "roles", None):
                raise TypeError(f"command {cls.__name__} does not declare its roles")
            COMMANDS[cls.routing_key] = cls

    @classmethod
    def allows(cls, role: Role) -> bool:
        return role in cls.roles


class PlanningCommand(Command):
    """A planning command: with `dry_run` it answers exactly what it would do, changing nothing
    (the dispatcher runs it and rolls its work back). Planners only."""

    roles = PLANNERS
    dry_run: bool = False


class Actor(Message):
    """Who sent a command; travels in the message headers. No user id: the service itself (the
    scheduler's daily generation)."""

    user_id: int | None
    role: Role


class Reply(Message):
    """A worker's answer: `body` is what the HTTP caller receives with `http_status` (and
    `retry_after` as its `Retry-After` header)."""

    status: Literal[CommandStatus.SUCCESS, CommandStatus.ERROR]
    http_status: int
    body: dict[str, Any]
    retry_after: int | None = None

    @property
    def final(self) -> bool:
        """Whether this is the command's last word. A 503 (the database was busy: nothing was
        applied) is not: the same command id may run again, and its next answer replaces it."""
        return is_final(self.http_status)


# The status of an answer that is not final (see `Reply.final`), in SQL too: workers/command_log.py.
NOT_FINAL_HTTP_STATUS = 503


def is_final(http_status: int | None) -> bool:
    return http_status is not None and http_status != NOT_FINAL_HTTP_STATUS


def success(message: str, **extra: Any) -> dict[str, Any]:
    """The contract's success body of a command."""
    return {"status": "success", "message": message, **extra}
