"""The words of notifications built from event data alone, and the push signal's routing key."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from shared.messages import events
from shared.messaging.topology import NOTIFICATION_EVENT_PATTERNS
from workers.fanout import CODES_NAMED, fanout

MADRID = ZoneInfo("Europe/Madrid")


def _moved(count: int) -> events.OrdersRescheduled:
    start = datetime(2031, 7, 1, 6, tzinfo=timezone.utc)
    return events.OrdersRescheduled(
        technician_id=7,
        changed_by=2,
        reason="Parada",
        work_orders=[
            events.RescheduledOrder(id=i, code=f"OT-2031-{i:06d}", old_start=start, new_start=start)
            for i in range(1, count + 1)
        ],
    )


def test_one_rescheduled_order_is_named_with_its_new_local_start() -> None:
    plan = fanout(_moved(1), MADRID)
    assert plan is not None and plan.actor == 2
    assert plan.params["work_order_id"] == 1
    # 06:00 UTC is 08:00 in Madrid in summer.
    assert "OT-2031-000001 pasa al 01/07/2031 08:00" in plan.params["message"]


def test_several_rescheduled_orders_are_counted_and_a_few_named() -> None:
    plan = fanout(_moved(CODES_NAMED + 2), MADRID)
    assert plan is not None and plan.params["work_order_id"] is None
    message = plan.params["message"]
    assert message.startswith(f"{CODES_NAMED + 2} órdenes cambiaron de fecha")
    assert message.count("OT-2031-") == CODES_NAMED and "…" in message


def test_generated_orders_count_in_singular_and_plural() -> None:
    one = fanout(events.OrdersGenerated(technician_id=7, count=1, work_order_ids=[9]), MADRID)
    many = fanout(events.OrdersGenerated(technician_id=7, count=4, work_order_ids=[1, 2]), MADRID)
    assert one is not None and one.params["work_order_id"] == 9
    assert one.params["message"] == "Se generó 1 orden nueva para ti"
    assert many is not None and many.params["work_order_id"] is None
    assert many.params["message"] == "Se generaron 4 órdenes nuevas para ti"


def test_events_without_recipients_plan_nothing() -> None:
    split = events.OrderSplit(work_order_id=1, new_work_order_ids=[2], split_by=3)
    assert fanout(split, MADRID) is None
    assert fanout(events.NotificationsCreated(event_id=1), MADRID) is None


def _topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more."""
    regex = re.escape(pattern).replace(r"\*", r"[^.]+").replace(r"\#", r".*")
    return re.fullmatch(regex, key) is not None


def test_the_notification_queue_does_not_consume_its_own_signal() -> None:
    assert _topic_matches("ot.*", "ot.estado")
    assert not any(
        _topic_matches(pattern, events.NotificationsCreated.type)
        for pattern in NOTIFICATION_EVENT_PATTERNS
    )
