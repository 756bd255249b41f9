"""`make test-faults`: the service's processes under faults, on private servers.

`python -m tests.faults [word...]` runs the scenarios whose names hold one of the words.

Each scenario sends a few hundred commands while something breaks, then classifies every
command as applied once, lost or duplicated from the orders' histories, and prints one table
row. Any loss, duplicate, refused command or hung request fails the run (exit status 1).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.settings import Settings
from shared.tools.publish_aviso import publish as publish_aviso
from shared.tools.publish_readings import publish as publish_readings
from tests.faults import effects
from tests.faults.load import Client
from tests.faults.processes import NOTIFIER, Service
from tests.faults.run import Fault, Row, Run, consumers_back, table
from tests.faults.servers import PrivateServers

ORDERS = 40
NOTICES = 100
READING_MESSAGES = 60
EXTERNAL_SOURCE = "faults-scada"
# A publisher of an inbound exchange (`shared.tools`): settings, body, message id.
Publish = Callable[..., Awaitable[None]]
# The processes' logs are copied here at the end, for a failure's post-mortem.
KEEP_LOGS = Path("/tmp/faults-logs")


async def worker_killed(run: Run) -> float:
    for _ in range(3):
        await asyncio.sleep(1.5)
        await run.service.kill_worker()
        await asyncio.sleep(0.5)
        await run.service.start_worker()
    await asyncio.sleep(1.0)
    # Once exactly between the commit and the ack: the redelivery must find the stored answer.
    await _crashed_at(run, "command.after_commit:10")
    return time.monotonic()


async def _crashed_at(run: Run, point: str) -> None:
    """Restart the command worker armed at crash `point`, keep commands coming until it dies
    there (the scenario's own load may end first), and start it again."""
    await run.service.restart_worker(crash_at=point)
    death = asyncio.ensure_future(run.service.wait_worker_death(timeout=60))
    await run.send_until(death)
    await death
    await run.service.start_worker()


async def broker_app_stopped(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.rabbit.nodes[0].stop_app)
    await run.probe_while_down()
    await asyncio.sleep(1.0)
    await asyncio.to_thread(run.servers.rabbit.nodes[0].start_app)
    healed_at = time.monotonic()
    run.consumers_back_s = await consumers_back(run, since=healed_at)
    return healed_at


async def database_restarted(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.postgres.restart)
    return time.monotonic()


async def database_stopped_10s(run: Run) -> float:
    await asyncio.sleep(1.5)
    await asyncio.to_thread(run.servers.postgres.stop)
    stopped = time.monotonic()
    await run.probe_while_down(login=True)
    await asyncio.sleep(max(0.0, 10.0 - (time.monotonic() - stopped)))
    await asyncio.to_thread(run.servers.postgres.start)
    return time.monotonic()


async def published_during_broker_restart(
    run: Run, publish: Publish, messages: list[tuple[str, bytes]]
) -> float:
    """`messages` (id, body) published in turn with confirms, each again until confirmed, while
    the broker application stops and starts."""
    settings = Settings(amqp_url=run.servers.rabbit.url, amqp_namespace=run.service.namespace)

    async def publisher() -> None:
        for message_id, body in messages:
            while True:
                try:
                    await publish(settings, body, message_id=message_id)
                    break
                except Exception:  # unconfirmed, for whatever reason: publish again
                    await asyncio.sleep(0.3)

    publishing = asyncio.create_task(publisher())
    healed_at = await broker_app_stopped(run)
    await publishing
    return healed_at


async def notices_during_broker_restart(run: Run) -> float:
    ids = [f"N-{i:04d}" for i in range(NOTICES)]
    notices = [
        {
            "source": EXTERNAL_SOURCE,
            "external_id": external_id,
            "asset_code": run.asset_code,
            "title": f"Aviso {external_id}",
            "priority": "MEDIA",
            "reported_at": "2026-01-01T08:00:00+00:00",
        }
        for external_id in ids
    ]
    run.effects = (
        "notices",
        lambda: effects.notices(run.servers.postgres.url, EXTERNAL_SOURCE, ids),
    )
    messages = [(n["external_id"], json.dumps(n).encode()) for n in notices]
    return await published_during_broker_restart(run, publish_aviso, messages)


async def readings_during_broker_restart(run: Run) -> float:
    """Messages of one reading of every counter, a minute apart after their last readings."""
    counters = await run.client.counters()
    first = datetime.now(UTC) - timedelta(minutes=READING_MESSAGES + 1)
    expected: list[tuple[int, datetime, float]] = []
    messages = []
    for minute in range(READING_MESSAGES):
        taken_at = first + timedelta(minutes=minute)
        readings = []
        for meter_id, code, value, usage in counters:
            # One more hour each minute: the usage moves with the value.
            readings.append(
                {"meter_code": code, "value": value + minute + 1, "taken_at": taken_at.isoformat()}
            )
            expected.append((meter_id, taken_at, usage + minute + 1))
        body = {"source": EXTERNAL_SOURCE, "readings": readings}
        messages.append((f"L-{minute:04d}", json.dumps(body).encode()))
    run.effects = (
        "readings",
        lambda: effects.readings(run.servers.postgres.url, EXTERNAL_SOURCE, expected),
    )
    return await published_during_broker_restart(run, publish_readings, messages)


async def notifier_killed(run: Run) -> float:
    after = await effects.last_event_id(run.servers.postgres.url)
    run.effects = (
        "notifications",
        lambda: effects.reschedule_notifications(run.servers.postgres.url, after),
    )
    for _ in range(3):
        await asyncio.sleep(1.5)
        await run.service.kill_worker(NOTIFIER)
        await asyncio.sleep(0.5)
        await run.service.start_worker(NOTIFIER)
    return time.monotonic()


async def relay_killed_after_publish(run: Run) -> float:
    after = await effects.last_event_id(run.servers.postgres.url)
    run.effects = (
        "notifications",
        lambda: effects.reschedule_notifications(run.servers.postgres.url, after),
    )
    await asyncio.sleep(1.0)
    await _crashed_at(run, "outbox.after_publish:10")
    return time.monotonic()


SCENARIOS: list[tuple[str, Fault]] = [
    ("worker SIGKILL x3 + after commit", worker_killed),
    ("rabbitmq stop_app/start_app", broker_app_stopped),
    ("postgresql restart", database_restarted),
    ("postgresql stopped 10 s", database_stopped_10s),
    ("notices during rabbitmq restart", notices_during_broker_restart),
    ("readings during rabbitmq restart", readings_during_broker_restart),
    ("notifications worker SIGKILL x3", notifier_killed),
    ("outbox relay killed after publish", relay_killed_after_publish),
]


async def main(only: list[str]) -> int:
    # The notice publisher's reconnects while the broker is down are expected, not news.
    logging.getLogger("aio_pika").setLevel(logging.CRITICAL)
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    servers = PrivateServers()
    rows: list[Row] = []
    chosen = [s for s in SCENARIOS if not only or any(word in s[0] for word in only)]
    try:
        await asyncio.to_thread(servers.start)
        async with Service(servers) as service:
            async with Client(service.base_url, "planificador", "plan123") as client:
                await client.log_in()
                run = Run(servers, service, client)
                run.orders = await client.pending_orders(ORDERS)
                run.asset_code = await client.an_asset_code()
                for name, fault in chosen:
                    row = await run.scenario(name, fault)
                    rows.append(row)
                    print(table([row]).splitlines()[-1], flush=True)
                assert service.gateway_alive(), "the gateway died"
    finally:
        await asyncio.to_thread(servers.close, KEEP_LOGS)
    print(table(rows))
    return 0 if rows and all(r.ok for r in rows) and len(rows) == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
