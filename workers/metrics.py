"""What a worker tells Prometheus (`/metrics` on `WORKER_METRICS_PORT`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS_HANDLED = Counter(
    "mantenimiento_commands_total", "Commands answered by this worker", ["kind", "http_status"]
)
COMMAND_SECONDS = Histogram(
    "mantenimiento_command_seconds",
    "Time from delivery to ack of a command, by routing key and outcome (success, error, failed)",
    ["kind", "outcome"],
)
DEAD_LETTERED = Counter(
    "mantenimiento_dead_lettered_total",
    "Messages this worker set aside (dead-lettered), by consumer group",
    ["queue"],
)
OUTBOX_BACKLOG = Gauge("mantenimiento_outbox_backlog", "Outbox events not yet relayed")
OUTBOX_OLDEST_AGE = Gauge(
    "mantenimiento_outbox_oldest_age_seconds", "Age of the oldest outbox event not yet relayed"
)
RELAY_LAG = Histogram(
    "mantenimiento_outbox_relay_lag_seconds",
    "From an event's commit to its confirmed publish",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
