"""What the catalog and user tests share: this run's TAG and the names made with it, saving as
ADMIN, and reading refusals and lists.

The plant is shared with other test files: every row these tests make carries TAG in its code or
name, and assertions only count rows made by them.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.api import Api

TAG = uuid.uuid4().hex[:8].upper()
MISSING = 10**9
LINKS = (
    "SELECT array_agg(maintenance_type_id ORDER BY maintenance_type_id)"
    " FROM category_maintenance_types WHERE category_id = :id"
)


def code(name: str) -> str:
    return f"{TAG}-{name}"


async def save(api: Api, what: str, body: dict[str, Any]) -> int:
    response = await api.post(f"/{what}/guardar/", body)
    assert response.status == 200, response.body
    assert response.body["status"] == "success"
    return int(response.body["id"])


def error_locs(body: dict[str, Any]) -> list[list[Any]]:
    assert body["status"] == "error"
    return [error["loc"] for error in body["errors"]]


def by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in rows}
