"""The gateway application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway.keys import ENGINE, RPC, SETTINGS
from gateway.middlewares import MIDDLEWARES
from gateway.routes import auth, catalogs, command_status, docs, ops, programs, work_orders
from shared.db.engine import create_engine
from shared.messaging.rpc import RpcClient
from shared.settings import Settings

ROUTES = (
    auth.routes,
    catalogs.routes,
    command_status.routes,
    ops.routes,
    programs.routes,
    work_orders.routes,
)


async def _database(app: web.Application) -> AsyncIterator[None]:
    # The gateway's statements each stand alone (reads, a token, a pending mark).
    app[ENGINE] = create_engine(app[SETTINGS], autocommit=True)
    yield
    await app[ENGINE].dispose()


async def _broker(app: web.Application) -> AsyncIterator[None]:
    # Connects in the background: the gateway serves reads (and 503 for commands) meanwhile.
    rpc = RpcClient(app[SETTINGS])
    app[RPC] = rpc
    rpc.broker.start()
    yield
    await rpc.broker.close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _broker])
    for table in ROUTES:
        app.router.add_routes(table)
    docs.setup(app)
    return app
