"""The gateway after its database connections were all dropped (a server restart): at most the
first read finds a dead connection; the pool drops every other one it opened before then."""

from __future__ import annotations

import asyncio

from yarl import URL

from shared.settings import Settings
from tests.api import Plant
from tests.proxy import TcpProxy


async def test_one_dead_connection_drops_the_rest_of_the_pool(
    settings: Settings, plant: Plant, gateway_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    api, _ = await gateway_for(
        settings.model_copy(
            update={"database_url": str(url.with_port(proxy.port)), "db_pool_size": 6}
        )
    )
    order = await plant.work_order()
    # Several reads at once: the pool opens several connections.
    warm = await asyncio.gather(*(api.get(f"/ot/{order}/") for _ in range(12)))
    assert {response.status for response in warm} == {200}
    await proxy.cut()
    await proxy.restore()
    try:
        statuses = [(await api.get(f"/ot/{order}/")).status for _ in range(12)]
    finally:
        await proxy.cut()
    assert statuses.count(503) <= 1, statuses
    assert statuses[1:] == [200] * 11, statuses
