"""The work-order state machine and how a status/notes update changes an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.enums import WorkOrderStatus as S
from shared.errors import Conflict, Invalid, field_error

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.PENDIENTE: (S.EN_PROGRESO, S.COMPLETADA, S.CANCELADA),
    S.EN_PROGRESO: (S.COMPLETADA, S.CANCELADA),
    S.COMPLETADA: (),
    S.CANCELADA: (),
}
FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def allowed_transitions(status: S | str) -> list[str]:
    return [target.value for target in TRANSITIONS[S(status)]]


@dataclass(frozen=True)
class OrderState:
    status: S
    actual_start: datetime | None
    actual_end: datetime | None


def _no_dates(field: str, why: str) -> Invalid:
    return Invalid(why, [field_error(["body", field], why)])


def plan_status_update(
    current: OrderState,
    target: S | None,
    actual_start: datetime | None,
    actual_end: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The columns to change for a requested status (None: keep), or a Conflict/Invalid error.

    Entering EN_PROGRESO sets `actual_start` (given or now); entering COMPLETADA sets
    `actual_end` (given or now) and, from PENDIENTE, `actual_start` (given or `actual_end`).
    """
    status = current.status
    if target is None or target == status:
        if status in FINAL:
            if actual_start is not None or actual_end is not None:
                raise Conflict(f"the order is {status}: only its notes may change")
            return {}
        if actual_end is not None:
            raise _no_dates("actual_end", "actual_end is set only when completing")
        if actual_start is not None:
            if status != S.EN_PROGRESO:
                raise _no_dates("actual_start", "actual_start is set only when starting")
            _check_order(actual_start, current.actual_end)
            return {"actual_start": actual_start}
        return {}
    if target not in TRANSITIONS[status]:
        raise Conflict(f"illegal transition {status} → {target}")
    if target == S.EN_PROGRESO:
        if actual_end is not None:
            raise _no_dates("actual_end", "actual_end is set only when completing")
        return {"status": target, "actual_start": actual_start or now}
    if target == S.COMPLETADA:
        end = actual_end or now
        start = actual_start or current.actual_start or end
        _check_order(start, end)
        return {"status": target, "actual_start": start, "actual_end": end}
    if actual_start is not None or actual_end is not None:
        field = "actual_start" if actual_start is not None else "actual_end"
        raise _no_dates(field, "actual dates do not apply to a cancellation")
    return {"status": target}


def _check_order(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start > end:
        raise Invalid(
            "actual_start must not be after actual_end",
            [field_error(["body", "actual_start"], "must not be after actual_end")],
        )
