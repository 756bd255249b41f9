"""One bench site, loaded and served: the `Run` that scenarios receive."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bench import dataset
from bench.environment import bench_site, running, service_processes, wait_http
from bench.load import Loader
from bench.registry import Budget, Run


def database_name(scale: float) -> str:
    # The process id keeps two runs on one server (two checkouts, CI beside a developer) apart.
    return "mantenimiento_bench_" + f"{scale:g}".replace(".", "_") + f"_{os.getpid()}"


@asynccontextmanager
async def open_run(scale: float, loader: Loader, budget: Budget, quick: bool) -> AsyncIterator[Run]:
    """Create, migrate and load the site for `scale`, start the gateway and a worker on it."""
    async with bench_site(database_name(scale)) as site:
        began = time.perf_counter()
        data = await dataset.load(site.dsn, scale)
        print(
            f"scale {scale:g}: {data.orders:,} orders, {data.steps:,} steps loaded "
            f"in {time.perf_counter() - began:.1f}s",
            flush=True,
        )
        processes = service_processes(site)
        async with running(processes):
            base_url = f"http://127.0.0.1:{site.http_port}"
            await wait_http(f"{base_url}/mantenimiento/health/ready/", processes)
            yield Run(
                site=site,
                data=data,
                loader=loader,
                budget=budget,
                service={process.name: process for process in processes},
                quick=quick,
                base_url=base_url,
            )
            for process in processes:
                process.check_alive()
