"""`/eventos/`: every domain event, resumable from a cursor, for integrators that poll."""

from __future__ import annotations

from zoneinfo import ZoneInfo

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
    headers={
        "X-Cursor": "The cursor to resume after the last event returned",
        "X-Feed-Retention-Days": "Events are kept this many days after they were relayed"
        " (OUTBOX_RETENTION_DAYS), then deleted",
        "X-Feed-Oldest": "The oldest event still held, `id=<id>; at=<datetime>`; empty if none",
        "X-Feed-Missed": "`true` when events after the cursor were deleted before this read:"
        " the client missed them and should resync; otherwise `false`",
    },
)
async def feed(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    after = decode_cursor(query.cursor, queries.Position) or queries.START
    settings = request.app[SETTINGS]
    async with request.app[ENGINE].connect() as conn:
        events, position = await queries.page(conn, after, query.limit, settings.tz)
        # Read after the page: a purge in between can only make `missed` say true needlessly,
        # never hide events the page did not serve.
        horizon = await queries.horizon(conn)
    cursor = encode_cursor(position)
    headers = {
        "X-Cursor": cursor,
        "X-Feed-Retention-Days": str(settings.outbox_retention_days),
        "X-Feed-Oldest": oldest_header(horizon, settings.tz),
        "X-Feed-Missed": "true" if horizon.missed(after) else "false",
    }
    if len(events) == query.limit:
        headers["Link"] = f'<{request.rel_url.update_query(cursor=cursor)}>; rel="next"'
    return json_response(events, headers=headers)


def oldest_header(horizon: queries.Horizon, tz: ZoneInfo) -> str:
    if horizon.oldest is None:
        return ""
    event_id, at = horizon.oldest
    return f"id={event_id}; at={at.astimezone(tz).isoformat()}"
