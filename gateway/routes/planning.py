"""Planning work orders: history, reschedule (one, bulk), split, merge, delete."""

from __future__ import annotations

from aiohttp import web

from gateway import commands, schemas
from gateway.http import json_response, path_id
from gateway.keys import ENGINE, SETTINGS
from gateway.openapi import operation
from gateway.queries import history as queries
from shared.enums import READERS
from shared.errors import NotFound
from shared.messages.planning import (
    DeleteWorkOrders,
    MergeWorkOrders,
    RescheduleWorkOrder,
    RescheduleWorkOrders,
    SplitWorkOrder,
)

routes = web.RouteTableDef()

# The worker's handlers trust the role check made here; planning is for planners only.


@routes.get(r"/mantenimiento/ot/{id:\d+}/historial/")
@operation(
    "An order's history, oldest first: creation, status, dates (with reason), split, merge",
    roles=READERS,
    response=[schemas.HistoryEntry],
)
async def history(request: web.Request) -> web.Response:
    async with request.app[ENGINE].connect() as conn:
        lines = await queries.history(conn, path_id(request), request.app[SETTINGS].tz)
    if not lines:
        raise NotFound(f"work order {path_id(request)} not found")
    return json_response(lines)


@routes.post(r"/mantenimiento/ot/{id:\d+}/fecha/")
@operation(
    "Move a PENDIENTE order to another day, keeping its local time of day and duration",
    body=RescheduleWorkOrder,
    path_fields=("work_order_id",),
)
async def reschedule(request: web.Request) -> web.Response:
    command = await commands.parse(request, RescheduleWorkOrder, work_order_id=path_id(request))
    return await commands.send(request, command)


@routes.post("/mantenimiento/ot/fechas/")
@operation(
    "Move up to 10,000 PENDIENTE orders: all of them, or none (409 names every failing item)",
    body=RescheduleWorkOrders,
)
async def reschedule_many(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, RescheduleWorkOrders))


@routes.post(r"/mantenimiento/ot/{id:\d+}/dividir/")
@operation(
    "Split a PENDIENTE order: it keeps its lowest asset, each other asset gets its own order",
    body=SplitWorkOrder,
    path_fields=("work_order_id",),
)
async def split(request: web.Request) -> web.Response:
    command = await commands.parse(request, SplitWorkOrder, work_order_id=path_id(request))
    return await commands.send(request, command)


@routes.post("/mantenimiento/ot/fusionar/")
@operation(
    "Merge PENDIENTE orders of one type into the first id, scheduled on `date`",
    body=MergeWorkOrders,
)
async def merge(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, MergeWorkOrders))


@routes.post("/mantenimiento/ot/eliminar/")
@operation(
    "Delete up to 10,000 PENDIENTE or CANCELADA orders: all of them, or none",
    body=DeleteWorkOrders,
)
async def delete(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, DeleteWorkOrders))
