"""The README's quick start works as written: its curl lines, run by bash against a gateway and a
worker serving the demo plant, log in, search, read a pending order and start it."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from shared.demo_loader import load_if_empty
from shared.migrate import upgrade
from shared.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def quick_start() -> str:
    """The shell block after the `quick-start` marker."""
    found = re.search(r"<!-- quick-start -->\n```sh\n(.*?)\n```", README.read_text(), re.S)
    assert found, "README.md has no quick-start block"
    return found.group(1)


async def test_the_quick_start_runs_against_the_demo_plant(
    own_namespace: Settings, empty_database: str, worker_for: Any, gateway_for: Any
) -> None:
    demo = own_namespace.model_copy(update={"database_url": empty_database})
    await asyncio.to_thread(upgrade, demo.database_url)
    assert await load_if_empty(demo) is not None
    await worker_for(demo)
    _, server = await gateway_for(demo)
    base = str(server.make_url("/mantenimiento")).rstrip("/")
    lines = quick_start().splitlines()
    assert lines[0].startswith("B=")
    # Each curl's answer on a line of its own, so the test can read them one by one.
    script = "\n".join(
        ["set -eu", 'curl() { command curl --fail-with-body "$@"; echo; }', f"B={base}", *lines[1:]]
    )
    done = await asyncio.create_subprocess_exec(
        "bash", "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await done.communicate()
    assert done.returncode == 0, (out.decode(), err.decode())
    answers = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    search, order, started = answers
    assert isinstance(search, list)
    assert order["status"] == "PENDIENTE" and "steps" in order
    assert started["status"] == "success", started
