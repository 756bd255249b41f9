"""`/avisos/`: planners list every notice and turn one into a corrective order."""

from __future__ import annotations

from aiohttp import web

from gateway import commands, schemas
from gateway.http import parse_query, path_id
from gateway.openapi import operation
from gateway.pagination import CommaList, PageQuery
from gateway.queries import avisos as queries
from gateway.routes.mobile import PLANNERS, notice_page
from shared.enums import AvisoPriority, AvisoStatus
from shared.messages.avisos import GenerateOrderFromAviso
from shared.messages.fields import Id

routes = web.RouteTableDef()


class AvisoQuery(PageQuery):
    status: CommaList[AvisoStatus] = ()
    priority: CommaList[AvisoPriority] = ()
    asset_id: Id | None = None


@routes.get("/mantenimiento/avisos/")
@operation(
    "Every notice, newest first (filters: status, priority, asset_id)",
    roles=PLANNERS,
    query=AvisoQuery,
    paginated=True,
    response=[schemas.Aviso],
)
async def notices(request: web.Request) -> web.Response:
    query = parse_query(request, AvisoQuery)
    filters = queries.Filters(
        statuses=tuple(s.value for s in query.status),
        priorities=tuple(p.value for p in query.priority),
        asset_id=query.asset_id,
    )
    return await notice_page(request, filters, query)


@routes.post(r"/mantenimiento/avisos/{id:\d+}/generar-ot/")
@operation(
    "A CORRECTIVA order on the notice's asset for `date` (08:00 plant time, 2 h); the notice"
    " becomes EN_PROCESO, and CERRADO when the order is completed",
    body=GenerateOrderFromAviso,
    path_fields=("aviso_id",),
)
async def generate_order(request: web.Request) -> web.Response:
    command = await commands.parse(request, GenerateOrderFromAviso, aviso_id=path_id(request))
    return await commands.send(request, command)
