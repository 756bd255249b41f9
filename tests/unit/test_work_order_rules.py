"""The work-order state machine, every pair of statuses."""

from datetime import datetime, timedelta, timezone

import pytest

from shared.domain.work_orders import (
    TRANSITIONS,
    OrderState,
    allowed_transitions,
    plan_status_update,
)
from shared.enums import WorkOrderStatus as S
from shared.errors import Conflict, Invalid

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
LEGAL = {
    (S.PENDIENTE, S.EN_PROGRESO),
    (S.PENDIENTE, S.COMPLETADA),
    (S.PENDIENTE, S.CANCELADA),
    (S.EN_PROGRESO, S.COMPLETADA),
    (S.EN_PROGRESO, S.CANCELADA),
}


def state(status: S, start: datetime | None = None) -> OrderState:
    return OrderState(status, start, None)


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_pair_of_statuses(current: S, target: S) -> None:
    start = NOW - timedelta(hours=1) if current == S.EN_PROGRESO else None
    if current == target:
        assert plan_status_update(state(current, start), target, None, None, NOW) == {}
    elif (current, target) in LEGAL:
        assert (
            plan_status_update(state(current, start), target, None, None, NOW)["status"] == target
        )
    else:
        with pytest.raises(Conflict):
            plan_status_update(state(current, start), target, None, None, NOW)


def test_allowed_transitions_match_the_table() -> None:
    for status in S:
        assert {(status, S(t)) for t in allowed_transitions(status)} == {
            pair for pair in LEGAL if pair[0] == status
        }
    assert set(TRANSITIONS) == set(S)


def test_starting_sets_actual_start_given_or_now() -> None:
    given = NOW - timedelta(minutes=5)
    assert (
        plan_status_update(state(S.PENDIENTE), S.EN_PROGRESO, None, None, NOW)["actual_start"]
        == NOW
    )
    assert (
        plan_status_update(state(S.PENDIENTE), S.EN_PROGRESO, given, None, NOW)["actual_start"]
        == given
    )


def test_completing_from_pending_uses_actual_end_as_start() -> None:
    end = NOW - timedelta(hours=1)
    changes = plan_status_update(state(S.PENDIENTE), S.COMPLETADA, None, end, NOW)
    assert changes == {"status": S.COMPLETADA, "actual_start": end, "actual_end": end}


def test_completing_keeps_the_recorded_start() -> None:
    started = NOW - timedelta(hours=3)
    changes = plan_status_update(state(S.EN_PROGRESO, started), S.COMPLETADA, None, None, NOW)
    assert changes["actual_start"] == started and changes["actual_end"] == NOW


def test_end_before_start_is_invalid() -> None:
    with pytest.raises(Invalid):
        plan_status_update(state(S.EN_PROGRESO, NOW), S.COMPLETADA, None, NOW - timedelta(1), NOW)


@pytest.mark.parametrize("final", [S.COMPLETADA, S.CANCELADA])
def test_final_orders_refuse_new_actual_dates(final: S) -> None:
    with pytest.raises(Conflict):
        plan_status_update(state(final), None, NOW, None, NOW)


def test_dates_that_do_not_belong_to_the_transition_are_invalid() -> None:
    with pytest.raises(Invalid):
        plan_status_update(state(S.PENDIENTE), S.EN_PROGRESO, None, NOW, NOW)
    with pytest.raises(Invalid):
        plan_status_update(state(S.PENDIENTE), S.CANCELADA, NOW, None, NOW)
    with pytest.raises(Invalid):
        plan_status_update(state(S.PENDIENTE), None, NOW, None, NOW)
