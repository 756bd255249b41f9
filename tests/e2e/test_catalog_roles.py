"""Who may read and write the catalogs, over HTTP through the gateway and a real worker: a
requester reads only assets and locations, only ADMIN saves, and the worker checks the role itself.

Rows made here would carry TAG (see catalog_helpers); none may be made.
"""

from __future__ import annotations

import uuid

import pytest
from aiohttp.test_utils import TestServer

from gateway.keys import RPC
from shared.messages.catalogs import SaveMaintenanceType
from tests.api import Api, Plant
from tests.e2e.catalog_helpers import code


@pytest.mark.parametrize(
    "path", ["/categorias/", "/tipos-mantenimiento/", "/frecuencias/", "/tecnicos/"]
)
async def test_requester_reads_only_assets_and_locations(
    plant: Plant, requester: Api, tech: Api, path: str
) -> None:
    refused = await requester.get(path)
    assert refused.status == 403, refused.body
    assert refused.body["status"] == "error"
    assert (await tech.get(path)).status == 200
    for allowed in ("/activos/", "/ubicaciones/", f"/activos/{plant.assets[0]}/"):
        assert (await requester.get(allowed)).status == 200


FORBIDDEN = code("FORBIDDEN")
WRITES = {
    "ubicaciones": ("locations", "code", {"code": FORBIDDEN, "name": "x"}),
    "categorias": ("asset_categories", "name", {"name": FORBIDDEN}),
    "tipos-mantenimiento": ("maintenance_types", "name", {"name": FORBIDDEN}),
    "frecuencias": ("frequencies", "name", {"name": FORBIDDEN, "interval": 1, "unit": "DIA"}),
    "activos": (
        "assets",
        "code",
        {"code": FORBIDDEN, "name": "x", "location_id": 1, "category_id": 1},
    ),
    "usuarios": (
        "users",
        "username",
        {"username": FORBIDDEN, "full_name": "x", "role": "ADMIN", "password": "long-enough"},
    ),
}


@pytest.mark.parametrize("what", list(WRITES))
@pytest.mark.parametrize("role", ["PLANIFICADOR", "TECNICO", "SOLICITANTE"])
async def test_only_admin_writes(plant: Plant, role: str, what: str) -> None:
    table, column, body = WRITES[what]
    refused = await plant.api[role].post(f"/{what}/guardar/", body)
    assert refused.status == 403, refused.body
    made = await plant.scalar(f"SELECT count(*) FROM {table} WHERE {column} = :v", v=FORBIDDEN)
    assert made == 0


async def test_worker_checks_the_role_itself(
    plant: Plant, planner: Api, gateway: TestServer
) -> None:
    """A command that reaches the broker without the gateway's check is still refused."""
    command = SaveMaintenanceType(name=FORBIDDEN)
    reply = await gateway.app[RPC].call(
        command.routing_key,
        command.model_dump_json().encode(),
        command_id=str(uuid.uuid4()),
        headers={"x-user-id": str(planner.id), "x-user-role": "PLANIFICADOR"},
    )
    assert reply is not None
    assert (reply.http_status, reply.body["status"]) == (403, "error")
    made = "SELECT count(*) FROM maintenance_types WHERE name = :v"
    assert await plant.scalar(made, v=FORBIDDEN) == 0
