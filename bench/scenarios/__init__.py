"""Every scenario module; importing this package registers them, in this order (M1 last but S1,
so that it sees the peak of everything before it). A new scenario is one module added here."""

from bench.scenarios import reads, commands, bulk, generation, notifications, logins, memory, scale  # noqa: I001  (order matters)

__all__ = ["bulk", "commands", "generation", "logins", "memory", "notifications", "reads", "scale"]
