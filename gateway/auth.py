"""Bearer tokens and passwords: tokens are random, stored only as their SHA-256, and expire;
passwords are argon2 hashes, verified off the event loop."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys import ENGINE, SETTINGS, USER, AuthUser
from gateway.queries import driver
from shared.enums import Role
from shared.errors import Forbidden, Unauthorized

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PASSWORDS = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both failures take the same time.

    Made on first use, not at import: an argon2 hash takes 64 MB for a moment, and a process
    that never refuses an unknown user should not carry that peak."""
    return PASSWORDS.hash(secrets.token_hex(8))


# Run on every authenticated request: straight through asyncpg (see gateway/queries/driver.py).
_USER_BY_TOKEN = (
    "SELECT u.id, u.username, u.full_name, u.role FROM api_tokens t "
    "JOIN users u ON u.id = t.user_id "
    "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active"
)
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
    if not path.startswith(BASE + "/") or path[len(BASE) :] in PUBLIC_PATHS:
        return await handler(request)
    token = _bearer(request, path[len(BASE) :])
    if token is None:
        raise Unauthorized("missing bearer token")
    async with request.app[ENGINE].connect() as conn:
        row = await driver.fetchrow(conn, _USER_BY_TOKEN, token_hash(token))
    if row is None:
        raise Unauthorized("invalid or expired token")
    request[USER] = AuthUser(row["id"], row["username"], row["full_name"], Role(row["role"]))
    return await handler(request)


def current_user(request: web.Request, *roles: Role) -> AuthUser:
    """The caller, who must hold one of `roles` (any role when none is named)."""
    user: AuthUser = request[USER]
    if roles and user.role not in roles:
        raise Forbidden(f"role {user.role} may not do this")
    return user


async def login(
    request: web.Request, username: str, password: str
) -> tuple[str, datetime, AuthUser]:
    engine: AsyncEngine = request.app[ENGINE]
    async with engine.connect() as conn:
        row = (await conn.execute(_USER_BY_NAME, {"username": username})).first()
    if not await _password_matches(row.password_hash if row else None, password):
        raise Unauthorized("wrong username or password")
    assert row is not None
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=request.app[SETTINGS].token_ttl_hours)
    async with engine.begin() as conn:
        await conn.execute(
            _ISSUE, {"hash": token_hash(token), "user_id": row.id, "expires": expires}
        )
    return token, expires, AuthUser(row.id, row.username, row.full_name, Role(row.role))


async def _password_matches(stored: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return PASSWORDS.verify(stored or _dummy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(None, verify)


async def logout(request: web.Request) -> None:
    token = _bearer(request, "")
    if token is not None:
        async with request.app[ENGINE].begin() as conn:
            await conn.execute(_REVOKE, {"hash": token_hash(token)})
