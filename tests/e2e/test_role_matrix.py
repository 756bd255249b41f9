"""Role × endpoint: every route of the app against the contract's role rules (its section
"Roles"), stated here on their own — not read from the routes' or commands' declarations, so a
wrong declaration fails. A route added without a row fails too."""

from __future__ import annotations

import uuid

import pytest
from aiohttp import ClientSession, web

from gateway.app import create_app
from shared.settings import Settings
from tests.api import BASE, PASSWORD, Api, Plant

ALL = frozenset({"ADMIN", "PLANIFICADOR", "TECNICO", "SOLICITANTE"})
READERS = frozenset({"ADMIN", "PLANIFICADOR", "TECNICO"})
PLANNERS = frozenset({"ADMIN", "PLANIFICADOR"})
ADMIN = frozenset({"ADMIN"})

# No token needed (the contract's Precisions).
PUBLIC = {
    ("POST", "/auth/token/"),
    ("GET", "/health/"),
    ("GET", "/health/ready/"),
    ("GET", "/openapi.json"),
    ("GET", "/docs/"),
}

# Who may call each route. The mobile order paths and someone else's notifications, notices
# and commands answer 404 rather than 403 (see the last tests): here they are open to all.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/auth/me/"): ALL,
    ("POST", "/auth/logout/"): ALL,
    ("GET", "/ot/"): READERS,
    ("GET", "/ot/{id}/"): READERS,
    ("GET", "/ot/{id}/historial/"): READERS,
    ("POST", "/ot/{id}/actualizar/"): READERS,
    ("POST", "/ot/{id}/fecha/"): PLANNERS,
    ("POST", "/ot/fechas/"): PLANNERS,
    ("POST", "/ot/{id}/dividir/"): PLANNERS,
    ("POST", "/ot/fusionar/"): PLANNERS,
    ("POST", "/ot/eliminar/"): PLANNERS,
    ("GET", "/notificaciones/"): ALL,
    ("POST", "/notificaciones/{id}/leer/"): ALL,
    ("POST", "/notificaciones/leer-todas/"): ALL,
    ("GET", "/notificaciones/ws/"): ALL,
    ("GET", "/ubicaciones/"): ALL,
    ("GET", "/activos/"): ALL,
    ("GET", "/activos/{id}/"): ALL,
    ("GET", "/categorias/"): READERS,
    ("GET", "/tipos-mantenimiento/"): READERS,
    ("GET", "/frecuencias/"): READERS,
    ("GET", "/tecnicos/"): READERS,
    ("GET", "/tecnicos/carga/"): READERS,
    ("POST", "/ubicaciones/guardar/"): ADMIN,
    ("POST", "/categorias/guardar/"): ADMIN,
    ("POST", "/tipos-mantenimiento/guardar/"): ADMIN,
    ("POST", "/frecuencias/guardar/"): ADMIN,
    ("POST", "/activos/guardar/"): ADMIN,
    ("POST", "/usuarios/guardar/"): ADMIN,
    ("GET", "/rutinas/"): READERS,
    ("GET", "/rutinas/{id}/"): READERS,
    ("POST", "/rutinas/guardar/"): PLANNERS,
    ("POST", "/rutinas/{id}/eliminar/"): PLANNERS,
    ("POST", "/rutinas/{id}/pasos/"): PLANNERS,
    ("GET", "/wizard/activos/"): READERS,
    ("GET", "/programas/"): READERS,
    ("GET", "/programas/{id}/"): READERS,
    ("GET", "/programas/pronostico/"): READERS,
    ("POST", "/programas/guardar/"): PLANNERS,
    ("POST", "/programas/{id}/generar-ot/"): PLANNERS,
    ("POST", "/programas/generar/"): PLANNERS,
    ("GET", "/app/cronograma/"): ALL,
    ("GET", "/app/cronograma.ics"): ALL,
    ("GET", "/app/ot/{pk}/"): ALL,
    ("POST", "/app/ot/{pk}/iniciar/"): ALL,
    ("POST", "/app/ot/{pk}/finalizar/"): ALL,
    ("POST", "/app/aviso/crear/"): ALL,
    ("GET", "/app/avisos/"): ALL,
    ("GET", "/avisos/"): PLANNERS,
    ("POST", "/avisos/{id}/generar-ot/"): PLANNERS,
    ("GET", "/medidores/"): READERS,
    ("GET", "/medidores/{id}/"): READERS,
    ("POST", "/medidores/guardar/"): PLANNERS,
    ("POST", "/medidores/{id}/lecturas/"): READERS,
    ("GET", "/medidores/{id}/lecturas/"): READERS,
    ("GET", "/comandos/{id}/"): ALL,
    ("GET", "/eventos/"): PLANNERS,
}
# An id no object has: allowed roles get 404 or 422, never 401/403, and nothing changes.
UNKNOWN_ID = "999999"


