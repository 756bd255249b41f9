"""Process-wide logging (called by entry points only): JSON lines or console text.

The code logs through the standard library (`logging.getLogger(__name__)`), as do aiohttp and
aio-pika; structlog's `ProcessorFormatter` renders every record, ours and theirs, the same way.
What a request or a command is about (`request_id`, `command_id`, …) is bound once with
`structlog.contextvars.bound_contextvars` and lands on every line logged meanwhile, by any
logger; fields given as `extra={...}` become fields of the line.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

FORMATS = ("json", "console")


def _json(event: dict[str, Any], **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def configure(level: str, fmt: str | None = None) -> None:
    """`fmt` json or console; None: console on a terminal, JSON otherwise."""
    fmt = fmt or ("console" if sys.stderr.isatty() else "json")
    before: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_json)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=before,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # A traceback is one field of the JSON line (on the console, the renderer's).
                *([structlog.processors.format_exc_info] if fmt == "json" else []),
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*before, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # aio-pika logs every reconnect attempt at WARNING with a traceback; ours says it once.
    logging.getLogger("aio_pika.robust_connection").setLevel(logging.ERROR)
    # Alembic announces each of its plugins at INFO on every migrate.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
