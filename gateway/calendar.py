"""The technician's schedule as an iCalendar (RFC 5545) feed, for calendar apps to subscribe to."""

from __future__ import annotations

from datetime import timezone

from icalendar import Calendar, Event

from gateway.queries.schedule import ScheduledOrder

PRODID = "-//mantenimiento//cronograma//ES"
# UIDs must be globally unique and stable: an order's code is unique and never changes.
UID_DOMAIN = "mantenimiento"


def uid(order: ScheduledOrder) -> str:
    return f"{order.code}@{UID_DOMAIN}"


def feed(orders: list[ScheduledOrder], name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for order in orders:
        event = Event()
        event.add("uid", uid(order))
        event.add("dtstamp", order.updated_at.astimezone(timezone.utc))
        event.add("last-modified", order.updated_at.astimezone(timezone.utc))
        event.add("sequence", order.version)
        # Aware datetimes in the plant's zone: written with TZID and a VTIMEZONE below.
        event.add("dtstart", order.scheduled_start)
        event.add("dtend", order.scheduled_end)
        event.add("summary", f"{order.code} {order.title}")
        assets = ", ".join(f"{asset['code']} {asset['name']}" for asset in order.assets)
        event.add("description", f"Estado: {order.status}\nTipo: {order.type}\nActivos: {assets}")
        if order.assets:
            event.add("location", ", ".join(asset["code"] for asset in order.assets))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
