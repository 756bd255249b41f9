"""The gateway application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.keys import ENGINE, LIST_READS, PUSH, RPC, SETTINGS
from gateway.middlewares import MIDDLEWARES
from gateway.push import PushHub
from gateway.reads import ListReads
from gateway.routes import (
    auth,
    avisos,
    catalogs,
    command_status,
    docs,
    event_feed,
    meters,
    mobile,
    notifications,
    ops,
    planning,
    programs,
    routines,
    wizard,
    work_orders,
    workload,
)
from gateway.tracing import request_spans
from shared import tracing
from shared.db.engine import create_engine, observe_pool
from shared.messaging.rpc import RpcClient
from shared.settings import Settings

ROUTES = (
    auth.routes,
    avisos.routes,
    catalogs.routes,
    command_status.routes,
    event_feed.routes,
    meters.routes,
    mobile.routes,
    notifications.routes,
    ops.routes,
    programs.routes,
    routines.routes,
    wizard.routes,
    work_orders.routes,
    planning.routes,
    workload.routes,
)


async def _database(app: web.Application) -> AsyncIterator[None]:
    # The gateway's statements each stand alone (reads, a token, a pending mark).
    settings = app[SETTINGS]
    app[ENGINE] = create_engine(settings, autocommit=True)
    observe_pool(app[ENGINE])
    replica = None
    if settings.database_read_url:
        replica = create_engine(settings, autocommit=True, url=settings.database_read_url)
    app[LIST_READS] = ListReads(app[ENGINE], replica)
    yield
    await app[ENGINE].dispose()
    if replica is not None:
        await replica.dispose()


async def _broker(app: web.Application) -> AsyncIterator[None]:
    # Connects in the background: the gateway serves reads (and 503 for commands) meanwhile.
    rpc = RpcClient(app[SETTINGS])
    app[RPC] = rpc
    rpc.broker.start()
    yield
    await rpc.broker.close()


async def _push(app: web.Application) -> AsyncIterator[None]:
    # Its own broker connection: pushing never waits behind (or breaks) command traffic.
    hub = PushHub(app[SETTINGS], app[ENGINE])
    app[PUSH] = hub
    hub.broker.start()
    watching = asyncio.create_task(hub.watch_tokens())
    yield
    watching.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watching
    await hub.broker.close()


async def _close_sockets(app: web.Application) -> None:
    # On shutdown, before the server waits for open handlers: a socket's handler ends with it.
    await app[PUSH].close_sockets()


# The request line (method, path and query) aiohttp reads before any of our code runs; beyond
# it, aiohttp itself answers a plain-text 400 (it has no hook for that answer). Every URL the
# OpenAPI document allows fits (lists in a query hold at most QUERY_LIST_MAX ids), so what
# reaches the limit is refused there; anything shorter gets the contract's JSON answers.
MAX_REQUEST_LINE_BYTES = 64 * 1024


def create_app(settings: Settings) -> web.Application:
    tracer = tracing.tracer(__name__)
    app = web.Application(
        # Outermost when tracing is on: the request's span holds all the rest.
        middlewares=MIDDLEWARES if tracer is None else [request_spans(tracer), *MIDDLEWARES],
        # Larger bodies: 413 with the error body (gateway/middlewares.py).
        client_max_size=settings.max_body_bytes,
        handler_args={"max_line_size": MAX_REQUEST_LINE_BYTES},
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _broker, _push])
    app.on_shutdown.append(_close_sockets)
    for table in ROUTES:
        app.router.add_routes(table)
    docs.setup(app)
    return app
