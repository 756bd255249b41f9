"""Readings from machines over AMQP, through real workers of the `lecturas` group: each reading
judged on its own (the invalid ones copied to `lecturas.invalidos` with their reason), a message
delivered twice or out of order never corrupting usage, a constant number of statements per
message, one alarm notice however many workers take a meter's readings, and the order a reading
makes due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from shared.settings import Settings
from shared.tools.publish_readings import publish
from tests.api import Api, Plant
from tests.e2e.program_helpers import routine, save_program, today
from tests.inbound import take_set_aside
from tests.statements import not_the_relays, statements_sent

INVALID = "lecturas.invalidos"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def code_of(plant: Plant, meter_id: int) -> str:
    return str(await plant.scalar("SELECT code FROM meters WHERE id = :id", id=meter_id))


def message(source: str, readings: list[Any]) -> bytes:
    return orjson.dumps({"source": source, "readings": readings})


async def stored(plant: Plant, meter_id: int) -> list[tuple[Decimal, Decimal | None]]:
    """(value, usage) of the meter's readings, oldest first."""
    rows = await plant.scalar(
        "SELECT coalesce(json_agg(json_build_array(value, usage) ORDER BY taken_at), '[]')"
        " FROM meter_readings WHERE meter_id = :id",
        id=meter_id,
    )
    return [(Decimal(str(v)), None if u is None else Decimal(str(u))) for v, u in rows]


async def until_stored(plant: Plant, meter_id: int, count: int) -> None:
    for _ in range(300):
        if len(await stored(plant, meter_id)) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"meter {meter_id} never had {count} readings")


