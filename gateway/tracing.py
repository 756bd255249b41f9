"""The gateway's request span: one SERVER span around everything the gateway does for a request,
continuing the caller's W3C `traceparent` when it sends one. In the middleware list only when
tracing is on (`create_app`).

Not the published aiohttp-server instrumentation: it installs itself by swapping
`web.Application` for a subclass (which aiohttp warns against) and inserting into the
middleware list handed to it, and it records the URL with its query string, where a calendar
feed carries its token. This span names the request by its route's template, as the access log
does, and carries the request id of the log lines.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from gateway.keys import REQUEST_ID
from gateway.middlewares import route_of


def request_spans(tracer: Tracer) -> Middleware:
    @web.middleware
    async def request_span(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)
        attributes = {"http.request.method": request.method, "url.scheme": request.scheme}
        if route is not None:
            attributes["http.route"] = route
        with tracer.start_as_current_span(
            f"{request.method} {route}" if route else request.method,
            context=propagate.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes=attributes,
            # Told by the status below: a redirect is raised, and is no failure.
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                span.set_attribute("http.response.status_code", status)
                if REQUEST_ID in request:
                    span.set_attribute("mantenimiento.request_id", request[REQUEST_ID])
                # A 4xx is the caller's error, not the server's.
                if status >= 500:
                    span.set_status(StatusCode.ERROR)

    return request_span
