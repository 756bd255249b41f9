"""Middlewares, outermost first: request id and metrics → errors → trailing slash → auth."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.web_middlewares import normalize_path_middleware
from prometheus_client import Histogram

from gateway.auth import auth_middleware
from gateway.http import json_response
from gateway.keys import REQUEST_ID, USER
from shared.db.errors import database_busy_or_down, database_unreachable
from shared.errors import DomainError, Unavailable

log = logging.getLogger(__name__)
access_log = logging.getLogger("mantenimiento.access")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REQUEST_SECONDS = Histogram(
    "mantenimiento_http_request_seconds",
    "HTTP requests served by the gateway",
    ["method", "route", "status"],
)

_HTTP_MESSAGES = {
    400: ("bad_request", "bad request"),
    401: ("unauthorized", "authentication required"),
    403: ("forbidden", "forbidden"),
    404: ("not_found", "not found"),
    405: ("method_not_allowed", "method not allowed"),
    413: ("too_large", "the body is larger than the limit"),
}
DATABASE_DOWN = "the database is unavailable; try again shortly"
DATABASE_BUSY = "the database is busy (a lock or time limit was reached); try again shortly"


def _error_response(error: DomainError) -> web.Response:
    headers = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return json_response(error.body(), status=error.http_status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes the contract's error body; a traceback never leaves the process."""
    try:
        return await handler(request)
    except DomainError as error:
        return _error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        _, message = _HTTP_MESSAGES.get(exc.status, ("error", exc.reason))
        body = {"status": "error", "message": message, "errors": []}
        return json_response(
            body,
            status=exc.status,
            headers={key: value for key, value in exc.headers.items() if key.lower() == "allow"},
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if database_busy_or_down(exc):
            log.warning("database unavailable: %r", exc)
            message = DATABASE_DOWN if database_unreachable(exc) else DATABASE_BUSY
            return _error_response(Unavailable(message))
        log.exception("unhandled error on %s %s", request.method, request.path)
        body = {
            "status": "error",
            "message": f"internal error (request {request.get(REQUEST_ID, '-')})",
            "errors": [],
        }
        return json_response(body, status=500)


def route_of(request: web.Request) -> str | None:
    """The template of the request's route (`/mantenimiento/ot/{id}/`): no id, no query."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else None


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id (taken from `X-Request-Id` or made) on the response, on every log line of the
    request, in the metrics, and in the access log line. The path is logged as its route's
    template: no id, no query string (a calendar's `?token=`) ever reaches the log."""
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-Id"] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request_id
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_of(request) or "unmatched"
            REQUEST_SECONDS.labels(request.method, route, str(status)).observe(seconds)
            user = request.get(USER)
            access_log.info(
                "%s %s %s",
                request.method,
                route,
                status,
                extra={
                    "method": request.method,
                    "path": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "user_id": user.id if user is not None else None,
                },
            )


MIDDLEWARES = [
    request_context_middleware,
    error_middleware,
    # Redirects to the canonical path (trailing slash) before any authentication.
    normalize_path_middleware(append_slash=True, redirect_class=web.HTTPPermanentRedirect),
    auth_middleware,
]
