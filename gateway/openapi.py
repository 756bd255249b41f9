"""The OpenAPI 3.1 document, generated from the routes and the pydantic models that validate them.

A view declares itself with `@operation(...)`: its summary, who may call it (checked here, before
the view runs), and the query and body models it parses. The document is built once per app.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from gateway.auth import current_user
from gateway.schemas import Accepted, Success
from shared.enums import EVERYONE, Role
from shared.messages import Command
from shared.messages.fields import Id

REF = "#/components/schemas/{model}"

View = Callable[[web.Request], Awaitable[web.StreamResponse]]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "message", "errors"],
    "properties": {
        "status": {"const": "error"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
}
# Every error an operation may answer, each with the contract's error body; which ones apply
# to an operation follows from its declaration (`_error_codes`).
_ERRORS = {
    400: "Malformed: a body that is not JSON, or a WebSocket request without the handshake",
    401: "Missing or invalid token",
    403: "The caller's role may not do this",
    404: "Unknown id, or an object the caller may not see",
    409: "State conflict: illegal transition, stale version, duplicate, Idempotency-Key reused",
    413: "The body is larger than the limit (MAX_BODY_BYTES)",
    422: "Validation error",
    429: "Too many attempts (see Retry-After)",
    503: "Database or broker unavailable, or too many password checks at once (see Retry-After)",
}
# A numeric path segment (`{id:\\d+}`) is an id of the usual kind unless a body field says more.
_ID_SCHEMA = TypeAdapter(Id).json_schema()


@dataclass(frozen=True)
class Operation:
    summary: str
    roles: tuple[Role, ...] | None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    # Body-model fields that the path supplies (not part of the JSON body).
    path_fields: tuple[str, ...] = ()
    paginated: bool = False
    # The 200 answer: a model, or a one-element list `[Model]` for an array of them.
    response: type[BaseModel] | list[type[BaseModel]] | None = None
    # The view checks the token (and roles) in its own query: see `auth.fetch_as_caller`.
    token_in_query: bool = False
    # Error statuses the declaration does not imply (e.g. 429 on login).
    errors: tuple[int, ...] = ()
    # The statuses answered with `response` (a WebSocket: 101, each frame being `response`).
    statuses: tuple[int, ...] = (200,)
    # Headers of the answer besides the pagination ones: name → what it says.
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_command(self) -> bool:
        return self.body is not None and issubclass(self.body, Command)

    @property
    def response_model(self) -> type[BaseModel] | None:
        return self.response[0] if isinstance(self.response, list) else self.response


# `roles` left out: a command body's own (`Command.roles`), otherwise every role.
_FROM_BODY: tuple[Role, ...] = ()


def operation(
    summary: str,
    *,
    roles: tuple[Role, ...] | None = _FROM_BODY,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    path_fields: tuple[str, ...] = (),
    paginated: bool = False,
    response: type[BaseModel] | list[type[BaseModel]] | None = None,
    token_in_query: bool = False,
    errors: tuple[int, ...] = (),
    statuses: tuple[int, ...] = (200,),
    headers: Mapping[str, str] | None = None,
) -> Callable[[View], View]:
    """Describe a view; `roles=None` marks a public one, otherwise the caller's role is checked
    (by the view itself when `token_in_query`: see `auth.fetch_as_caller`).

    Commands (a `body` that is a Command) answer `Success` unless `response` says otherwise, and
    may be sent by the roles their class declares (the dispatcher checks the same declaration).
    """
    is_command = body is not None and issubclass(body, Command)
    if roles is _FROM_BODY:
        roles = body.roles if is_command else EVERYONE  # type: ignore[union-attr]
    elif is_command:
        raise TypeError(f"{summary!r}: a command's roles are declared on its class")
    if response is None and is_command:
        response = Success
    spec = Operation(
        summary,
        roles,
        query,
        body,
        path_fields,
        paginated,
        response,
        token_in_query,
        errors,
        statuses,
        headers or {},
    )

    def decorate(view: View) -> View:
        @functools.wraps(view)
        async def checked(request: web.Request) -> web.StreamResponse:
            if spec.roles is not None and not spec.token_in_query:
                current_user(request, *spec.roles)
            return await view(request)

        checked.openapi = spec  # type: ignore[attr-defined]
        return checked

    return decorate


def _path_template(route: web.AbstractRoute) -> tuple[str, list[tuple[str, str | None]]]:
    """The path as OpenAPI writes it (the canonical form), and each parameter's name with the
    pattern the route matches it with (None: any segment)."""
    resource = route.resource
    if resource is None:
        return "", []
    compiled = resource.get_info().get("pattern")
    patterns = dict(re.findall(r"\(\?P<(\w+)>([^)]*)\)", compiled.pattern if compiled else ""))
    names = re.findall(r"\{(\w+)\}", resource.canonical)
    return resource.canonical, [(name, patterns.get(name)) for name in names]


def build(app: web.Application, title: str, version: str) -> dict[str, Any]:
    operations: list[tuple[str, str, list[tuple[str, str | None]], Operation]] = []
    for route in app.router.routes():
        spec: Operation | None = getattr(route.handler, "openapi", None)
        if spec is not None and route.method != "HEAD":
            path, names = _path_template(route)
            operations.append((route.method.lower(), path, names, spec))
    models = {
        m for *_, op in operations for m in (op.query, op.body, op.response_model) if m is not None
    } | {Accepted}
    _, schemas = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF,
    )
    components = {**schemas.get("$defs", {}), "Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for method, path, names, op in sorted(operations, key=lambda o: (o[1], o[0])):
        paths.setdefault(path, {})[method] = _operation(op, names, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }


def _error_codes(op: Operation, has_path: bool) -> dict[int, str]:
    """The errors an operation can answer, from what it declares."""
    codes = set(op.errors)
    if op.roles is not None:
        codes |= {401, 503}
        if set(op.roles) != set(EVERYONE):
            codes.add(403)
    if op.body is not None:
        codes |= {400, 413, 422, 503}
    if op.query is not None:
        codes.add(422)
    if has_path or op.is_command:
        codes.add(404)
    if op.is_command:
        codes.add(409)
    return {code: _ERRORS[code] for code in sorted(codes - set(op.statuses))}


def _path_parameter(
    op: Operation, name: str, pattern: str | None, field: str | None, components: dict[str, Any]
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if field is not None and op.body is not None:
        schema = components[op.body.__name__]["properties"][field]
    elif pattern == r"\d+":
        schema = _ID_SCHEMA
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _operation(
    op: Operation, path_names: list[tuple[str, str | None]], components: dict[str, Any]
) -> dict[str, Any]:
    fields = list(op.path_fields) + [None] * (len(path_names) - len(op.path_fields))
    parameters: list[dict[str, Any]] = [
        _path_parameter(op, name, pattern, field, components)
        for (name, pattern), field in zip(path_names, fields, strict=True)
    ]
    if op.query is not None:
        properties = op.query.model_json_schema(ref_template=REF)["properties"]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "schema": properties[name],
            }
            for name, field in op.query.model_fields.items()
        ]
    result: dict[str, Any] = {"summary": op.summary, "parameters": parameters}
    if op.roles is not None:
        result["security"] = [{"bearer": []}]
        result["description"] = "Roles: " + ", ".join(role.value for role in op.roles)
    if op.headers:
        # Also in the description: documentation pages show it first, the headers folded away.
        lines = "\n".join(f"- `{name}`: {text}" for name, text in op.headers.items())
        result["description"] = f"{result.get('description', '')}\n\nAnswer headers:\n{lines}"
    if op.body is not None:
        schema = dict(components[op.body.__name__])
        if op.path_fields:
            schema["properties"] = {
                k: v for k, v in schema.get("properties", {}).items() if k not in op.path_fields
            }
            schema["required"] = [r for r in schema.get("required", []) if r not in op.path_fields]
            components[op.body.__name__] = schema
        ref = REF.format(model=op.body.__name__)
        result["requestBody"] = {
            # An empty body reads as `{}`: required only when some field is.
            "required": bool(schema.get("required")),
            "content": {"application/json": {"schema": {"$ref": ref}}},
        }
    error = {"content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
    ok: dict[str, Any] = {"description": "OK"}
    if op.response_model is not None:
        answer: dict[str, Any] = {"$ref": REF.format(model=op.response_model.__name__)}
        if isinstance(op.response, list):
            answer = {"type": "array", "items": answer}
        ok["content"] = {"application/json": {"schema": answer}}
    result["responses"] = {str(status): ok for status in op.statuses} | {
        str(code): {"description": text, **error}
        for code, text in _error_codes(op, bool(path_names)).items()
    }
    if op.is_command:
        result["responses"]["202"] = {
            "description": "The worker's reply is late: follow Location (/comandos/{id}/)",
            "content": {"application/json": {"schema": {"$ref": REF.format(model="Accepted")}}},
        }
    headers = {
        name: {"schema": {"type": "string"}, "description": text}
        for name, text in op.headers.items()
    }
    if op.paginated:
        headers |= {
            "X-Total-Count": {"schema": {"type": "integer"}},
            "Link": {"schema": {"type": "string"}, "description": 'rel="next" when more remain'},
        }
    if headers:
        ok["headers"] = headers
    return result
