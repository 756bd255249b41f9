"""Traces: one command through the real gateway, broker, worker and database is one trace with
the parent links right, and the outbox event it wrote and the notification that event caused
carry it on. Tracing is set up for that test only, with the SDK's in-memory exporter, before a
database, broker namespace, gateway and worker of the test's own are built (a part takes its
tracer when it is built, so the session's gateway and worker trace nothing); it is undone after.
The gateway and worker processes send their spans by OTLP to the collector their settings name.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable, Sequence

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from shared import tracing
from shared.db.engine import create_engine
from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.notification_helpers import notified
from tests.e2e.test_processes import free_port, serving
from tests.services import ServiceUrls, connected, own_run
from workers.runner import Worker

WAIT_S = 30.0
Spans = Sequence[ReadableSpan]


@pytest.fixture
async def exporter(settings: Settings) -> AsyncIterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure(settings, "mantenimiento-test", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


@pytest.fixture
async def traced_plant(
    services: ServiceUrls, exporter: InMemorySpanExporter
) -> AsyncIterator[Plant]:
    """A plant served by a gateway and a worker built while tracing is on."""
    async with own_run(services, "traces", command_timeout_s=5, worker_metrics_port=0) as settings:
        worker = Worker(settings, ["ordenes", "notificaciones"])
        server = TestServer(create_app(settings), host="127.0.0.1")
        engine = create_engine(settings, pool_size=2)
        try:
            await worker.start()
            await asyncio.wait_for(worker.broker.started.wait(), 20)
            await server.start_server()
            await connected(server)
            async with ClientSession(base_url=str(server.make_url("/"))) as http:
                yield await Plant.create(engine, http)
        finally:
            await server.close()
            await worker.stop()
            await engine.dispose()


async def _spans_until(exporter: InMemorySpanExporter, seen: Callable[[Spans], bool]) -> Spans:
    for _ in range(int(WAIT_S / 0.05)):
        spans = exporter.get_finished_spans()
        if seen(spans):
            return spans
        await asyncio.sleep(0.05)
    names = sorted(span.name for span in exporter.get_finished_spans())
    raise AssertionError(f"the expected spans never ended; ended: {names}")


def _one(spans: Spans, kind: SpanKind, name: str) -> ReadableSpan:
    (span,) = [span for span in spans if span.kind is kind and span.name == name]
    return span


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def _children(spans: Spans, parent: ReadableSpan, kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in spans if span.kind is kind and _parent_id(span) == _span_id(parent)]


def _statements(spans: Spans) -> list[str]:
    return [str(span.attributes.get("db.statement")) for span in spans if span.attributes]


async def test_one_command_is_one_trace_from_the_request_to_its_notification(
    traced_plant: Plant, exporter: InMemorySpanExporter
) -> None:
    plant = traced_plant
    planner, tech = plant.api["PLANIFICADOR"], plant.api["TECNICO"]
    order = await plant.work_order(technician_id=tech.id)
    exporter.clear()

    answer = await planner.post(f"/ot/{order}/actualizar/", {"status": "EN_PROGRESO"})
    assert answer.status == 200, answer.body
    event_id = await plant.scalar(
        "SELECT id FROM outbox WHERE type = 'ot.estado' AND (data->>'work_order_id')::int = :id",
        id=order,
    )
    [notification] = await notified(plant, event_id)
    assert notification["user_id"] == tech.id
    spans = await _spans_until(
        exporter, lambda spans: any(s.name == "publish notificacion.creadas" for s in spans)
    )

    # The command: request → publish → the worker's processing → handler → its SQL.
    request = _one(spans, SpanKind.SERVER, "POST /mantenimiento/ot/{id}/actualizar/")
    assert request.parent is None
    assert request.attributes is not None
    assert request.attributes["http.response.status_code"] == 200
    assert request.attributes["http.route"] == "/mantenimiento/ot/{id}/actualizar/"
    assert request.attributes["mantenimiento.request_id"] == answer.headers["X-Request-Id"]
    assert request.context is not None
    trace_id = request.context.trace_id
    publish = _one(spans, SpanKind.PRODUCER, "publish ot.actualizar")
    process = _one(spans, SpanKind.CONSUMER, "process ot.actualizar")
    (handler,) = _children(spans, process, SpanKind.INTERNAL)
    assert handler.name == "update_work_order"
    for span in (publish, process, handler):
        assert span.context is not None and span.context.trace_id == trace_id, span.name
    assert _parent_id(publish) == _span_id(request)
    # The worker's span continues the context the message carried across the broker.
    assert process.parent is not None and process.parent.is_remote
    assert _parent_id(process) == _span_id(publish)
    assert _parent_id(handler) == _span_id(process)
    handler_sql = _statements(_children(spans, handler, SpanKind.CLIENT))
    assert any("INSERT INTO outbox" in statement for statement in handler_sql), handler_sql
    # The gateway's raw reads are traced too: the token check, under the request.
    assert _children(spans, request, SpanKind.CLIENT)

    # The event: written with the handler's context, relayed as its child, fanned out below.
    stored = await plant.scalar("SELECT trace_context FROM outbox WHERE id = :id", id=event_id)
    _, stored_trace, stored_span, _ = stored["traceparent"].split("-")
    assert (stored_trace, stored_span) == (f"{trace_id:032x}", f"{_span_id(handler):016x}")
    relayed = _one(spans, SpanKind.PRODUCER, "publish ot.estado")
    fanned_out = _one(spans, SpanKind.CONSUMER, "process ot.estado")
    signal = _one(spans, SpanKind.PRODUCER, "publish notificacion.creadas")
    for span in (relayed, fanned_out, signal):
        assert span.context is not None and span.context.trace_id == trace_id, span.name
    assert _parent_id(relayed) == _span_id(handler)
    assert relayed.attributes is not None
    assert relayed.attributes["messaging.message.id"] == str(event_id)
    assert _parent_id(fanned_out) == _span_id(relayed)
    fanout_sql = _statements(_children(spans, fanned_out, SpanKind.CLIENT))
    assert any("INSERT INTO notifications" in statement for statement in fanout_sql), fanout_sql
    # The notification's own event (what tells the gateways to push it) follows the fan-out.
    assert _parent_id(signal) == _span_id(fanned_out)


async def _collector(requests: list[ExportTraceServiceRequest]) -> TestServer:
    """An OTLP/HTTP trace collector that keeps what it receives."""

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        requests.append(ExportTraceServiceRequest.FromString(body))
        return web.Response(content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", receive)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def _spans_by_service(requests: list[ExportTraceServiceRequest]) -> dict[str, list[OtlpSpan]]:
    spans: dict[str, list[OtlpSpan]] = {}
    for request in requests:
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            service = spans.setdefault(attributes["service.name"], [])
            for scope_spans in resource_spans.scope_spans:
                service.extend(scope_spans.spans)
    return spans


async def test_the_processes_send_their_spans_to_the_collector_they_are_given(
    own_namespace: Settings, plant: Plant, planner: Api
) -> None:
    received: list[ExportTraceServiceRequest] = []
    collector = await _collector(received)
    order = await plant.work_order()
    endpoint = str(collector.make_url("/"))
    try:
        # On their way out (SIGTERM) the processes send the spans they still hold.
        async with serving(
            own_namespace, planner, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_SERVICE_NAME=""
        ) as (api, processes):
            answer = await api.post(f"/ot/{order}/actualizar/", {"notes": "trazada"})
            assert answer.status == 200, answer.body
    finally:
        await collector.close()
    assert [process.returncode for process in processes] == [0, 0]

    spans = _spans_by_service(received)
    [request] = [s for s in spans["mantenimiento-gateway"] if s.name.endswith("/actualizar/")]
    [publish] = [s for s in spans["mantenimiento-gateway"] if s.name == "publish ot.actualizar"]
    [process] = [s for s in spans["mantenimiento-worker"] if s.name == "process ot.actualizar"]
    assert request.trace_id == publish.trace_id == process.trace_id
    assert (publish.parent_span_id, process.parent_span_id) == (request.span_id, publish.span_id)
    worker_sql = [s for s in spans["mantenimiento-worker"] if s.trace_id == request.trace_id]
    assert any(s.name == "COMMIT;" for s in worker_sql), [s.name for s in worker_sql]


async def test_a_collector_that_does_not_answer_changes_nothing_for_callers(
    own_namespace: Settings, plant: Plant, planner: Api
) -> None:
    order = await plant.work_order()
    nobody = f"http://127.0.0.1:{free_port()}"
    # The exporter's own variable: give up on each batch after a second.
    async with serving(
        own_namespace, planner, OTEL_EXPORTER_OTLP_ENDPOINT=nobody, OTEL_EXPORTER_OTLP_TIMEOUT="1"
    ) as (api, processes):
        for notes in ("sin colector", "aún sin colector"):
            answer = await api.post(f"/ot/{order}/actualizar/", {"notes": notes})
            assert answer.status == 200, answer.body
    assert [process.returncode for process in processes] == [0, 0]
    notes = await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order)
    assert notes == "aún sin colector"
