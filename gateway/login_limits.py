"""Failed logins, counted in the database so that every gateway shares the count.

Within `LOGIN_WINDOW_S`, `LOGIN_FAILURES_PER_USER` failures for one username or
`LOGIN_FAILURES_PER_ADDRESS` from one client address throttle further attempts for that
username or from that address: refused (429) before any password is checked, so a flood costs
no argon2 work. `Retry-After` is when enough failures will have left the window to let the next
attempt through. A successful login clears the username's failures; each recorded failure
deletes a bounded batch of rows older than the window, which keeps the table to about the
failures of one window.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from aiohttp import web
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.client_address import client_address
from gateway.queries import driver
from shared.errors import TooManyRequests
from shared.settings import Settings

LOGIN_REFUSALS = Counter(
    "mantenimiento_login_refusals",
    "Login attempts refused without checking the password, by what was throttled",
    ["reason"],
)

# The failure that must leave the window before the next attempt may pass: the username's
# `$4`-th newest and the address's `$5`-th newest within it (NULL: fewer than the limit). Each is
# found by walking at most that many entries of its index.
_THROTTLED = """
WITH limiting(reason, failed_at) AS (
    SELECT 'user', (SELECT failed_at FROM login_failures
                     WHERE username = $1 AND failed_at > now() - make_interval(secs => $3)
                     ORDER BY failed_at DESC OFFSET $4 - 1 LIMIT 1)
    UNION ALL
    SELECT 'address', (SELECT failed_at FROM login_failures
                        WHERE address = $2 AND failed_at > now() - make_interval(secs => $3)
                        ORDER BY failed_at DESC OFFSET $5 - 1 LIMIT 1)
)
SELECT max(ceil(extract(epoch FROM failed_at + make_interval(secs => $3) - now())))::int
           AS retry_after,
       bool_or(reason = 'user') AS user_throttled
  FROM limiting WHERE failed_at IS NOT NULL
"""
# Rows past the window deleted with each new failure: more than one, so pruning outpaces
# insertion; few enough to keep the statement short. SKIP LOCKED: concurrent failures prune
# different rows instead of waiting for each other.
PRUNE_BATCH = 100
_RECORD = text(
    "WITH pruned AS (DELETE FROM login_failures WHERE id IN ("
    "  SELECT id FROM login_failures WHERE failed_at <= now() - make_interval(secs => :window)"
    "  ORDER BY failed_at LIMIT :batch FOR UPDATE SKIP LOCKED))"
    " INSERT INTO login_failures (username, address) VALUES (:username, CAST(:address AS inet))"
)
_FORGET = text("DELETE FROM login_failures WHERE username = :username")


def client_of(request: web.Request, settings: Settings) -> IPv4Address | IPv6Address:
    """The address a request's login attempt is counted under."""
    return client_address(
        request.remote, request.headers.getall("X-Forwarded-For", []), settings.trusted_proxies
    )


async def refuse_if_throttled(
    conn: AsyncConnection, settings: Settings, username: str, address: IPv4Address | IPv6Address
) -> None:
    """429 with `Retry-After` when the username or the address has reached its limit."""
    row = await driver.fetchrow(
        conn,
        _THROTTLED,
        username,
        address,
        float(settings.login_window_s),
        settings.login_failures_per_user,
        settings.login_failures_per_address,
    )
    if row is None or row["retry_after"] is None:
        return
    LOGIN_REFUSALS.labels("user" if row["user_throttled"] else "address").inc()
    raise TooManyRequests(
        "too many failed logins; try again later", retry_after=max(1, row["retry_after"])
    )


async def record_failure(
    conn: AsyncConnection, settings: Settings, username: str, address: IPv4Address | IPv6Address
) -> None:
    await conn.execute(
        _RECORD,
        {
            "username": username,
            "address": str(address),
            "window": float(settings.login_window_s),
            "batch": PRUNE_BATCH,
        },
    )


async def forget_failures(conn: AsyncConnection, username: str) -> None:
    """After a successful login: the username starts again from no failures."""
    await conn.execute(_FORGET, {"username": username})