async def test_each_reading_is_judged_on_its_own(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    await worker_for(own_namespace, ("lecturas",))
    counter = await plant.meter()
    gauge = await plant.meter(kind="INDICADOR", unit="mm/s", alarm_high=7.1)
    inactive = await plant.meter(active=False)
    counter_code, gauge_code = await code_of(plant, counter), await code_of(plant, gauge)
    ahead = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    good = [
        {"meter_code": counter_code, "value": 10, "taken_at": at(0)},
        {"meter_code": counter_code, "value": 12.5, "taken_at": at(10)},
        {"meter_code": gauge_code, "value": 9.3, "taken_at": at(10)},
    ]
    bad = {
        "unknown meter": {"meter_code": "NO-EXISTE", "value": 1, "taken_at": at(1)},
        "inactive": {"meter_code": await code_of(plant, inactive), "value": 1, "taken_at": at(1)},
        "cannot go back": {"meter_code": counter_code, "value": 11, "taken_at": at(20)},
        "value": {"meter_code": counter_code, "value": "once", "taken_at": at(30)},
        "taken_at": {"meter_code": counter_code, "value": 20, "taken_at": ahead},
        "meter_code": {"value": 20, "taken_at": at(40)},
        "invalid reading": 42,
    }
    await publish(own_namespace, message("scada-7", [*good, *bad.values()]))
    await until_stored(plant, counter, 2)
    assert await stored(plant, counter) == [
        (Decimal(10), Decimal(10)),
        (Decimal("12.5"), Decimal("12.5")),
    ]
    assert await stored(plant, gauge) == [(Decimal("9.3"), None)]
    sources = await plant.scalar(
        "SELECT array_agg(DISTINCT source) FROM meter_readings WHERE meter_id = ANY(:ids)",
        ids=[counter, gauge],
    )
    assert sources == ["scada-7"]
    alarm = await plant.row(
        "SELECT source, status, author_id FROM avisos WHERE meter_id = :m", m=gauge
    )
    assert tuple(alarm) == ("MEDIDOR", "ABIERTO", None)

    copies = await take_set_aside(own_namespace, INVALID, len(bad))
    by_reading = {
        orjson.dumps(orjson.loads(c.body)["readings"][0]): str(c.headers["x-error"]) for c in copies
    }
    for reason, reading in bad.items():
        copy = orjson.dumps(reading)
        assert copy in by_reading, reading
        assert reason in by_reading[copy], (reason, by_reading[copy])
    assert all(orjson.loads(c.body)["source"] == "scada-7" for c in copies)

    # Not a message of readings at all: set aside whole.
    await publish(own_namespace, b"{not json")
    await publish(own_namespace, message("scada-7", []))
    whole = await take_set_aside(own_namespace, INVALID, 2)
    assert {c.body for c in whole} == {b"{not json", message("scada-7", [])}
    assert all("invalid message" in str(c.headers["x-error"]) for c in whole)


async def test_a_message_twice_or_out_of_order_never_corrupts_usage(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    await worker_for(own_namespace, ("lecturas",))
    meter = await plant.meter()
    code = await code_of(plant, meter)

    def readings(*pairs: tuple[float, float, bool]) -> bytes:
        return message(
            "plc-2",
            [{"meter_code": code, "value": v, "taken_at": at(m), "reset": r} for m, v, r in pairs],
        )

    late = readings((60, 300, False), (90, 40, True), (120, 90, False))
    await publish(own_namespace, late)
    await until_stored(plant, meter, 3)
    # The same message again, and then the earlier readings arriving last.
    await publish(own_namespace, late)
    await publish(own_namespace, readings((0, 100, False), (30, 200, False), (75, 310, False)))
    await until_stored(plant, meter, 6)
    await asyncio.sleep(0.3)  # the repeat, handled or not, must have changed nothing
    # Usage over the whole sequence: 100, 200, 300, 310, then 40 new (350) and 50 more (400).
    expected = [(100, 100), (200, 200), (300, 300), (310, 310), (40, 350), (90, 400)]
    assert await stored(plant, meter) == [(Decimal(v), Decimal(u)) for v, u in expected]
    last = await plant.row(
        "SELECT last_value, last_usage, last_taken_at FROM meters WHERE id = :id", id=meter
    )
    assert (last.last_value, last.last_usage) == (90, 400)
    assert last.last_taken_at == datetime.fromisoformat(at(120))


async def test_a_message_costs_the_same_statements_whatever_its_size(
    own_namespace: Settings, plant: Plant, worker_for: Any, planner: Api, tech: Api
) -> None:
    # One share of the meters: what is counted is one transaction's statements.
    one_share = own_namespace.model_copy(update={"readings_stripes": 1})
    worker = await worker_for(one_share, ("lecturas",))
    sizes = {}
    for size in (10, 1000):
        # Counters under a program by use, and indicators out of range: every step runs.
        assets = [await plant.asset() for _ in range(4)]
        counters = [await plant.meter(asset_id=a) for a in assets[:2]]
        gauges = [
            await plant.meter(asset_id=a, kind="INDICADOR", unit="°C", alarm_high=50)
            for a in assets[2:]
        ]
        await save_program(
            planner,
            routine_id=await routine(plant),
            asset_ids=assets[:2],
            start_date=(today() - timedelta(days=3)).isoformat(),
            technician_id=tech.id,
            basis="MEDIDOR",
            meter_interval=100,
            meter_unit="h",
        )
        codes = [await code_of(plant, m) for m in counters + gauges]
        batch = [
            {"meter_code": codes[i % 4], "value": 60 + i // 4, "taken_at": at(i // 4)}
            for i in range(size)
        ]
        with statements_sent(worker.engine, not_the_relays) as statements:
            await publish(own_namespace, message("scada-1", batch))
            await until_stored(plant, gauges[-1], size // 4)
            for _ in range(100):  # the message is done when its alarms are written
                if (
                    await plant.scalar(
                        "SELECT count(*) FROM avisos WHERE meter_id = ANY(:ids)", ids=gauges
                    )
                    == 2
                ):
                    break
                await asyncio.sleep(0.05)
        orders = await plant.scalar(
            "SELECT count(*) FROM work_order_assets WHERE asset_id = ANY(:ids)", ids=assets[:2]
        )
        assert orders == (2 if size == 1000 else 0)  # 60 + 249 h is past 100 h
        sizes[size] = len(statements)
    # Lock, insert, last readings, alarms, generation, events — and BEGIN/COMMIT.
    assert sizes[10] == sizes[1000] <= 10, sizes


async def test_a_batch_is_stored_in_shares_of_whole_meters(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    shares = 3
    await worker_for(own_namespace.model_copy(update={"readings_stripes": shares}), ("lecturas",))
    meters = [await plant.meter() for _ in range(12)]
    codes = [await code_of(plant, m) for m in meters]

    def readings(*rounds: int) -> bytes:
        return message(
            "scada-9",
            [
                {"meter_code": code, "value": 100 + 10 * r + i, "taken_at": at(r)}
                for r in rounds
                for i, code in enumerate(codes)
            ],
        )

    await publish(own_namespace, readings(4, 3))
    for meter in meters:
        await until_stored(plant, meter, 2)
    transactions = await plant.scalar(
        "SELECT json_object_agg(meter_id, xmins) FROM (SELECT meter_id,"
        " array_agg(DISTINCT xmin::text) AS xmins FROM meter_readings"
        " WHERE meter_id = ANY(:ids) GROUP BY meter_id) m",
        ids=meters,
    )
    # Each meter's readings in one transaction; the meters in more than one, at most `shares`.
    assert all(len(xmins) == 1 for xmins in transactions.values()), transactions
    assert 1 < len({xmins[0] for xmins in transactions.values()}) <= shares, transactions

    # Earlier readings arriving after, a message each at once: every usage as in time order.
    await asyncio.gather(*(publish(own_namespace, readings(r)) for r in (0, 2, 1)))
    for i, meter in enumerate(meters):
        await until_stored(plant, meter, 5)
        expected = [100 + 10 * r + i for r in range(5)]
        assert await stored(plant, meter) == [(Decimal(v), Decimal(v)) for v in expected]
        last = await plant.row("SELECT last_value, last_usage FROM meters WHERE id = :id", id=meter)
        assert (last.last_value, last.last_usage) == (expected[-1], expected[-1])


async def test_messages_waiting_for_a_transaction_are_stored_together(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    # One connection for transactions (the other is the relay's), one share of the meters: the
    # messages taken while one is stored wait without a connection, and are stored next at once.
    narrow = own_namespace.model_copy(update={"db_pool_size": 2, "readings_stripes": 1})
    await worker_for(narrow, ("lecturas",))
    meter = await plant.meter()
    code = await code_of(plant, meter)
    bodies = [
        message("plc-4", [{"meter_code": code, "value": 10 * m, "taken_at": at(m)}])
        for m in range(8)
    ]
    await asyncio.gather(*(publish(own_namespace, body) for body in bodies))
    await until_stored(plant, meter, len(bodies))
    assert await stored(plant, meter) == [(Decimal(10 * m), Decimal(10 * m)) for m in range(8)]
    transactions = await plant.scalar(
        "SELECT count(DISTINCT xmin::text) FROM meter_readings WHERE meter_id = :m", m=meter
    )
    assert transactions < len(bodies)


async def test_two_workers_taking_one_meters_alarms_at_once_open_one_notice(
    own_namespace: Settings, plant: Plant, worker_for: Any
) -> None:
    for _ in range(2):
        await worker_for(own_namespace, ("lecturas",))
    meter = await plant.meter(kind="INDICADOR", unit="°C", alarm_high=80)
    code = await code_of(plant, meter)
    bodies = [
        message(f"sensor-{i}", [{"meter_code": code, "value": 90 + i, "taken_at": at(i)}])
        for i in range(40)
    ]
    await asyncio.gather(*(publish(own_namespace, body) for body in bodies))
    await until_stored(plant, meter, 40)
    notices = await plant.scalar("SELECT count(*) FROM avisos WHERE meter_id = :m", m=meter)
    assert notices == 1
    events = await plant.scalar(
        "SELECT count(*) FROM outbox WHERE type = 'medidor.alarma'"
        " AND (data->>'meter_id')::int = :m",
        m=meter,
    )
    assert events == 1


async def test_a_reading_that_makes_an_order_due_makes_it_within_seconds(
    own_namespace: Settings, plant: Plant, worker_for: Any, planner: Api, tech: Api
) -> None:
    await worker_for(own_namespace, ("lecturas",))
    asset = await plant.asset()
    meter = await plant.meter(asset_id=asset)
    program_id = await save_program(
        planner,
        routine_id=await routine(plant),
        asset_ids=[asset],
        start_date=today().isoformat(),
        technician_id=tech.id,
        basis="MEDIDOR",
        meter_interval=500,
        meter_unit="h",
    )
    code = await code_of(plant, meter)
    now = datetime.now(UTC)
    await publish(
        own_namespace,
        message("scada-1", [{"meter_code": code, "value": 501, "taken_at": now.isoformat()}]),
    )
    for _ in range(200):
        orders = await tech.pages("/ot/", asset_id=asset)
        if orders:
            break
        await asyncio.sleep(0.05)
    [order] = orders
    assert (order["program_id"], order["trigger"], order["due_usage"]) == (
        program_id,
        "MEDIDOR",
        500,
    )
    assigned = await plant.scalar(
        "SELECT count(*) FROM outbox WHERE type = 'ot.asignada'"
        " AND (data->>'work_order_id')::int = :id",
        id=order["id"],
    )
    assert assigned == 1
