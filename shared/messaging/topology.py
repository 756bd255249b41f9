"""Every exchange and queue of the service, declared idempotently by whoever starts first."""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from pamqp.common import FieldTable

from shared.messages import commands_by_queue
from shared.settings import Settings

COMMANDS = "comandos"
EVENTS = "eventos"
AVISOS = "avisos"
LECTURAS = "lecturas"
DEAD_LETTERS = "dlx"

# The exchanges external systems publish to (the only ones their broker users may write to).
INBOUND_EXCHANGES = (AVISOS, LECTURAS)

# Event routing keys consumed by the notification fan-out.
NOTIFICATION_EVENT_PATTERNS = ("ot.*", "aviso.*")


@dataclass(frozen=True)
class QueueSpec:
    """A durable quorum queue: what it consumes, and where its poison messages go."""

    queue: str
    exchange: str
    routing_keys: tuple[str, ...]
    dead_letter_queue: str


def queue_specs() -> dict[str, QueueSpec]:
    """The consumer groups a worker can be started with (`--queues`), by name."""
    by_queue = commands_by_queue()
    return {
        "ordenes": QueueSpec("ordenes", COMMANDS, by_queue["ordenes"], "ordenes.invalidos"),
        "generacion": QueueSpec(
            "generacion", COMMANDS, by_queue["generacion"], "generacion.invalidos"
        ),
        "notificaciones": QueueSpec(
            "notificaciones", EVENTS, NOTIFICATION_EVENT_PATTERNS, "notificaciones.invalidos"
        ),
        "avisos": QueueSpec("avisos.externos", AVISOS, ("aviso.externo",), "avisos.invalidos"),
        "lecturas": QueueSpec(
            "lecturas.externas", LECTURAS, ("lectura.externa",), "lecturas.invalidos"
        ),
    }


@dataclass(frozen=True)
class Names:
    """Prefixes every broker name with the configured namespace (default `mantenimiento`)."""

    namespace: str

    def __call__(self, name: str) -> str:
        return f"{self.namespace}.{name}"


@dataclass
class Topology:
    exchanges: dict[str, AbstractExchange]
    # By consumer group (`ordenes`, `generacion`, `notificaciones`, `avisos`).
    queues: dict[str, AbstractQueue]


async def declare_topology(channel: AbstractChannel, settings: Settings) -> Topology:
    """Declare everything; running it again (or from another process) changes nothing."""
    names = Names(settings.amqp_namespace)
    exchanges = {
        COMMANDS: await channel.declare_exchange(
            names(COMMANDS), aio_pika.ExchangeType.DIRECT, durable=True
        ),
        EVENTS: await channel.declare_exchange(
            names(EVENTS), aio_pika.ExchangeType.TOPIC, durable=True
        ),
        AVISOS: await channel.declare_exchange(
            names(AVISOS), aio_pika.ExchangeType.TOPIC, durable=True
        ),
        LECTURAS: await channel.declare_exchange(
            names(LECTURAS), aio_pika.ExchangeType.TOPIC, durable=True
        ),
        DEAD_LETTERS: await channel.declare_exchange(
            names(DEAD_LETTERS), aio_pika.ExchangeType.DIRECT, durable=True
        ),
    }
    # On a cluster every queue is replicated to that many nodes: a publisher confirm then means
    # "written to a majority of them". Only the first declaration places the replicas.
    quorum: FieldTable = {"x-queue-type": "quorum"}
    if settings.quorum_size > 1:
        quorum["x-quorum-initial-group-size"] = settings.quorum_size
    queues: dict[str, AbstractQueue] = {}
    for group, spec in queue_specs().items():
        queue_name = names(spec.queue)
        dead = await channel.declare_queue(
            names(spec.dead_letter_queue), durable=True, arguments=quorum
        )
        await dead.bind(exchanges[DEAD_LETTERS], routing_key=queue_name)
        queue = await channel.declare_queue(
            queue_name,
            durable=True,
            arguments={
                **quorum,
                "x-dead-letter-exchange": names(DEAD_LETTERS),
                "x-dead-letter-routing-key": queue_name,
                "x-delivery-limit": settings.delivery_limit,
            },
        )
        for key in spec.routing_keys:
            await queue.bind(exchanges[spec.exchange], routing_key=key)
        queues[group] = queue
    return Topology(exchanges, queues)


async def delete_topology(channel: AbstractChannel, settings: Settings) -> None:
    """Remove every name of a namespace (used by tests that run in their own namespace)."""
    names = Names(settings.amqp_namespace)
    for spec in queue_specs().values():
        await channel.queue_delete(names(spec.queue))
        await channel.queue_delete(names(spec.dead_letter_queue))
    for exchange in (COMMANDS, EVENTS, AVISOS, LECTURAS, DEAD_LETTERS):
        await channel.exchange_delete(names(exchange))
