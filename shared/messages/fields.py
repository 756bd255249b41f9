"""Field types every message and query shares: ids within their column's range (a larger number
is refused as invalid input instead of failing in the database), and text PostgreSQL can store."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

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


def iso_text(value: Any) -> Any:
    """Dates and datetimes are ISO 8601 text: pydantic would also read `0` or `"0"` as a Unix
    time, which no client means."""
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DATE.match(value)):
        raise ValueError("expected an ISO 8601 date (YYYY-MM-DD…)")
    return value


Day = Annotated[date, BeforeValidator(iso_text)]

NUL_MESSAGE = "text may not contain NUL characters"


def refuse_nul(value: Any) -> Any:
    """A string (or a list of strings) without NUL: PostgreSQL's text cannot hold it."""
    items = value if isinstance(value, list | tuple) else (value,)
    if any(isinstance(item, str) and "\x00" in item for item in items):
        raise ValueError(NUL_MESSAGE)
    return value
