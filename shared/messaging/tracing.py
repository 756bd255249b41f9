"""Spans of messages: a PRODUCER span around each publish of a command or an event, its W3C
trace context written into the message headers, and a CONSUMER span around each message a worker
handles, continuing the context the message carries. Both are named after the routing key (the
command or event type: few names, and they say what happened); without a tracer (tracing off)
neither exists and the headers are left alone.

Written here rather than with the published aio-pika instrumentation: that one patches every
publish and consume of the process (the replies, on queues named per gateway process, and the
gateways' push feed too) and takes the parent of a publish from the current context only, while
the outbox relay publishes each event in the context of the command that wrote it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Tracer

from shared.tracing import parent_of, span


def _attributes(
    operation: str, destination: str, routing_key: str, message_id: str
) -> dict[str, str]:
    return {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": operation,
        "messaging.destination.name": destination,
        "messaging.rabbitmq.destination.routing_key": routing_key,
        "messaging.message.id": message_id,
    }


def publishing(
    tracer: Tracer | None,
    exchange: str,
    routing_key: str,
    message_id: str,
    headers: dict[str, Any],
    continuing: Mapping[str, object] | None = None,
) -> contextlib.AbstractContextManager[object]:
    """Around building and publishing one message whose `headers` are given: they get the
    span's `traceparent`. `continuing`: a stored trace context (`shared.tracing.carrier`) the
    span continues instead of the current one."""
    if tracer is None:
        return contextlib.nullcontext()
    parent = None if continuing is None else parent_of(continuing)
    return _publishing(tracer, exchange, routing_key, message_id, headers, parent)


@contextlib.contextmanager
def _publishing(
    tracer: Tracer,
    exchange: str,
    routing_key: str,
    message_id: str,
    headers: dict[str, Any],
    parent: Context | None,
) -> Iterator[None]:
    attributes = _attributes("publish", exchange, routing_key, message_id)
    name = f"publish {routing_key}"
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.PRODUCER, attributes=attributes
    ):
        propagate.inject(headers)
        yield


def processing(
    tracer: Tracer | None, queue: str, message: AbstractIncomingMessage
) -> contextlib.AbstractContextManager[object]:
    """Around the handling of one delivered message, in the context its headers carry."""
    if tracer is None:
        return contextlib.nullcontext()
    headers: Mapping[str, object] = message.headers
    routing_key = message.routing_key or ""
    attributes = _attributes("process", queue, routing_key, message.message_id or "")
    request_id = headers.get("x-request-id")
    if isinstance(request_id, str):
        # The same id as the log lines of the request and of the command.
        attributes["mantenimiento.request_id"] = request_id
    return span(
        tracer,
        f"process {routing_key}",
        kind=SpanKind.CONSUMER,
        parent=parent_of(headers),
        attributes=attributes,
    )
