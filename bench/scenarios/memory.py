"""M1: peak resident memory of the gateway and of the workers over everything run before it,
and a few logins (an argon2 verification holds 64 MB for a moment)."""

from __future__ import annotations

import aiohttp

from bench.dataset import BENCH_PASSWORD, BENCH_USERNAME
from bench.registry import Goal, Row, Run, WrongAnswer, scenario

LIMITS_MB = {"gateway": 150, "worker": 200, "notifier": 200}
LOGINS = 3


async def _log_in(base_url: str) -> None:
    body = {"username": BENCH_USERNAME, "password": BENCH_PASSWORD}
    async with aiohttp.ClientSession(base_url) as session:
        for _ in range(LOGINS):
            async with session.post("/mantenimiento/auth/token/", json=body) as answer:
                if answer.status != 200 or "token" not in await answer.json():
                    raise WrongAnswer(f"login: {answer.status} {await answer.text()}")


@scenario("M1", "peak RSS of the gateway and the workers during the run (MB)")
async def peak_memory(run: Run) -> list[Row]:
    await _log_in(run.base_url)
    return [
        Row(
            "M1", f"{name} peak RSS", "MB", run.service[name].peak_rss_mb(), None, Goal("<=", limit)
        )
        for name, limit in LIMITS_MB.items()
    ]
