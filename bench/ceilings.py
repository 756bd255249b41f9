"""The ceilings: the same work done directly with aiohttp, asyncpg and aio-pika, no framework of
ours in between. Run as `python -m bench.ceilings read|search|rpc --port P` (its own process,
configured by the same environment as the service); each answers `GET /ready` once it serves.

- `read`: `GET /mantenimiento/ot/{id}/` — one primary-key select of the order with its assets
  and steps (nested JSON built by PostgreSQL, as the service's detail does).
- `search`: `GET /mantenimiento/ot/?status=&start_date=&end_date=&limit=` — the page and its
  total in one hand-written statement.
- `rpc`: consumes `<namespace>.bench.eco` (durable quorum queue, the worker's prefetch); each
  message is one `UPDATE` by primary key, then an ack and an `ok` reply.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import aio_pika
import asyncpg
import orjson
from aiohttp import web

from shared.settings import Settings

POOL = web.AppKey("pool", asyncpg.Pool)

_ORDER_JSON = """
    json_build_object(
      'id', wo.id, 'code', wo.code, 'type', wo.type, 'status', wo.status, 'title', wo.title,
      'scheduled_start', wo.scheduled_start, 'scheduled_end', wo.scheduled_end,
      'actual_start', wo.actual_start, 'actual_end', wo.actual_end,
      'technician', u.full_name, 'technician_id', wo.technician_id, 'notes', wo.notes,
      'routine_id', wo.routine_id, 'program_id', wo.program_id, 'aviso_id', wo.aviso_id,
      'version', wo.version, 'created_at', wo.created_at, 'updated_at', wo.updated_at,
      'assets', (SELECT coalesce(json_agg(json_build_object(
                   'id', a.id, 'code', a.code, 'name', a.name,
                   'location', json_build_object('id', l.id, 'code', l.code, 'name', l.name))
                 ORDER BY a.id), '[]')
                 FROM work_order_assets woa JOIN assets a ON a.id = woa.asset_id
                 JOIN locations l ON l.id = a.location_id WHERE woa.work_order_id = wo.id)
      {steps})
"""
_STEPS = """,
      'steps', (SELECT coalesce(json_agg(json_build_object(
                  'id', s.id, 'order', s.position, 'description', s.description, 'kind', s.kind,
                  'unit', s.unit, 'min_value', s.min_value, 'max_value', s.max_value,
                  'done', s.done, 'ok', s.ok, 'comment', s.comment) ORDER BY s.position), '[]')
                FROM work_order_steps s WHERE s.work_order_id = wo.id)"""
READ = (
    f"SELECT {_ORDER_JSON.format(steps=_STEPS)}::text FROM work_orders wo "
    "LEFT JOIN users u ON u.id = wo.technician_id WHERE wo.id = $1"
)
SEARCH = f"""
    WITH matching AS MATERIALIZED (
        SELECT id, scheduled_start FROM work_orders
         WHERE status = ANY($1)
           AND tstzrange(scheduled_start, scheduled_end, '[]') && tstzrange($2, $3, '[)')
    )
    SELECT (SELECT count(*) FROM matching) AS total,
           (SELECT coalesce(json_agg(page.item ORDER BY page.scheduled_start, page.id), '[]')
              FROM (SELECT wo.id, wo.scheduled_start, {_ORDER_JSON.format(steps="")} AS item
                      FROM work_orders wo LEFT JOIN users u ON u.id = wo.technician_id
                     WHERE wo.id IN (SELECT id FROM matching ORDER BY scheduled_start, id
                                     LIMIT $4)
                     ORDER BY wo.scheduled_start, wo.id) page)::text AS items
"""
UPDATE = "UPDATE work_orders SET notes = $2, version = version + 1 WHERE id = $1"


async def read(request: web.Request) -> web.Response:
    body = await request.app[POOL].fetchval(READ, int(request.match_info["id"]))
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(body=body.encode(), content_type="application/json")


async def search(request: web.Request) -> web.Response:
    query = request.query
    tz = request.app[SETTINGS].tz
    start = datetime.combine(date.fromisoformat(query["start_date"]), time(), tz)
    end = datetime.combine(date.fromisoformat(query["end_date"]) + timedelta(days=1), time(), tz)
    row = await request.app[POOL].fetchrow(
        SEARCH, query["status"].split(","), start, end, int(query["limit"])
    )
    return web.Response(
        body=row["items"].encode(),
        content_type="application/json",
        headers={"X-Total-Count": str(row["total"])},
    )


async def ready(_: web.Request) -> web.Response:
    return web.Response(text="ok")


SETTINGS = web.AppKey("settings", Settings)


def _dsn(settings: Settings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _pool(settings: Settings) -> asyncpg.Pool:
    # The service's pool size; the plant's time zone, as the service's sessions.
    return await asyncpg.create_pool(
        _dsn(settings),
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size,
        server_settings={"timezone": settings.plant_tz},
    )


def echo_queue(settings: Settings) -> str:
    return f"{settings.amqp_namespace}.bench.eco"


async def _rpc_consumer(settings: Settings, pool: asyncpg.Pool) -> Callable[[], Any]:
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=settings.worker_prefetch)
    queue = await channel.declare_queue(
        echo_queue(settings), durable=True, arguments={"x-queue-type": "quorum"}
    )

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        command = orjson.loads(message.body)
        status = await pool.execute(UPDATE, command["id"], command["notes"])
        await message.ack()
        await channel.default_exchange.publish(
            aio_pika.Message(
                b"ok" if status == "UPDATE 1" else b"missing",
                correlation_id=message.correlation_id,
                delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
            ),
            routing_key=message.reply_to or "",
        )

    await queue.consume(on_message)
    return connection.close


async def serve(kind: str, port: int) -> None:
    settings = Settings()
    pool = await _pool(settings)
    app = web.Application()
    app[POOL] = pool
    app[SETTINGS] = settings
    app.router.add_get("/ready", ready)
    close_broker = None
    if kind == "read":
        app.router.add_get(r"/mantenimiento/ot/{id:\d+}/", read)
    elif kind == "search":
        app.router.add_get("/mantenimiento/ot/", search)
    else:
        close_broker = await _rpc_consumer(settings, pool)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    if close_broker is not None:
        await close_broker()
    await runner.cleanup()
    await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["read", "search", "rpc"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.kind, args.port))


if __name__ == "__main__":
    main()
