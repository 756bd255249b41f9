"""`/app/`: the technicians' app — their schedule (JSON and iCalendar), their orders (start,
finish with step results), and notices filed by anyone."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field

from gateway import calendar, commands, schemas
from gateway.auth import current_user
from gateway.http import cached_json, json_response, parse_query, path_id
from gateway.keys import ENGINE, LIST_READS, SETTINGS
from gateway.openapi import operation
from gateway.pagination import PageQuery, decode_cursor, page_response
from gateway.queries import avisos as notice_queries
from gateway.queries import meters as meter_queries
from gateway.queries import schedule
from gateway.queries import work_orders as order_queries
from gateway.windows import DayWindowQuery
from shared.enums import PLANNERS
from shared.errors import NotFound
from shared.messages.avisos import CreateAviso
from shared.messages.mobile import FinishOrder, StartOrder

routes = web.RouteTableDef()


# The auth middleware reads `token` (on this path only); the field documents it.
class FeedQuery(DayWindowQuery):
    token: str | None = Field(
        None,
        max_length=200,
        description="The bearer token, for calendar apps that cannot send headers",
    )


async def _my_orders(
    request: web.Request, model: type[DayWindowQuery] = DayWindowQuery
) -> list[schedule.ScheduledOrder]:
    query = parse_query(request, model)
    tz = request.app[SETTINGS].tz
    start, end = query.window(datetime.now(tz).date())
    async with request.app[LIST_READS].connect() as conn:
        return await schedule.orders(conn, current_user(request).id, start, end, tz)


@routes.get("/mantenimiento/app/cronograma/")
@operation(
    "The caller's orders (all but cancelled) by plant-local day of their scheduled start",
    query=DayWindowQuery,
    response=[schemas.ScheduleDay],
)
async def schedule_days(request: web.Request) -> web.Response:
    return json_response(schedule.by_day(await _my_orders(request)))


@routes.get("/mantenimiento/app/cronograma.ics")
@operation(
    "The caller's schedule as an iCalendar feed (text/calendar); accepts ?token= for calendar"
    " apps that cannot send headers",
    query=FeedQuery,
)
async def schedule_feed(request: web.Request) -> web.Response:
    orders = await _my_orders(request, FeedQuery)
    name = f"Cronograma {current_user(request).full_name}"
    return web.Response(
        body=calendar.feed(orders, name), content_type="text/calendar", charset="utf-8"
    )


@routes.get(r"/mantenimiento/app/ot/{pk:\d+}/")
@operation(
    "One of the caller's orders with its steps and the active meters of its assets (to read"
    " at completion); planners: any order; others → 404",
    response=schemas.AppWorkOrder,
)
async def order(request: web.Request) -> web.Response:
    user = current_user(request)
    work_order_id = path_id(request, "pk")
    tz = request.app[SETTINGS].tz
    async with request.app[ENGINE].connect() as conn:
        found = await order_queries.detail(conn, work_order_id, tz)
        if found is None or not (user.role in PLANNERS or found["technician_id"] == user.id):
            raise NotFound(f"work order {work_order_id} not found")
        found["meters"] = await meter_queries.of_order(conn, work_order_id, tz)
    return cached_json(request, found)


@routes.post(r"/mantenimiento/app/ot/{pk:\d+}/iniciar/")
@operation(
    "PENDIENTE → EN_PROGRESO; `at` is the actual start (default now)",
    body=StartOrder,
    path_fields=("work_order_id",),
)
async def start(request: web.Request) -> web.Response:
    # Assignment (404 to others) and state (409) are checked by the worker, in the transaction.
    command = await commands.parse(request, StartOrder, work_order_id=path_id(request, "pk"))
    return await commands.send(request, command)


@routes.post(r"/mantenimiento/app/ot/{pk:\d+}/finalizar/")
@operation(
    "EN_PROGRESO → COMPLETADA with the steps' results; failed checks and out-of-range"
    " measurements open notices (`aviso_ids`)",
    body=FinishOrder,
    path_fields=("work_order_id",),
)
async def finish(request: web.Request) -> web.Response:
    command = await commands.parse(request, FinishOrder, work_order_id=path_id(request, "pk"))
    return await commands.send(request, command)


@routes.post("/mantenimiento/app/aviso/crear/")
@operation("File a notice on an asset (any role); planners are notified", body=CreateAviso)
async def create_notice(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, CreateAviso))


@routes.get("/mantenimiento/app/avisos/")
@operation(
    "The notices the caller filed, newest first",
    query=PageQuery,
    paginated=True,
    response=[schemas.Aviso],
)
async def my_notices(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    filters = notice_queries.Filters(author_id=current_user(request).id)
    return await notice_page(request, filters, query)


async def notice_page(
    request: web.Request, filters: notice_queries.Filters, query: PageQuery
) -> web.Response:
    after = decode_cursor(query.cursor, tuple[int, int])
    async with request.app[LIST_READS].connect() as conn:
        rows, total = await notice_queries.search(
            conn, filters, after=after, limit=query.limit + 1, tz=request.app[SETTINGS].tz
        )
    return page_response(
        request, rows, limit=query.limit, total=total, key=notice_queries.cursor_key
    )
