"""Rows sent as one JSON parameter (`shared.db.json_rows`) arrive in PostgreSQL exactly as they
were: numerics to the last digit, times to the microsecond and the same instant, text whatever it
holds, nulls as nulls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.json_rows import json_rows

_READ_BACK = text(
    """
    SELECT r.n, r.amount, r.at, r.flag, r.label
      FROM jsonb_to_recordset(CAST(:rows AS jsonb))
           AS r(n integer, amount numeric, at timestamptz, flag boolean, label text)
     ORDER BY r.n
    """
)

ROWS = [
    {
        "n": 1,
        "amount": Decimal("123456789012345678901234.000000000001"),
        "at": datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Madrid")),
        "flag": True,
        "label": 'quotes " and \\ and ñ and 🛠',
    },
    {
        "n": 2,
        "amount": Decimal("-0.10"),
        "at": datetime(2026, 12, 6, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
        "flag": False,
        "label": "",
    },
    {
        "n": 3,
        "amount": None,
        # What pydantic makes of a time with an offset (its own tzinfo class).
        "at": TypeAdapter(datetime).validate_python("2026-12-06T10:00:00.000001+05:30"),
        "flag": None,
        "label": None,
    },
    {
        "n": 4,
        "amount": Decimal("1E-7"),
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "flag": True,
        "label": "x",
    },
]


async def test_rows_arrive_exactly_as_sent(db: AsyncEngine) -> None:
    async with db.connect() as connection:
        rows = (await connection.execute(_READ_BACK, {"rows": json_rows(ROWS)})).all()
    assert [tuple(row) for row in rows] == [
        (r["n"], r["amount"], r["at"], r["flag"], r["label"]) for r in ROWS
    ]
    # The same digits, not only the same number.
    assert [str(row.amount) for row in rows if row.amount is not None] == [
        str(r["amount"]) for r in ROWS if r["amount"] is not None
    ]


def test_what_json_cannot_say_exactly_is_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable: set"):
        json_rows([{"n": {1, 2}}])
