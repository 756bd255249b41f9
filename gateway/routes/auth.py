"""`/auth/`: log in for a bearer token, log out, and who am I."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from gateway import auth, schemas
from gateway.http import json_response, parse_model, read_json
from gateway.openapi import operation
from shared.messages.base import Message

routes = web.RouteTableDef()


class Credentials(Message):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)


@routes.post("/mantenimiento/auth/token/")
@operation(
    "Log in: a bearer token for the username and password",
    roles=None,
    body=Credentials,
    response=schemas.Login,
    errors=(401, 429),
)
async def token(request: web.Request) -> web.Response:
    credentials = parse_model(request, Credentials, await read_json(request))
    value, expires, user = await auth.login(request, credentials.username, credentials.password)
    return json_response({"token": value, "expires_at": expires, "user": user.as_json()})


@routes.post("/mantenimiento/auth/logout/")
@operation("Revoke the token of this request", response=schemas.Success)
async def logout(request: web.Request) -> web.Response:
    await auth.logout(request)
    return json_response({"status": "success", "message": "Sesión cerrada"})


@routes.get("/mantenimiento/auth/me/")
@operation("The caller", response=schemas.User)
async def me(request: web.Request) -> web.Response:
    return json_response(auth.current_user(request).as_json())
