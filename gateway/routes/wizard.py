"""`/wizard/activos/`: the assets a planner picks when attaching a routine to assets."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from gateway import schemas
from gateway.http import json_response, parse_query
from gateway.keys import LIST_READS
from gateway.openapi import operation
from gateway.queries import catalogs as queries
from shared.enums import READERS
from shared.messages.fields import Id

routes = web.RouteTableDef()


class WizardQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    location_id: Id | None = None
    category_id: Id | None = None
    maintenance_type_id: Id | None = None


@routes.get("/mantenimiento/wizard/activos/")
@operation(
    "Active assets to attach a routine to, by code: location_id includes sub-locations,"
    " maintenance_type_id keeps assets whose category admits that type; an unknown id matches"
    " nothing (not paginated)",
    roles=READERS,
    query=WizardQuery,
    response=[schemas.Asset],
)
async def wizard_assets(request: web.Request) -> web.Response:
    query = parse_query(request, WizardQuery)
    filters = queries.AssetFilters(
        location_id=query.location_id,
        category_id=query.category_id,
        maintenance_type_id=query.maintenance_type_id,
        active=True,
    )
    async with request.app[LIST_READS].connect() as conn:
        return json_response(await queries.list_assets(conn, filters))
