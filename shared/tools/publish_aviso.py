"""Publish one external notice, as an external system would (for trials and demos):

    python -m shared.tools.publish_aviso --source scada-1 --external-id A-991 \\
        --asset-code BOMBA-07 --title "Vibración alta" --priority ALTA

It goes to exchange `<AMQP_NAMESPACE>.avisos` with routing key `aviso.externo`, persistent JSON,
confirmed by the broker. The `avisos` workers turn it into a notice.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime, timezone

from shared.enums import AvisoPriority
from shared.messages.avisos import ExternalAviso
from shared.messaging.topology import AVISOS
from shared.settings import Settings
from shared.tools.inbound import publish_inbound

ROUTING_KEY = "aviso.externo"


async def publish(settings: Settings, body: bytes, *, message_id: str | None = None) -> None:
    """Publish `body` (any bytes: the consumer judges them) and wait for the broker's confirm."""
    await publish_inbound(settings, AVISOS, ROUTING_KEY, body, message_id=message_id)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--external-id", required=True)
    parser.add_argument("--asset-code", required=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--description", default="")
    parser.add_argument("--priority", default="MEDIA", choices=[p.value for p in AvisoPriority])
    parser.add_argument("--reported-at", help="ISO 8601; default now")
    args = parser.parse_args(argv)
    settings = Settings()
    notice = ExternalAviso.model_validate(
        {
            "source": args.source,
            "external_id": args.external_id,
            "asset_code": args.asset_code,
            "title": args.title,
            "description": args.description,
            "priority": args.priority,
            "reported_at": args.reported_at or datetime.now(timezone.utc),
        },
        context={"tz": settings.tz},  # a time without an offset is plant time
    )
    body = notice.model_dump_json().encode()
    asyncio.run(publish(settings, body))
    print(body.decode())


if __name__ == "__main__":
    main()
