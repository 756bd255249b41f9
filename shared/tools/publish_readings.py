"""Publish meter readings, as a machine would (for trials and demos):

    python -m shared.tools.publish_readings --source scada-1 --meter-code HORAS-BOMBA-07 \\
        --value 1520.5 [--taken-at 2026-12-06T10:00:00+01:00] [--reset]

It goes to exchange `<AMQP_NAMESPACE>.lecturas` with routing key `lectura.externa`, one message
of one reading (a machine may send up to 1,000 per message), persistent JSON, confirmed by the
broker. The `lecturas` workers store it.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime, timezone

import orjson

from shared.messages.meters import ExternalReading
from shared.messaging.topology import LECTURAS
from shared.settings import Settings
from shared.tools.inbound import publish_inbound

ROUTING_KEY = "lectura.externa"


async def publish(settings: Settings, body: bytes, *, message_id: str | None = None) -> None:
    """Publish `body` (any bytes: the consumer judges them) and wait for the broker's confirm."""
    await publish_inbound(settings, LECTURAS, ROUTING_KEY, body, message_id=message_id)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--meter-code", required=True)
    parser.add_argument("--value", required=True, type=float)
    parser.add_argument("--taken-at", help="ISO 8601; default now")
    parser.add_argument("--reset", action="store_true", help="the counter started again")
    args = parser.parse_args(argv)
    settings = Settings()
    reading = ExternalReading.model_validate(
        {
            "meter_code": args.meter_code,
            "value": args.value,
            "taken_at": args.taken_at or datetime.now(timezone.utc),
            "reset": args.reset,
        },
        context={"tz": settings.tz},  # a time without an offset is plant time
    )
    body = orjson.dumps({"source": args.source, "readings": [reading.model_dump(mode="json")]})
    asyncio.run(publish(settings, body))
    print(body.decode())


if __name__ == "__main__":
    main()
