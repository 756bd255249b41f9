"""`/openapi.json` and the API docs page: Swagger UI, its assets served from the installed
`swagger-ui-py` package (no CDN). That package ships Swagger UI 5, which reads OpenAPI 3.1;
the page itself (`static/docs.html`) is ours, so the document's address is the absolute
`/mantenimiento/openapi.json`."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import swagger_ui
from aiohttp import web

from gateway import openapi
from gateway.http import json_response

routes = web.RouteTableDef()

DOCS_PAGE = Path(__file__).resolve().parent.parent / "static" / "docs.html"
# Public, like the page (see `auth.PUBLIC_PREFIXES`).
ASSETS = "/mantenimiento/docs/static/"
SWAGGER_UI_ASSETS = Path(swagger_ui.__file__).resolve().parent / "static"
# Filled on the first request: by then every route is registered.
SPEC = web.AppKey("openapi", dict)


def setup(app: web.Application) -> None:
    app[SPEC] = {}
    app.router.add_routes(routes)
    app.router.add_static(ASSETS, SWAGGER_UI_ASSETS)


@routes.get("/mantenimiento/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    spec = request.app[SPEC]
    if not spec:
        spec.update(openapi.build(request.app, "Maintenance API", version("mantenimiento")))
    return json_response(spec)


@routes.get("/mantenimiento/docs/")
async def docs(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DOCS_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
