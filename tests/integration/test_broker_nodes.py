"""Several broker nodes in AMQP_URL: a process comes up on whichever node answers and, when the
node it uses goes away, carries on through another one by itself. Two proxies in front of the
one local broker stand for two nodes; a cut proxy is a node gone."""

from __future__ import annotations

import asyncio

from yarl import URL

from shared.settings import Settings
from tests.api import Plant
from tests.faults.ports import free_port
from tests.proxy import TcpProxy


async def _done(api, plant: Plant, notes: str) -> None:  # type: ignore[no-untyped-def]
    order = await plant.work_order()
    response = await api.post(f"/ot/{order}/actualizar/", {"notes": notes})
    assert response.status in (200, 202), response.body
    for _ in range(150):
        if await plant.scalar("SELECT notes FROM work_orders WHERE id = :id", id=order) == notes:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order} never got notes {notes!r}")


async def _nodes(settings: Settings) -> tuple[list[TcpProxy], list[str]]:
    url = URL(settings.amqp_url)
    proxies = [TcpProxy(url.host or "127.0.0.1", url.port or 5672) for _ in range(2)]
    for proxy in proxies:
        await proxy.start()
    return proxies, [str(url.with_port(proxy.port)) for proxy in proxies]


async def test_a_node_that_does_not_answer_is_skipped(
    own_namespace: Settings, plant: Plant, gateway_for, worker_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(own_namespace.amqp_url)
    down = str(url.with_port(free_port()))
    both = own_namespace.model_copy(update={"amqp_url": f"{down},{own_namespace.amqp_url}"})
    await worker_for(both)
    api, _ = await gateway_for(both)
    await _done(api, plant, "por el segundo nodo")


async def test_processes_move_to_another_node_when_theirs_goes_away(
    own_namespace: Settings, plant: Plant, gateway_for, worker_for
) -> None:  # type: ignore[no-untyped-def]
    proxies, urls = await _nodes(own_namespace)
    try:
        cluster = own_namespace.model_copy(update={"amqp_url": ",".join(urls)})
        await worker_for(cluster)
        api, _ = await gateway_for(cluster)
        await _done(api, plant, "antes")
        # Both processes came up on the first node; it goes away for good.
        await proxies[0].cut()
        for _ in range(100):
            order = await plant.work_order()
            response = await api.post(f"/ot/{order}/actualizar/", {"notes": "después"})
            if response.status != 503:
                break
            await asyncio.sleep(0.1)
        assert response.status in (200, 202), response.body
        await _done(api, plant, "después, otra vez")
    finally:
        for proxy in proxies:
            await proxy.cut()
