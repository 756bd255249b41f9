"""`/tecnicos/carga/`: open orders and estimated minutes per technician and day."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from gateway import schemas
from gateway.auth import current_user
from gateway.http import json_response, parse_query
from gateway.keys import LIST_READS, SETTINGS
from gateway.openapi import operation
from gateway.queries import workload as queries
from gateway.windows import DayWindowQuery
from shared.enums import READERS, Role

routes = web.RouteTableDef()


@routes.get("/mantenimiento/tecnicos/carga/")
@operation(
    "Workload: per technician and plant day with open orders (PENDIENTE, EN_PROGRESO) by"
    " scheduled start, the orders and their routines' estimated minutes; a technician sees"
    " only their own rows. Default window: today … +7 days",
    roles=READERS,
    query=DayWindowQuery,
    response=[schemas.Workload],
)
async def workload(request: web.Request) -> web.Response:
    user = current_user(request)
    query = parse_query(request, DayWindowQuery)
    tz = request.app[SETTINGS].tz
    start, end = query.window(datetime.now(tz).date())
    own = user.id if user.role == Role.TECNICO else None
    async with request.app[LIST_READS].connect() as conn:
        rows = await queries.workload(conn, start, end, tz, own)
    return json_response(rows)
