"""C1 and C2: `POST /ot/{id}/actualizar/` (a notes change) at concurrency 1 and 64, beside a bare
aio-pika RPC (persistent, confirmed, quorum queue) whose consumer does one UPDATE; X1: C2 with
one and with two `ordenes` worker processes."""

from __future__ import annotations

import random
import uuid

import orjson

from bench.ceilings import echo_queue
from bench.environment import running, until_consuming, worker_process
from bench.load import Request, Stats
from bench.registry import Goal, Row, Run, scenario, throughput

CALLS = 200_000
# C2's target, which X1 keeps with either number of workers.
C2_GOAL = Goal(">=", 0.4)
# One worker and two take turns, so that a change in the machine's load weighs on both alike.
X1_TURNS = 2


def _calls(run: Run, seed: int) -> list[tuple[int, str]]:
    """Distinct notes each time, so that every call really changes its order."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:8]
    first, last = run.data.first_order_id, run.data.last_order_id
    count = min(CALLS, run.budget.max_calls)
    return [(rng.randint(first, last), f"bench {tag} {n}") for n in range(count)]


def _requests(calls: list[tuple[int, str]]) -> list[Request]:
    return [
        Request(
            "POST",
            f"/mantenimiento/ot/{order_id}/actualizar/",
            orjson.dumps({"notes": notes}),
            key="version",
        )
        for order_id, notes in calls
    ]


async def _both(run: Run, seed: int, concurrency: int) -> tuple[Stats, Stats]:
    calls = _calls(run, seed)
    async with run.ceiling("rpc"):
        ceiling = await run.rpc(echo_queue(run.site.settings()), calls, concurrency)
    service = await run.http(run.base_url, _requests(_calls(run, seed + 1)), concurrency)
    return service, ceiling


@scenario("C1", "POST /ot/{id}/actualizar/ (notes), concurrency 1: p50")
async def one_at_a_time(run: Run) -> list[Row]:
    service, ceiling = await _both(run, 3, 1)
    return [
        Row(
            "C1",
            "command p50",
            "ms",
            service.percentile(0.5),
            ceiling.percentile(0.5),
            Goal("<=", 3),
            detail={
                "service_p99_ms": service.percentile(0.99),
                "ceiling_p99_ms": ceiling.percentile(0.99),
                "service_calls": len(service.latencies_ms),
                "ceiling_calls": len(ceiling.latencies_ms),
            },
        )
    ]


@scenario("C2", "the same at concurrency 64: commands/s")
async def many_at_once(run: Run) -> list[Row]:
    service, ceiling = await _both(run, 5, 64)
    return [throughput("C2", "commands/s", "cmd/s", service, ceiling, C2_GOAL)]


@scenario("X1", "C2 with one and with two ordenes workers, side by side: commands/s")
async def second_worker(run: Run) -> list[Row]:
    async with run.ceiling("rpc"):
        ceiling = await run.rpc(echo_queue(run.site.settings()), _calls(run, 7), 64)
    one: list[Stats] = []
    two: list[Stats] = []
    for turn in range(X1_TURNS):
        one.append(await run.http(run.base_url, _requests(_calls(run, 10 + 2 * turn)), 64))
        await run.quiet()
        async with running([worker_process(run.site, "worker-2", "ordenes")]) as extra:
            await until_consuming(run.site, "ordenes", 2, extra)
            two.append(await run.http(run.base_url, _requests(_calls(run, 11 + 2 * turn)), 64))
        await run.quiet()
    one_pooled, two_pooled = Stats.pooled(one), Stats.pooled(two)
    gain = two_pooled.per_second / one_pooled.per_second
    return [
        throughput("X1", "commands/s, 1 ordenes worker", "cmd/s", one_pooled, ceiling, C2_GOAL),
        throughput("X1", "commands/s, 2 ordenes workers", "cmd/s", two_pooled, ceiling, C2_GOAL),
        # What the second worker adds; no target: on two shared cores it is bounded.
        Row(
            "X1",
            "2 workers over 1",
            "x",
            gain,
            None,
            None,
            detail={
                "one_worker_turns_per_s": [round(s.per_second, 1) for s in one],
                "two_workers_turns_per_s": [round(s.per_second, 1) for s in two],
            },
        ),
    ]
