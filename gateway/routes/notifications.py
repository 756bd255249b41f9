"""`/notificaciones/`: the caller's notifications, marking them read, and their live push."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from gateway import commands, schemas
from gateway.auth import current_user
from gateway.http import json_response, parse_query, path_id
from gateway.keys import ENGINE, PUSH, SETTINGS, TOKEN_HASH
from gateway.openapi import operation
from gateway.queries import notifications as queries
from shared.messages.fields import BigId
from shared.messages.notifications import MarkAllNotificationsRead, MarkNotificationRead

routes = web.RouteTableDef()

# Keeps idle sockets alive through proxies and finds dead peers.
HEARTBEAT_S = 30.0


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(20, ge=1, le=200)
    # true: only unread; false or absent: all.
    unread: bool | None = None


@routes.get("/mantenimiento/notificaciones/")
@operation(
    "The caller's notifications, newest first",
    query=NotificationQuery,
    response=[schemas.Notification],
)
async def newest(request: web.Request) -> web.Response:
    user = current_user(request)
    query = parse_query(request, NotificationQuery)
    async with request.app[ENGINE].connect() as conn:
        rows = await queries.newest(
            conn,
            user.id,
            unread_only=bool(query.unread),
            limit=query.limit,
            tz=request.app[SETTINGS].tz,
        )
    return json_response(rows)


@routes.post(r"/mantenimiento/notificaciones/{id:\d+}/leer/")
@operation(
    "Mark one of the caller's notifications read (someone else's → 404)",
    body=MarkNotificationRead,
    path_fields=("notification_id",),
)
async def mark_read(request: web.Request) -> web.Response:
    command = await commands.parse(
        request, MarkNotificationRead, notification_id=path_id(request, id_type=BigId)
    )
    return await commands.send(request, command)


@routes.post("/mantenimiento/notificaciones/leer-todas/")
@operation(
    "Mark every notification of the caller read; answers `updated`", body=MarkAllNotificationsRead
)
async def mark_all_read(request: web.Request) -> web.Response:
    return await commands.send(request, await commands.parse(request, MarkAllNotificationsRead))


@routes.get("/mantenimiento/notificaciones/ws/")
@operation(
    "WebSocket: each new notification of the caller, one JSON text frame each (the object of"
    " GET /notificaciones/). Token in Authorization or ?token=. After reconnecting, re-read"
    " GET /notificaciones/?unread=true: nothing is replayed. Closed with code 4401 once the"
    " token expires or is revoked.",
    response=schemas.Notification,
    statuses=(101,),
    errors=(400,),
)
async def live(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
    await socket.prepare(request)
    hub = request.app[PUSH]
    hub.add(user.id, request[TOKEN_HASH], socket)
    try:
        # Clients have nothing to say; reading answers pings and notices the close.
        async for _ in socket:
            pass
    finally:
        hub.discard(user.id, socket)
    return socket
