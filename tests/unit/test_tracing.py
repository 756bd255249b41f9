"""Tracing's set-up: nothing at all while OTEL_EXPORTER_OTLP_ENDPOINT is unset (checked in a fresh
interpreter: not even the SDK is imported); when on, a trace starts anywhere but at a database
call, and shutting it down leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.settings import Settings

_BUILT_WITHOUT_AN_ENDPOINT = """
import sys
import asyncpg
from gateway.app import create_app
from gateway.middlewares import MIDDLEWARES
from shared import tracing
from shared.settings import Settings
from workers.runner import Worker

settings = Settings(_env_file=None)
assert settings.otel_exporter_otlp_endpoint is None
tracing.configure(settings, "mantenimiento-test")
app = create_app(settings)
worker = Worker(settings, ["ordenes", "notificaciones"])
assert list(app.middlewares) == MIDDLEWARES, app.middlewares
assert tracing.tracer("any") is None
assert not hasattr(asyncpg.Connection.fetchrow, "__wrapped__")
set_up = ("opentelemetry.sdk", "opentelemetry.instrumentation", "opentelemetry.exporter")
loaded = sorted(name for name in sys.modules if name.startswith(set_up))
assert not loaded, loaded
print("nothing set up")
"""


def test_nothing_is_set_up_without_an_endpoint() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = ""  # empty counts as unset
    done = subprocess.run(
        [sys.executable, "-c", _BUILT_WITHOUT_AN_ENDPOINT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "nothing set up"


def test_a_trace_starts_anywhere_but_at_a_database_call_and_shutdown_undoes_it() -> None:
    exporter = InMemorySpanExporter()
    tracing.configure(Settings(_env_file=None), "mantenimiento-test", exporter=exporter)
    try:
        tracer = tracing.tracer(__name__)
        assert tracer is not None
        assert hasattr(asyncpg.Connection.fetchrow, "__wrapped__")
        with tracing.span(tracer, "poll", kind=SpanKind.CLIENT):
            pass
        with tracing.span(tracer, "work"):
            with tracing.span(tracer, "statement", kind=SpanKind.CLIENT):
                carrier = tracing.carrier()
        assert carrier is not None and carrier["traceparent"].startswith("00-")
    finally:
        tracing.shutdown()
    assert sorted(span.name for span in exporter.get_finished_spans()) == ["statement", "work"]
    assert tracing.tracer(__name__) is None and tracing.carrier() is None
    assert not hasattr(asyncpg.Connection.fetchrow, "__wrapped__")
