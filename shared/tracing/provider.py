"""The tracer provider behind `shared.tracing.configure`; imported only when tracing is on."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from shared.settings import Settings

TRACES_PATH = "/v1/traces"


class NoLoneQueries(Sampler):
    """The sampler of spans that start a trace: any, except a database call. A statement outside
    every request and message (the outbox relay's poll every two seconds, the scheduler's purges,
    the gateway's token sweep) would otherwise be a trace of its own, again and again."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "NoLoneQueries"


def start(settings: Settings, service: str, exporter: SpanExporter | None) -> TracerProvider:
    processor: SpanProcessor
    if exporter is None:
        assert settings.otel_exporter_otlp_endpoint is not None
        # The base URL's signal path, as the OTLP exporter adds it to OTEL_EXPORTER_OTLP_ENDPOINT;
        # its other OTEL_EXPORTER_OTLP_* variables (headers, timeout, …) it reads itself.
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + TRACES_PATH
        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    else:
        processor = SimpleSpanProcessor(exporter)
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: settings.otel_service_name or service}),
        # A span with a parent follows its parent's decision (a caller's `traceparent` too).
        sampler=ParentBased(root=NoLoneQueries()),
        # The entry point shuts it down (and so sends what is left) on its way out.
        shutdown_on_exit=False,
    )
    provider.add_span_processor(processor)
    # Never the global provider: the instrumentation gets this one, and so does every part
    # built meanwhile (`shared.tracing.tracer`); `stop` leaves no trace of it in the process.
    # SQL at the driver: it sees SQLAlchemy's statements and the gateway's raw asyncpg reads
    # alike, and only wraps the calls (no statement added). The SQLAlchemy instrumentation
    # would miss the raw reads, and declares itself for SQLAlchemy before 2.1.
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    return provider


def stop(provider: TracerProvider) -> None:
    AsyncPGInstrumentor().uninstrument()
    provider.shutdown()
