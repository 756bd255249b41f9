"""Requests that cannot hurt: what an attacker (or a fuzzer) sends is answered with the contract's
error body and the right status, never a 500 or a dead-lettered command."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from shared.messages.fields import INT4_MAX
from shared.settings import Settings
from tests.api import Api, Plant


def assert_error(response: Any, status: int, loc: list[Any] | None = None) -> None:
    assert response.status == status, (response.status, response.body)
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.body["status"] == "error", response.body
    if loc is not None:
        assert loc in [error["loc"] for error in response.body["errors"]], response.body


async def test_a_body_over_the_limit_is_413_with_the_error_body(
    settings: Settings, gateway_for: Any
) -> None:
    api, _ = await gateway_for(settings.model_copy(update={"max_body_bytes": 4096}))
    ids = list(range(1, 2000))
    assert len(orjson.dumps({"ids": ids})) > 4096
    refused = await api.post("/ot/eliminar/", {"ids": ids})
    assert_error(refused, 413)
    # Under the limit the same command is read (and refused for what it says, not its size).
    small = await api.post("/ot/eliminar/", {"ids": [INT4_MAX]})
    assert small.status == 409, small.body


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/app/aviso/crear/", {"asset_id": 1, "title": "x" * 201}, ["body", "title"]),
        ("/ubicaciones/guardar/", {"code": "C" * 65, "name": "n"}, ["body", "code"]),
        ("/rutinas/guardar/", {"name": "r", "description": "d" * 20_001}, ["body", "description"]),
        ("/usuarios/guardar/", {"username": "u" * 151}, ["body", "username"]),
    ],
)
async def test_a_string_over_its_length_is_422(
    admin: Api, path: str, body: dict[str, Any], loc: list[str]
) -> None:
    assert_error(await admin.post(path, body), 422, loc)


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/ot/fusionar/", {"ids": list(range(1, 102)), "date": "2031-01-01"}, ["body", "ids"]),
        ("/ot/eliminar/", {"ids": list(range(1, 10_002))}, ["body", "ids"]),
        ("/categorias/guardar/", {"name": "c", "maintenance_type_ids": [1] * 101}, None),
    ],
)
async def test_an_array_over_its_maximum_is_422(
    admin: Api, path: str, body: dict[str, Any], loc: list[str] | None
) -> None:
    assert_error(await admin.post(path, body), 422, loc)


async def test_an_array_in_a_query_over_its_maximum_is_422(admin: Api) -> None:
    ids = ",".join(str(n) for n in range(1, 502))
    assert_error(await admin.get("/programas/pronostico/", program_ids=ids), 422)


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/ubicaciones/guardar/", {"code": "C1", "name": "n", "colour": "red"}, ["body", "colour"]),
        ("/ot/fechas/", {"updates": [{"id": 1, "date": "2031-01-01", "reason": "abc", "x": 1}]},
         ["body", "updates", 0, "x"]),
        ("/auth/token/", {"username": "admin", "password": "p", "otp": "1"}, ["body", "otp"]),
    ],
)  # fmt: skip
async def test_an_unknown_field_is_422(
    admin: Api, path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    assert_error(await admin.post(path, body), 422, loc)


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/app/aviso/crear/", {"asset_id": 1, "title": "fuga\x00"}, ["body", "title"]),
        ("/auth/token/", {"username": "admin\x00", "password": "secret"}, ["body", "username"]),
        ("/ot/fechas/", {"updates": [{"id": 1, "date": "2031-01-01", "reason": "a\x00bc"}]},
         ["body", "updates", 0, "reason"]),
    ],
)  # fmt: skip
async def test_nul_in_body_text_is_422(
    admin: Api, path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    assert_error(await admin.post(path, body), 422, loc)


async def test_nul_in_a_query_is_422(admin: Api) -> None:
    assert_error(await admin.get("/ot/", q="bomba\x00"), 422, ["query", "q"])


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/ot/", {"asset_id": "-33143236302"}, ["query", "asset_id"]),
        ("/ot/", {"location_id": "144115188075855871"}, ["query", "location_id"]),
        ("/wizard/activos/", {"category_id": "247420621144312576"}, ["query", "category_id"]),
        ("/programas/", {"routine_id": "-818976682772"}, ["query", "routine_id"]),
        ("/ot/", {"start_date": "0"}, ["query", "start_date"]),
    ],
)
async def test_a_query_value_beyond_its_column_is_422(
    admin: Api, path: str, params: dict[str, str], loc: list[str]
) -> None:
    assert_error(await admin.get(path, **params), 422, loc)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ot/eliminar/", {"ids": [7176718507]}),
        ("/categorias/guardar/", {"id": 152977853269, "name": "Bombas"}),
        ("/ot/fechas/", {"updates": [{"id": 10920060106735927296, "date": "2031-01-01",
                                      "reason": "abc"}]}),
        ("/activos/guardar/", {"code": "A-1", "name": "a", "location_id": 1, "category_id": 1,
                               "active": 0}),
        ("/rutinas/guardar/", {"name": "r", "maintenance_type_id": 1, "frequency_id": 1,
                               "estimated_duration_min": False}),
    ],
)  # fmt: skip
async def test_a_body_value_beyond_its_column_or_type_is_422_and_nothing_is_sent(
    admin: Api, plant: Plant, path: str, body: dict[str, Any]
) -> None:
    commands = await plant.scalar("SELECT count(*) FROM command_log")
    assert_error(await admin.post(path, body, headers={"Idempotency-Key": path}), 422)
    assert await plant.scalar("SELECT count(*) FROM command_log") == commands


@pytest.mark.parametrize("path", ["/ot/99999999999/", "/ot/2147483648/historial/"])
async def test_an_id_in_the_path_beyond_its_column_is_404(admin: Api, path: str) -> None:
    assert_error(await admin.get(path), 404)


async def test_a_long_url_gets_the_json_error_body(admin: Api) -> None:
    # Past aiohttp's default request line (8,190 bytes), within the gateway's.
    response = await admin.get("/ot/", q="x" * 20_000)
    assert_error(response, 422, ["query", "q"])


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("get", "/programas/pronostico/?until=2200-01-01", None, ["query", "until"]),
        ("post", "/programas/generar/", {"until": "2200-01-01"}, ["body", "until"]),
    ],
)
async def test_a_horizon_beyond_three_years_is_422(
    admin: Api, method: str, path: str, body: dict[str, Any] | None, loc: list[Any]
) -> None:
    refused = await (admin.get(path) if method == "get" else admin.post(path, body))
    assert_error(refused, 422, loc)
    # Within the limit the same request is answered.
    within = "2027-12-31"
    answered = await (
        admin.get(f"/programas/pronostico/?until={within}")
        if method == "get"
        else admin.post(path, {"until": within, "dry_run": True})
    )
    assert answered.status in (200, 202), answered.body
