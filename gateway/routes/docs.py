"""`/openapi.json` and the API docs page (served from the package: no CDN)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from aiohttp import web

from gateway import openapi
from gateway.http import json_response

routes = web.RouteTableDef()

DOCS_PAGE = Path(__file__).resolve().parent.parent / "static" / "docs.html"
# Filled on the first request: by then every route is registered.
SPEC = web.AppKey("openapi", dict)


def setup(app: web.Application) -> None:
    app[SPEC] = {}
    app.router.add_routes(routes)


@routes.get("/mantenimiento/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    spec = request.app[SPEC]
    if not spec:
        spec.update(openapi.build(request.app, "Maintenance API", version("mantenimiento")))
    return json_response(spec)


@routes.get("/mantenimiento/docs/")
async def docs(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DOCS_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
