"""`/ot/`: search, detail, and status/notes update."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field, model_validator

from gateway import commands, schemas
from gateway.auth import fetch_as_caller
from gateway.http import cached_json, parse_query, path_id
from gateway.keys import ENGINE, LIST_READS, SETTINGS
from gateway.openapi import operation
from gateway.pagination import CommaList, PageQuery, decode_cursor, page_response
from gateway.queries import work_orders as queries
from shared.enums import READERS, WorkOrderStatus, WorkOrderType
from shared.errors import NotFound
from shared.messages.fields import Day, Id
from shared.messages.work_orders import UpdateWorkOrder

routes = web.RouteTableDef()


class WorkOrderQuery(PageQuery):
    q: str | None = Field(None, max_length=200)
    status: CommaList[WorkOrderStatus] = ()
    type: CommaList[WorkOrderType] = ()
    start_date: Day | None = None
    end_date: Day | None = None
    technician_id: Id | None = None
    asset_id: Id | None = None
    location_id: Id | None = None

    @model_validator(mode="after")
    def _window(self) -> WorkOrderQuery:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


@routes.get("/mantenimiento/ot/")
@operation(
    "Search work orders, by scheduled start then id",
    roles=READERS,
    query=WorkOrderQuery,
    paginated=True,
    response=[schemas.WorkOrderSummary],
)
async def search(request: web.Request) -> web.Response:
    query = parse_query(request, WorkOrderQuery)
    after = decode_cursor(query.cursor, tuple[datetime, int])
    filters = queries.Filters(
        q=query.q,
        statuses=tuple(s.value for s in query.status),
        types=tuple(t.value for t in query.type),
        start_date=query.start_date,
        end_date=query.end_date,
        technician_id=query.technician_id,
        asset_id=query.asset_id,
        location_id=query.location_id,
    )
    async with request.app[LIST_READS].connect() as conn:
        rows, total = await queries.search(
            conn, filters, after=after, limit=query.limit + 1, tz=request.app[SETTINGS].tz
        )
    return page_response(
        request,
        rows,
        limit=query.limit,
        total=total,
        key=lambda row: (row["scheduled_start"], row["id"]),
    )


@routes.get(r"/mantenimiento/ot/{id:\d+}/")
@operation(
    "One work order with its steps (ETag, If-None-Match)",
    roles=READERS,
    response=schemas.WorkOrder,
    # The most frequent read: the token is checked in the same round trip.
    token_in_query=True,
)
async def detail(request: web.Request) -> web.Response:
    work_order_id = path_id(request)
    async with request.app[ENGINE].connect() as conn:
        row = await fetch_as_caller(request, conn, queries.DETAIL, work_order_id)
    if row is None:
        raise NotFound(f"work order {work_order_id} not found")
    return cached_json(request, queries.order_json(row, request.app[SETTINGS].tz))


@routes.post(r"/mantenimiento/ot/{id:\d+}/actualizar/")
@operation(
    "Change status and/or notes; If-Match or version guards against lost updates",
    body=UpdateWorkOrder,
    path_fields=("work_order_id",),
)
async def update(request: web.Request) -> web.Response:
    # A technician's assignment is checked by the worker, inside the transaction.
    command = await commands.parse(request, UpdateWorkOrder, work_order_id=path_id(request))
    return await commands.send(request, command)
