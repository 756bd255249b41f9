"""Users saved by ADMIN, over HTTP through the gateway and a real worker: the password stored
as a hash, log-in after each save, deactivation revoking the tokens, the refusals, and an admin
unable to lock themselves out.

Users made here carry TAG (see catalog_helpers) in their username.
"""

from __future__ import annotations

import pytest

from tests.api import Api, Plant
from tests.e2e.catalog_helpers import MISSING, TAG, by_id, error_locs, save


async def _login(plant: Plant, username: str, password: str) -> Api | None:
    response = await Api(plant.http, None).post(
        "/auth/token/", {"username": username, "password": password}
    )
    if response.status == 401:
        return None
    assert response.status == 200, response.body
    return Api(plant.http, response.body["token"], response.body["user"])


async def test_user_lifecycle(plant: Plant, admin: Api) -> None:
    username = f"tec.{TAG.lower()}"
    body = {
        "username": username,
        "full_name": "Nuevo Técnico",
        "role": "TECNICO",
        "password": "first-pass-1",
    }
    user_id = await save(admin, "usuarios", body)
    stored = await plant.scalar("SELECT password_hash FROM users WHERE id = :id", id=user_id)
    assert stored.startswith("$argon2") and "first-pass-1" not in stored
    first = await _login(plant, username, "first-pass-1")
    assert first is not None
    assert first.user == {
        "id": user_id,
        "username": username,
        "full_name": "Nuevo Técnico",
        "role": "TECNICO",
    }
    assert (await first.get("/ubicaciones/")).status == 200
    assert user_id in by_id((await admin.get("/tecnicos/")).body)

    # No password: the old one stays.
    update = {k: v for k, v in body.items() if k != "password"}
    await save(admin, "usuarios", {**update, "id": user_id, "full_name": "Técnico Renombrado"})
    assert await _login(plant, username, "first-pass-1") is not None
    await save(admin, "usuarios", {**body, "id": user_id, "password": "second-pass-2"})
    assert await _login(plant, username, "first-pass-1") is None
    second = await _login(plant, username, "second-pass-2")
    assert second is not None

    await save(admin, "usuarios", {**update, "id": user_id, "active": False})
    assert (await first.get("/ubicaciones/")).status == 401
    assert await _login(plant, username, "second-pass-2") is None
    assert user_id not in by_id((await admin.get("/tecnicos/")).body)
    live = "SELECT count(*) FROM api_tokens WHERE user_id = :id AND revoked_at IS NULL"
    assert await plant.scalar(live, id=user_id) == 0
    # Reactivated, the user logs in again, but the tokens issued before stay revoked.
    await save(admin, "usuarios", {**update, "id": user_id, "active": True})
    assert (await second.get("/ubicaciones/")).status == 401
    assert await _login(plant, username, "second-pass-2") is not None


async def test_user_refusals(plant: Plant, admin: Api) -> None:
    body = {"username": f"sol.{TAG.lower()}", "full_name": "Sin Clave", "role": "SOLICITANTE"}
    no_password = await admin.post("/usuarios/guardar/", body)
    assert no_password.status == 422, no_password.body
    assert error_locs(no_password.body) == [["body", "password"]]
    exists = "SELECT count(*) FROM users WHERE username = :u"
    assert await plant.scalar(exists, u=body["username"]) == 0

    duplicate = await admin.post(
        "/usuarios/guardar/", {**body, "username": "tech", "password": "long-enough"}
    )
    assert duplicate.status == 409, duplicate.body
    assert error_locs(duplicate.body) == [["body", "username"]]
    unknown = await admin.post("/usuarios/guardar/", {**body, "id": MISSING})
    assert unknown.status == 404, unknown.body
    malformed = await admin.post(
        "/usuarios/guardar/", {**body, "role": "JEFE", "password": "short"}
    )
    assert malformed.status == 422, malformed.body
    assert sorted(error_locs(malformed.body)) == [["body", "password"], ["body", "role"]]
    assert await plant.scalar(exists, u=body["username"]) == 0


@pytest.mark.parametrize("change", [{"active": False}, {"role": "PLANIFICADOR"}])
async def test_admins_cannot_lock_themselves_out(
    plant: Plant, admin: Api, change: dict[str, object]
) -> None:
    body = {
        "id": admin.id,
        "username": "admin",
        "full_name": "Ana Admin",
        "role": "ADMIN",
        "active": True,
        **change,
    }
    response = await admin.post("/usuarios/guardar/", body)
    assert response.status == 409, response.body
    role = await plant.scalar("SELECT role || active::text FROM users WHERE id = :id", id=admin.id)
    assert role == "ADMINtrue"
