"""Live notifications: this gateway's open WebSockets, by user, and the feed that fills them.

Each gateway consumes `mantenimiento.eventos` through a queue of its own (exclusive,
auto-delete, bound to `notificacion.creadas` only). That event names the source event whose
notifications were just committed; the gateway reads the rows of the users connected to it with
one query and sends each as one JSON text frame. A broker outage leaves the sockets open (the
robust connection redeclares the queue when the broker is back); what was created meanwhile is
not pushed, which is why clients re-read `GET /notificaciones/?unread=true` after reconnecting.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict

import orjson
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aiohttp import WSCloseCode, web
from prometheus_client import Gauge
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.queries import notifications as queries
from gateway.queries import tokens
from shared.messages.event_message import decode
from shared.messages.events import NotificationsCreated
from shared.messaging.connection import Broker
from shared.messaging.topology import EVENTS, Names, declare_topology
from shared.settings import Settings

log = logging.getLogger(__name__)

OPEN_SOCKETS = Gauge("mantenimiento_push_sockets", "Open notification WebSockets")
# The close code of a socket whose token expired or was revoked (4000-4999: the application's).
TOKEN_GONE = 4401


class PushHub:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self._settings = settings
        self._engine = engine
        self._sockets: defaultdict[int, set[web.WebSocketResponse]] = defaultdict(set)
        # The hash of the token each socket was opened with.
        self._tokens: dict[web.WebSocketResponse, str] = {}
        self.queue_name = Names(settings.amqp_namespace)(f"push.{uuid.uuid4().hex}")
        self.broker = Broker(settings, [self._setup])

    async def _setup(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel()
        exchange = (await declare_topology(channel, self._settings)).exchanges[EVENTS]
        queue = await channel.declare_queue(self.queue_name, exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=NotificationsCreated.type)
        await queue.consume(self._on_event, no_ack=True)

    def add(self, user_id: int, token_hash: str, socket: web.WebSocketResponse) -> None:
        self._sockets[user_id].add(socket)
        self._tokens[socket] = token_hash
        OPEN_SOCKETS.inc()

    def discard(self, user_id: int, socket: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(user_id)
        if sockets is None or socket not in sockets:
            return
        sockets.discard(socket)
        self._tokens.pop(socket, None)
        if not sockets:
            del self._sockets[user_id]
        OPEN_SOCKETS.dec()

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        if not self._sockets:
            return
        try:
            _, event = decode(message.body)
        except ValidationError:
            log.warning("unreadable event %s ignored", message.message_id)
            return
        if not isinstance(event, NotificationsCreated):
            return
        try:
            async with self._engine.connect() as conn:
                rows = await queries.of_event(
                    conn, event.event_id, list(self._sockets), self._settings.tz
                )
        except Exception:  # the database is away: these clients re-read when they reconnect
            log.warning("notifications of event %s not pushed", event.event_id, exc_info=True)
            return
        await asyncio.gather(
            *(
                self._send(socket, orjson.dumps(notification).decode())
                for user_id, notification in rows
                for socket in list(self._sockets.get(user_id, ()))
            )
        )

    async def _send(self, socket: web.WebSocketResponse, frame: str) -> None:
        try:
            await socket.send_str(frame)
        except ConnectionError:  # closing or gone: its handler discards it
            log.debug("push to a closing socket dropped")

    async def watch_tokens(self) -> None:
        """Every `WS_TOKEN_CHECK_S`, close the sockets whose token is no longer valid (runs
        until cancelled; a database outage only skips a round)."""
        while True:
            await asyncio.sleep(self._settings.ws_token_check_s)
            try:
                await self.close_invalid()
            except Exception:
                log.warning("socket tokens not checked", exc_info=True)

    async def close_invalid(self) -> None:
        """Close (code 4401) the sockets whose token expired or was revoked: one statement checks
        every open socket's token."""
        if not self._tokens:
            return
        async with self._engine.connect() as conn:
            invalid = await tokens.invalid_among(conn, set(self._tokens.values()))
        await asyncio.gather(
            *(
                socket.close(code=TOKEN_GONE, message=b"token expired or revoked")
                for socket, token_hash in list(self._tokens.items())
                if token_hash in invalid
            ),
            return_exceptions=True,
        )

    async def close_sockets(self) -> None:
        """Tell every client the gateway is going away (close code 1001)."""
        sockets = [socket for sockets in self._sockets.values() for socket in sockets]
        await asyncio.gather(
            *(
                socket.close(code=WSCloseCode.GOING_AWAY, message=b"gateway shutting down")
                for socket in sockets
            ),
            return_exceptions=True,
        )
