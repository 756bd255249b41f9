"""Logs as ops read them: JSON lines from the real processes; one `grep <request_id>` over the
gateway's and the worker's logs follows a request from the HTTP access line into the worker's
command line; a password or a token never reaches a log."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from shared.settings import Settings
from tests.api import PASSWORD, Api, Plant, wait_ready
from tests.e2e.test_processes import CLI, environment, free_port


def lines_with(log: Path, needle: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if needle in line]


async def test_one_request_id_follows_a_command_through_gateway_and_worker_logs(
    own_namespace: Settings, plant: Plant, planner: Api, tmp_path: Path
) -> None:
    port = free_port()
    env = environment(own_namespace, HTTP_PORT=str(port), LOG_FORMAT="json", LOG_LEVEL="INFO")
    gateway_log, worker_log = tmp_path / "gateway.log", tmp_path / "worker.log"
    with gateway_log.open("w") as gateway_out, worker_log.open("w") as worker_out:
        worker = await asyncio.create_subprocess_exec(
            *CLI, "worker", "--queues", "ordenes", env=env, stderr=worker_out
        )
        gateway = await asyncio.create_subprocess_exec(*CLI, "gateway", env=env, stderr=gateway_out)
        try:
            order = await plant.work_order()
            request_id = uuid.uuid4().hex
            async with ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
                await wait_ready(Api(session, None))
                login = await Api(session, None).post(
                    "/auth/token/", {"username": planner.user["username"], "password": PASSWORD}
                )
                assert login.status == 200, login.body
                token = login.body["token"]
                api = Api(session, token, login.body["user"])
                answer = await api.post(
                    f"/ot/{order}/actualizar/",
                    {"notes": "seguida"},
                    headers={"X-Request-Id": request_id},
                )
                assert answer.status == 200, answer.body
        finally:
            for process in (worker, gateway):
                process.send_signal(signal.SIGTERM)
            await asyncio.gather(worker.wait(), gateway.wait())

    # Every line of both logs is JSON.
    for log in (gateway_log, worker_log):
        assert all(json.loads(line) for line in log.read_text().splitlines() if line.strip())
    (access,) = lines_with(gateway_log, request_id)
    assert access["logger"] == "mantenimiento.access"
    assert (access["method"], access["path"], access["status"]) == (
        "POST",
        "/mantenimiento/ot/{id}/actualizar/",
        200,
    )
    assert access["user_id"] == planner.id and access["duration_ms"] > 0
    (handled,) = lines_with(worker_log, request_id)
    assert handled["request_id"] == request_id and handled["routing_key"] == "ot.actualizar"
    assert handled["user_id"] == planner.id and handled["outcome"] == "success"
    assert handled["http_status"] == 200 and handled["duration_ms"] > 0
    uuid.UUID(handled["command_id"])
    for log in (gateway_log, worker_log):
        text = log.read_text()
        assert PASSWORD not in text and token not in text
