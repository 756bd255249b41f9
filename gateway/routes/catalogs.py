"""Catalogs: locations, categories, maintenance types, frequencies, assets, technicians (reads),
and their ADMIN administration (`…/guardar/` commands, users included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway import commands, schemas
from gateway.http import cached_json, json_response, parse_query, path_id
from gateway.keys import ENGINE, LIST_READS
from gateway.openapi import operation
from gateway.pagination import PageQuery, decode_cursor, page_response
from gateway.queries import catalogs as queries
from shared.enums import READERS, Role
from shared.errors import NotFound
from shared.messages import Command
from shared.messages.catalogs import (
    SaveAsset,
    SaveCategory,
    SaveFrequency,
    SaveLocation,
    SaveMaintenanceType,
    SaveUser,
)
from shared.messages.fields import Id

routes = web.RouteTableDef()

# Requesters pick the asset (and its location) of the notices they file.
PICKERS = (*READERS, Role.SOLICITANTE)


class AssetQuery(PageQuery):
    q: str | None = Field(None, max_length=200)
    location_id: Id | None = None
    category_id: Id | None = None


async def _list(
    request: web.Request, query: Callable[[AsyncConnection], Awaitable[list[dict[str, Any]]]]
) -> web.Response:
    async with request.app[LIST_READS].connect() as conn:
        return json_response(await query(conn))


@routes.get("/mantenimiento/ubicaciones/")
@operation(
    "Locations: the plant tree, parents before children",
    roles=PICKERS,
    response=[schemas.Location],
)
async def locations(request: web.Request) -> web.Response:
    return await _list(request, queries.locations)


@routes.get("/mantenimiento/categorias/")
@operation(
    "Asset categories and the maintenance types each admits",
    roles=READERS,
    response=[schemas.Category],
)
async def categories(request: web.Request) -> web.Response:
    return await _list(request, queries.categories)


@routes.get("/mantenimiento/tipos-mantenimiento/")
@operation("Maintenance types", roles=READERS, response=[schemas.MaintenanceType])
async def maintenance_types(request: web.Request) -> web.Response:
    return await _list(request, queries.maintenance_types)


@routes.get("/mantenimiento/frecuencias/")
@operation("Frequencies", roles=READERS, response=[schemas.Frequency])
async def frequencies(request: web.Request) -> web.Response:
    return await _list(request, queries.frequencies)


@routes.get("/mantenimiento/tecnicos/")
@operation("Active technicians", roles=READERS, response=[schemas.Technician])
async def technicians(request: web.Request) -> web.Response:
    return await _list(request, queries.technicians)


@routes.get("/mantenimiento/activos/")
@operation(
    "Search assets (location_id includes sub-locations)",
    roles=PICKERS,
    query=AssetQuery,
    paginated=True,
    response=[schemas.Asset],
)
async def assets(request: web.Request) -> web.Response:
    query = parse_query(request, AssetQuery)
    after = decode_cursor(query.cursor, tuple[str, int])
    filters = queries.AssetFilters(
        q=query.q, location_id=query.location_id, category_id=query.category_id
    )
    async with request.app[LIST_READS].connect() as conn:
        rows, total = await queries.search_assets(conn, filters, after=after, limit=query.limit + 1)
    return page_response(
        request, rows, limit=query.limit, total=total, key=lambda row: (row["code"], row["id"])
    )


@routes.get(r"/mantenimiento/activos/{id:\d+}/")
@operation("One asset", roles=PICKERS, response=schemas.Asset)
async def asset(request: web.Request) -> web.Response:
    asset_id = path_id(request)
    async with request.app[ENGINE].connect() as conn:
        found = await queries.asset(conn, asset_id)
    if found is None:
        raise NotFound(f"asset {asset_id} not found")
    return cached_json(request, found)


async def _save(request: web.Request, model: type[Command]) -> web.Response:
    return await commands.send(request, await commands.parse(request, model))


@routes.post("/mantenimiento/ubicaciones/guardar/")
@operation("Create (no id) or update (id) a location", body=SaveLocation)
async def save_location(request: web.Request) -> web.Response:
    return await _save(request, SaveLocation)


@routes.post("/mantenimiento/categorias/guardar/")
@operation("Create (no id) or update (id) a category", body=SaveCategory)
async def save_category(request: web.Request) -> web.Response:
    return await _save(request, SaveCategory)


@routes.post("/mantenimiento/tipos-mantenimiento/guardar/")
@operation("Create (no id) or update (id) a maintenance type", body=SaveMaintenanceType)
async def save_maintenance_type(request: web.Request) -> web.Response:
    return await _save(request, SaveMaintenanceType)


@routes.post("/mantenimiento/frecuencias/guardar/")
@operation("Create (no id) or update (id) a frequency", body=SaveFrequency)
async def save_frequency(request: web.Request) -> web.Response:
    return await _save(request, SaveFrequency)


@routes.post("/mantenimiento/activos/guardar/")
@operation("Create (no id) or update (id) an asset", body=SaveAsset)
async def save_asset(request: web.Request) -> web.Response:
    return await _save(request, SaveAsset)


@routes.post("/mantenimiento/usuarios/guardar/")
@operation("Create (no id) or update (id) a user", body=SaveUser)
async def save_user(request: web.Request) -> web.Response:
    return await _save(request, SaveUser)
