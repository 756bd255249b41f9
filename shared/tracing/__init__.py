"""Traces (OpenTelemetry), sent when OTEL_EXPORTER_OTLP_ENDPOINT names a collector.

While it is unset nothing is set up: no tracer provider, no instrumentation, and the parts of the
service hold no tracer (`tracer` gives None), so they make no span and pay nothing for it. The
entry points call `configured`; each part takes its tracer when it is built.

One command makes one trace: the gateway's request span (gateway/tracing.py), the publish and
the worker's processing of the command (shared/messaging/tracing.py: the W3C `traceparent` rides
in the message headers), the handler's transaction (workers/dispatcher.py) and its SQL (the
published asyncpg instrumentation, which sees SQLAlchemy's statements and the gateway's raw
reads alike). An outbox row keeps the context of the span that wrote it (`carrier`): the relay
publishes the event as that span's child, and the notification worker's processing follows it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.util.types import Attributes

from shared.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

_provider: TracerProvider | None = None


def configure(settings: Settings, service: str, exporter: SpanExporter | None = None) -> None:
    """Trace this process as `service` (OTEL_SERVICE_NAME overrides it) when
    OTEL_EXPORTER_OTLP_ENDPOINT is set; with `exporter` (tests), whatever the settings, each span
    handed to it as it ends."""
    global _provider
    if _provider is not None:
        raise RuntimeError("tracing is already configured in this process")
    if settings.otel_exporter_otlp_endpoint is None and exporter is None:
        return
    # The SDK, the exporter and the instrumentation are imported only now.
    from shared.tracing.provider import start

    _provider = start(settings, service, exporter)


def shutdown() -> None:
    """Send the spans still held and undo `configure`, its instrumentation included."""
    global _provider
    if _provider is None:
        return
    from shared.tracing.provider import stop

    stop(_provider)
    _provider = None


@contextlib.contextmanager
def configured(settings: Settings, service: str) -> Iterator[None]:
    """A process's life with tracing as its settings say."""
    configure(settings, service)
    try:
        yield
    finally:
        shutdown()


def tracer(name: str) -> trace.Tracer | None:
    """The tracer of a part being built (named after its module); None while tracing is off."""
    return None if _provider is None else _provider.get_tracer(name)


def span(
    tracer: trace.Tracer | None,
    name: str,
    *,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    parent: Context | None = None,
    attributes: Attributes = None,
) -> contextlib.AbstractContextManager[object]:
    """A span around a block, the current one inside it; nothing without a tracer. `parent`:
    the context to continue (`parent_of`); by default the current span's."""
    if tracer is None:
        return contextlib.nullcontext()
    return tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes)


def carrier() -> dict[str, str] | None:
    """The current span's context as W3C headers (`traceparent`, …), to keep beside work that
    goes on later (an outbox row); None while tracing is off or outside any span."""
    if _provider is None or not trace.get_current_span().get_span_context().is_valid:
        return None
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def parent_of(headers: Mapping[str, object] | None) -> Context:
    """The context that message headers or a stored carrier hold: a span started in it is the
    child of their `traceparent`, or the root of a new trace when they have none."""
    text = {key: value for key, value in (headers or {}).items() if isinstance(value, str)}
    return propagate.extract(text)
