"""A machine's readings as validated: times kept as instants in UTC whatever offset they came
with (or the plant's zone without one), no later than the receiver's clock allows, and the fast
path for a message of valid readings reading them exactly as the reading-by-reading one does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from pydantic import ValidationError

from shared.messages.meters import (
    FUTURE_TOLERANCE,
    ExternalReading,
    ValidReadingBatch,
    latest_reading_time,
)

PLANT = ZoneInfo("America/Bogota")
LATEST = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CONTEXT = {"tz": PLANT, "latest": LATEST}


def _reading(taken_at: str, **extra: object) -> dict[str, object]:
    return {"meter_code": "HOR-01", "value": 12.5, "taken_at": taken_at, **extra}


@pytest.mark.parametrize(
    ("sent", "instant"),
    [
        ("2026-12-06T08:00:00+05:00", datetime(2026, 12, 6, 3, 0, tzinfo=UTC)),
        ("2026-12-06T03:00:00Z", datetime(2026, 12, 6, 3, 0, tzinfo=UTC)),
        # Without an offset: the plant's time (Bogotá is UTC-5).
        ("2026-12-06T03:00:00", datetime(2026, 12, 6, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_reading_time_is_its_instant_in_utc(sent: str, instant: datetime) -> None:
    reading = ExternalReading.model_validate(_reading(sent), context=CONTEXT)
    assert reading.taken_at == instant and reading.taken_at.tzinfo is UTC


def test_a_reading_may_be_taken_up_to_the_latest_time_and_not_after() -> None:
    at_latest = LATEST.astimezone(PLANT).isoformat()
    assert ExternalReading.model_validate(_reading(at_latest), context=CONTEXT).taken_at == LATEST
    later = (LATEST + timedelta(microseconds=1)).isoformat()
    with pytest.raises(ValidationError, match="may not be taken more than"):
        ExternalReading.model_validate(_reading(later), context=CONTEXT)


def test_without_a_latest_time_the_clock_decides() -> None:
    soon = datetime.now(UTC) + FUTURE_TOLERANCE - timedelta(seconds=30)
    assert ExternalReading.model_validate(_reading(soon.isoformat()), context={"tz": PLANT})
    ahead = datetime.now(UTC) + FUTURE_TOLERANCE + timedelta(seconds=30)
    with pytest.raises(ValidationError, match="may not be taken more than"):
        ExternalReading.model_validate(_reading(ahead.isoformat()), context={"tz": PLANT})
    assert latest_reading_time() - datetime.now(UTC) <= FUTURE_TOLERANCE


def test_nul_in_a_meter_code_is_refused() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ExternalReading.model_validate(
            _reading("2026-12-06T03:00:00Z", meter_code="HOR\x0001"), context=CONTEXT
        )


def test_a_message_of_valid_readings_reads_as_each_reading_alone() -> None:
    readings = [
        _reading("2026-12-06T08:00:00.123456+05:00"),
        _reading("2026-12-06T03:00:00", value=0.30000000000000004, reset=True),
        _reading("2026-12-06T06:59:59Z", value=7, meter_code="T-1"),
    ]
    body = orjson.dumps({"source": "scada", "readings": readings})
    batch = ValidReadingBatch.model_validate_json(body, context=CONTEXT)
    alone = [ExternalReading.model_validate(r, context=CONTEXT) for r in readings]
    assert batch.readings == alone
