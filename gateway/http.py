"""Request parsing and response helpers shared by every route."""

from __future__ import annotations

import functools
import hashlib
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.keys import SETTINGS
from shared.errors import BadRequest, Invalid, NotFound, invalid_input
from shared.messages.fields import NUL_MESSAGE, Id

M = TypeVar("M", bound=BaseModel)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(data), status=status, headers=headers, content_type="application/json"
    )


def cached_json(request: web.Request, data: Any) -> web.Response:
    """A single object with an ETag; `If-None-Match` with the same tag answers 304."""
    body = dumps(data)
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=body, headers={"ETag": etag}, content_type="application/json")


def path_id(request: web.Request, name: str = "id", id_type: Any = Id) -> int:
    """A numeric path segment as an id of `id_type`: one beyond its column's range is as unknown
    as a missing one (404)."""
    try:
        return int(_id_adapter(id_type).validate_python(request.match_info[name]))
    except ValidationError as exc:
        raise NotFound(f"unknown {name} {request.match_info[name][:20]}") from exc


@functools.cache
def _id_adapter(id_type: Any) -> TypeAdapter[int]:
    return TypeAdapter(id_type)


def parse_query(request: web.Request, model: type[M]) -> M:
    """Query parameters into `model`; a repeated parameter becomes a list where it repeats."""
    data: dict[str, Any] = {}
    for key in request.query.keys():
        if key in model.model_fields:
            values = request.query.getall(key)
            if any("\x00" in value for value in values):
                raise _nul_error(["query", key])
            data[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(data, context={"tz": request.app[SETTINGS].tz})
    except ValidationError as exc:
        raise invalid_input(exc, "query") from exc


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object; anything else → 400/422."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", [{"loc": ["body"], "msg": "not an object"}])
    return data


def _nul_error(loc: list[str | int]) -> Invalid:
    return Invalid(NUL_MESSAGE, [{"loc": loc, "msg": NUL_MESSAGE}])


def parse_model(request: web.Request, model: type[M], data: dict[str, Any]) -> M:
    """A body into `model`, strictly as JSON: `true` is no number, `0` no boolean, `"3"` no
    integer (what the document says is what is accepted)."""
    try:
        return model.model_validate_json(
            dumps(data), strict=True, context={"tz": request.app[SETTINGS].tz}
        )
    except ValidationError as exc:
        raise invalid_input(exc, "body") from exc
