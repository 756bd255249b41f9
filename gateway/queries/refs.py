"""Objects an answer nests from a row's flat columns."""

from __future__ import annotations

from typing import Any


def pop_asset(data: dict[str, Any]) -> dict[str, Any]:
    """`{"id", "code", "name"}` of the asset whose `asset_id`, `asset_code` and `asset_name`
    columns `data` holds (removed from it)."""
    return {
        "id": data.pop("asset_id"),
        "code": data.pop("asset_code"),
        "name": data.pop("asset_name"),
    }
