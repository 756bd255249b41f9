"""The load generator. It runs in a second process (`Loader`), so that it does not share a CPU
core's event loop with what it measures; each call checks its answer, and the run is bounded in
both time and count."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import aio_pika
import aiohttp
import orjson

MAX_ERRORS_KEPT = 5


@dataclass(frozen=True)
class Request:
    """One HTTP call and what its answer must be."""

    method: str
    path: str
    body: bytes | None = None
    status: int = 200
    # For pages: the X-Total-Count header and the number of items.
    total: int | None = None
    items: int | None = None
    # A key the JSON object answered must carry.
    key: str | None = None


@dataclass(frozen=True)
class Bounds:
    concurrency: int
    warmup_s: float
    duration_s: float
    max_calls: int


@dataclass(frozen=True)
class HttpLoad:
    base_url: str
    token: str
    requests: list[Request]
    bounds: Bounds


@dataclass(frozen=True)
class RpcLoad:
    """Persistent messages with publisher confirms to `queue`; the consumer answers `ok`."""

    amqp_url: str
    queue: str
    # (work order id, notes) per call.
    calls: list[tuple[int, str]]
    bounds: Bounds


@dataclass
class Stats:
    calls: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    @classmethod
    def pooled(cls, parts: list[Stats]) -> Stats:
        """Several measures of one thing as one: all their calls over all their measured time."""
        return cls(
            calls=sum(part.calls for part in parts),
            errors=sum(part.errors for part in parts),
            error_samples=[sample for part in parts for sample in part.error_samples],
            elapsed_s=sum(part.elapsed_s for part in parts),
            latencies_ms=[latency for part in parts for latency in part.latencies_ms],
        )

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


Call = Callable[[int], Awaitable[None]]


async def _drive(call: Call, bounds: Bounds) -> Stats:
    """`concurrency` loops calling `call(n)` with a fresh n each time; calls that start during
    the warm-up are not counted."""
    stats = Stats()
    counter = iter(range(bounds.max_calls))
    started = time.perf_counter()
    measure_from = started + bounds.warmup_s
    stop_at = measure_from + bounds.duration_s

    async def loop() -> None:
        for n in counter:
            begin = time.perf_counter()
            if begin >= stop_at:
                return
            stats.calls += 1
            try:
                await call(n)
            except Exception as exc:  # a wrong answer: counted and kept, never timed
                stats.errors += 1
                if len(stats.error_samples) < MAX_ERRORS_KEPT:
                    stats.error_samples.append(f"call {n}: {exc!r}"[:300])
                continue
            if begin >= measure_from:
                stats.latencies_ms.append((time.perf_counter() - begin) * 1000)

    await asyncio.gather(*(loop() for _ in range(bounds.concurrency)))
    stats.elapsed_s = max(0.0, min(time.perf_counter(), stop_at) - measure_from)
    return stats


async def _http(load: HttpLoad) -> Stats:
    headers = {"Authorization": f"Bearer {load.token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=load.bounds.concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        load.base_url, headers=headers, connector=connector, timeout=timeout
    ) as session:

        async def call(n: int) -> None:
            request = load.requests[n % len(load.requests)]
            async with session.request(request.method, request.path, data=request.body) as answer:
                body = await answer.read()
                _check(request, answer.status, answer.headers.get("X-Total-Count"), body)

        return await _drive(call, load.bounds)


def _check(request: Request, status: int, total: str | None, body: bytes) -> None:
    if status != request.status:
        raise AssertionError(f"{request.method} {request.path}: {status} {body[:200]!r}")
    if request.total is not None and total != str(request.total):
        raise AssertionError(f"{request.path}: total {total}, expected {request.total}")
    if request.items is None and request.key is None:
        return
    data = orjson.loads(body)
    if request.items is not None and len(data) != request.items:
        raise AssertionError(f"{request.path}: {len(data)} items, expected {request.items}")
    if request.key is not None and request.key not in data:
        raise AssertionError(f"{request.path}: no {request.key!r} in {body[:200]!r}")


async def _rpc(load: RpcLoad) -> Stats:
    connection = await aio_pika.connect(load.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        replies = await channel.declare_queue(exclusive=True, auto_delete=True)
        waiting: dict[str, asyncio.Future[bytes]] = {}

        async def on_reply(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            future = waiting.pop(message.correlation_id or "", None)
            if future is not None and not future.done():
                future.set_result(message.body)

        await replies.consume(on_reply, no_ack=True)
        loop = asyncio.get_running_loop()

        async def call(n: int) -> None:
            order_id, notes = load.calls[n % len(load.calls)]
            correlation_id = uuid.uuid4().hex
            waiting[correlation_id] = future = loop.create_future()
            await channel.default_exchange.publish(
                aio_pika.Message(
                    orjson.dumps({"id": order_id, "notes": notes}),
                    correlation_id=correlation_id,
                    reply_to=replies.name,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    content_type="application/json",
                ),
                routing_key=load.queue,
                mandatory=True,
            )
            reply = await asyncio.wait_for(future, 30)
            if reply != b"ok":
                raise AssertionError(f"order {order_id}: reply {reply!r}")

        return await _drive(call, load.bounds)
    finally:
        await connection.close()


def _run(load: HttpLoad | RpcLoad) -> Stats:
    return asyncio.run(_http(load) if isinstance(load, HttpLoad) else _rpc(load))


class Loader:
    """The second process that generates load; one for the whole bench (started once)."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    async def run(self, load: HttpLoad | RpcLoad) -> Stats:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _run, load)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
