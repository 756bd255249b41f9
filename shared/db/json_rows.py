"""Many rows to one statement as a single JSON parameter, read inside with `jsonb_to_recordset`.

For thousands of rows this is far cheaper than one array per column: the driver encodes every
timestamp and numeric of an array one by one in Python, while orjson writes the whole document in
C and PostgreSQL reads each field with its column type's own input function. Numerics travel as
their exact text; timestamps as RFC 3339, so they must be aware (a naive one would mean whatever
the server's time zone says).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import orjson


def json_rows(rows: Iterable[Mapping[str, Any]]) -> str:
    """`rows` as the text of a JSON array of objects (keys: the record's column names)."""
    return orjson.dumps(list(rows), default=_exact).decode()


def _exact(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a JSON row value")
