"""The OpenAPI document and the docs page: public, complete, generated from the models."""

from __future__ import annotations

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from tests.api import Api


async def test_openapi_lists_every_route_with_its_models(
    http: ClientSession, gateway: TestServer
) -> None:
    response = await Api(http, None).get("/openapi.json")
    assert response.status == 200
    spec = response.body
    assert spec["openapi"] == "3.1.0"
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    served = {
        (route.method, route.resource.canonical)
        for route in gateway.app.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        and not isinstance(route.resource, web.StaticResource)  # the docs page's assets
        and route.resource.canonical.startswith("/mantenimiento/")
        and not route.resource.canonical.endswith(("/openapi.json", "/docs/"))
    }
    assert served <= documented
    update = spec["paths"]["/mantenimiento/ot/{id}/actualizar/"]["post"]
    body = spec["components"]["schemas"]["UpdateWorkOrder"]
    assert update["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/UpdateWorkOrder"
    )
    # The path supplies the order's id: it is not part of the body.
    assert set(body["properties"]) == {"status", "notes", "actual_start", "actual_end", "version"}
    assert "202" in update["responses"] and "409" in update["responses"]
    search = spec["paths"]["/mantenimiento/ot/"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 500
    assert "X-Total-Count" in search["responses"]["200"]["headers"]
    assert "security" not in spec["paths"]["/mantenimiento/auth/token/"]["post"]


async def test_each_operation_documents_the_statuses_it_can_answer(http: ClientSession) -> None:
    paths = (await Api(http, None).get("/openapi.json")).body["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[f"/mantenimiento{path}"][method]["responses"])

    # A planning command with the id in its path: every way it can fail, and the late 202.
    assert statuses("/ot/{id}/fecha/", "post") == {
        "200", "202", "400", "401", "403", "404", "409", "413", "422", "503"
    }  # fmt: skip
    # Login: public, but wrong credentials and floods have their answers.
    assert {"401", "429", "413", "422"} <= statuses("/auth/token/", "post")
    assert "403" not in statuses("/auth/token/", "post")
    # Every role may read their notifications: no 403; no body: no 400 or 413.
    assert statuses("/notificaciones/", "get") == {"200", "401", "422", "503"}
    assert statuses("/notificaciones/ws/", "get") == {"101", "400", "401", "503"}
    assert statuses("/health/ready/", "get") == {"200", "503"}
    # A numeric id in the path is bounded like its column.
    (order_id,) = paths["/mantenimiento/ot/{id}/"]["get"]["parameters"]
    assert order_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    (notification_id,) = paths["/mantenimiento/notificaciones/{id}/leer/"]["post"]["parameters"]
    assert notification_id["schema"]["maximum"] == 2**63 - 1


async def test_docs_page_is_served_locally_without_a_token(http: ClientSession) -> None:
    response = await Api(http, None).get("/docs/")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "openapi.json" in response.body
    assert "https://" not in response.body and "http://" not in response.body
    # Its assets come from the installed package, without a token either.
    script = await Api(http, None).get("/docs/static/swagger-ui-bundle.js")
    assert script.status == 200 and "SwaggerUIBundle" in script.body
