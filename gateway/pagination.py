"""Cursor pagination: opaque cursors, `X-Total-Count`, and `Link: <…>; rel="next"`."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from gateway.http import json_response
from shared.errors import Invalid
from shared.messages.fields import QUERY_LIST_MAX

T = TypeVar("T")


def _split_commas(value: Any) -> Any:
    """`a,b` and repeated parameters (`?x=a&x=b`) both become a list."""
    values = value if isinstance(value, list) else [value]
    if all(isinstance(item, str) for item in values):
        return [part.strip() for item in values for part in item.split(",") if part.strip()]
    return value


CommaList = Annotated[
    tuple[T, ...], BeforeValidator(_split_commas), Field(max_length=QUERY_LIST_MAX)
]


class PageQuery(BaseModel):
    """Base of every paginated list's query."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=500, description="From the Link header")


def encode_cursor(key: Sequence[Any]) -> str:
    raw = orjson.dumps(list(key), default=lambda v: v.isoformat())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, key_type: Any) -> Any:
    """The key a cursor encodes, checked against `key_type` (e.g. `tuple[str, int]`)."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return _key_adapter(key_type).validate_json(raw)
    except ValueError as exc:  # bad base64, bad JSON, or a key of another shape
        raise bad_cursor() from exc


@functools.cache
def _key_adapter(key_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(key_type, config=ConfigDict(strict=True))


def bad_cursor() -> Invalid:
    return Invalid("unreadable cursor", [{"loc": ["query", "cursor"], "msg": "unreadable cursor"}])


def page_headers(
    request: web.Request, total: int, next_key: Sequence[Any] | None
) -> dict[str, str]:
    headers = {"X-Total-Count": str(total)}
    if next_key is not None:
        url = request.rel_url.update_query(cursor=encode_cursor(next_key))
        headers["Link"] = f'<{url}>; rel="next"'
    return headers


def page_response(
    request: web.Request,
    rows: list[dict[str, Any]],
    *,
    limit: int,
    total: int,
    key: Callable[[dict[str, Any]], Sequence[Any]],
) -> web.Response:
    """A page of `rows` fetched with `limit + 1`: the extra row only tells that more remain."""
    page = rows[:limit]
    next_key = key(page[-1]) if len(rows) > limit else None
    return json_response(page, headers=page_headers(request, total, next_key))
