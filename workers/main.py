"""A worker process's life: start, serve until SIGTERM/SIGINT, finish what is in hand, stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from prometheus_client import start_http_server

from shared.settings import Settings
from workers.runner import Worker
from workers.scheduler import Scheduler

log = logging.getLogger(__name__)


# Allocations between collections of the youngest generation (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def _settle_garbage_collection() -> None:
    """What starting made (modules, schemas, metadata) lives as long as the process: frozen,
    the collector never walks it again. A batch of thousands of readings allocates a few objects
    per reading: at the default threshold it would set off a collection every few hundred, and
    a full one (tens of milliseconds, in the middle of a transaction) every few batches."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


async def run_worker(settings: Settings, groups: list[str], scheduler: bool = False) -> None:
    """Serve `groups`; with `scheduler`, also publish the daily generation and purge what is
    past its retention (workers.scheduler), on the worker's engine."""
    worker = Worker(settings, groups)
    daily = Scheduler(settings, worker.engine) if scheduler else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr=settings.http_host)
    await worker.start()
    if daily is not None:
        daily.start()
    _settle_garbage_collection()
    log.info("worker consuming %s%s", ", ".join(groups), " with the scheduler" if daily else "")
    failed = asyncio.create_task(worker.broker.failed.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([failed, stopping], return_when=asyncio.FIRST_COMPLETED)
    for task in (failed, stopping):
        task.cancel()
    log.info("stopping: finishing messages in hand")
    if daily is not None:
        await daily.stop()
    await worker.stop()
    if worker.broker.failed.is_set():
        raise SystemExit(1)
