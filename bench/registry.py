"""Scenarios register here: one decorated async function each, in `bench/scenarios/`.

A scenario gets the `Run` (the loaded site, the running service, the load generator, the
time budget) and returns its table rows. It raises `WrongAnswer` when an answer was wrong:
that fails the bench whatever the timings.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import asyncpg
import orjson

from bench.dataset import Loaded
from bench.environment import Process, Site, ceiling_process, free_port, wait_http
from bench.load import Bounds, HttpLoad, Loader, Request, RpcLoad, Stats


class WrongAnswer(Exception):
    """The service (or a ceiling) answered wrongly: no ratio can make up for it."""


@dataclass(frozen=True)
class Goal:
    """`figure op value`: the ratio to the ceiling, or the figure itself when there is none."""

    op: Literal[">=", "<="]
    value: float

    def met(self, figure: float) -> bool:
        return figure >= self.value if self.op == ">=" else figure <= self.value

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class Row:
    scenario: str
    what: str
    unit: str
    service: float
    ceiling: float | None
    goal: Goal | None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return None if self.ceiling is None or not self.ceiling else self.service / self.ceiling

    @property
    def passed(self) -> bool | None:
        figure = self.ratio if self.ceiling is not None else self.service
        if self.goal is None or figure is None or math.isnan(figure):
            return None
        return self.goal.met(figure)


def median_times(
    scenario: str, what: str, service: list[float], ceiling: list[float], **detail: Any
) -> Row:
    """Service against ceiling as median seconds over turns, shown in ms (every turn kept in the
    detail); the target is at most three times the ceiling."""
    return Row(
        scenario,
        what,
        "ms",
        statistics.median(service) * 1000,
        statistics.median(ceiling) * 1000,
        Goal("<=", 3),
        detail={
            **detail,
            "service_ms": [round(s * 1000, 1) for s in service],
            "ceiling_ms": [round(s * 1000, 1) for s in ceiling],
        },
    )


def throughput(
    scenario: str, what: str, unit: str, service: Stats, ceiling: Stats, goal: Goal
) -> Row:
    """Service against ceiling as calls per second (p50s and call counts in the detail)."""
    return Row(
        scenario,
        what,
        unit,
        service.per_second,
        ceiling.per_second,
        goal,
        detail={
            "service_p50_ms": service.percentile(0.5),
            "ceiling_p50_ms": ceiling.percentile(0.5),
            "service_calls": len(service.latencies_ms),
            "ceiling_calls": len(ceiling.latencies_ms),
        },
    )


@dataclass(frozen=True)
class Budget:
    """Seconds of warm-up and of measurement per load, and the most calls a load may make."""

    warmup_s: float
    duration_s: float
    max_calls: int = 1_000_000

    def bounds(self, concurrency: int) -> Bounds:
        return Bounds(concurrency, self.warmup_s, self.duration_s, self.max_calls)


@dataclass
class Run:
    site: Site
    data: Loaded
    loader: Loader
    budget: Budget
    service: dict[str, Process]
    quick: bool
    base_url: str
    # Figures a later scenario reads (S1 reads R2's p50).
    figures: dict[str, float] = field(default_factory=dict)

    async def http(self, base_url: str, requests: list[Request], concurrency: int) -> Stats:
        print(f"  load on {base_url}, {concurrency} at once", flush=True)
        stats = await self.loader.run(
            HttpLoad(base_url, self.data.token, requests, self.budget.bounds(concurrency))
        )
        return checked(stats, base_url)

    async def rpc(self, queue: str, calls: list[tuple[int, str]], concurrency: int) -> Stats:
        print(f"  load on queue {queue}, {concurrency} at once", flush=True)
        stats = await self.loader.run(
            RpcLoad(self.site.amqp_url, queue, calls, self.budget.bounds(concurrency))
        )
        return checked(stats, queue)

    @asynccontextmanager
    async def database(self) -> AsyncIterator[asyncpg.Connection]:
        """A direct connection to the bench database (checks and ceilings)."""
        connection = await asyncpg.connect(self.site.dsn)
        try:
            yield connection
        finally:
            await connection.close()

    async def command(self, path: str, body: Any, token: str | None = None) -> Answer:
        """POST `body` to `path` (as the bench planner unless `token`) and wait for the outcome:
        after a 202, `GET /comandos/{id}/` until the command is done."""
        headers = {"Authorization": f"Bearer {token or self.data.token}"}
        async with aiohttp.ClientSession(self.base_url, headers=headers) as session:
            began = time.perf_counter()
            async with session.post(path, data=orjson.dumps(body)) as answer:
                status, data = answer.status, await answer.json()
                location = answer.headers.get("Location")
            while status == 202 and location:
                if time.perf_counter() - began > COMMAND_WAIT_S:
                    raise WrongAnswer(f"{path}: no outcome after {COMMAND_WAIT_S:g}s")
                await asyncio.sleep(POLL_S)
                async with session.get(location) as answer:
                    outcome = await answer.json()
                if outcome["status"] != "pending":
                    status, data = outcome["http_status"], outcome["result"]
            return Answer(status, data, time.perf_counter() - began)

    async def get(self, path: str, **query: str) -> Any:
        """A read as the bench planner; anything but 200 is a wrong answer."""
        headers = {"Authorization": f"Bearer {self.data.token}"}
        async with aiohttp.ClientSession(self.base_url, headers=headers) as session:
            async with session.get(path, params=query) as answer:
                if answer.status != 200:
                    raise WrongAnswer(f"GET {path}: {answer.status} {await answer.text()}")
                return await answer.json()

    async def pages(self, path: str, **query: str) -> list[Any]:
        """Every item of a paginated list as the bench planner, in pages of the largest size,
        following `Link: rel="next"`; anything but 200 is a wrong answer."""
        headers = {"Authorization": f"Bearer {self.data.token}"}
        items: list[Any] = []
        url: str | None = path
        params: dict[str, str] | None = {**query, "limit": str(PAGE_MAX)}
        async with aiohttp.ClientSession(self.base_url, headers=headers) as session:
            while url is not None:
                async with session.get(url, params=params) as answer:
                    if answer.status != 200:
                        raise WrongAnswer(f"GET {url}: {answer.status} {await answer.text()}")
                    items += await answer.json()
                    link = answer.headers.get("Link")
                url = link.removeprefix("<").partition(">")[0] if link else None
                params = None  # the next link carries the query
        return items

    async def quiet(self) -> None:
        """Until the service has nothing left in hand (every outbox event relayed, no other
        statement running in the bench database): what one measure set off (events, their
        notifications) must not run during the next."""
        async with self.database() as connection:
            calm = 0
            while calm < QUIET_CHECKS:
                await asyncio.sleep(QUIET_EVERY_S)
                busy = await connection.fetchval(
                    "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL)"
                    " + (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    "    AND backend_type = 'client backend' AND state <> 'idle'"
                    "    AND pid <> pg_backend_pid())"
                )
                calm = calm + 1 if busy == 0 else 0

    @asynccontextmanager
    async def ceiling(self, kind: str) -> AsyncIterator[str]:
        """A bare ceiling server of `kind` (see `bench.ceilings`) for the block; its base URL."""
        port = free_port()
        process = ceiling_process(self.site, kind, port)
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_http(f"{url}/ready", [process])
            yield url
        finally:
            process.stop()


@dataclass(frozen=True)
class Answer:
    """A command's outcome: its HTTP status and body, and the seconds from the POST until it."""

    status: int
    body: Any
    seconds: float


