"""Sending a command from a view: idempotency keys, the RPC call, and the 202 path."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, TypeVar

from aiohttp import web

from gateway.http import json_response, parse_model, read_json
from gateway.keys import ENGINE, REQUEST_ID, RPC, USER, AuthUser
from gateway.queries import commands as command_log
from shared.enums import CommandStatus
from shared.errors import Conflict
from shared.messages import Command, Reply
from shared.messages.base import is_final

# Command ids derived from (user, Idempotency-Key): the command log's primary key then makes a
# repeated key one command, whichever gateway receives it.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1f3c52-52f4-4a53-9d0b-3c0f8f0f7a11")
BASE = "/mantenimiento"

C = TypeVar("C", bound=Command)


async def parse(request: web.Request, model: type[C], **path_values: Any) -> C:
    """The command from the JSON body, the path's ids, and `If-Match` as the expected version."""
    body = await read_json(request)
    if_match = request.headers.get("If-Match")
    if if_match and "version" in model.model_fields and "version" not in body:
        tag = if_match.strip().removeprefix("W/").strip('"')
        body["version"] = int(tag) if tag.isdecimal() else tag
    return parse_model(request, model, {**body, **path_values})


def command_location(command_id: uuid.UUID) -> str:
    return f"{BASE}/comandos/{command_id}/"


def accepted(command_id: uuid.UUID) -> web.Response:
    return json_response(
        {"status": "accepted", "command_id": str(command_id)},
        status=202,
        headers={"Location": command_location(command_id)},
    )


def stored_answer(row: Any, command_id: uuid.UUID) -> web.Response:
    if row.status == CommandStatus.PENDING:
        return accepted(command_id)
    return json_response(row.result, status=row.http_status)


def reply_response(reply: Reply) -> web.Response:
    headers = None if reply.retry_after is None else {"Retry-After": str(reply.retry_after)}
    return json_response(reply.body, status=reply.http_status, headers=headers)


async def send(request: web.Request, command: Command) -> web.Response:
    """Publish `command` for the caller and turn the worker's reply into the HTTP answer."""
    user: AuthUser = request[USER]
    engine = request.app[ENGINE]
    body = command.model_dump_json().encode()
    key = request.headers.get("Idempotency-Key")
    request_hash: str | None = None
    command_id = uuid.uuid4()
    if key:
        request_hash = hashlib.sha256(command.routing_key.encode() + b"\0" + body).hexdigest()
        command_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{user.id}\0{key}")
        previous = await command_log.get(engine, command_id)
        if previous is not None:
            if previous.request_hash != request_hash:
                raise Conflict("Idempotency-Key was already used with another request")
            # A stored 503 changed nothing: the retry runs the command.
            if previous.status == CommandStatus.PENDING or is_final(previous.http_status):
                return stored_answer(previous, command_id)
    headers = {
        "x-user-id": str(user.id),
        "x-user-role": user.role.value,
        "x-request-id": request[REQUEST_ID],
    }
    if request_hash:
        headers["x-request-hash"] = request_hash
    reply = await request.app[RPC].call(
        command.routing_key, body, command_id=str(command_id), headers=headers
    )
    if reply is None:
        await command_log.mark_pending(
            engine, command_id, user.id, command.routing_key, request_hash
        )
        return accepted(command_id)
    return reply_response(reply)
