"""Crash points for the fault checker (`make test-faults`): inert unless armed.

`MANTENIMIENTO_CRASH_AT=<point>[:<n>][,...]` makes the process SIGKILL itself the n-th time
(default the first) it passes `<point>`: the checker uses it to die exactly between a commit and
what follows it. Unset — as in production — `crash_point` is a dictionary lookup that finds
nothing.
"""

from __future__ import annotations

import functools
import os
import signal
from collections import Counter

ENV = "MANTENIMIENTO_CRASH_AT"
# The points the code passes, for the checker and for validating the variable.
POINTS = frozenset({"command.after_commit", "outbox.after_publish"})

_passed: Counter[str] = Counter()


@functools.cache
def _armed() -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in filter(None, os.environ.get(ENV, "").split(",")):
        point, _, count = item.strip().partition(":")
        if point not in POINTS:
            raise ValueError(f"{ENV}: unknown crash point {point!r}; known: {sorted(POINTS)}")
        armed[point] = int(count or 1)
    return armed


def crash_point(point: str) -> None:
    """Die here (SIGKILL, no clean-up) when `point` is armed and its count is reached."""
    armed = _armed()
    if point not in armed:
        return
    _passed[point] += 1
    if _passed[point] >= armed[point]:
        os.kill(os.getpid(), signal.SIGKILL)