# How often a command answered 202 is asked for its outcome, and for how long at most.
POLL_S = 0.1
# The contract's largest page.
PAGE_MAX = 500
COMMAND_WAIT_S = 1800.0
# The database counts as idle after this many checks in a row, this far apart.
QUIET_CHECKS = 3
QUIET_EVERY_S = 0.1


def checked(stats: Stats, where: str) -> Stats:
    if stats.errors:
        raise WrongAnswer(f"{where}: {stats.errors} wrong answers, e.g. {stats.error_samples}")
    if not stats.latencies_ms:
        raise WrongAnswer(f"{where}: no call finished inside the measured window")
    return stats


ScenarioFn = Callable[[Run], Awaitable[list[Row]]]


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    run: ScenarioFn
    # Runs only when asked for by id (`--only`) or by its own flag (S1).
    on_request: bool = False


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    id: str, title: str, *, on_request: bool = False
) -> Callable[[ScenarioFn], ScenarioFn]:
    """Register the decorated function as scenario `id`; scenarios run in registration order."""

    def register(fn: ScenarioFn) -> ScenarioFn:
        if id in SCENARIOS:
            raise ValueError(f"scenario {id} registered twice")
        SCENARIOS[id] = Scenario(id, title, fn, on_request)
        return fn

    return register