def app_routes() -> set[tuple[str, str]]:
    """(method, path under the base) of every route but static files and `/metrics` (outside
    the base path, public)."""
    app = create_app(Settings(_env_file=None))
    found = set()
    for route in app.router.routes():
        resource = route.resource
        if route.method == "HEAD" or resource is None or isinstance(resource, web.StaticResource):
            continue
        if resource.canonical.startswith(BASE + "/"):
            found.add((route.method, resource.canonical.removeprefix(BASE)))
    return found


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    routes = app_routes() - PUBLIC
    assert routes - MATRIX.keys() == set(), "routes without a row in MATRIX"
    assert MATRIX.keys() - routes == set(), "rows without a route"


def _url(path: str) -> str:
    path = path.replace("{id}", UNKNOWN_ID).replace("{pk}", UNKNOWN_ID)
    return path if "/comandos/" not in path else path.replace(UNKNOWN_ID, str(uuid.uuid4()))


async def _call(api: Api, method: str, path: str) -> int:
    json = {} if method == "POST" else None
    return (await api.request(method, _url(path), json=json)).status


async def _fresh_login(http: ClientSession, username: str) -> Api:
    """Logout revokes the token it is called with: that row gets tokens of its own."""
    credentials = {"username": username, "password": PASSWORD}
    async with http.post(f"{BASE}/auth/token/", json=credentials) as response:
        assert response.status == 200
        login = await response.json()
    return Api(http, login["token"], login["user"])


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
async def test_roles_per_the_contract(
    plant: Plant, http: ClientSession, method: str, path: str
) -> None:
    assert await _call(Api(http, None), method, path) == 401, "no token"
    for role in sorted(ALL):
        api = plant.api[role]
        if path == "/auth/logout/":
            api = await _fresh_login(http, api.user["username"])
        status = await _call(api, method, path)
        if role in MATRIX[(method, path)]:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


async def test_a_technician_may_not_see_another_technicians_order(
    plant: Plant, tech: Api, other_tech: Api, requester: Api
) -> None:
    theirs = await plant.work_order(technician_id=other_tech.id)
    for api in (tech, requester):
        assert (await api.get(f"/app/ot/{theirs}/")).status == 404
        assert (await api.post(f"/app/ot/{theirs}/iniciar/", {})).status == 404
        assert (await api.post(f"/app/ot/{theirs}/finalizar/", {})).status == 404
    # Through the planners' path the technician may read it, not change it.
    assert (await tech.post(f"/ot/{theirs}/actualizar/", {"notes": "mine?"})).status == 403
    assert (await other_tech.get(f"/app/ot/{theirs}/")).status == 200
    assert await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=theirs) == ""


async def test_someone_elses_notification_and_command_are_unknown(
    plant: Plant, tech: Api, other_tech: Api
) -> None:
    notification = await plant.scalar(
        "INSERT INTO notifications (user_id, kind, title, message)"
        " VALUES (:user, 'OT_ASIGNADA', 't', 'm') RETURNING id",
        user=other_tech.id,
    )
    assert (await tech.post(f"/notificaciones/{notification}/leer/")).status == 404
    assert not await plant.scalar("SELECT read FROM notifications WHERE id = :id", id=notification)
    command = uuid.uuid4()
    await plant.scalar(
        "INSERT INTO command_log (id, user_id, kind, status) VALUES (:id, :user, 'ot.iniciar',"
        " 'pending') RETURNING id",
        id=command,
        user=other_tech.id,
    )
    assert (await tech.get(f"/comandos/{command}/")).status == 404
    assert (await other_tech.get(f"/comandos/{command}/")).status == 200
