"""Every scenario module; importing this package registers them, in this order (M1 last but S1,
so that it sees the peak of everything before it). A new scenario is one module added here."""

# Order matters (isort would sort them).
from bench.scenarios import reads, commands, bulk, generation, notifications, logins  # noqa: I001
from bench.scenarios import ingest, meter_orders, ingest_scale, memory, scale  # noqa: I001

__all__ = [
    "bulk",
    "commands",
    "generation",
    "ingest",
    "ingest_scale",
    "logins",
    "memory",
    "meter_orders",
    "notifications",
    "reads",
    "scale",
]
