"""The password pool: bounded concurrency, newest waiter first, 503 past the wait limit."""

from __future__ import annotations

import asyncio
import threading

import pytest

from shared.errors import Unavailable
from shared.passwords import PasswordPool


async def _until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.001)


async def _blocked(pool: PasswordPool) -> tuple[threading.Event, asyncio.Task[bool]]:
    """Fill the pool's single slot with a job that runs until the event is set."""
    gate = threading.Event()
    started = threading.Event()

    def hold() -> bool:
        started.set()
        return gate.wait(10)

    task = asyncio.create_task(pool.run(hold))
    await _until(started.is_set)
    return gate, task


async def test_waiters_are_admitted_newest_first() -> None:
    pool = PasswordPool(workers=1, wait_s=10)
    gate, holder = await _blocked(pool)
    order: list[str] = []
    waiters = []
    for name in ("first", "second", "third"):
        waiters.append(asyncio.create_task(pool.run(order.append, name)))
        await _until(lambda: pool.waiting == len(waiters))
    gate.set()
    await asyncio.gather(holder, *waiters)
    assert order == ["third", "second", "first"]


async def test_a_waiter_past_the_limit_gets_503_and_the_pool_carries_on() -> None:
    pool = PasswordPool(workers=1, wait_s=0.05)
    gate, holder = await _blocked(pool)
    with pytest.raises(Unavailable) as refused:
        await pool.run(str, "never")
    assert refused.value.http_status == 503 and refused.value.retry_after == 1
    assert pool.waiting == 0
    gate.set()
    assert await holder
    # The slot came back: the next job runs at once (no wait allowed beyond the limit).
    assert await pool.run(str, 7) == "7"


async def test_a_cancelled_waiter_leaves_no_trace() -> None:
    pool = PasswordPool(workers=1, wait_s=10)
    gate, holder = await _blocked(pool)
    gone = asyncio.create_task(pool.run(str, "gone"))
    await _until(lambda: pool.waiting == 1)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert pool.waiting == 0
    gate.set()
    await holder
    assert await pool.run(str, "next") == "next"


async def test_at_most_workers_jobs_run_at_once() -> None:
    pool = PasswordPool(workers=2, wait_s=10)
    lock = threading.Lock()
    running = peak = 0
    gate = threading.Event()

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        gate.wait(10)
        with lock:
            running -= 1

    jobs = [asyncio.create_task(pool.run(job)) for _ in range(6)]
    await _until(lambda: pool.waiting == 4)
    gate.set()
    await asyncio.gather(*jobs)
    assert peak == 2


async def test_hash_and_verify() -> None:
    pool = PasswordPool(workers=1, wait_s=10)
    stored = await pool.hash("correct horse")
    assert await pool.verify(stored, "correct horse")
    assert not await pool.verify(stored, "wrong")
    assert not await pool.verify(None, "correct horse")
    assert not await pool.verify("not a hash", "correct horse")
