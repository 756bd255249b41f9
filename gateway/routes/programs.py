"""`/programas/`: programs (reads and saves), the forecast, and order generation."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from aiohttp import web

from gateway import commands, schemas
from gateway.http import cached_json, parse_query, path_id
from gateway.keys import ENGINE, LIST_READS, SETTINGS
from gateway.openapi import operation
from gateway.pagination import CommaList, PageQuery, decode_cursor, page_response
from gateway.queries import programs as queries
from shared.enums import READERS
from shared.errors import NotFound
from shared.generation import ForecastKey, Horizon, forecast
from shared.messages.fields import HorizonDay, Id
from shared.messages.programs import GenerateOrders, GenerateProgramOrder, SaveProgram
from shared.settings import Settings

routes = web.RouteTableDef()

# The worker checks the role again: it does not trust the transport.


class ProgramQuery(PageQuery):
    routine_id: Id | None = None


class ForecastQuery(PageQuery):
    # None: today + GENERATION_HORIZON_DAYS, what the scheduler generates.
    until: HorizonDay | None = None
    program_ids: CommaList[Id] = ()


def _today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


@routes.get("/mantenimiento/programas/")
@operation(
    "Programs, by routine then id",
    roles=READERS,
    query=ProgramQuery,
    paginated=True,
    response=[schemas.Program],
)
async def programs(request: web.Request) -> web.Response:
    query = parse_query(request, ProgramQuery)
    after = decode_cursor(query.cursor, tuple[int, int])
    settings = request.app[SETTINGS]
    async with request.app[LIST_READS].connect() as conn:
        rows, total = await queries.page(
            conn,
            routine_id=query.routine_id,
            after=after,
            limit=query.limit + 1,
            today=_today(settings),
            tz=settings.plant_tz,
        )
    return page_response(
        request, rows, limit=query.limit, total=total, key=lambda r: (r["routine_id"], r["id"])
    )


@routes.get(r"/mantenimiento/programas/{id:\d+}/")
@operation("One program (ETag, If-None-Match)", roles=READERS, response=schemas.Program)
async def program(request: web.Request) -> web.Response:
    program_id = path_id(request)
    settings = request.app[SETTINGS]
    async with request.app[ENGINE].connect() as conn:
        found = await queries.detail(conn, program_id, _today(settings), settings.plant_tz)
    if found is None:
        raise NotFound(f"program {program_id} not found")
    return cached_json(request, found)


@routes.get("/mantenimiento/programas/pronostico/")
@operation(
    "What generar would create up to `until` (default: the scheduler's horizon), by date",
    roles=READERS,
    query=ForecastQuery,
    paginated=True,
    response=[schemas.ForecastOrder],
)
async def forecast_orders(request: web.Request) -> web.Response:
    query = parse_query(request, ForecastQuery)
    after = decode_cursor(query.cursor, ForecastKey)
    settings = request.app[SETTINGS]
    today = _today(settings)
    until = query.until or today + timedelta(days=settings.generation_horizon_days)
    horizon = Horizon(today, until, list(query.program_ids) or None)
    async with request.app[LIST_READS].connect() as conn:
        planned = await forecast(
            conn, horizon, settings.plant_tz, after=after, limit=query.limit + 1
        )
    # The key of generation's order (see ForecastKey).
    return page_response(
        request,
        [asdict(item) for item in planned.items],
        limit=query.limit,
        total=planned.total,
        key=lambda r: (r["date"], r["program_id"], r["asset_ids"][0]),
    )


@routes.post("/mantenimiento/programas/guardar/")
@operation(
    "Create (no id) or update (id) a program; If-Match or version guards against lost updates",
    body=SaveProgram,
)
async def save(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, SaveProgram))


@routes.post(r"/mantenimiento/programas/{id:\d+}/generar-ot/")
@operation(
    "Generate the program's order for a date (all its assets, or a subset)",
    body=GenerateProgramOrder,
    path_fields=("program_id",),
)
async def generate_one(request: web.Request) -> web.Response:
    command = await commands.parse(request, GenerateProgramOrder, program_id=path_id(request))
    return await commands.send(request, command)


@routes.post("/mantenimiento/programas/generar/")
@operation(
    "Generate every due order of the active programs up to `until` (dry_run: only count)",
    body=GenerateOrders,
)
async def generate_all(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, GenerateOrders))
