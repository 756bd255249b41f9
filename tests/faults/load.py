"""The checker's client: commands with an Idempotency-Key and a marker in the order's history,
sent until they get a final answer, then classified by reading the history back.

A command is retried with the same key and body after a 503, after a 202 (the reply did not
come in time), and after a dropped connection; the key makes the repeats safe, and the history
tells whether it was applied once, not at all (lost) or more than once (duplicated).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import aiohttp

BASE = "/mantenimiento"
# A request taking longer than this is a hang: the checker fails.
CLIENT_TIMEOUT_S = 15.0
MAX_RETRY_PAUSE_S = 1.0
READ_RETRIES_S = 30.0


@dataclass
class Command:
    order_id: int
    day: date
    marker: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    answered: int | None = None
    # The first answer's status and how long it took: probes sent while a server is down
    # must get a prompt 503.
    first: tuple[int, float] | None = None


@dataclass
class Tally:
    """What the client saw while one scenario ran."""

    unavailable: int = 0
    # When each request answered 503 was sent (monotonic).
    unavailable_at: list[float] = field(default_factory=list)
    hung: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    longest_s: float = 0.0
    successes_at: list[float] = field(default_factory=list)
    probes: list[tuple[int, float]] = field(default_factory=list)


class Client:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.username = username
        self.password = password
        self.token = ""
        self.http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        self.http = aiohttp.ClientSession(
            base_url=self.base_url, timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.http is not None
        await self.http.close()

    async def call(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        assert self.http is not None
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        async with self.http.request(method, BASE + path, json=json, headers=all_headers) as r:
            body = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, dict(r.headers), body

    async def log_in(self, deadline_s: float = 60) -> None:
        """Logs in, waiting for the gateway to be up."""
        end = time.monotonic() + deadline_s
        while True:
            try:
                status, _, body = await self.call(
                    "POST", "/auth/token/", {"username": self.username, "password": self.password}
                )
                if status == 200:
                    self.token = body["token"]
                    return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > end:
                raise RuntimeError("the gateway did not let the checker log in")
            await asyncio.sleep(0.5)

    async def try_log_in(self) -> tuple[int, float]:
        """One login attempt (the token is kept): its status and how long it took."""
        started = time.monotonic()
        status, headers, _ = await self.call(
            "POST", "/auth/token/", {"username": self.username, "password": self.password}
        )
        if status == 503:
            assert "Retry-After" in headers, "a 503 without Retry-After"
        return status, time.monotonic() - started

    async def read(self, path: str) -> Any:
        """GET `path` as a client does: a 503 (the first read on a connection that died with the
        server, say) is tried again after its `Retry-After`, for up to `READ_RETRIES_S`."""
        end = time.monotonic() + READ_RETRIES_S
        while True:
            status, headers, body = await self.call("GET", path)
            if status != 503 or time.monotonic() > end:
                assert status == 200, body
                return body
            await asyncio.sleep(min(float(headers["Retry-After"]), MAX_RETRY_PAUSE_S))

    async def pending_orders(self, count: int) -> list[int]:
        body = await self.read(f"/ot/?status=PENDIENTE&limit={count}")
        return [order["id"] for order in body]

    async def counters(self) -> list[tuple[int, str, float, float]]:
        """The active counters of the plant with readings: (id, code, last value, usage)."""
        body = await self.read("/medidores/?kind=CONTADOR&limit=500")
        found = [
            (m["id"], m["code"], m["last_reading"]["value"], m["last_reading"]["usage"])
            for m in body
            if m["active"] and m["last_reading"]
        ]
        assert found, "no counter with readings"
        return found

    async def an_asset_code(self) -> str:
        body = await self.read("/activos/?limit=1")
        assert body, "no asset"
        return str(body[0]["code"])

    async def send(self, command: Command, tally: Tally) -> None:
        """Send until a final answer (anything but 503/202/no answer)."""
        body = {"date": command.day.isoformat(), "reason": command.marker}
        headers = {"Idempotency-Key": command.key}
        while True:
            started = time.monotonic()
            try:
                status, answer_headers, _ = await self.call(
                    "POST", f"/ot/{command.order_id}/fecha/", body, headers
                )
            except TimeoutError:
                tally.hung += 1
                tally.longest_s = max(tally.longest_s, time.monotonic() - started)
                continue
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
                continue
            elapsed = time.monotonic() - started
            if command.first is None:
                command.first = (status, elapsed)
            tally.longest_s = max(tally.longest_s, elapsed)
            tally.statuses[status] += 1
            if status == 503:
                tally.unavailable += 1
                tally.unavailable_at.append(started)
                assert "Retry-After" in answer_headers, "a 503 without Retry-After"
                pause = float(answer_headers["Retry-After"])
                await asyncio.sleep(min(pause, MAX_RETRY_PAUSE_S))
                continue
            if status == 202:
                await asyncio.sleep(0.2)
                continue
            command.answered = status
            if status == 200:
                tally.successes_at.append(time.monotonic())
            return

    async def markers(self, order_ids: set[int]) -> Counter[str]:
        """How often each marker appears in the histories of `order_ids`."""
        seen: Counter[str] = Counter()
        for order_id in sorted(order_ids):
            for line in await self.read(f"/ot/{order_id}/historial/"):
                reason = (line.get("data") or {}).get("reason")
                if isinstance(reason, str):
                    seen[reason] += 1
        return seen


def commands(scenario: str, orders: list[int], count: int) -> list[Command]:
    first = date(2030, 1, 1)
    return [
        Command(orders[i % len(orders)], first + timedelta(days=i), f"{scenario}-{i:04d}")
        for i in range(count)
    ]


@dataclass
class Verdict:
    commands: int
    applied_once: int
    lost: int
    duplicated: int
    refused: int


def classify(sent: list[Command], seen: Counter[str]) -> Verdict:
    once = sum(1 for c in sent if seen[c.marker] == 1)
    lost = sum(1 for c in sent if seen[c.marker] == 0)
    duplicated = sum(1 for c in sent if seen[c.marker] > 1)
    refused = sum(1 for c in sent if c.answered != 200)
    return Verdict(len(sent), once, lost, duplicated, refused)
