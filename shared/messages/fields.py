"""Field types every message and query shares: ids within their column's range (a larger number
is refused as invalid input instead of failing in the database), and text PostgreSQL can store."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationError

# PostgreSQL's `integer` and `bigint` (migrations/versions/0001: most ids are `integer`; steps,
# notifications and events are `bigint`).
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=INT4_MAX)]
BigId = Annotated[int, Field(ge=1, le=INT8_MAX)]
Version = Annotated[int, Field(ge=1, le=INT4_MAX)]
# How many ids a list in a query string may name: any URL the document allows fits the
# gateway's request-line limit (gateway/app.py).
QUERY_LIST_MAX = 500

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso(kind: type[date]) -> Callable[[Any], Any]:
    """A validator of ISO 8601 text into `kind` (date or datetime): pydantic alone would also
    read `0` or `"0"` as a Unix time, which no client means. It parses here, so that a strict
    validation (the gateway's) sees the value already typed."""
    # The adapter's core validator itself: called once per field of every message (thousands
    # per message of readings), without the adapter's Python wrapper.
    validator = TypeAdapter(kind).validator

    def parse(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError(f"expected an ISO 8601 {kind.__name__} (YYYY-MM-DD…)")
        try:
            return validator.validate_python(value)
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"]) from None

    return parse


Day = Annotated[date, BeforeValidator(iso(date))]

# How far ahead a forecast or a generation may reach (the contract's Limits): its cost grows
# with the window.
HORIZON_MAX_YEARS = 3


def _within_horizon(value: date) -> date:
    today = date.today()
    try:
        farthest = today.replace(year=today.year + HORIZON_MAX_YEARS)
    except ValueError:  # 29 February
        farthest = today.replace(year=today.year + HORIZON_MAX_YEARS, day=28)
    if value > farthest:
        raise ValueError(f"must be at most {HORIZON_MAX_YEARS} years ahead ({farthest})")
    return value


HorizonDay = Annotated[Day, AfterValidator(_within_horizon)]

NUL_MESSAGE = "text may not contain NUL characters"


def refuse_nul(value: Any) -> Any:
    """A string (or a list of strings) without NUL: PostgreSQL's text cannot hold it. (Run on
    every field of every message: the common cases first.)"""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(NUL_MESSAGE)
    elif isinstance(value, list | tuple):
        if any(isinstance(item, str) and "\x00" in item for item in value):
            raise ValueError(NUL_MESSAGE)
    return value
