"""How the event feed reads its horizon: which cursors missed deleted events, and the
`X-Feed-Oldest` header."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gateway.queries.event_feed import START, Horizon
from gateway.routes.event_feed import oldest_header


def test_a_cursor_before_the_last_deleted_event_missed_events() -> None:
    horizon = Horizon(deleted=(700, 42), oldest=None)
    assert horizon.missed(START)
    assert horizon.missed((700, 41))
    assert horizon.missed((699, 99))  # an earlier transaction, whatever its event ids
    assert not horizon.missed((700, 42))  # the client had read the last deleted event
    assert not horizon.missed((701, 1))
    assert not Horizon(deleted=START, oldest=None).missed(START)  # nothing ever deleted


def test_the_oldest_event_header() -> None:
    assert oldest_header(Horizon(START, None), ZoneInfo("UTC")) == ""
    at = datetime(2027, 3, 1, 12, 30, tzinfo=UTC)
    header = oldest_header(Horizon(START, (1234, at)), ZoneInfo("Europe/Madrid"))
    assert header == "id=1234; at=2027-03-01T13:30:00+01:00"
