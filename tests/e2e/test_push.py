"""Live push: each new notification reaches its user's open WebSockets, on whichever gateway they
are connected to, and nobody else's; sockets need a token, are closed (4401) once it expires or
is revoked, outlive a broker outage, and are closed cleanly when their gateway stops."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, ClientWebSocketResponse, WSCloseCode, WSMsgType
from aiohttp.client_exceptions import WSServerHandshakeError
from aiohttp.test_utils import TestServer
from yarl import URL

from gateway import schemas
from gateway.auth import token_hash
from gateway.keys import PUSH
from gateway.push import TOKEN_GONE
from shared.messages import events
from shared.settings import Settings
from tests.api import BASE, PASSWORD, Api, Plant
from tests.e2e.notification_helpers import WAIT_S, emit, next_frame
from tests.proxy import TcpProxy

SOCKET = f"{BASE}/notificaciones/ws/"


async def _connect(
    http: ClientSession, user: Api, *, token_in_query: bool = False
) -> ClientWebSocketResponse:
    if token_in_query:
        return await http.ws_connect(SOCKET, params={"token": user.token or ""})
    return await http.ws_connect(SOCKET, headers={"Authorization": f"Bearer {user.token}"})


async def _assign(plant: Plant, technician: Api, by: Api) -> int:
    order = await plant.work_order(technician_id=technician.id)
    await emit(
        plant,
        events.OrderAssigned(work_order_id=order, technician_id=technician.id, assigned_by=by.id),
    )
    return order


async def test_a_new_notification_is_pushed_to_its_user_only(
    http: ClientSession, plant: Plant, planner: Api, tech: Api, other_tech: Api
) -> None:
    first = await _connect(http, tech)
    second = await _connect(http, tech, token_in_query=True)
    other = await _connect(http, other_tech, token_in_query=True)
    try:
        order = await _assign(plant, tech, planner)
        pushed = [await next_frame(first), await next_frame(second)]
        newest = (await tech.get("/notificaciones/", limit=1)).body[0]
        # The frame is the bare notification object, exactly as the list shows it.
        assert pushed == [newest, newest]
        schemas.Notification.model_validate(newest)
        assert newest["kind"] == "OT_ASIGNADA" and newest["work_order_id"] == order

        # The other technician's first frame is their own notification: they got none of tech's.
        theirs = await _assign(plant, other_tech, planner)
        frame = await next_frame(other)
        assert frame["work_order_id"] == theirs
        assert frame == (await other_tech.get("/notificaciones/", limit=1)).body[0]
    finally:
        for socket in (first, second, other):
            await socket.close()


async def test_each_gateway_pushes_to_its_own_connected_users(
    settings: Settings,
    http: ClientSession,
    plant: Plant,
    planner: Api,
    tech: Api,
    other_tech: Api,
    gateway_for,
) -> None:  # type: ignore[no-untyped-def]
    _, server = await gateway_for(settings)
    async with ClientSession(base_url=str(server.make_url("/"))) as second_http:
        here = await _connect(http, tech)
        there = await _connect(second_http, other_tech, token_in_query=True)
        try:
            mine = await _assign(plant, tech, planner)
            theirs = await _assign(plant, other_tech, planner)
            assert (await next_frame(here))["work_order_id"] == mine
            assert (await next_frame(there))["work_order_id"] == theirs
        finally:
            await here.close()
            await there.close()


async def test_a_socket_needs_a_valid_token_and_an_upgrade(http: ClientSession, tech: Api) -> None:
    for kwargs in ({}, {"params": {"token": "not-a-token"}}, {"headers": {"Authorization": "x"}}):
        with pytest.raises(WSServerHandshakeError) as refused:
            await http.ws_connect(SOCKET, **kwargs)
        assert refused.value.status == 401
    plain = await tech.get("/notificaciones/ws/")
    assert plain.status == 400 and plain.body["status"] == "error"


async def test_sockets_are_closed_cleanly_when_the_gateway_stops(
    settings: Settings, tech: Api, gateway_for
) -> None:  # type: ignore[no-untyped-def]
    _, server = await gateway_for(settings)
    async with ClientSession(base_url=str(server.make_url("/"))) as session:
        socket = await _connect(session, tech)
        closing = asyncio.create_task(socket.receive(timeout=WAIT_S))
        await server.close()
        message = await closing
        assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert socket.close_code == WSCloseCode.GOING_AWAY


async def _push_ready(server: TestServer) -> None:
    for _ in range(int(WAIT_S / 0.05)):
        if server.app[PUSH].broker.ready:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the push feed never reconnected")


async def test_sockets_outlive_a_broker_outage_and_pushes_resume(
    settings: Settings, plant: Plant, planner: Api, tech: Api, gateway_for
) -> None:  # type: ignore[no-untyped-def]
    url = URL(settings.amqp_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5672)
    await proxy.start()
    proxied = settings.model_copy(update={"amqp_url": str(url.with_port(proxy.port))})
    _, server = await gateway_for(proxied)
    async with ClientSession(base_url=str(server.make_url("/"))) as session:
        socket = await _connect(session, tech)
        try:
            await proxy.cut()
            for _ in range(int(WAIT_S / 0.05)):
                if not server.app[PUSH].broker.ready:
                    break
                await asyncio.sleep(0.05)
            assert not server.app[PUSH].broker.ready
            await proxy.restore()
            await _push_ready(server)
            assert not socket.closed
            # The queue is redeclared just after the connection is back: until then an event
            # is not pushed (its notification waits in the list), so assign until one is.
            assigned: list[int] = []
            frame = None
            while frame is None and len(assigned) < 10:
                assigned.append(await _assign(plant, tech, planner))
                try:
                    frame = await socket.receive_json(timeout=5)
                except TimeoutError:
                    continue
            assert frame is not None and frame["work_order_id"] in assigned
        finally:
            await socket.close()
            await proxy.cut()


async def _fresh_login(http: ClientSession, username: str) -> Api:
    response = await Api(http, None).post(
        "/auth/token/", {"username": username, "password": PASSWORD}
    )
    assert response.status == 200
    return Api(http, response.body["token"], response.body["user"])


async def _closed_for_its_token(socket: ClientWebSocketResponse) -> None:
    message = await socket.receive(timeout=WAIT_S)
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert socket.close_code == TOKEN_GONE


@pytest.mark.parametrize("ending", ["logout", "expiry"])
async def test_a_socket_is_closed_once_its_token_is_no_longer_valid(
    settings: Settings, plant: Plant, tech: Api, gateway_for, ending: str
) -> None:  # type: ignore[no-untyped-def]
    _, server = await gateway_for(settings.model_copy(update={"ws_token_check_s": 0.2}))
    async with ClientSession(base_url=str(server.make_url("/"))) as session:
        ending_session = await _fresh_login(session, "tech")
        lasting_session = await _fresh_login(session, "tech")
        ending_socket = await _connect(session, ending_session, token_in_query=True)
        lasting_socket = await _connect(session, lasting_session)
        try:
            if ending == "logout":
                assert (await ending_session.post("/auth/logout/")).status == 200
            else:
                await plant.scalar(
                    "UPDATE api_tokens SET expires_at = now() - interval '1 second'"
                    " WHERE token_hash = :h RETURNING id",
                    h=token_hash(ending_session.token or ""),
                )
            await _closed_for_its_token(ending_socket)
            # The sweep that closed it saw the other token too, and left its socket open.
            assert not lasting_socket.closed
        finally:
            await ending_socket.close()
            await lasting_socket.close()
