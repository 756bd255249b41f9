"""The one argon2 setting for every password hash the service makes, and the bounded pool that
runs them.

argon2id with 32 MiB and 3 passes (above OWASP's minimum of 19 MiB and 2 passes): each hash or
verification holds its memory for a moment, so a process runs at most `PASSWORD_WORKERS` of them
at once, in threads of their own, which keeps its peak memory bounded whatever the number of
simultaneous logins. Callers beyond that wait their turn newest first: under a flood of logins
a fresh one is served next instead of behind the whole flood, and the oldest waiters, past
`PASSWORD_WAIT_S`, are answered 503 (a client that waited that long has mostly given up). A hash
keeps its own parameters: hashes made with other settings still verify.
"""

from __future__ import annotations

import asyncio
import functools
import math
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter, Gauge

from shared.errors import Unavailable
from shared.settings import Settings

HASHER = PasswordHasher(time_cost=3, memory_cost=32 * 1024)

PASSWORD_JOBS = Counter(
    "mantenimiento_password_jobs",
    "argon2 hashes and verifications: run, or refused after waiting too long for a turn",
    ["outcome"],
)
PASSWORD_WAITING = Gauge(
    "mantenimiento_password_waiting", "Callers waiting for a turn to hash or verify a password"
)

T = TypeVar("T")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so both failures take the same time. Made on
    first use, not at import: a process that never needs it should not pay its memory peak."""
    return HASHER.hash(secrets.token_hex(8))


def _verify(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


class PasswordPool:
    """At most `workers` argon2 jobs at once; waiters admitted last come, first served, and
    refused (503) after `wait_s`."""

    def __init__(self, workers: int, wait_s: float) -> None:
        self._workers = workers
        self._wait_s = wait_s
        self._running = 0
        # The turns of the waiting callers, oldest first; a turn's result hands it a slot.
        self._waiting: list[asyncio.Future[None]] = []
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def hash(self, password: str) -> str:
        """The hash of `password`."""
        return await self.run(HASHER.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored` (None: an unknown user, refused after the same
        work as a wrong password)."""
        return await self.run(_verify, stored, password)

    async def run(self, job: Callable[..., T], *args: object) -> T:
        """`job(*args)` in one of the pool's threads, when its turn comes."""
        await self._admit()
        running = asyncio.get_running_loop().run_in_executor(self._executor, job, *args)
        # The slot is free when the thread is, even if the caller stops waiting for it.
        running.add_done_callback(lambda _: self._release())
        PASSWORD_JOBS.labels("run").inc()
        return await asyncio.shield(running)

    async def _admit(self) -> None:
        if self._running < self._workers:
            self._running += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        PASSWORD_WAITING.inc()
        try:
            async with asyncio.timeout(self._wait_s):
                await turn
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                self._release()  # handed a slot just as the wait ended: pass it on
            elif turn in self._waiting:
                self._waiting.remove(turn)
                PASSWORD_WAITING.dec()
            if isinstance(exc, TimeoutError):
                PASSWORD_JOBS.labels("refused").inc()
                raise Unavailable(
                    "too many password checks at once; try again shortly",
                    retry_after=math.ceil(self._wait_s),
                ) from None
            raise

    def _release(self) -> None:
        while self._waiting:
            turn = self._waiting.pop()  # the newest waiter
            PASSWORD_WAITING.dec()
            if not turn.done():
                turn.set_result(None)
                return
        self._running -= 1


@functools.cache
def _pool(workers: int, wait_s: float) -> PasswordPool:
    return PasswordPool(workers, wait_s)


def password_pool(settings: Settings) -> PasswordPool:
    """The process's pool: every hash and verification of a process shares it (the bound is on
    the process's memory)."""
    return _pool(settings.password_workers, settings.password_wait_s)
