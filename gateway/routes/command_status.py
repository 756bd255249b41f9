"""`/comandos/{id}/`: the outcome of a command answered 202."""

from __future__ import annotations

import uuid

from aiohttp import web

from gateway import schemas
from gateway.auth import current_user
from gateway.http import json_response
from gateway.keys import ENGINE
from gateway.openapi import operation
from gateway.queries import commands as command_log
from shared.enums import CommandStatus, Role
from shared.errors import NotFound

routes = web.RouteTableDef()


@routes.get("/mantenimiento/comandos/{id}/")
@operation(
    "The outcome of a command that was answered 202 (the caller's own)",
    response=schemas.CommandOutcome,
)
async def command_status(request: web.Request) -> web.Response:
    user = current_user(request)
    try:
        command_id = uuid.UUID(request.match_info["id"])
    except ValueError as exc:
        raise NotFound("unknown command") from exc
    row = await command_log.get(request.app[ENGINE], command_id)
    # Someone else's command is as unknown as a missing one.
    if row is None or (row.user_id != user.id and user.role != Role.ADMIN):
        raise NotFound("unknown command")
    if row.status == CommandStatus.PENDING:
        return json_response({"status": "pending", "http_status": 202, "result": None})
    return json_response(
        {"status": row.status, "http_status": row.http_status, "result": row.result}
    )
