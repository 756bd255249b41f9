"""`/rutinas/`: search, detail, and the planning commands (save, delete, replace steps)."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from gateway import commands, schemas
from gateway.http import cached_json, parse_query, path_id
from gateway.keys import ENGINE, LIST_READS
from gateway.openapi import operation
from gateway.pagination import PageQuery, decode_cursor, page_response
from gateway.queries import routines as queries
from shared.enums import READERS
from shared.errors import NotFound
from shared.messages.fields import Id
from shared.messages.routines import DeleteRoutine, ReplaceRoutineSteps, SaveRoutine

routes = web.RouteTableDef()

# The worker checks the role again: it does not trust the transport.


class RoutineQuery(PageQuery):
    q: str | None = Field(None, max_length=200)
    maintenance_type_id: Id | None = None


@routes.get("/mantenimiento/rutinas/")
@operation(
    "Search routines (name or description), by name then id; without their steps",
    roles=READERS,
    query=RoutineQuery,
    paginated=True,
    response=[schemas.RoutineSummary],
)
async def search(request: web.Request) -> web.Response:
    query = parse_query(request, RoutineQuery)
    after = decode_cursor(query.cursor, tuple[str, int])
    filters = queries.Filters(q=query.q, maintenance_type_id=query.maintenance_type_id)
    async with request.app[LIST_READS].connect() as conn:
        rows, total = await queries.search(conn, filters, after=after, limit=query.limit + 1)
    return page_response(
        request, rows, limit=query.limit, total=total, key=lambda row: (row["name"], row["id"])
    )


@routes.get(r"/mantenimiento/rutinas/{id:\d+}/")
@operation(
    "One routine with its steps (ETag, If-None-Match)", roles=READERS, response=schemas.Routine
)
async def detail(request: web.Request) -> web.Response:
    routine_id = path_id(request)
    async with request.app[ENGINE].connect() as conn:
        routine = await queries.detail(conn, routine_id)
    if routine is None:
        raise NotFound(f"routine {routine_id} not found")
    return cached_json(request, routine)


@routes.post("/mantenimiento/rutinas/guardar/")
@operation(
    "Create (no id) or update (id) a routine; If-Match or version guards an update;"
    " answers routine_id and the new version",
    body=SaveRoutine,
)
async def save(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, SaveRoutine))


@routes.post(r"/mantenimiento/rutinas/{id:\d+}/eliminar/")
@operation(
    "Delete a routine for good; 409 while an active program uses it. Its inactive programs are"
    " deleted with it (deleted_program_ids); orders keep their own steps",
    body=DeleteRoutine,
    path_fields=("routine_id",),
)
async def delete(request: web.Request) -> web.Response:
    command = await commands.parse(request, DeleteRoutine, routine_id=path_id(request))
    return await commands.send(request, command)


@routes.post(r"/mantenimiento/rutinas/{id:\d+}/pasos/")
@operation(
    "Replace a routine's steps (order = array order); bumps its version; orders already made"
    " keep their own steps. unit/min_value/max_value only on MEDICION steps, min ≤ max",
    body=ReplaceRoutineSteps,
    path_fields=("routine_id",),
)
async def replace_steps(request: web.Request) -> web.Response:
    command = await commands.parse(request, ReplaceRoutineSteps, routine_id=path_id(request))
    return await commands.send(request, command)
