"""Search patterns shared by the list queries."""

from __future__ import annotations


def contains_pattern(term: str) -> str:
    """An ILIKE pattern matching `term` literally anywhere (`%`, `_` and `\\` escaped)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
