"""Bearer tokens and logins: tokens are random, stored only as their SHA-256, and expire;
passwords are argon2 hashes, verified in the process's bounded pool (shared/passwords.py) once
the login limits (gateway/login_limits.py) let the attempt through."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway import login_limits
from gateway.keys import ENGINE, SETTINGS, TOKEN_HASH, USER, AuthUser
from gateway.queries import driver
from gateway.queries.tokens import USER_BY_TOKEN
from shared.enums import Role
from shared.errors import Forbidden, Unauthorized
from shared.passwords import password_pool
from shared.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# Marks that the view's own read found its row (its columns may all be NULL).
_FOUND = "read_found__"
_NOT_READ = frozenset({"caller_id", "caller_username", "caller_full_name", "caller_role", _FOUND})
_USER_BY_NAME = text(
    "SELECT id, username, full_name, role, password_hash FROM users "
    "WHERE username = :username AND active"
)
_ISSUE = text(
    "INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES (:hash, :user_id, :expires)"
)
_REVOKE = text("UPDATE api_tokens SET revoked_at = now() WHERE token_hash = :hash")

# Paths that need no token (under the base path), and those that take one in `?token=`
# because their clients (calendar apps, browser WebSockets) cannot send headers.
PUBLIC_PATHS = frozenset({"/auth/token/", "/health/", "/health/ready/", "/openapi.json", "/docs/"})
# The docs page's assets.
PUBLIC_PREFIXES = ("/docs/static/",)
QUERY_TOKEN_PATHS = frozenset({"/app/cronograma.ics", "/notificaciones/ws/"})
BASE = "/mantenimiento"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bearer(request: web.Request, relative: str) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if relative in QUERY_TOKEN_PATHS:
        return request.query.get("token") or None
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    relative = path[len(BASE) :]
    if (
        not path.startswith(BASE + "/")
        or relative in PUBLIC_PATHS
        or relative.startswith(PUBLIC_PREFIXES)
    ):
        return await handler(request)
    token = _bearer(request, relative)
    if token is None:
        raise Unauthorized("missing bearer token")
    request[TOKEN_HASH] = token_hash(token)
    if _checks_token_itself(request):
        return await handler(request)
    async with request.app[ENGINE].connect() as conn:
        row = await driver.fetchrow(conn, USER_BY_TOKEN, request[TOKEN_HASH])
    _set_caller(request, row)
    return await handler(request)


def _checks_token_itself(request: web.Request) -> bool:
    spec = getattr(request.match_info.handler, "openapi", None)
    return bool(spec is not None and spec.token_in_query)


def _set_caller(request: web.Request, row: Mapping[str, Any] | None) -> None:
    if row is None:
        raise Unauthorized("invalid or expired token")
    request[USER] = AuthUser(
        row["caller_id"], row["caller_username"], row["caller_full_name"], Role(row["caller_role"])
    )


@functools.lru_cache(maxsize=64)
def _as_caller(sql: str) -> str:
    """`sql` (parameters `$1…`) run for the token's user only, in the same statement as the token
    check: one row of the caller's columns, then the read's first row (all NULL when none)."""
    shifted = re.sub(r"\$(\d+)", lambda match: f"${int(match[1]) + 1}", sql)
    return (
        f"SELECT caller.*, found.* FROM ({USER_BY_TOKEN}) caller"
        f" LEFT JOIN LATERAL (SELECT true AS {_FOUND}, r.* FROM ({shifted}) r LIMIT 1) found"
        " ON true"
    )


async def fetch_as_caller(
    request: web.Request, conn: AsyncConnection, sql: str, *args: Any
) -> dict[str, Any] | None:
    """For a view declared `token_in_query`: the first row of the read `sql`, checked and fetched
    in the same round trip as the caller's token (401 when it is not valid, 403 when the role may
    not use the view); None when the read finds nothing. A read has no effects, so checking the
    role after it is the same as before."""
    row = await driver.fetchrow(conn, _as_caller(sql), request[TOKEN_HASH], *args)
    _set_caller(request, row)
    roles = request.match_info.handler.openapi.roles  # type: ignore[attr-defined]
    if roles is not None:
        current_user(request, *roles)
    assert row is not None
    if not row[_FOUND]:
        return None
    return {key: value for key, value in row.items() if key not in _NOT_READ}


def current_user(request: web.Request, *roles: Role) -> AuthUser:
    """The caller, who must hold one of `roles` (any role when none is named)."""
    user: AuthUser = request[USER]
    if roles and user.role not in roles:
        raise Forbidden(f"role {user.role} may not do this")
    return user


async def login(
    request: web.Request, username: str, password: str
) -> tuple[str, datetime, AuthUser]:
    """A token for the username and password. Throttled attempts are refused before any password
    work; an unknown username costs the same statements and the same hash as a wrong password."""
    settings: Settings = request.app[SETTINGS]
    engine: AsyncEngine = request.app[ENGINE]
    address = login_limits.client_of(request, settings)
    async with engine.connect() as conn:
        await login_limits.refuse_if_throttled(conn, settings, username, address)
        row = (await conn.execute(_USER_BY_NAME, {"username": username})).first()
    # No connection held while waiting for a turn in the pool.
    if not await password_pool(settings).verify(row.password_hash if row else None, password):
        async with engine.connect() as conn:
            await login_limits.record_failure(conn, settings, username, address)
        raise Unauthorized("wrong username or password")
    assert row is not None
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=settings.token_ttl_hours)
    async with engine.begin() as conn:
        await login_limits.forget_failures(conn, username)
        await conn.execute(
            _ISSUE, {"hash": token_hash(token), "user_id": row.id, "expires": expires}
        )
    return token, expires, AuthUser(row.id, row.username, row.full_name, Role(row.role))


async def logout(request: web.Request) -> None:
    token = _bearer(request, "")
    if token is not None:
        async with request.app[ENGINE].begin() as conn:
            await conn.execute(_REVOKE, {"hash": token_hash(token)})
