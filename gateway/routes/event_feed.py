"""`/eventos/`: every domain event, resumable from a cursor, for integrators that poll."""

from __future__ import annotations

from aiohttp import web

from gateway import schemas
from gateway.http import json_response, parse_query
from gateway.keys import ENGINE, SETTINGS
from gateway.openapi import operation
from gateway.pagination import PageQuery, decode_cursor, encode_cursor
from gateway.queries import event_feed as queries
from shared.enums import PLANNERS

routes = web.RouteTableDef()


@routes.get("/mantenimiento/eventos/")
@operation(
    "Domain events in commit-safe order; header X-Cursor resumes after the last one returned"
    " (also on an empty page), Link rel=next when the page is full",
    roles=PLANNERS,
    query=PageQuery,
    response=[schemas.FeedEvent],
)
async def feed(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    after = decode_cursor(query.cursor, queries.Position) or queries.START
    async with request.app[ENGINE].connect() as conn:
        events, position = await queries.page(conn, after, query.limit, request.app[SETTINGS].tz)
    cursor = encode_cursor(position)
    headers = {"X-Cursor": cursor}
    if len(events) == query.limit:
        headers["Link"] = f'<{request.rel_url.update_query(cursor=cursor)}>; rel="next"'
    return json_response(events, headers=headers)
