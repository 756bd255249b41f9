"""The location tree: a recursive CTE naming a location and everything below it."""

from __future__ import annotations

# Expects the bind parameter :location_id; yields `subtree(id)`.
SUBTREE_CTE = (
    "WITH RECURSIVE subtree(id) AS ("
    " SELECT id FROM locations WHERE id = :location_id"
    " UNION ALL SELECT l.id FROM locations l JOIN subtree s ON l.parent_id = s.id)"
)
