"""Log in, who am I, log out, and the token's life."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from aiohttp import ClientSession

from tests.api import PASSWORD, Api, Plant


async def login(http: ClientSession, username: str, password: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = await Api(http, None).post(
        "/auth/token/", {"username": username, "password": password}
    )
    return response.status, response.body


async def test_login_me_and_logout(http: ClientSession, plant: Plant) -> None:
    status, body = await login(http, "planner", PASSWORD)
    assert status == 200
    assert body["user"] == {
        "id": plant.api["PLANIFICADOR"].id,
        "username": "planner",
        "full_name": "Pedro Planificador",
        "role": "PLANIFICADOR",
    }
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires > datetime.now(timezone.utc)
    stored = await plant.scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash = :t", t=body["token"]
    )
    assert stored == 0  # only the hash is kept

    api = Api(http, body["token"])
    me = await api.get("/auth/me/")
    assert me.status == 200 and me.body == body["user"]
    assert (await api.post("/auth/logout/")).status == 200
    assert (await api.get("/auth/me/")).status == 401
    # Other sessions of the same user are untouched.
    assert (await plant.api["PLANIFICADOR"].get("/auth/me/")).status == 200


@pytest.mark.parametrize(("username", "password"), [("planner", "wrong"), ("nobody", PASSWORD)])
async def test_bad_credentials_are_401(
    http: ClientSession, plant: Plant, username: str, password: str
) -> None:
    status, body = await login(http, username, password)
    assert status == 401
    assert body == {"status": "error", "message": "wrong username or password", "errors": []}


async def test_malformed_login_is_422(http: ClientSession) -> None:
    response = await Api(http, None).post("/auth/token/", {"username": "planner"})
    assert response.status == 422
    assert response.body["errors"][0]["loc"] == ["body", "password"]


async def test_expired_token_is_refused(http: ClientSession, plant: Plant) -> None:
    _, body = await login(http, "tech", PASSWORD)
    api = Api(http, body["token"])
    assert (await api.get("/auth/me/")).status == 200
    await plant.scalar(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second'"
        " WHERE id = (SELECT max(id) FROM api_tokens WHERE user_id = :u) RETURNING id",
        u=plant.api["TECNICO"].id,
    )
    assert (await api.get("/auth/me/")).status == 401


async def test_query_string_tokens_are_not_accepted_on_ordinary_paths(
    http: ClientSession, planner: Api
) -> None:
    response = await Api(http, None).get("/auth/me/", token=planner.token)
    assert response.status == 401
